"""A pool of long-lived worker processes: start, feed, watch, replace, leave nothing running.

Each worker imports torch once and then takes one file at a time. The parent never
imports user code or torch. A worker that stops answering within the time limit
(per file import and per class), or dies (``os._exit``, a segfault, the kernel's
OOM killer), is killed with every process it started, and replaced; the listener
decides what becomes of the file (usually: the same file again, skipping the class
that failed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Optional, Protocol

from torchlint.runtime import procs
from torchlint.runtime.worker import IMPORTS_PREFIX

STARTUP_TIMEOUT = 300.0  # importing torch on a loaded machine
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import sys; sys.dont_write_bytecode = True; sys.path.insert(1, {parent!r}); "
    "from torchlint.runtime.worker import main; main()"
)
_SIGNALS = {signal.SIGSEGV: "a segmentation fault", signal.SIGABRT: "an abort", signal.SIGBUS: "a bus error",
            signal.SIGKILL: "SIGKILL (out of memory?)", signal.SIGFPE: "a floating-point exception"}


@dataclass
class FileTask:
    path: str  # real path of the file
    module: str  # the dotted name it is imported as
    roots: list[str]  # sys.path entries for it, first wins
    skip: list[str] = field(default_factory=list)  # classes that already failed the worker


class Listener(Protocol):
    def on_message(self, task: FileTask, message: tuple) -> None: ...

    def on_fault(self, task: FileTask, stage: Optional[str], qualname: Optional[str],
                 reason: str) -> Optional[FileTask]: ...


class WorkerStartError(Exception):
    """No worker could be started (torch missing or broken): the runtime check cannot run."""


def _worker_log():
    """Workers' stderr: /dev/null, or appended to $TORCHLINT_WORKER_LOG (debugging)."""
    path = os.environ.get("TORCHLINT_WORKER_LOG")
    return open(path, "ab") if path else subprocess.DEVNULL


class _Worker:
    def __init__(self, init: dict[str, Any]):
        to_worker_read, to_worker_write = os.pipe()
        from_worker_read, from_worker_write = os.pipe()
        self._log = _worker_log()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT.format(parent=_PACKAGE_PARENT), str(to_worker_read), str(from_worker_write)],
            pass_fds=(to_worker_read, from_worker_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,  # its own process group: killed as a whole
        )
        os.close(to_worker_read)
        os.close(from_worker_write)
        self.sender = Connection(to_worker_write, readable=False)
        self.receiver = Connection(from_worker_read, writable=False)
        self.sender.send(init)
        self.ready = False
        self.task: Optional[FileTask] = None
        self.stage: Optional[str] = None
        self.current: Optional[str] = None
        self.deadline = time.monotonic() + STARTUP_TIMEOUT
        self.files_done = 0

    def assign(self, task: FileTask, timeout: float) -> None:
        self.task, self.stage, self.current = task, None, None
        self.deadline = time.monotonic() + timeout
        self.sender.send({"path": task.path, "module": task.module, "roots": task.roots, "skip": task.skip})

    def kill(self) -> None:
        """SIGKILL the worker, its process group and every descendant (found before the
        worker dies: its orphans would otherwise be re-parented out of sight)."""
        stragglers = procs.descendants(self.proc.pid)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        procs.kill_all([self.proc.pid, *stragglers])
        self._close()
        # the file a killed fork server had no time to remove
        for leftover in Path(tempfile.gettempdir()).glob(f"{IMPORTS_PREFIX}{self.proc.pid}-*"):
            leftover.unlink(missing_ok=True)

    def stop(self) -> None:
        try:
            self.sender.send(None)
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def exit_reason(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "the worker stopped answering"
        if code < 0:
            try:
                number = signal.Signals(-code)
            except ValueError:
                return f"the worker was killed by signal {-code}"
            return f"the worker crashed with {number.name} ({_SIGNALS.get(number, 'a signal')})"
        return f"the worker process exited with code {code} (os._exit() or a fatal error in native code)"

    def _close(self) -> None:
        if self._log is not subprocess.DEVNULL:
            self._log.close()
        for connection in (self.sender, self.receiver):
            try:
                connection.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


class WorkerPool:
    def __init__(self, size: int, init: dict[str, Any], timeout: float, recycle_after: int = 200):
        self.size = max(1, size)
        self.init = init
        self.timeout = timeout
        self.recycle_after = recycle_after
        self.workers_started = 0
        self.workers_replaced = 0
        self.peak_rss_mb = 0

    def run(self, tasks: list[FileTask], listener: Listener) -> None:
        queue = deque(tasks)
        workers: list[_Worker] = []
        try:
            while queue or any(w.task is not None for w in workers):
                while queue and len(workers) < min(self.size, len(queue) + sum(w.task is not None for w in workers)):
                    workers.append(self._start())
                for worker in list(workers):
                    if worker.ready and worker.task is None and queue:
                        task = queue.popleft()
                        try:
                            worker.assign(task, self.timeout)
                        except OSError:  # it exited while idle (a fork server that grew too big)
                            queue.appendleft(task)
                            worker.kill()
                            workers.remove(worker)
                now = time.monotonic()
                pending = [w for w in workers if not w.ready or w.task is not None]
                if not pending:
                    continue
                nearest = min(w.deadline for w in pending)
                ready = wait([w.receiver for w in pending], timeout=max(0.0, nearest - now))
                for worker in pending:
                    if worker.receiver in ready:
                        self._receive(worker, workers, queue, listener)
                now = time.monotonic()
                for worker in [w for w in workers if (not w.ready or w.task is not None) and w.deadline < now]:
                    limit = STARTUP_TIMEOUT if not worker.ready else self.timeout
                    self._fault(worker, workers, queue, listener, f"timed out after {limit:g} s")
        finally:
            for worker in workers:
                worker.stop()

    def _start(self) -> _Worker:
        self.workers_started += 1
        return _Worker(self.init)

    def _receive(self, worker: _Worker, workers: list[_Worker], queue: deque, listener: Listener) -> None:
        try:
            message = worker.receiver.recv()
        except (EOFError, OSError):
            self._fault(worker, workers, queue, listener, worker.exit_reason())
            return
        kind = message[0]
        worker.deadline = time.monotonic() + self.timeout
        if kind == "ready":
            worker.ready = True
            return
        if kind == "startup_failed":
            worker.kill()
            raise WorkerStartError(message[1])
        if kind in ("import", "class"):
            worker.stage, worker.current = kind, message[1]
        task = worker.task
        listener.on_message(task, message)
        if kind == "file_done":
            self.peak_rss_mb = max(self.peak_rss_mb, message[2])
            worker.task = None
            worker.files_done += 1
            if message[3] or worker.files_done >= self.recycle_after:
                worker.stop()
                workers.remove(worker)

    def _fault(self, worker: _Worker, workers: list[_Worker], queue: deque, listener: Listener, reason: str) -> None:
        worker.kill()
        workers.remove(worker)
        if not worker.ready:
            raise WorkerStartError(f"the runtime worker could not start: {reason}")
        self.workers_replaced += 1
        if worker.task is not None:
            follow_up = listener.on_fault(worker.task, worker.stage, worker.current, reason)
            if follow_up is not None:
                queue.appendleft(follow_up)
