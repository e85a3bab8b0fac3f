"""Runs the rules over files and collects diagnostics.

Data flows one way: bytes -> cache lookup -> decoded text -> project-index facts (`ast`)
-> prefilter (files where no rule can report are not parsed further) -> libcst module
(parsed once) -> shared analysis (``FileContext``) -> rules -> diagnostics -> noqa /
per-file filtering -> cache store.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, Sequence

from torchlint import source as sources
from torchlint.analysis.project import IndexEntry, ProjectIndex, blake2b, index_entry, stored_index_entry
from torchlint.cache import Cache, FactsStore
from torchlint.codes import FILE_NOT_LINTED as FILE_NOT_LINTED_CODE
from torchlint.config import Settings, resolved
from torchlint.diagnostics import Diagnostic, Location
from torchlint import notebooks
from torchlint.notebooks import is_notebook
from torchlint.discovery import discover
from torchlint.progress import progress_bar
from torchlint.suppression import Suppressions

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import FileContext

# The rules, the analysis and the fixes (and libcst with them) are imported when a file
# is linted: a run answered from the cache never loads them (a third of a warm run).


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0
    missing_paths: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    files_from_cache: int = 0
    files_parsed: int = 0  # parsed with libcst (the others were skipped by the prefilter)
    fixed: Counter = field(default_factory=Counter)  # code -> fixes applied (or, with --diff, applicable)
    fixed_files: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    fix_errors: list[str] = field(default_factory=list)
    project_root: Optional[Path] = None  # CI reports give paths relative to its repository
    runtime_summary: Optional[str] = None  # set by --runtime (torchlint/runtime)
    found_nothing: bool = False  # the paths given hold no Python file and no notebook (set by the CLI)


@dataclass
class FileResult:
    """One file's outcome, as a worker sends it back (and the cache stores it)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    # every other file whose facts (or absence) the lint observed -> (content digest,
    # facts digest), None when absent; None as a whole when the result is not cacheable.
    # Without a facts store (a run with no cache: nothing compares them) only the paths
    # are recorded, each with None.
    dependencies: Optional[dict[str, Optional[tuple[str, str]]]] = None
    parsed: bool = False
    # fix mode (--fix / --diff)
    applied: Counter = field(default_factory=Counter)
    diff: Optional[str] = None
    fix_error: Optional[str] = None


# Long chains such as `a + b + ... ` (thousands of terms, which Python accepts) make
# libcst and the analysis recurse deeply: files are linted on a thread with a large
# stack, where a high recursion limit is safe. Deeper still becomes a TL000.
_STACK_BYTES = 512 * 1024 * 1024
_RECURSION_LIMIT = 25_000


class _DeepStackThread:
    """One thread with a large stack that runs the calls given to ``call``, one at a time
    (a plain thread and two queues: ``concurrent.futures`` would import ``logging`` and
    more for the same thing, at every start of the program)."""

    def __init__(self) -> None:
        import queue

        self._calls: "queue.SimpleQueue" = queue.SimpleQueue()
        self._answers: "queue.SimpleQueue" = queue.SimpleQueue()
        previous = threading.stack_size(_STACK_BYTES)
        try:
            self._thread = threading.Thread(target=self._serve, name="torchlint-lint", daemon=True)
            self._thread.start()
        finally:
            threading.stack_size(previous)
        sys.setrecursionlimit(max(sys.getrecursionlimit(), _RECURSION_LIMIT))

    def _serve(self) -> None:
        while True:
            call = self._calls.get()
            if call is None:
                return
            function, args = call
            try:
                self._answers.put((True, function(*args)))
            except BaseException as error:  # re-raised in the caller, as a future would
                self._answers.put((False, error))

    def call(self, function, *args):
        self._calls.put((function, args))
        ok, answer = self._answers.get()
        if not ok:
            raise answer
        return answer

    def shutdown(self) -> None:
        self._calls.put(None)
        self._thread.join()


