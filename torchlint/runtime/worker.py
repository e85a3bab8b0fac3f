"""The worker process: imports torch once, then imports linted files and builds their Modules.

Started by ``pool.py`` with the protocol on two inherited pipe descriptors (user code
may print to stdout; that goes to /dev/null, not into the protocol). Messages, all
plain Python values:

  parent -> worker: an init dict, then one task dict per file, then None.
  worker -> parent: ("ready", pid)
                    ("import", path)                 a deadline starts
                    ("imported", ok, reason, classes, seconds)
                    ("class", qualname)              a deadline starts
                    ("class_done", report)
                    ("file_done", path, peak_rss_mb, restart)
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import resource
import sys
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any, Callable

from torchlint.runtime import procs

_MB = 1024 * 1024
RECYCLE_RSS_MB = 700  # above this resident size the fork server exits (the parent starts another)


def main() -> None:
    reader = Connection(int(sys.argv[1]), writable=False)
    writer = Connection(int(sys.argv[2]), readable=False)
    init = reader.recv()
    procs.become_subreaper()
    try:
        import torch

        torch.set_num_threads(1)
        import torchlint.runtime.inspection  # noqa: F401  (torch-side modules, once)

        # torch imports its meta-device machinery (decompositions, dynamo) on the first meta
        # op: seconds. Once here, not in every forked child's first build.
        with torch.device("meta"):
            torch.tril(torch.nn.Linear(2, 2).weight)
    except BaseException:
        writer.send(("startup_failed", traceback.format_exc(limit=-3)))
        os._exit(1)
    _limit_memory(init["memory_mb"])
    for entry in reversed(init["pythonpath"]):
        sys.path.insert(0, entry)
    owned_files = frozenset(init["owned"])
    state = _State(owned_files.__contains__, init["factories"],
                   {path: set(lines) for path, lines in init["watch"].items()}, init["timeout"])
    writer.send(("ready", os.getpid()))
    warm: list[str] = []
    while True:
        try:
            task = reader.recv()
        except EOFError:
            break
        if task is None:
            break
        _set_roots(task["roots"])
        writer.send(("import", task["path"]))  # the deadline covers the warm-up too
        warm = _warm_up(warm, owned_files)
        warm = _in_child(lambda: state.run(task, writer.send)) or warm
        if rss_mb() > RECYCLE_RSS_MB:
            break  # the parent starts a fresh worker
    sys.stdout.flush()
    os._exit(0)  # no atexit handlers of user code


# A fork server: this process keeps torch (and the libraries the linted code imports)
# imported; each file is imported and built in a forked child that exits afterwards,
# so nothing a file does (imports, monkeypatches, leaked memory, threads) reaches the next.
_CHILD_DONE = 86  # the child's exit code after a normal run
IMPORTS_PREFIX = "torchlint-imports-"  # + the fork server's pid: what a child imported


def _in_child(run: Callable[[], None]) -> list[str]:
    """Run a task in a forked child; returns the libraries it imported (to warm up next).
    A child that dies abnormally takes this worker down the same way, so the parent
    sees the fault (and its reason) as if this process had died."""
    import tempfile

    with tempfile.NamedTemporaryFile(prefix=f"{IMPORTS_PREFIX}{os.getpid()}-", delete=False) as handle:
        imports_file = handle.name  # removed below, or by the pool if this process is killed
    pid = os.fork()
    if pid == 0:  # the child
        code = _CHILD_DONE
        procs.become_subreaper()  # not inherited: the child's orphans must come back to it
        try:
            before = set(sys.modules)
            run()
            _write_imports(imports_file, before)
        except BaseException:
            code = 70  # an internal error after the messages were sent
        finally:
            sys.stdout.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    procs.end_own_children()  # anything the child left behind (re-parented to us)
    try:
        with open(imports_file, encoding="utf-8") as handle:
            imported = [line for line in handle.read().splitlines() if line]
    except OSError:
        imported = []
    finally:
        try:
            os.unlink(imports_file)
        except OSError:
            pass
    if os.WIFSIGNALED(status):
        import signal as signals

        number = os.WTERMSIG(status)
        signals.signal(number, signals.SIG_DFL)
        os.kill(os.getpid(), number)
    elif os.WEXITSTATUS(status) != _CHILD_DONE:
        os._exit(os.WEXITSTATUS(status))
    return imported


def _write_imports(path: str, before: set[str]) -> None:
    from torchlint.runtime.instantiate import realpath

    names = []
    for name in set(sys.modules) - before:
        filename = getattr(sys.modules.get(name), "__file__", None)
        if filename and not name.startswith("_torchlint_"):
            names.append((name, realpath(filename)))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(f"{name}\t{filename}" for name, filename in names))


def _warm_up(imported: list[str], owned: frozenset[str]) -> list[str]:
    """Import in this process the libraries the previous file needed (not the linted
    files themselves), so that the next child starts with them."""
    if rss_mb() > RECYCLE_RSS_MB * 0.7:
        return []
    for line in imported:
        name, _, filename = line.partition("\t")
        if filename in owned or name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except BaseException:  # a library that cannot be imported alone: the child will
            sys.modules.pop(name, None)
    return []


def _set_roots(roots: list[str]) -> None:
    for root in reversed(roots):
        if root in sys.path:
            sys.path.remove(root)
        sys.path.insert(0, root)


def _limit_memory(memory_mb: int) -> None:
    current = _vm_size_mb()
    limit = max(memory_mb, current + 256) * _MB
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass


def _vm_size_mb() -> int:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE") // _MB
    except (OSError, ValueError):
        return 0


def rss_mb() -> int:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // _MB
    except (OSError, ValueError):
        return 0


def peak_rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


class _State:
    def __init__(self, owned: Callable[[str], bool], factories: dict[str, str], watch: dict[str, set[int]],
                 timeout: float):
        self.owned = owned
        self.factories = factories
        self.watch = watch
        self.timeout = timeout
        self.aliases = 0

    def run(self, task: dict[str, Any], send: Callable) -> None:
        from torchlint.runtime.instantiate import describe_error, raising_line

        path = task["path"]
        send(("import", path))
        started = time.monotonic()
        try:
            module = self._import(path, task["module"])
        except BaseException as error:  # user code at import: anything, including sys.exit()
            where = raising_line(error, self.owned)
            at = f" (line {where[1]})" if where and where[0] == path else ""
            procs.end_own_children()
            send(("imported", False, f"{describe_error(error)}{at}", [], time.monotonic() - started))
            send(("file_done", path, peak_rss_mb(), False))
            return
        spawned = procs.end_own_children()
        if spawned:
            send(("imported", False, f"importing the file started {spawned} process(es); they were ended", [],
                  time.monotonic() - started))
            send(("file_done", path, peak_rss_mb(), False))
            return
        classes = module_classes(module)
        send(("imported", True, None, [cls.__qualname__ for cls in classes], time.monotonic() - started))
        builder = self._builder(module, task["module"])
        for cls in classes:
            if cls.__qualname__ in task["skip"]:
                continue
            send(("class", cls.__qualname__))
            send(("class_done", self._build(builder, cls, task["module"])))
        # This process (a forked child) exits now: its threads and memory go with it.
        send(("file_done", path, peak_rss_mb(), False))

    def _import(self, path: str, name: str):
        from torchlint.runtime.instantiate import realpath

        existing = sys.modules.get(name) if name else None
        if existing is not None and realpath(getattr(existing, "__file__", None) or "") == path:
            return existing
        if not name or ("." not in name and existing is not None):
            # a file named like a module already imported (stdlib, another linted directory's
            # model.py), or not importable by name (my-model.py): load it under a private name
            self.aliases += 1
            stem = "".join(c if c.isalnum() else "_" for c in os.path.basename(path)[:-3])
            alias = f"_torchlint_{self.aliases}_{stem}"
            spec = importlib.util.spec_from_file_location(alias, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[alias] = module
            spec.loader.exec_module(module)
            return module
        _evict_foreign_packages(name, path)
        importlib.invalidate_caches()
        return importlib.import_module(name)

    def _builder(self, module, module_name: str):
        from torchlint.runtime.instantiate import Builder

        factories: dict[str, Any] = {}
        for target, factory in self.factories.items():
            target_module, _, qualname = target.partition(":")
            if target_module == module_name:
                factories[f"{module_name}:{qualname}"] = _resolve_factory(factory)
        return Builder(vars(module), self.owned, factories, self.watch, self.timeout)

    def _build(self, builder, cls, module_name: str) -> dict[str, Any]:
        from torchlint.runtime.inspection import inspect_model

        started = time.monotonic()
        report: dict[str, Any] = {"qualname": cls.__qualname__, "facts": {}, "findings": []}
        try:
            outcome = builder.build(cls, f"{module_name}:{cls.__qualname__}")
        except BaseException:  # a bug in torchlint: the class is unverified, the run goes on
            outcome = None
            report.update(status="failed", reason=f"internal error: {_last_line(traceback.format_exc())}")
        if outcome is not None:
            report.update(status=outcome.status, reason=outcome.reason, device=outcome.device,
                          arguments=outcome.arguments, attempts=outcome.attempts, events=outcome.events,
                          reached=sorted(outcome.reached), how=outcome.how, error=outcome.error,
                          tried=outcome.tried, log=outcome.log[-12:])
            if outcome.instance is not None:
                try:
                    inspection = inspect_model(outcome.instance, self.owned, outcome.recorder.where,
                                               outcome.recorder.typo_where)
                    report.update(facts=inspection.facts, findings=inspection.findings)
                except Exception:
                    report.update(status="failed", facts={}, findings=[],
                                  reason=f"internal error in inspection: {_last_line(traceback.format_exc())}")
        spawned = procs.end_own_children()
        if spawned:
            ended = f"construction started {spawned} process(es); they were ended"
            timed_out = report.get("status") == "failed" and (report.get("reason") or "").startswith("timed out")
            report.update(status="failed", facts={}, findings=[],
                          reason=f"{report['reason']}; {ended}" if timed_out else ended)
        report["seconds"] = time.monotonic() - started
        del outcome
        return report


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "unknown"


def module_classes(module) -> list[type]:
    """nn.Module subclasses defined in the module (nested ones too), in definition order."""
    from torch import nn

    found: list[type] = []
    seen: set[int] = set()

    def visit(namespace, depth: int) -> None:
        for value in list(vars(namespace).values()):
            if (isinstance(value, type) and id(value) not in seen and value.__module__ == module.__name__
                    and issubclass(value, nn.Module)):
                seen.add(id(value))
                found.append(value)
                if depth < 3:
                    visit(value, depth + 1)

    visit(module, 0)
    return found


def _evict_foreign_packages(name: str, path: str) -> None:
    """Parent packages imported from another directory (two linted projects' `models`)
    would shadow this file's: forget them."""
    from torchlint.runtime.instantiate import realpath

    parts = name.split(".")
    directory = os.path.dirname(path)
    if os.path.basename(path) == "__init__.py":
        directory = os.path.dirname(directory)
    expected = {}
    for depth in range(len(parts) - 1, 0, -1):
        expected[".".join(parts[:depth])] = directory
        directory = os.path.dirname(directory)
    for package, wanted in expected.items():
        loaded = sys.modules.get(package)
        if loaded is None:
            continue
        locations = [realpath(p) for p in getattr(loaded, "__path__", [])]
        if wanted not in locations:
            for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
                del sys.modules[key]
    loaded = sys.modules.get(name)
    if loaded is not None and realpath(getattr(loaded, "__file__", None) or "") != path:
        del sys.modules[name]


def _resolve_factory(spec: str) -> Any:
    module_name, _, qualname = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except BaseException as error:
        return f"the factory {spec} could not be loaded: {type(error).__name__}: {error}"
    if not callable(target):
        return f"the factory {spec} is not callable"
    return target


if __name__ == "__main__":  # pragma: no cover - started by pool.py
    main()
