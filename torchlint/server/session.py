"""The language server's side of the engine: settings per document, one linter per
configuration, the project index fed with the editor's text. No LSP here (and no
pygls): the server (``torchlint.server.lsp``) calls these methods, always from one
thread, and turns their answers into protocol messages.

Everything goes through the engine's own entry points, as the CLI does: ``Linter.lint``
for one file's bytes, ``fix_text`` for the fixes, ``line_with_noqa`` for the noqa
comment ``--add-noqa`` writes. The text linted is the editor's, never the file on disk;
the runtime checker (which imports and runs the linted code) is never used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from torchlint import source as sources
from torchlint.codes import FILE_NOT_LINTED
from torchlint.config import (DEFAULT_SELECT, ConfigError, Settings, detect_torch_version, find_project_root,
                              load_settings, resolve_selectors)
from torchlint.diagnostics import Diagnostic

# Client settings (initializationOptions, workspace/didChangeConfiguration), camelCase as
# LSP clients spell settings, with the CLI's spelling accepted too.
OVERRIDE_KEYS = {"select": "select", "ignore": "ignore", "extendSelect": "extend_select",
                 "extend-select": "extend_select", "extend_select": "extend_select"}


@dataclass(frozen=True)
class Overrides:
    """What the client's settings say, on top of ``[tool.torchlint]`` (as the CLI's
    flags do): ``select`` replaces the file's selection, ``extend_select`` adds,
    ``ignore`` removes."""

    select: Optional[tuple[str, ...]] = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()

    @classmethod
    def parse(cls, options: Any) -> "Overrides":
        """From the client's settings: a dict, possibly under a ``torchlint`` key. Raises
        ``ConfigError`` naming what is wrong (unknown codes, wrong types)."""
        if options is None:
            return cls()
        if not isinstance(options, dict):
            raise ConfigError("the client's torchlint settings must be an object")
        if isinstance(options.get("torchlint"), dict):
            options = options["torchlint"]
        values: dict[str, Any] = {}
        for key, value in options.items():
            name = OVERRIDE_KEYS.get(key)
            if name is None:
                continue  # other settings (debounce, ...) are the server's, not the linter's
            if isinstance(value, str):
                value = [part.strip() for part in value.split(",") if part.strip()]
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"`{key}` in the client's torchlint settings must be a list of rule codes")
            resolve_selectors(value, f"`{key}` of the client's torchlint settings")  # unknown codes are errors
            values[name] = tuple(value)
        return cls(**values)


@dataclass
class Configured:
    """One configuration (a ``[tool.torchlint]`` as it is on disk now, plus the client's
    overrides) and the linter built for it."""

    settings: Settings
    error: Optional[str]  # the configuration could not be read: defaults are used
    linter: Any = None  # engine.Linter, made on first use


@dataclass
class LintOutcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    dependencies: frozenset[str] = frozenset()  # other files whose facts the lint used
    settings: Optional[Settings] = None
    config_error: Optional[str] = None
    excluded: bool = False
    internal_errors: list[str] = field(default_factory=list)


def _stat_key(path: Path) -> Optional[tuple[int, int]]:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def bytes_of(text: str) -> bytes:
    """The editor's text as the file's bytes would be: in the encoding its coding line
    declares (UTF-8 by default), so the engine decodes it as it would decode the file."""
    data = text.encode("utf-8", errors="surrogatepass")
    encoding = sources.encoding_of(data)
    if encoding.replace("_", "-").lower() not in ("utf-8", "utf8", "utf-8-sig"):
        try:
            data = text.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            pass  # the engine reports the mismatch, as it would for the saved file
    return data


def _malloc_trim():
    """glibc's ``malloc_trim``, or None elsewhere."""
    try:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