def _unrecorded(path: Path) -> None:
    return None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while one file is linted. Every node of a file's
    syntax tree lives until the file is done, so the collector's passes during the lint
    found nothing to free and cost a quarter of the run; the file's few cycles are
    collected by the next pass after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Linter:
    def __init__(self, settings: Settings, prefilter: bool = True, index: Optional[ProjectIndex] = None):
        self.settings = settings
        self.index = index if index is not None else ProjectIndex(extra_module_bases=settings.module_bases)
        from torchlint.rules import ALL_RULES

        self.rules = [rule() for rule in ALL_RULES if rule.code in settings.select]
        self.prefilter = prefilter
        self._thread: Optional[_DeepStackThread] = None

    def lint(self, path: Path, shown: str, data: Optional[bytes]) -> FileResult:
        if self._thread is None:
            self._thread = _DeepStackThread()
        fixing = (self.settings.fix or self.settings.diff) and data is None  # stdin is never rewritten
        with _collector_paused():
            return self._thread.call(self._fix if fixing else self._lint, path, shown, data)

    def _fix(self, path: Path, shown: str, data: Optional[bytes]) -> FileResult:
        """Fix one file (or, with --diff, compute the diff) and report what remains."""
        result = FileResult()
        joined = None
        try:
            original = sources.read_bytes(path)
            if is_notebook(path):
                joined = notebooks.load(original)
                text = joined.text
            else:
                text = sources.decode(original)
        except sources.NotLinted as problem:
            result.diagnostics.append(_not_linted(shown, problem))
            return result

        def lint(current: str) -> list[Diagnostic]:
            try:
                return self._lint_text(path, shown, current, current.encode(), result, fresh=True)
            except RecursionError:
                return [_not_linted(shown, sources.NotLinted("the code is nested too deeply to analyse"))]

        from torchlint.fixes.apply import FixError, fix_text, write_atomically

        outcome = fix_text(text, lint, self.settings.unsafe_fixes)
        result.diagnostics = outcome.diagnostics
        result.fix_error = outcome.error
        if joined is not None:
            return self._fix_notebook(path, shown, original, joined, outcome, result)
        if outcome.text == text:
            return result
        if self.settings.diff:
            import difflib

            result.applied = outcome.applied
            result.diff = "".join(difflib.unified_diff(text.splitlines(keepends=True), outcome.text.splitlines(keepends=True),
                                                       fromfile=f"a/{shown}", tofile=f"b/{shown}"))
            return result
        try:
            write_atomically(path, original, outcome.text.encode(sources.encoding_of(original)))
            result.applied = outcome.applied
        except (FixError, UnicodeEncodeError) as error:
            result.fix_error = str(error)
            result.diagnostics = self._lint(path, shown, original).diagnostics  # what the file still has
        return result

    def _fix_notebook(self, path: Path, shown: str, original: bytes, joined: "notebooks.Joined", outcome,
                      result: FileResult) -> FileResult:
        """Write the fixed cells back into the notebook (or, with --diff, show them cell by
        cell); the findings left are placed in the cells of the notebook as written."""
        from torchlint.fixes.apply import FixError, write_atomically

        placed = lambda j, ds: notebooks.place_all(j, ds, lambda problem: _not_linted(shown, problem))  # noqa: E731
        if outcome.text == joined.text:
            result.diagnostics = placed(joined, result.diagnostics)
            return result
        rebuilt = joined.rebuilt(outcome.text)
        if rebuilt is None:  # never expected: a fix removed a cell boundary
            result.fix_error = "the fixes could not be cut back into the notebook's cells; the notebook was not written"
            result.diagnostics = self._lint(path, shown, original).diagnostics
            return result
        new_text, changed = rebuilt
        new_data = new_text.encode("utf-8")
        if original.startswith(b"\xef\xbb\xbf"):
            new_data = b"\xef\xbb\xbf" + new_data
        fixed = notebooks.load(new_data)
        result.diagnostics = placed(fixed, result.diagnostics)
        if self.settings.diff:
            import difflib

            result.applied = outcome.applied
            result.diff = "".join(
                "".join(difflib.unified_diff(_with_newline(old).splitlines(keepends=True),
                                             _with_newline(new).splitlines(keepends=True),
                                             fromfile=f"a/{shown}:cell {number}", tofile=f"b/{shown}:cell {number}"))
                for number, (old, new) in sorted(changed.items()))
            return result
        try:
            write_atomically(path, original, new_data)
            result.applied = outcome.applied
        except FixError as error:
            result.fix_error = str(error)
            result.diagnostics = self._lint(path, shown, original).diagnostics
        return result

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown()
            self._thread = None

    def _lint(self, path: Path, shown: str, data: Optional[bytes]) -> FileResult:
        result = FileResult()
        joined = None
        try:
            if data is None:
                data = sources.read_bytes(path)
            if is_notebook(path):
                joined = notebooks.load(data)
                text = joined.text
            else:
                text = sources.decode(data)
        except sources.NotLinted as problem:
            result.diagnostics.append(_not_linted(shown, problem))
            result.dependencies = {} if data is not None else None  # an unreadable file is not cached
            return result
        own = path.resolve()
        with self.index.recording() as observed:
            try:
                result.diagnostics = self._lint_text(path, shown, text, data, result)
            except RecursionError:
                problem = sources.NotLinted("the code is nested too deeply to analyse")
                result.diagnostics = [_not_linted(shown, problem)]
        if joined is not None:
            result.diagnostics = notebooks.place_all(joined, result.diagnostics,
                                                     lambda problem: _not_linted(shown, problem))
        if not result.internal_errors:
            state = self.index.dependency_state if self.index.store is not None else _unrecorded
            result.dependencies = {str(p): state(p) for p in sorted(observed) if p != own}
        return result

    def _could_report(self, path: Path, text: str, facts) -> bool:
        """The prefilter: False only when no selected rule can report in this file.

        Module-class rules report only inside nn.Module subclasses, which the project
        index decides from the `ast` facts with the very function the rules use; a file
        whose facts exist is known to parse, so no TL000 is lost either."""
        if not self.prefilter or facts is None:
            return True
        ignored = self.settings.ignored_for(path)
        active = [rule for rule in self.rules if rule.code not in ignored]
        from torchlint.rules.base import MODULE_CLASSES, WHOLE_FILE

        if any(rule.scope == WHOLE_FILE and rule.could_report(text) for rule in active):
            return True
        return any(rule.scope == MODULE_CLASSES for rule in active) and self.index.has_module_class(facts)

    def _lint_text(self, path: Path, shown: str, text: str, data: bytes, result: FileResult,
                   fresh: bool = False) -> list[Diagnostic]:
        facts = self.index.add_source(path, text, data, replace=fresh)
        if facts is None:  # neither Python's parser nor libcst's (lowered) accepts the file
            problem = sources.python_error(text)
            if problem is not None:
                return [_not_linted(shown, problem)]
        if not self._could_report(path, text, facts):
            return []
        try:
            module = sources.parse(text)
        except sources.NotLinted as problem:
            return [_not_linted(shown, problem)]
        result.parsed = True
        from torchlint.analysis.context import FileContext

        ctx = FileContext(path, shown, text, module, facts, self.index, self.settings)
        suppressions = Suppressions.parse(text)
        ignored = self.settings.ignored_for(path)
        try:
            return self._run_rules(ctx, shown, result, ignored, suppressions)
        finally:
            ctx.release()

    def _run_rules(self, ctx: FileContext, shown: str, result: FileResult, ignored: frozenset,
                   suppressions: Suppressions) -> list[Diagnostic]:
        diagnostics: list[Diagnostic] = []
        seen: set[tuple] = set()
        lines = ctx.source.splitlines()
        for rule in self.rules:
            if rule.code in ignored:
                continue
            try:
                findings = list(rule.check(ctx))
            except RecursionError:
                raise  # the whole file becomes a TL000
            except Exception:  # a bug in torchlint must not stop the run
                import traceback

                result.internal_errors.append(
                    f"{shown}: internal error in {rule.code}:\n{traceback.format_exc(limit=-3)}"
                )
                continue
            for finding in findings:
                span = ctx.position(finding.node)
                key = (rule.code, span.start.line, span.start.column, finding.message)
                if key in seen or suppressions.suppressed(rule.code, span.start.line):
                    continue
                seen.add(key)
                diagnostics.append(
                    Diagnostic(
                        code=rule.code,
                        name=rule.name,
                        message=finding.message,
                        path=shown,
                        location=Location(span.start.line, span.start.column + 1),
                        end_location=Location(span.end.line, span.end.column + 1),
                        help=finding.help,
                        fix=finding.fix,
                        noqa_row=span.start.line,
                        source_line=lines[span.start.line - 1] if span.start.line <= len(lines) else None,
                    )
                )
        return diagnostics


