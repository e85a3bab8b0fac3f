"""Settings: ``[tool.torchlint]`` in the nearest ``pyproject.toml``, merged with CLI flags."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional

from torchlint.codes import ALL_CODES, FILE_NOT_LINTED

if TYPE_CHECKING:  # pragma: no cover
    import pathspec

KNOWN_KEYS = frozenset(
    {"select", "ignore", "extend-select", "per-file-ignores", "exclude", "extend-exclude", "module-bases",
     "torch-version", "buffer-style", "runtime", "docs-url", "notebooks"}
)
# `runtime = true`, or a `[tool.torchlint.runtime]` table with these keys.
RUNTIME_KEYS = frozenset({"enabled", "factories", "pythonpath", "timeout", "memory-limit"})
# How fixes and advice register a buffer: `self.register_buffer("x", t)` or `self.x = nn.Buffer(t)`.
BUFFER_STYLES = ("register_buffer", "nn.Buffer")
DEFAULT_SELECT = ("TL0",)  # every static rule
RUNTIME_SELECT = ("TL1",)  # the runtime-only rules, added to the default under --runtime


def resolved(path: Path) -> Path:
    """``path.resolve()`` that never raises: a symlink loop stays its absolute path (and
    is reported as a file that cannot be read)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


class ConfigError(Exception):
    """A configuration or usage error: reported as such, exit code 2."""


def _nearest(key: str, known: Iterable[str]) -> str:
    """`` did you mean 'extend-select'?``: the closest known key (underscores read as
    dashes, as people write them), or ``""``."""
    spelt = key.replace("_", "-").lower()
    if spelt in known:
        return f" did you mean {spelt!r}?"
    import difflib

    close = difflib.get_close_matches(spelt, sorted(known), n=1, cutoff=0.6)
    return f" did you mean {close[0]!r}?" if close else ""


def path_patterns(patterns: Iterable[str]) -> "pathspec.PathSpec":
    """Exclude and per-file-ignores patterns, with .gitignore's syntax. pathspec is
    imported here, when a run has patterns to match (it takes a fifth of a second to
    import: a run over a few named files without such settings never loads it)."""
    import pathspec

    # pathspec 1.0 renamed gitignore-style patterns from "gitwildmatch" (now deprecated) to
    # "gitignore"; before 1.0, "gitignore" named a deprecated class. Same matching either way.
    style = "gitignore" if int(getattr(pathspec, "__version__", "0").split(".")[0]) >= 1 else "gitwildmatch"
    return pathspec.PathSpec.from_lines(style, patterns)


@dataclass
class RuntimeSettings:
    """``--runtime``: import the linted code and build its Modules in worker processes."""

    enabled: bool = False
    factories: dict[str, str] = field(default_factory=dict)  # "pkg.mod:Class" -> "pkg.mod:function"
    pythonpath: tuple[Path, ...] = ()  # extra import roots, absolute
    timeout: float = 60.0  # seconds per class (and per file import)
    memory_limit_mb: int = 4096  # address space per worker
    report: Optional[Path] = None  # --runtime-report FILE: every class, built or not, and why (JSON)


@dataclass
class Settings:
    select: frozenset[str]
    per_file_ignores: list[tuple[pathspec.PathSpec, frozenset[str]]] = field(default_factory=list)
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    module_bases: tuple[str, ...] = ()
    project_root: Path = field(default_factory=Path.cwd)
    config_path: Optional[Path] = None
    torch_version: Optional[tuple[int, int]] = None  # the oldest torch the project supports
    buffer_style: Optional[str] = None  # "register_buffer" or "nn.Buffer"; None: as the file does
    fix: bool = False  # apply fixes
    unsafe_fixes: bool = False  # ... including unsafe ones
    diff: bool = False  # show the fixes as a diff, write nothing
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    docs_url: Optional[str] = None  # where the rule pages are served (findings' `url`)
    notebooks: bool = True  # directories are searched for Jupyter notebooks (.ipynb) too

    def ignored_for(self, path: Path) -> frozenset[str]:
        if not self.per_file_ignores:
            return frozenset()
        try:
            relative = resolved(path).relative_to(self.project_root).as_posix()
        except ValueError:
            relative = path.as_posix()
        codes: set[str] = set()
        for spec, ignored in self.per_file_ignores:
            if spec.match_file(relative):
                codes |= ignored
        return frozenset(codes)


