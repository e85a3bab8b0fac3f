"""The index facts of the modules a file imports, read by a forked process while the
file itself is parsed.

Linting one file with nothing cached spends much of its time over the parse floor
reading the modules the file imports (the base classes of its models, the functions its
``forward`` calls): a Python ``ast`` parse of each, a large library module taking as long
as the file's own parse. That work does not need the file's libcst tree, so when a
second core is there a forked child reads those modules, in the order the lint asks
about them, while the parent parses the file. The child announces each module before
reading it and sends its facts when done; whenever the parent's index misses a module
it takes what has arrived, waits only for a module the child is reading at that moment,
and reads anything else itself.

The child computes the facts with the index's own functions (the same facts as the
parent would compute: nothing is guessed), and the parent records which files a lint
depends on as before: by the questions it asks, not by what the child read. A child
that fails, dies or is slow costs the parent nothing but a bounded wait; its facts are
then computed in-process as without it. Used only where ``os.fork`` exists.
"""

from __future__ import annotations

import os
import re
import select
import sys
import signal
import warnings
from pathlib import Path
from typing import Iterable, Optional

# The parent waits at most this long for the child (it needs a fraction of a second).
WAIT_SECONDS = 20.0

_IMPORTED = re.compile(r"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import|import[ \t]+([\w.]+))", re.MULTILINE)
# Packages whose names the index answers without reading a file.
_KNOWN_PACKAGES = frozenset({"torch", "__future__"})


def worth_it(text: str) -> bool:
    """Does the file import anything the index may have to read: a relative import, or a
    package that is neither torch nor the standard library? (A cheap look at its text;
    it decides only whether a child is started.)"""
    stdlib = getattr(sys, "stdlib_module_names", frozenset())
    for match in _IMPORTED.finditer(text):
        dots, from_name, import_name = match.groups()
        if dots:
            return True
        top = (from_name or import_name or "").split(".")[0]
        if top and top not in _KNOWN_PACKAGES and top not in stdlib:
            return True
    return False


class Prefetch:
    """A forked child computing index entries one file at a time. It announces each file
    before reading it and sends its entry when done; ``take(path)`` gives the parent what
    has arrived, waiting only for a file the child is reading at that moment."""

    def __init__(self, pid: int, pipe: int):
        self._pid: Optional[int] = pid
        self._pipe = pipe
        self._buffer = b""
        self._started: set = set()  # files the child announced
        self._arrived: list = []  # entries not yet handed over

    @classmethod
    def start(cls, path: Path, text: str, data: bytes, extra_module_bases: Iterable[str] = (),
              extra_roots: Iterable[Path] = (), store=None) -> Optional["Prefetch"]:
        """Fork a child reading the modules ``path`` imports; None when fork is missing."""
        if not hasattr(os, "fork"):
            return None
        read, write = os.pipe()
        try:
            with warnings.catch_warnings():  # 3.12+ warns about fork in a threaded process
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return None
        if pid == 0:  # the child: compute, write, leave without running the parent's exit code
            status = 1
            try:
                os.close(read)
                with os.fdopen(write, "wb", buffering=0) as out:
                    _compute(path, text, data, extra_module_bases, extra_roots, store, out)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        return cls(pid, read)

    def take(self, path: Path) -> list:
        """The entries that have arrived; when the child is reading ``path`` right now, wait
        for it (bounded). ``[]`` once the child is done, failed or too slow."""
        self._read(block=False)
        while path in self._started and not any(entry[0] == path for entry in self._arrived) and self._pid:
            if not self._read(block=True):
                break
        arrived, self._arrived = self._arrived, []
        return arrived

    def close(self) -> None:
        """Stop the child (if it still runs) and release the pipe."""
        self._reap(kill=True)

    def _read(self, block: bool) -> bool:
        """Read what the pipe holds (with ``block``, wait for something); False at its end."""
        if self._pid is None:
            return False
        ready, _, _ = select.select([self._pipe], [], [], WAIT_SECONDS if block else 0)
        if not ready:
            if block:  # too slow: the parent computes the file itself
                self._reap(kill=True)
            return not block
        try:
            chunk = os.read(self._pipe, 1 << 20)
        except OSError:
            chunk = b""
        if not chunk:
            self._reap(kill=False)
            return False
        self._buffer += chunk
        self._decode()
        return True

    def _decode(self) -> None:
        import pickle  # only when a child ran: a lint without one needs no pickle

        while len(self._buffer) >= 4:
            size = int.from_bytes(self._buffer[:4], "little")
            if len(self._buffer) < 4 + size:
                return
            payload, self._buffer = self._buffer[4:4 + size], self._buffer[4 + size:]
            try:
                kind, value = pickle.loads(payload)
            except Exception:  # a foreign or damaged message: stop listening
                self._reap(kill=True)
                return
            if kind == "start":
                self._started.add(value)
            else:
                self._arrived.append(value)

    def _reap(self, kill: bool) -> None:
        pid, self._pid = self._pid, None
        if pid is None:
            return
        try:
            os.close(self._pipe)
        except OSError:
            pass
        if kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass


def _send(out, kind: str, value) -> None:
    import pickle

    payload = pickle.dumps((kind, value), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(payload).to_bytes(4, "little") + payload)


def _compute(path: Path, text: str, data: bytes, extra_module_bases, extra_roots, store, out) -> None:
    """Read what the parent's index will most likely ask for, in the order it asks: the
    bases of the file's classes (the prefilter's question), the modules behind the names
    it imports, then what the classes it imports are built from; each file announced
    before it is read and sent as soon as it is done."""
    from torchlint.analysis import project

    index = project.ProjectIndex(extra_module_bases=extra_module_bases, extra_roots=extra_roots, store=store)
    own = path.resolve()
    facts = index.add_source(own, text, data)
    if facts is None:
        return
    compute = index._index_entry

    def announced(file, source, content):
        _send(out, "start", file)
        entry = compute(file, source, content)
        _send(out, "entry", entry)
        return entry

    index._index_entry = announced
    own_classes = [project.ClassRef(own, name) for name in facts.classes]
    for ref in own_classes:
        index.is_module_class(ref)
    imported = [index.resolve(facts, [name]) for name in list(facts.imports)]
    for ref in [*own_classes, *(r for r in imported if isinstance(r, project.ClassRef))]:
        if index.is_module_class(ref):
            index.class_owns_parameters(ref)