def _not_linted(shown: str, problem: "sources.NotLinted") -> Diagnostic:
    from torchlint.rules import FILE_NOT_LINTED, RULES_BY_CODE

    rule = RULES_BY_CODE[FILE_NOT_LINTED]
    location = Location(problem.row, problem.column)
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=f"File not linted: {problem.reason}",
        path=shown,
        location=location,
        end_location=location,
        help=problem.help or "Fix the file so that Python can read and parse it",
        noqa_row=None,
    )


# Worker processes only when the work pays for them, measured in bytes of source (a
# 3,000-line module is as much work as a hundred small ones): below PARALLEL_MIN_BYTES
# the run stays in-process (one file, a few small ones: what pre-commit and editors ask);
# above it, one worker per WORKER_MIN_BYTES, up to ``jobs``. Forked workers inherit the
# modules the parent imported; spawned ones (no fork on this platform) start from scratch
# and need more work to pay for that.
PARALLEL_MIN_BYTES = 128 * 1024
SPAWN_MIN_BYTES = 1024 * 1024
WORKER_MIN_BYTES = 64 * 1024
# The index facts (`ast`, several times cheaper than the lint) of a run this small are
# computed by the workers as they need them rather than by a first round of workers.
PARALLEL_INDEX_MIN_BYTES = 2 * 1024 * 1024
CHUNK_MAX_BYTES = 256 * 1024  # results come back (and the cache is written) at least this often
_worker_linter: Optional[Linter] = None