def all_codes() -> list[str]:
    return list(ALL_CODES)


def resolve_selectors(selectors: Iterable[str], where: str) -> set[str]:
    """Expand ``ALL``, full codes and prefixes (``TL0``) into codes; reject unknown ones."""
    codes: set[str] = set()
    for selector in selectors:
        selector = selector.strip().upper()
        if not selector:
            continue
        if selector == "ALL":
            codes.update(all_codes())
            continue
        matched = [code for code in all_codes() if code.startswith(selector)]
        if not matched:
            raise ConfigError(f"unknown rule code or prefix {selector!r} in {where}")
        codes.update(matched)
    return codes


def _read_toml(path: Path) -> dict[str, Any]:
    """The TOML file's table (tomllib is imported here: a project without a
    ``pyproject.toml`` never needs it); ConfigError when it cannot be read."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None


def find_config(start: Path) -> Optional[Path]:
    """The nearest ``pyproject.toml`` with a ``[tool.torchlint]`` table, upward from ``start``."""
    directory = start if start.is_dir() else start.parent
    for candidate in [directory, *directory.parents]:
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            data = _read_toml(pyproject)
            if "torchlint" in data.get("tool", {}):
                return pyproject
    return None


def find_project_root(start: Path) -> Path:
    directory = start if start.is_dir() else start.parent
    for candidate in [directory, *directory.parents]:
        if (candidate / "pyproject.toml").is_file() or (candidate / ".git").exists():
            return candidate
    return directory


def _string_list(table: dict[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`{key}` in {where} must be a list of strings")
    return value


def load_settings(
    start: Path,
    *,
    config_path: Optional[Path] = None,
    select: Optional[list[str]] = None,
    ignore: Optional[list[str]] = None,
    extend_select: Optional[list[str]] = None,
    runtime: Optional[bool] = None,
    docs_url: Optional[str] = None,
) -> Settings:
    start = start.resolve()
    if config_path is None:
        config_path = find_config(start)
    table: dict[str, Any] = {}
    where = "the command line"
    if config_path is not None:
        where = str(config_path)
        data = _read_toml(config_path)
        table = data.get("tool", {}).get("torchlint", {})
        if not isinstance(table, dict):
            raise ConfigError(f"[tool.torchlint] in {where} must be a table")
        unknown = sorted(set(table) - KNOWN_KEYS)
        if unknown:
            raise ConfigError(
                f"unknown key {unknown[0]!r} in [tool.torchlint] of {where};{_nearest(unknown[0], KNOWN_KEYS)} "
                f"known keys: {', '.join(sorted(KNOWN_KEYS))}"
            )
    runtime_settings = _runtime_settings(table.get("runtime", False), where, config_path)
    if runtime is not None:
        runtime_settings.enabled = runtime
    default_select = list(DEFAULT_SELECT) + (list(RUNTIME_SELECT) if runtime_settings.enabled else [])
    # Two layers, as in ruff: the file's selection, then the command line's on top of it.
    codes = resolve_selectors(_string_list(table, "select", where) or default_select, where)
    codes |= resolve_selectors(_string_list(table, "extend-select", where), where)
    codes -= resolve_selectors(_string_list(table, "ignore", where), where)
    if select is not None:
        codes = resolve_selectors(select, "--select")
    codes |= resolve_selectors(extend_select or [], "--extend-select")
    codes -= resolve_selectors(ignore or [], "--ignore")
    codes.add(FILE_NOT_LINTED)  # a skipped file is always reported

    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"`per-file-ignores` in {where} must be a table of pattern = [codes]")
    per_file_ignores = []
    for pattern, selectors in per_file.items():
        if not isinstance(selectors, list):
            raise ConfigError(f"`per-file-ignores` entry {pattern!r} in {where} must be a list of codes")
        ignored = resolve_selectors(selectors, f"per-file-ignores of {where}") - {FILE_NOT_LINTED}
        per_file_ignores.append((path_patterns([pattern]), frozenset(ignored)))

    project_root = Path(config_path).resolve().parent if config_path else find_project_root(start)
    torch_version = table.get("torch-version")
    if torch_version is not None:
        parsed = _version(str(torch_version))
        if parsed is None:
            raise ConfigError(f"`torch-version` in {where} must look like \"2.5\", not {torch_version!r}")
    else:
        parsed = detect_torch_version(project_root)
    if docs_url is None:
        docs_url = table.get("docs-url")
        docs_where = f"`docs-url` in {where}"
    else:
        docs_where = "--docs-url"
    if docs_url is not None and not (isinstance(docs_url, str) and _URL.match(docs_url)):
        raise ConfigError(f"{docs_where} must be a URL such as \"https://example.org/torchlint/rules/\", not {docs_url!r}")
    buffer_style = table.get("buffer-style")
    if buffer_style is not None and buffer_style not in BUFFER_STYLES:
        raise ConfigError(
            f"`buffer-style` in {where} must be one of {', '.join(repr(s) for s in BUFFER_STYLES)}, not {buffer_style!r}"
        )
    notebooks = table.get("notebooks", True)
    if not isinstance(notebooks, bool):
        raise ConfigError(f"`notebooks` in {where} must be true or false, not {notebooks!r}")
    return Settings(
        notebooks=notebooks,
        select=frozenset(codes),
        per_file_ignores=per_file_ignores,
        exclude=tuple(_string_list(table, "exclude", where)),
        extend_exclude=tuple(_string_list(table, "extend-exclude", where)),
        module_bases=tuple(_string_list(table, "module-bases", where)),
        project_root=project_root,
        config_path=Path(config_path) if config_path else None,
        torch_version=parsed,
        buffer_style=buffer_style,
        runtime=runtime_settings,
        docs_url=docs_url or None,
    )


_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://\S+)?$")  # a scheme and more, or "" (no links)


def _version(text: str) -> Optional[tuple[int, int]]:
    match = re.fullmatch(r"\s*(\d+)\.(\d+)(?:\.\d+)?\s*", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


_TORCH_REQUIREMENT = re.compile(r"""(?:^|["'\s,\[])torch\s*(?:\[[^\]]*\])?\s*(>=|==|~=)\s*(\d+\.\d+)""", re.MULTILINE)


def detect_torch_version(root: Path) -> Optional[tuple[int, int]]:
    """The lower bound of the project's torch requirement (pyproject dependencies or
    requirements.txt), e.g. ``torch>=2.5`` -> (2, 5); None when it cannot be told."""
    for name in ("pyproject.toml", "requirements.txt", "setup.cfg"):
        try:
            text = (root / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        match = _TORCH_REQUIREMENT.search(text)
        if match:
            return _version(match.group(2))
    return None


def _runtime_settings(value: Any, where: str, config_path: Optional[Path]) -> RuntimeSettings:
    """``runtime = true`` or a ``[tool.torchlint.runtime]`` table (unknown keys are errors)."""
    if isinstance(value, bool):
        return RuntimeSettings(enabled=value)
    if not isinstance(value, dict):
        raise ConfigError(f"`runtime` in {where} must be true/false or a [tool.torchlint.runtime] table")
    unknown = sorted(set(value) - RUNTIME_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in [tool.torchlint.runtime] of {where};{_nearest(unknown[0], RUNTIME_KEYS)} "
            f"known keys: {', '.join(sorted(RUNTIME_KEYS))}"
        )
    where = f"[tool.torchlint.runtime] of {where}"
    enabled = value.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"`enabled` in {where} must be true or false")
    factories = value.get("factories", {})
    if not isinstance(factories, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and ":" in k and ":" in v for k, v in factories.items()
    ):
        raise ConfigError(f'`factories` in {where} must be a table of "module:Class" = "module:function"')
    base = Path(config_path).resolve().parent if config_path else Path.cwd()
    pythonpath = tuple((base / entry).resolve() for entry in _string_list(value, "pythonpath", where))
    timeout = value.get("timeout", RuntimeSettings.timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"`timeout` in {where} must be a positive number of seconds")
    memory = value.get("memory-limit", RuntimeSettings.memory_limit_mb)
    if isinstance(memory, bool) or not isinstance(memory, int) or memory < 256:
        raise ConfigError(f"`memory-limit` in {where} must be a number of megabytes (at least 256)")
    return RuntimeSettings(enabled, dict(factories), pythonpath, float(timeout), memory)