class Session:
    """State shared by the documents of one server: configurations, linters, the
    project index, and the text of every open document."""

    def __init__(self, overrides: Overrides = Overrides(), default_root: Optional[Path] = None):
        self.overrides = overrides
        self.default_root = default_root or Path.cwd()
        self._generation = 0  # bumped when the overrides change
        self._by_directory: dict[Path, tuple[tuple, tuple]] = {}  # dir -> (pyproject stats, config key)
        self._configs: dict[tuple, Configured] = {}
        self._indexes: dict[tuple[str, ...], Any] = {}  # module-bases -> ProjectIndex
        self.open_texts: dict[Path, str] = {}  # resolved path -> the editor's text

    # -- configuration ---------------------------------------------------------------

    def set_overrides(self, overrides: Overrides) -> None:
        if overrides != self.overrides:
            self.overrides = overrides
            self._generation += 1
            self._by_directory.clear()
            self._close_linters()

    def _pyproject_stats(self, directory: Path) -> tuple:
        return tuple((candidate, _stat_key(candidate / "pyproject.toml"))
                     for candidate in (directory, *directory.parents))

    def configured(self, path: Path) -> Configured:
        """The configuration of the document at ``path``: the nearest ``pyproject.toml``
        with ``[tool.torchlint]``, re-read whenever a ``pyproject.toml`` on the way up
        changed (by modification time and size, checked on every call: a few ``stat``s)."""
        directory = path.parent
        stats = self._pyproject_stats(directory)
        known = self._by_directory.get(directory)
        if known is not None and known[0] == stats and known[1] in self._configs:
            return self._configs[known[1]]
        settings, error = self._load(path)
        config = settings.config_path
        key = (str(config) if config else f"no config under {settings.project_root}",
               _stat_key(config) if config else None, error, self._generation)
        if key not in self._configs:
            stale = [k for k in self._configs if k[0] == key[0]]
            for old in stale:  # the same pyproject.toml as it was before it changed
                self._close(self._configs.pop(old))
            self._configs[key] = Configured(settings, error)
        self._by_directory[directory] = (stats, key)
        return self._configs[key]

    def _load(self, path: Path) -> tuple[Settings, Optional[str]]:
        overrides = self.overrides
        options = dict(select=list(overrides.select) if overrides.select is not None else None,
                       ignore=list(overrides.ignore), extend_select=list(overrides.extend_select))
        try:
            settings = load_settings(path, runtime=False, **options)
            error = None
        except ConfigError as problem:  # a broken pyproject.toml: say so, then lint with the defaults
            error = str(problem)
            settings = self._defaults(path)
        settings.runtime.enabled = False  # never import or run the user's code
        return settings, error

    def _defaults(self, path: Path) -> Settings:
        overrides = self.overrides
        codes = resolve_selectors(overrides.select if overrides.select is not None else DEFAULT_SELECT, "defaults")
        codes |= resolve_selectors(overrides.extend_select, "extendSelect")
        codes -= resolve_selectors(overrides.ignore, "ignore")
        codes.add(FILE_NOT_LINTED)
        root = find_project_root(path.parent)
        return Settings(select=frozenset(codes), project_root=root, torch_version=detect_torch_version(root))

    # -- the engine ------------------------------------------------------------------

    def _index(self, settings: Settings):
        key = tuple(settings.module_bases)
        if key not in self._indexes:
            from torchlint.analysis.project import ProjectIndex

            index = ProjectIndex(extra_module_bases=settings.module_bases)
            for path, text in self.open_texts.items():  # the editor's text, not the disk's
                index.add_source(path, text, bytes_of(text))
            self._indexes[key] = index
        return self._indexes[key]

    def _linter(self, configured: Configured):
        if configured.linter is None:
            from torchlint.engine import Linter, prefilter_enabled

            configured.linter = Linter(configured.settings, prefilter_enabled(), self._index(configured.settings))
        return configured.linter

    def _close(self, configured: Configured) -> None:
        if configured.linter is not None:
            configured.linter.close()
            configured.linter = None

    def _close_linters(self) -> None:
        for configured in self._configs.values():
            self._close(configured)
        self._configs.clear()

    def close(self) -> None:
        self._close_linters()
        self._indexes.clear()

    def lint(self, path: Path, text: str) -> LintOutcome:
        """Lint the editor's ``text`` of the document at ``path`` (which may not exist on
        disk); bases in other files come from the project index (open documents as the
        editor has them, the others from disk)."""
        path = Path(os.path.abspath(path))
        configured = self.configured(path)
        outcome = LintOutcome(settings=configured.settings, config_error=configured.error)
        from torchlint.discovery import excluded

        if excluded(path, configured.settings):
            outcome.excluded = True
            return outcome
        linter = self._linter(configured)
        data = bytes_of(text)
        linter.index.add_source(path, text, data, replace=True)
        result = linter.lint(path, str(path), data)
        outcome.diagnostics = result.diagnostics
        outcome.internal_errors = result.internal_errors
        outcome.dependencies = frozenset(result.dependencies or ())
        return outcome

    def fix_all(self, path: Path, text: str, unsafe: bool = False) -> str:
        """The text after the fixes ``--fix`` would apply (passes, re-lints, and the
        refusal of any fix that breaks construction included); ``text`` itself when
        nothing applies, the document is excluded or a fix went wrong."""
        path = Path(os.path.abspath(path))
        configured = self.configured(path)
        from torchlint.discovery import excluded
        from torchlint.fixes.apply import fix_text

        if excluded(path, configured.settings):
            return text
        linter = self._linter(configured)

        def lint(current: str) -> list[Diagnostic]:
            data = bytes_of(current)
            linter.index.add_source(path, current, data, replace=True)
            return linter.lint(path, str(path), data).diagnostics

        try:
            outcome = fix_text(text, lint, unsafe)
        finally:
            linter.index.add_source(path, text, bytes_of(text), replace=True)  # the editor still has `text`
        return text if outcome.error else outcome.text

    def release_memory(self) -> None:
        """Give the memory freed by the last lint back to the system. Linting one file
        allocates and frees its syntax trees, and glibc keeps the freed pages for reuse:
        after 200 files a server would hold some 600 MB it no longer uses (and about 80 MB
        with this, called after each lint; a few milliseconds, off the latency path)."""
        if _TRIM is not None:
            _TRIM(0)

    # -- documents and files -----------------------------------------------------------

    def opened(self, path: Path, text: str) -> None:
        self.open_texts[Path(os.path.abspath(path)).resolve()] = text

    def changed(self, path: Path, text: str) -> None:
        self.open_texts[Path(os.path.abspath(path)).resolve()] = text

    def closed(self, path: Path) -> None:
        """The editor closed the document: the index reads the file from disk again."""
        resolved = Path(os.path.abspath(path)).resolve()
        self.open_texts.pop(resolved, None)
        self.disk_changed([resolved])

    def disk_changed(self, paths: Iterable[Path], created_or_deleted: bool = False) -> None:
        """Files changed on disk (saved, or changed by another program). A file the
        editor has open keeps the editor's text. A created or deleted file changes which
        imports resolve: the index starts again (it is filled lazily)."""
        paths = [Path(os.path.abspath(p)).resolve() for p in paths]
        if created_or_deleted or any(not p.is_file() for p in paths if p.suffix == ".py"):
            self._indexes.clear()
            self._close_linters()
            self._by_directory.clear()
            return
        for index in self._indexes.values():
            for path in paths:
                if path.suffix != ".py" or path in self.open_texts:
                    continue
                try:
                    data = path.read_bytes()
                    text = sources.decode(data)
                except (OSError, sources.NotLinted):
                    continue
                index.add_source(path, text, data, replace=True)