def _init_worker(settings: Settings, prefilter: bool, index: Optional[ProjectIndex]) -> None:
    global _worker_linter
    _worker_linter = Linter(settings, prefilter, index)


def _lint_in_worker(targets: list["Target"]) -> list[FileResult]:
    return [_worker_linter.lint(target.path, target.shown, target.data) for target in targets]


def _index_chunk_in_worker(targets: list["Target"], store: Optional[FactsStore] = None) -> list[IndexEntry]:
    return [entry for entry in (_index_in_worker(target, store) for target in targets) if entry is not None]


def _index_in_worker(target: "Target", store: Optional[FactsStore] = None) -> Optional[IndexEntry]:
    try:
        data = target.data if target.data is not None else sources.read_bytes(target.path)
        text = notebooks.load(data).text if is_notebook(target.path) else sources.decode(data)
    except sources.NotLinted:
        return None  # reported when the file is linted
    path = target.real_path or resolved(target.path)
    with _collector_paused():  # an `ast` tree is acyclic: nothing for the collector to find
        return index_entry(path, text, data) if store is None else stored_index_entry(store, path, text, data)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Target:
    path: Path
    shown: str  # as the user spelled it
    data: Optional[bytes] = None  # read by the worker when None
    cache_key: Optional[str] = None
    real_path: Optional[Path] = None  # resolved, when discovery already knows it


def prefilter_enabled() -> bool:
    """The prefilter is on unless ``TORCHLINT_PREFILTER=0`` (for checking that it never
    changes a result: benchmarks/prefilter_check.py)."""
    return os.environ.get("TORCHLINT_PREFILTER", "1") != "0"


