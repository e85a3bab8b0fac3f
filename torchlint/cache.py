"""Content-addressed cache of per-file results, findings included.

An entry's key hashes everything the result depends on in the file itself: its path and
bytes (and dotted module name), torchlint's version and code, and the effective
settings for that file (selected codes, the per-file ignores that apply, module bases).
What it depends on in *other* files is recorded inside the entry: every file whose
project-index facts the lint observed (where its class bases resolved, transitively,
and the places an import was looked for and not found), with the file's content and
facts digests. An entry is used only when each of those files still has the same
content, or failing that the same facts: a base class changed in another file
invalidates its subclasses' results; a comment changed there does not.

Entries are JSON files written atomically (temporary file + rename) under
``.torchlint_cache/`` at the project root (with a ``.gitignore`` of ``*``) or
``--cache-dir``. A corrupt, truncated or foreign entry is a miss and is rewritten; the
cache never fails a run (an unwritable directory just means no cache).

Beside the results, ``facts/`` keeps every file's project-index facts (``FactsStore``),
keyed by the file's path and content digest, torchlint's code and the Python version
(the facts depend on nothing else: settings only change what is asked of them). A run
over a few changed files reads the facts of the unchanged modules they import from
there instead of parsing those modules again; a changed module has another key, so
its facts are always those of its current bytes.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import torchlint
from torchlint.analysis import project
from torchlint.analysis.project import IndexEntry, blake2b, content_digest, facts_digest, parse_facts
from torchlint.config import Settings, resolved
from torchlint.diagnostics import Diagnostic, Edit, Fix, Location

CACHE_DIR_NAME = ".torchlint_cache"
FORMAT = 1
DependencyState = Optional[tuple[str, str]]  # (content digest, facts digest); None: absent


@lru_cache(maxsize=None)
def _source_fingerprint() -> str:
    """A digest of torchlint's own code, so a changed rule never reads stale results
    even when the version number was not bumped (a development install)."""
    hasher = blake2b(digest_size=16)
    package = Path(torchlint.__file__).parent
    for path in sorted(package.rglob("*.py")):
        hasher.update(path.relative_to(package).as_posix().encode() + b"\0")
        try:
            hasher.update(path.read_bytes())
        except OSError:
            pass
    return hasher.hexdigest()


def code_fingerprint() -> str:
    return f"{torchlint.__version__}/{_source_fingerprint()}"


def default_cache_dir(settings: Settings) -> Path:
    return settings.project_root / CACHE_DIR_NAME


class Cache:
    def __init__(self, directory: Path, settings: Settings):
        self.directory = Path(directory)
        self.settings = settings
        self.facts = FactsStore(self.directory)
        # advice and fixes depend on the torch version and the buffer style too
        base = json.dumps([FORMAT, code_fingerprint(), sorted(settings.select), sorted(settings.module_bases),
                           settings.torch_version, settings.buffer_style])
        self._base = blake2b(base.encode(), digest_size=16).digest()
        self._current: dict[str, DependencyState] = {}  # dependency states as they are now
        self._prepared = False

    # -- keys ---------------------------------------------------------------------------

    def key(self, path: Path, data: bytes, real_path: Optional[Path] = None) -> str:
        path = real_path or resolved(path)
        hasher = blake2b(self._base, digest_size=20)
        hasher.update(str(path).encode() + b"\0")
        hasher.update(content_digest(path, data).encode() + b"\0")
        hasher.update(",".join(sorted(self.settings.ignored_for(path))).encode())
        return hasher.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    # -- reading ------------------------------------------------------------------------

    def load(self, key: str, shown: str) -> Optional[list[Diagnostic]]:
        """The cached diagnostics (shown under ``shown``), or None: no entry, an
        unusable one, or one whose dependencies changed."""
        try:
            with open(self._entry(key), "rb") as handle:
                entry = json.loads(handle.read())
            if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
                return None
            current = self._current
            for path, recorded in entry["dependencies"].items():
                # the usual cases answered inline (a call each cost a third of a warm run);
                # the rest, and paths not checked yet in this run, by _still_valid
                state = current.get(path, _UNSEEN)
                if state is None and recorded is None:
                    continue  # still no file where an import was looked for
                if state is not _UNSEEN and state and recorded and state[0] == recorded[0]:
                    continue  # the same content as when stored
                if not self._still_valid(path, recorded):
                    return None
            return [_diagnostic(item, shown) for item in entry["diagnostics"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None  # missing, corrupt or foreign: linted again and rewritten

    def _still_valid(self, path: str, recorded: Any) -> bool:
        if path not in self._current:
            self._current[path] = _content_state(Path(path))
        current = self._current[path]
        if recorded is None or current is None:
            return recorded is None and current is None
        content, facts = recorded
        if current[0] == content:
            return True
        if current[1] is None:  # the content changed: do the facts that matter still match?
            try:
                data = Path(path).read_bytes()
            except OSError:
                return False
            entry = self.facts.load(Path(path), data)
            current = (current[0], entry[2][1] if entry is not None else facts_digest(parse_facts(Path(path), data)))
            self._current[path] = current
        return current[1] == facts

    # -- writing ------------------------------------------------------------------------

    def store(self, key: str, diagnostics: list[Diagnostic],
              dependencies: dict[str, DependencyState]) -> None:
        entry = {
            "format": FORMAT,
            "key": key,
            "dependencies": {path: list(state) if state else None for path, state in dependencies.items()},
            "diagnostics": [_serialise(d) for d in diagnostics],
        }
        try:
            self._prepare()
            handle = tempfile.NamedTemporaryFile("w", dir=self.directory, prefix=".tmp-", suffix=".json",
                                                 delete=False, encoding="utf-8")
            try:
                with handle:
                    json.dump(entry, handle, separators=(",", ":"))
                os.replace(handle.name, self._entry(key))
            except BaseException:
                _remove(handle.name)
                raise
        except (OSError, ValueError):
            pass  # a read-only or full disk costs the cache, never the run

    def _prepare(self) -> None:
        if self._prepared:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"
        if not ignore.is_file():
            ignore.write_text("# Created by torchlint\n*\n", encoding="utf-8")
        self._prepared = True


_UNSEEN = object()

FACTS_FORMAT = 1
FACTS_DIR_NAME = "facts"


class FactsStore:
    """The project-index facts of each file version, so that an unchanged module is not
    parsed again by the next run that imports it (``ProjectIndex(store=...)``).

    An entry is a pickle of ``(key, IndexEntry)`` under ``facts/<key>.pickle``; the key
    hashes the resolved path, the content digest (bytes and dotted module name), the
    code fingerprint and the Python version. Entries are read with an unpickler that
    builds only the index's own fact classes, paths and builtin containers, so a foreign
    file in the cache directory can never run code; anything unexpected is a miss."""

    def __init__(self, cache_directory: Path):
        self.directory = Path(cache_directory) / FACTS_DIR_NAME
        base = json.dumps([FACTS_FORMAT, code_fingerprint(), list(sys.version_info[:2])])
        self._base = blake2b(base.encode(), digest_size=16).digest()
        self._prepared = False
        self.loaded = 0  # entries answered from the store (for tests and benchmarks)
        self.stored = 0

    def key(self, path: Path, content: str) -> str:
        hasher = blake2b(self._base, digest_size=20)
        hasher.update(str(path).encode() + b"\0" + content.encode())
        return hasher.hexdigest()

    def load(self, path: Path, data: bytes) -> Optional[IndexEntry]:
        """The stored facts of ``path`` (resolved) holding exactly ``data``, or None."""
        content = content_digest(path, data)
        key = self.key(path, content)
        try:
            with open(self.directory / f"{key}.pickle", "rb") as handle:
                stored = _facts_unpickler()(io.BytesIO(handle.read())).load()
            stored_key, (stored_path, facts, digests) = stored
            if stored_key != key or stored_path != path or not isinstance(digests, tuple) or digests[0] != content \
                    or not isinstance(digests[1], str) or not (facts is None or isinstance(facts, project.FileFacts)):
                return None
            if facts is not None and facts.path != path:
                return None
        except Exception:  # missing, truncated, foreign: computed again and rewritten
            return None
        self.loaded += 1
        return stored_path, facts, digests

    def save(self, entry: IndexEntry) -> None:
        path, _, digests = entry
        key = self.key(path, digests[0])
        try:
            import pickle  # here: a run without a cache never needs it

            payload = pickle.dumps((key, entry), protocol=pickle.HIGHEST_PROTOCOL)
            self._prepare()
            # a temporary name of this process's own, then an atomic rename (NamedTemporaryFile
            # cost more than the rest of the store: a full cold run writes thousands)
            temporary = os.path.join(self.directory, f".tmp-{os.getpid()}-{threading.get_ident()}-{key}")
            try:
                descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                try:
                    os.write(descriptor, payload)
                finally:
                    os.close(descriptor)
                os.replace(temporary, os.path.join(self.directory, f"{key}.pickle"))
            except BaseException:
                _remove(temporary)
                raise
        except (OSError, pickle.PicklingError, RecursionError):
            return  # a read-only or full disk costs the cache, never the run
        self.stored += 1

    def _prepare(self) -> None:
        if not self._prepared:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory.parent / ".gitignore"
            if not ignore.is_file():
                ignore.write_text("# Created by torchlint\n*\n", encoding="utf-8")
            self._prepared = True


# The classes a facts entry may name: the index's fact classes and paths (containers,
# strings and numbers have opcodes of their own).
_ALLOWED_CLASSES = {
    ("torchlint.analysis.project", "FileFacts"), ("torchlint.analysis.project", "ClassFacts"),
    ("torchlint.analysis.project", "ImportTarget"),
}
_PATH_CLASSES = frozenset({"PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath", "Path"})


@lru_cache(maxsize=None)
def _facts_unpickler() -> type:
    """The unpickler of facts entries (made on first use: a run without a cache never
    imports pickle)."""
    import pickle

    class _FactsUnpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str):
            if (module, name) in _ALLOWED_CLASSES or (module.split(".")[0] == "pathlib" and name in _PATH_CLASSES):
                return super().find_class(module, name)
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a facts entry")

    return _FactsUnpickler


def _content_state(path: Path) -> Optional[tuple[str, Optional[str]]]:
    """(content digest, facts digest or None until needed); None when absent."""
    try:
        if not path.is_file():
            return None
        return content_digest(path, path.read_bytes()), None
    except OSError:
        return None


def _remove(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def _serialise(diagnostic: Diagnostic) -> dict[str, Any]:
    fix = diagnostic.fix
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "location": [diagnostic.location.row, diagnostic.location.column],
        "end_location": [diagnostic.end_location.row, diagnostic.end_location.column],
        "help": diagnostic.help,
        "fix": None if fix is None else {
            "applicability": fix.applicability,
            "message": fix.message,
            "edits": [[e.content, [e.location.row, e.location.column], [e.end_location.row, e.end_location.column],
                       e.cell] for e in fix.edits],
        },
        "noqa_row": diagnostic.noqa_row,
        "origin": diagnostic.origin,
        "runtime": diagnostic.runtime,
        "source_line": diagnostic.source_line,
        "cell": diagnostic.cell,
        "cell_id": diagnostic.cell_id,
        "file_rows": list(diagnostic.file_rows) if diagnostic.file_rows else None,
    }


def _diagnostic(item: dict[str, Any], shown: str) -> Diagnostic:
    fix = item["fix"]
    return Diagnostic(
        code=item["code"],
        name=item["name"],
        message=item["message"],
        path=shown,
        location=Location(*item["location"]),
        end_location=Location(*item["end_location"]),
        help=item["help"],
        fix=None if fix is None else Fix(
            fix["applicability"], fix["message"],
            tuple(Edit(e[0], Location(*e[1]), Location(*e[2]), *e[3:]) for e in fix["edits"]),
        ),
        noqa_row=item["noqa_row"],
        origin=item["origin"],
        runtime=item["runtime"],
        source_line=item["source_line"],
        cell=item.get("cell"),
        cell_id=item.get("cell_id"),
        file_rows=tuple(item["file_rows"]) if item.get("file_rows") else None,
    )
