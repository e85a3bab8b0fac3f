"""Read-ahead of the project index for a run that lints a few files in one process.

Linting one file cold (an editor's save, ``torchlint model.py``) spends a third of its
time outside that file: the modules it imports are read and indexed with ``ast`` to learn
which bases are Modules and what imported helpers return. None of that needs libcst, and
importing libcst is a third of the run too. So, where the platform forks and a second
core is free, a child process indexes the modules the files import while the parent
imports libcst and parses the files, and streams each module's index entry back through a
pipe; the parent takes an entry when its analysis first asks for that module.

The child resolves what the files' imports name (following re-exports, and the bases of
imported classes as far as "is this a Module?" goes), which is what the rules ask first.
An entry the parent asks for that the child does not send is computed by the parent, as
without read-ahead; an entry whose file changed since the child read it (content digest)
is ignored. Facts are a function of a file's bytes and path, so results never depend on
who computed them. ``TORCHLINT_READAHEAD=0`` turns it off.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Iterable, Optional, Sequence

from torchlint.analysis.project import ClassRef, IndexEntry, ProjectIndex, content_digest

try:  # the C pickler alone: pickle.py and what it imports are a millisecond of a run that needs neither
    from _pickle import dump, load
except ImportError:  # pragma: no cover - another Python
    from pickle import dump, load

# The child stops resolving after this long: the parent, which waits for an entry the
# child may still send, never waits longer than the child works.
_BUDGET_SECONDS = 0.5
# ... and is ended by the system after this long, should one question never return.
_LIFETIME_SECONDS = 3.0


def enabled() -> bool:
    return (os.environ.get("TORCHLINT_READAHEAD", "1") != "0" and hasattr(os, "fork")
            and sys.platform.startswith("linux") and (os.cpu_count() or 1) >= 2)


class ReadAhead:
    """The parent's end: index entries as the child sends them."""

    def __init__(self, pid: int, read_fd: int, targets: Iterable[Path]):
        self._pid = pid
        self._targets = frozenset(targets)  # resolved; the child sends their entries first
        self._stream = os.fdopen(read_fd, "rb")
        self._received: dict[Path, IndexEntry] = {}
        self._finished = False

    @classmethod
    def start(cls, paths: Sequence[Path], module_bases: Iterable[str]) -> Optional["ReadAhead"]:
        """Fork the child that indexes what ``paths`` import; None where that cannot help
        (no fork, one core, other threads running: forking them is unsafe)."""
        if not enabled() or threading.active_count() > 1:
            return None
        targets = [resolved for resolved in map(_resolved, paths) if resolved is not None and resolved.suffix == ".py"]
        if not targets:
            return None
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return None
        if pid == 0:  # the child: index, send, and leave without running the parent's exit handlers
            status = 0
            try:
                # a hard end, whatever happens: the parent waits for entries only while the child lives
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
                signal.setitimer(signal.ITIMER_REAL, _LIFETIME_SECONDS)
                os.close(read_fd)
                with os.fdopen(write_fd, "wb") as stream:
                    _index_imports(targets, tuple(module_bases), stream)
            except BaseException:  # a closed pipe (the parent is done) or an odd file: the parent copes
                status = 1
            finally:
                os._exit(status)
        os.close(write_fd)
        return cls(pid, read_fd, targets)

    def take(self, path: Path, data: bytes) -> Optional[IndexEntry]:
        """The child's entry for ``path`` (a resolved path) holding ``data``; None when the
        child did not index it or read other bytes. Waits while the child may still send it."""
        while path not in self._received and not self._finished:
            self._receive()
        entry = self._received.pop(path, None)
        if entry is None or entry[2][0] != content_digest(path, data):
            return None
        return entry

    def take_target(self, path: Path, data: bytes) -> Optional[IndexEntry]:
        """``take`` for a file the run lints, which the child indexes only when it is a .py
        file (not a notebook, not standard input)."""
        return self.take(path, data) if path in self._targets else None

    def _receive(self) -> None:
        try:
            path, facts, digests = load(self._stream)
        except Exception:  # end of stream, or a child that died mid-entry
            self.close()
            return
        self._received[path] = (path, facts, digests)

    def close(self) -> None:
        if self._finished:
            return
        self._finished = True
        self._stream.close()
        try:
            os.kill(self._pid, 9)  # its work is no longer wanted; a finished child is only reaped
        except OSError:
            pass
        try:
            os.waitpid(self._pid, 0)
        except OSError:
            pass


def _resolved(path: Path) -> Optional[Path]:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: the lint reports the file
        return None


def _index_imports(targets: Sequence[Path], module_bases: tuple[str, ...], stream) -> None:
    """Ask what the parent's analysis asks first, in its order: is each class of a target a
    Module (its bases, resolved as far as the answer needs), then what each dotted name a
    target calls refers to (an imported class: is it a Module?)."""
    deadline = time.monotonic() + _BUDGET_SECONDS
    index = ProjectIndex(extra_module_bases=module_bases)
    resolved_targets = list(dict.fromkeys(targets))
    keep = index.preload

    def preload_and_send(entries: Iterable[IndexEntry]) -> None:
        for entry in entries:
            keep([entry])
            dump(entry, stream, protocol=-1)  # -1: the highest
            stream.flush()

    index.preload = preload_and_send
    for target in resolved_targets:  # the targets' own entries first: the parent needs them first
        index.facts_for(target)
    for target in resolved_targets:
        facts = index.facts_for(target)
        if facts is None:
            continue
        for name in facts.classes:
            if time.monotonic() > deadline:
                return
            index.is_module_class(ClassRef(target, name))
        for parts in _called_names(target):
            if time.monotonic() > deadline:
                return
            if parts[0] in facts.imports or parts[0] in facts.aliases:
                found = index.resolve(facts, parts)
                if isinstance(found, ClassRef):
                    index.is_module_class(found)


def _called_names(path: Path) -> list[list[str]]:
    """The dotted names the file calls (``nn.Linear``, ``logging.get_logger``), each once,
    in source order."""
    import ast

    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, OSError, RecursionError, MemoryError):
        return []
    called: dict[tuple[str, ...], tuple[int, int]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            parts = []
            func = node.func
            while isinstance(func, ast.Attribute):
                parts.append(func.attr)
                func = func.value
            if isinstance(func, ast.Name):
                parts.append(func.id)
                key = tuple(reversed(parts))
                where = (node.lineno, node.col_offset)
                if key not in called or where < called[key]:
                    called[key] = where
    return [list(parts) for parts, _ in sorted(called.items(), key=lambda item: item[1])]