def run(paths: Sequence[str], settings: Settings, stdin: Optional[bytes] = None,
        stdin_filename: Optional[str] = None, jobs: Optional[int] = None,
        cache_dir: Optional[Path] = None, shard: Optional[tuple[int, int]] = None,
        progress: bool = False) -> RunResult:
    """Lint ``paths``. Results come from the cache when it holds them (``cache_dir``,
    None: no cache); the other files are linted, with several jobs in worker processes
    (sharing one project index, which is still filled lazily for files outside the
    run), and the results merged in a fixed order. ``shard=(k, n)`` lints the k-th of n
    deterministic parts of the files. ``progress``: a progress bar if stderr is a terminal."""
    result = RunResult(project_root=settings.project_root)
    targets: list[Target] = []
    file_paths = [p for p in paths if p != "-"]
    if len(file_paths) != len(paths):
        name = stdin_filename or "-"
        targets.append(Target(Path(stdin_filename or "stdin.py"), name, stdin if stdin is not None else b""))
    discovery = discover(file_paths, settings)
    result.missing_paths = discovery.missing
    files = discovery.files if shard is None else in_shard(discovery.files, settings.project_root, *shard)
    targets.extend(Target(path, str(path), real_path=discovery.real_paths.get(path)) for path in files)
    result.files_checked = len(targets)

    fixing = settings.fix or settings.diff  # results of a changing file are not cached
    cache = Cache(cache_dir, settings) if cache_dir is not None and not fixing else None
    # the index facts are keyed by content, so they are reused even while fixing
    store = cache.facts if cache is not None else FactsStore(cache_dir) if cache_dir is not None else None
    pending = targets if cache is None else _from_cache(cache, targets, result)
    # results arrive as workers finish them (so the cache is written meanwhile), in
    # no fixed order: everything is sorted below
    for position, outcome in _lint_all(pending, settings, jobs, progress, store):
        target = pending[position]
        result.diagnostics.extend(outcome.diagnostics)
        result.internal_errors.extend(outcome.internal_errors)
        result.files_parsed += outcome.parsed
        if outcome.fix_error:
            result.fix_errors.append(f"{target.shown}: {outcome.fix_error}")
        if outcome.applied:
            result.fixed.update(outcome.applied)
            result.fixed_files.append(target.shown)
        if outcome.diff:
            result.diffs.append(outcome.diff)
        if cache is not None and target.cache_key is not None and outcome.dependencies is not None:
            cache.store(target.cache_key, outcome.diagnostics, outcome.dependencies)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    _say_the_others_were_linted(result)
    result.internal_errors.sort()
    result.fix_errors.sort()
    result.diffs.sort()
    result.fixed_files.sort()
    return result


def _say_the_others_were_linted(result: RunResult) -> None:
    """A TL000's help adds that the run went on, when there were other files to lint."""
    skipped = {d.path for d in result.diagnostics if d.code == FILE_NOT_LINTED_CODE}
    if skipped and result.files_checked > len(skipped):
        for d in result.diagnostics:
            if d.code == FILE_NOT_LINTED_CODE and d.help and not d.help.endswith("were linted"):
                d.help += "; the other files were linted"


def in_shard(files: Sequence[Path], root: Path, k: int, n: int) -> list[Path]:
    """The files of shard ``k`` (1-based) of ``n``: chosen by a stable hash of the path
    relative to the project root, so a file stays in its shard when others are added."""
    chosen = []
    for path in files:
        try:
            relative = resolved(path).relative_to(root).as_posix()
        except ValueError:
            relative = resolved(path).as_posix()
        digest = blake2b(relative.encode(), digest_size=8).digest()
        if int.from_bytes(digest, "big") % n == k - 1:
            chosen.append(path)
    return chosen


def _from_cache(cache: "Cache", targets: list[Target], result: RunResult) -> list[Target]:
    """Fill ``result`` with the cached results; return the targets still to lint (with
    their bytes, so the result stored is the result of exactly the bytes hashed)."""
    pending = []
    for target in targets:
        if target.data is None:
            try:
                target.data = sources.read_bytes(target.path)
            except sources.NotLinted:
                pending.append(target)  # the lint reports it
                continue
        target.cache_key = cache.key(target.path, target.data, target.real_path)
        cached = cache.load(target.cache_key, target.shown)
        if cached is None:
            pending.append(target)
        else:
            result.diagnostics.extend(cached)
            result.files_from_cache += 1
    return pending


def _lint_all(targets: list[Target], settings: Settings, jobs: Optional[int],
              progress: bool, store: Optional[FactsStore] = None) -> Iterator[tuple[int, FileResult]]:
    """Each target's result with the target's position, as soon as it is ready."""
    if not targets:  # all answered from the cache: no linter (nor its imports) needed
        return
    bar = progress_bar(len(targets)) if progress else None
    prefilter = prefilter_enabled()
    sizes = [_size(target) for target in targets]
    workers = worker_count(sizes, jobs or default_jobs())
    try:
        if workers > 1:
            yield from _lint_in_parallel(targets, sizes, settings, workers, prefilter, bar, store)
        else:
            index = ProjectIndex(extra_module_bases=settings.module_bases, store=store)
            if store is None and jobs != 1:  # without stored facts, index the imports on the other core
                from torchlint.readahead import ReadAhead

                index.read_ahead = ReadAhead.start([target.path for target in targets if target.data is None],
                                                   settings.module_bases)
            linter = Linter(settings, prefilter, index)
            try:
                for position, target in enumerate(targets):
                    outcome = linter.lint(target.path, target.shown, target.data)
                    if bar is not None:
                        bar.update()
                    yield position, outcome
            finally:
                linter.close()
                if index.read_ahead is not None:
                    index.read_ahead.close()
    finally:
        if bar is not None:
            bar.close()


