"""The index facts of the modules a file imports, read by a forked process while the
file itself is parsed.

Linting one file with nothing cached spends most of its time over the parse floor
reading the modules the file imports (the base classes of its models, the functions its
``forward`` calls): a Python ``ast`` parse of each, a large library module taking as long
as the file's own parse. That work does not need the file's libcst tree, so when a
second core is there a forked child reads those modules while the parent parses the
file; the first time the parent's index misses a module, it takes the child's facts
and computes whatever the child did not read itself.

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
    """A forked child computing index entries; ``collect()`` takes them, once."""

    def __init__(self, pid: int, pipe: int):
        self._pid: Optional[int] = pid
        self._pipe = pipe

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
                import pickle

                os.close(read)
                payload = pickle.dumps(_entries(path, text, data, extra_module_bases, extra_roots, store),
                                       protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(payload)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        return cls(pid, read)

    def collect(self) -> list:
        """The child's entries (``[]`` when it failed or took too long); waits for it."""
        if self._pid is None:
            return []
        chunks: list[bytes] = []
        complete = False
        try:
            while True:
                ready, _, _ = select.select([self._pipe], [], [], WAIT_SECONDS)
                if not ready:
                    break  # too slow: the parent computes the facts itself
                chunk = os.read(self._pipe, 1 << 20)
                if not chunk:
                    complete = True
                    break
                chunks.append(chunk)
        except OSError:
            pass
        finished = self._reap(kill=not complete)
        if not (complete and finished):
            return []
        import pickle  # only when a child ran: a lint without one needs no pickle

        try:
            return pickle.loads(b"".join(chunks))
        except Exception:  # a truncated or foreign payload: as if there were none
            return []

    def close(self) -> None:
        """Stop the child if nobody collected its work."""
        if self._pid is not None:
            self._reap(kill=True)

    def _reap(self, kill: bool) -> bool:
        """Wait for the child (killed first when ``kill``); True when it exited with 0."""
        pid, self._pid = self._pid, None
        try:
            os.close(self._pipe)
        except OSError:
            pass
        if pid is None:
            return False
        if kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            _, status = os.waitpid(pid, 0)
        except OSError:
            return False
        return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _entries(path: Path, text: str, data: bytes, extra_module_bases, extra_roots, store) -> list:
    """What the parent's index will most likely ask for: the modules behind every name
    the file imports, and the bases (and what their constructors store) of its classes
    and of the classes it imports, read as the index reads them."""
    from torchlint.analysis.project import ClassRef, ProjectIndex

    index = ProjectIndex(extra_module_bases=extra_module_bases, extra_roots=extra_roots, store=store)
    own = path.resolve()
    facts = index.add_source(own, text, data)
    if facts is None:
        return []
    classes = [ClassRef(own, name) for name in facts.classes]
    classes += [ref for ref in (index.resolve(facts, [name]) for name in list(facts.imports)) if isinstance(ref, ClassRef)]
    for ref in classes:  # what construction and `forward` ask of the file's classes and those it imports
        if index.is_module_class(ref):
            index.class_owns_parameters(ref)
    return [entry for entry in index.entries() if entry[0] != own]