def _start_method() -> str:
    import multiprocessing

    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def worker_count(sizes: Sequence[int], jobs: int) -> int:
    """How many processes lint files of these sizes (in bytes): 1 means in-process."""
    total = sum(sizes)
    if jobs <= 1 or len(sizes) < 2:
        return 1
    if total < PARALLEL_MIN_BYTES or (total < SPAWN_MIN_BYTES and _start_method() != "fork"):
        return 1
    return max(1, min(jobs, len(sizes), total // WORKER_MIN_BYTES))


def chunks_by_bytes(order: Sequence[int], sizes: Sequence[int], workers: int) -> list[list[int]]:
    """``order`` (positions, largest file first) cut into consecutive chunks of about
    equal bytes, several per worker: a large file travels alone, small ones together,
    and whichever worker is free takes the next chunk, so the workers end together."""
    goal = max(1, min(sum(sizes) // (workers * 8), CHUNK_MAX_BYTES))
    chunks: list[list[int]] = []
    current: list[int] = []
    weight = 0
    for position in order:
        current.append(position)
        weight += sizes[position]
        if weight >= goal:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


def _lint_in_parallel(targets: list[Target], sizes: list[int], settings: Settings, workers: int,
                      prefilter: bool, bar, store: Optional[FactsStore] = None) -> Iterator[tuple[int, FileResult]]:
    """Worker processes lint the files, balanced by bytes. In a large run they start
    with the index facts of every file of the run, computed by a first round of workers,
    so that each file is indexed once, not once per worker. In a small run (a few changed
    files) each worker indexes what it needs as the in-process lint does: its own files,
    and the modules they import, read from the facts store when it has them."""
    import multiprocessing  # with its pools, only when a run uses worker processes
    from concurrent.futures import ProcessPoolExecutor, as_completed

    method = _start_method()
    context = multiprocessing.get_context(method)
    forking = method == "fork"
    if forking:
        _load_linting_modules()  # imported once here, inherited by every worker
    order = sorted(range(len(targets)), key=lambda i: -sizes[i])
    index = ProjectIndex(extra_module_bases=settings.module_bases, store=store)
    try:
        if sum(sizes) >= PARALLEL_INDEX_MIN_BYTES:
            _freeze(forking)
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                index_chunk = partial(_index_chunk_in_worker, store=store)
                chunks = [[targets[i] for i in chunk] for chunk in chunks_by_bytes(order, sizes, workers)]
                for entries in pool.map(index_chunk, chunks):
                    index.preload(entries)
        _freeze(forking)
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                 initargs=(settings, prefilter, index)) as pool:
            futures = {pool.submit(_lint_in_worker, [targets[i] for i in chunk]): chunk
                       for chunk in chunks_by_bytes(order, sizes, workers)}
            for future in as_completed(futures):
                for position, outcome in zip(futures[future], future.result()):
                    if bar is not None:
                        bar.update()
                    yield position, outcome
    finally:
        if forking:
            gc.unfreeze()


def _freeze(forking: bool) -> None:
    """Before forking workers: the parent's objects (the modules imported, the index) move
    out of the collector's reach, so a worker's collections never touch them and its
    memory pages stay shared with the parent's instead of being copied (a few percent of
    a small parallel run's CPU time). ``gc.unfreeze`` gives them back when the pool is done."""
    if forking:
        gc.freeze()


def _load_linting_modules() -> None:
    """Import what linting a file needs (libcst, the rules, the analysis)."""
    import torchlint.analysis.context  # noqa: F401
    import torchlint.rules  # noqa: F401


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"


def _size(target: Target) -> int:
    if target.data is not None:
        return len(target.data)
    try:
        return os.stat(target.path).st_size
    except OSError:
        return 0
