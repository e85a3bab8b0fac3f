"""Fuzz torchlint with generated programs: it must never crash, and every fix must hold.

    python benchmarks/fuzz.py --programs 100000 --jobs 2 [--seed 0] [--out fuzz-failures]
    python benchmarks/fuzz.py --seed 0 --only 1234        # re-check (and print) one program
    python benchmarks/fuzz.py --grammar --examples 1000   # hypothesmith's grammar programs

Programs come from ``fuzz_programs.program(seed, index)``: Module classes that mix every
static rule's patterns (reported and clean forms) with ordinary code and unusual syntax
(3.12 ``type`` and PEP 695 generics, decorators, nested classes, walrus, ``match``,
unicode names, async defs, f-strings, continuations, tabs, CRLF). Each program is
checked in a worker process, as ``torchlint --fix --unsafe-fixes`` would handle it:

- no crash: no exception, no internal error, no TL000 (the program parses);
- every fix result re-parses (libcst, and Python's own parser and compiler when they
  accept the original);
- fixing is idempotent: a second ``--fix --unsafe-fixes`` pass changes nothing;
- a second lint does not report what the fix fixed (per rule, no more findings remain
  than were found minus the fixes applied) and gives the same findings as the first
  lint of the same text.

A failure is shrunk (lines removed while the same failure remains) and written to
``--out`` as ``seed<S>_<I>_<kind>.py`` (the reproducer, with the failure in a header
comment) next to the original program. Generation is deterministic: ``--seed S --only I``
re-runs program I. tests/test_fuzz.py runs a short version.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import multiprocessing
import re
import signal
import sys
import tempfile
import textwrap
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))  # fuzz_programs, when run as a script

import libcst as cst  # noqa: E402

import fuzz_programs  # noqa: E402
from torchlint import source as sources  # noqa: E402
from torchlint.config import load_settings  # noqa: E402
from torchlint.engine import FileResult, Linter, _collector_paused, _DeepStackThread, _not_linted  # noqa: E402
from torchlint.fixes.apply import fix_text  # noqa: E402

HEADER = "import torch\nimport torch.nn as nn\nfrom torch.nn import Parameter\n\n\n"


@dataclasses.dataclass
class Failure:
    kind: str  # crash | fix-does-not-parse | not-idempotent | fixed-finding-reported | nondeterministic
    detail: str

    def signature(self) -> str:
        """What makes two failures the same bug, roughly: the kind and the first line
        that names torchlint's code (or the detail's first line)."""
        lines = [line.strip() for line in self.detail.splitlines() if line.strip()]
        where = next((line for line in reversed(lines) if "torchlint" in line and "File" in line), lines[0] if lines else "")
        return f"{self.kind}: {where[:160]}"


def _parses(text: str, python: bool, libcst: bool = True) -> Optional[str]:
    """Why ``text`` does not parse (libcst; with ``python`` also Python's compiler), or None."""
    if libcst:
        try:
            cst.parse_module(text)
        except Exception as error:
            return f"libcst: {type(error).__name__}: {str(error)[:500]}"
    if python:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(text, "<fuzz>", "exec", dont_inherit=True)
        except SyntaxError as error:
            return f"python: {error.msg} at {error.lineno}:{error.offset}"
    return None


def _compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


class FixChecker:
    """Checks programs as ``torchlint --fix --unsafe-fixes`` handles a file (the same
    passes as the engine's fix mode, in memory), with one linter per buffer style."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="torchlint-fuzz-"))
        self.base = load_settings(self.directory)
        self.linters: dict[Optional[str], Linter] = {}
        self.thread = None
        self.path = self.directory / "program.py"
        (self.directory / f"{fuzz_programs.BASES_MODULE}.py").write_text(fuzz_programs.BASES)  # what programs import
        self.found: Counter = Counter()  # the last program's findings, per rule
        self.applied: Counter = Counter()  # and the fixes applied to it

    def linter(self, style: Optional[str]) -> Linter:
        if style not in self.linters:
            settings = dataclasses.replace(self.base, fix=True, unsafe_fixes=True, buffer_style=style)
            self.linters[style] = Linter(settings)
        return self.linters[style]

    def check(self, text: str, style: Optional[str] = None) -> Optional[Failure]:
        """The first property ``text`` breaks, or None. ``text`` must parse (libcst)."""
        if self.thread is None:
            self.thread = _DeepStackThread()  # as the engine lints: a large stack, a high recursion limit
        with _collector_paused():
            return self.thread.call(self._guarded, text, style)

    def _guarded(self, text: str, style: Optional[str]) -> Optional[Failure]:
        self.found, self.applied = Counter(), Counter()
        try:
            return self._check(text, style)
        except Exception:
            return Failure("crash", traceback.format_exc(limit=-8))

    def _check(self, text: str, style: Optional[str]) -> Optional[Failure]:
        linter = self.linter(style)
        path, shown = self.path, self.path.name
        internal: list[str] = []

        memo: dict[str, list] = {}

        def lint(current: str) -> list:
            if current in memo:  # the first lint, which the fix passes start with: linted once
                return memo.pop(current)
            result = FileResult()
            try:
                diagnostics = linter._lint_text(path, shown, current, current.encode("utf-8", "surrogatepass"), result,
                                                fresh=True)
            except RecursionError:
                diagnostics = [_not_linted(shown, sources.NotLinted("the code is nested too deeply to analyse"))]
            internal.extend(result.internal_errors)
            return diagnostics

        def crashed(diagnostics: list, when: str) -> Optional[Failure]:
            if internal:
                return Failure("crash", f"{when}: {internal[0]}")
            for d in diagnostics:
                if d.code == "TL000":
                    return Failure("crash", f"{when}: TL000 on code that parses: {d.message} at {d.location.row}:{d.location.column}")
            return None

        python = _compiles(text)
        first = lint(text)
        self.found = Counter(d.code for d in first)
        failure = crashed(first, "first lint")
        if failure:
            return failure
        memo[text] = first
        outcome = fix_text(text, lint, unsafe=True)
        failure = crashed(outcome.diagnostics, "fixing")
        if failure:
            return failure
        if outcome.error:
            return Failure("fix-does-not-parse", outcome.error)
        fixed = outcome.text
        self.applied = outcome.applied
        problem = _parses(fixed, python, libcst=False)  # fix_text itself parsed it with libcst
        if problem:
            return Failure("fix-does-not-parse", f"{problem}; fixes applied: {dict(outcome.applied)}\n{_diff(text, fixed)}")
        again = fix_text(fixed, lint, unsafe=True)
        failure = crashed(again.diagnostics, "second fix")
        if failure:
            return failure
        if again.text != fixed or again.applied:  # (its first lint is a fresh one: the memo is empty)
            return Failure("not-idempotent", f"second pass applied {dict(again.applied)}\n{_diff(fixed, again.text)}")
        # A finding whose fix was applied must not come back without a fix (one that still
        # has a fix was refused, or idempotence failed above): per rule and message, no
        # more findings without a fix remain than there were before.
        # (keyed by class too: a fix of another class may reveal a finding with the same message,
        # e.g. TL005 correcting `require_grad=True` exposes a TL004; and only findings whose own
        # fix was applied: another rule's fix may change what a fix offered first can do, as
        # when TL005 makes the first store of a name a trainable tensor and a later store's
        # registration is then rightly refused)
        fixable = Counter(_key(text, d) for d in first if d.fix is not None)
        unfixable = Counter(_key(text, d) for d in first if d.fix is None)
        unfixable_after = Counter(_key(fixed, d) for d in outcome.diagnostics if d.fix is None)
        fixed_keys = Counter(_key(before, d) for before, d in outcome.applied_findings)
        for key, count in sorted(fixable.items()):
            if fixed_keys[key] and unfixable_after[key] > unfixable[key]:
                return Failure("fixed-finding-reported",
                               f"{key[0]}: {key[1]!r}: {count} found with a fix and {unfixable[key]} without, "
                               f"{unfixable_after[key]} without a fix after the fixes {dict(outcome.applied)}\n"
                               f"{_diff(text, fixed)}")
        if _keys(again.diagnostics) != _keys(outcome.diagnostics):
            return Failure("nondeterministic", f"two lints of the fixed text differ: {_keys(outcome.diagnostics)} "
                                               f"!= {_keys(again.diagnostics)}")
        return None


_CLASS = re.compile(r"([ \t]*)class\s+(\w+)")


def _key(text: str, diagnostic) -> tuple[str, str, str]:
    """A finding's rule, message and enclosing class (the nearest less indented `class`
    line above it)."""
    lines = text.splitlines()
    row = min(diagnostic.location.row, len(lines)) - 1
    indent = len(lines[row]) - len(lines[row].lstrip()) if row >= 0 else 0
    for line in reversed(lines[:row]):
        match = _CLASS.match(line)
        if match and len(match.group(1)) < indent:
            return diagnostic.code, diagnostic.message, match.group(2)
    return diagnostic.code, diagnostic.message, ""


def _keys(diagnostics: list) -> list[tuple]:
    return sorted((d.code, d.location.row, d.location.column, d.message) for d in diagnostics)


def _diff(a: str, b: str) -> str:
    return "".join(difflib.unified_diff(a.splitlines(keepends=True), b.splitlines(keepends=True), "before", "after"))


def generated(seed: int, index: int) -> tuple[str, Optional[str]]:
    """Program ``index`` of ``seed`` and the buffer style its run uses."""
    text, _ = fuzz_programs.program(seed, index)
    return text, fuzz_programs.buffer_style(seed, index)


def shrink(text: str, failure: Failure, checker: FixChecker, style: Optional[str], budget: int = 400) -> str:
    """Remove lines (halves, then smaller chunks, then single lines) while the program
    still parses and fails the same way (same kind)."""
    lines = text.splitlines(keepends=True)
    tries = 0

    def fails(candidate: list[str]) -> bool:
        nonlocal tries
        tries += 1
        code = "".join(candidate)
        if not code.strip() or _parses(code, False):
            return False
        got = checker.check(code, style)
        return got is not None and got.kind == failure.kind

    chunk = max(1, len(lines) // 2)
    while chunk >= 1 and tries < budget:
        i, removed = 0, False
        while i < len(lines) and tries < budget:
            candidate = lines[:i] + lines[i + chunk:]
            if fails(candidate):
                lines, removed = candidate, True
            else:
                i += chunk
        if not removed:
            chunk //= 2
    return "".join(lines)


# -- the parallel run ----------------------------------------------------------------
_worker: Optional[FixChecker] = None


def _start_worker() -> None:
    global _worker
    _worker = FixChecker()


def _start_pool_worker() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent stops on SIGTERM; a worker just ends
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _start_worker()


def _stop(signum, frame):
    raise KeyboardInterrupt


def check_program(job: tuple[int, int]) -> tuple[int, Optional[Failure], float, Counter, Counter]:
    """Generate and check one program (in a worker): (index, failure or None, CPU seconds,
    findings per rule, fixes applied per rule)."""
    seed, index = job
    started = time.process_time()
    text, new_syntax = fuzz_programs.program(seed, index)
    # A bug of the generator, not of torchlint (libcst only for syntax Python 3.11 lacks:
    # compiling is much cheaper, and the first lint parses it with libcst anyway).
    invalid = _parses(text, True, libcst=False) if not new_syntax or sys.version_info >= (3, 12) else _parses(text, False)
    if invalid:
        return index, Failure("invalid-program", invalid), time.process_time() - started, Counter(), Counter()
    if _worker is None:
        _start_worker()
    failure = _worker.check(text, fuzz_programs.buffer_style(seed, index))
    return index, failure, time.process_time() - started, _worker.found, _worker.applied


def write_reproducer(out: Path, seed: int, index: int, failure: Failure, text: str, small: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"seed{seed}_{index}_{failure.kind}"
    (out / f"{stem}.original.py").write_bytes(text.encode("utf-8", "surrogatepass"))
    (out / f"{fuzz_programs.BASES_MODULE}.py").write_text(fuzz_programs.BASES)  # what a program may import
    header = "".join(f"# {line}\n" for line in
                     [f"fuzz failure: {failure.kind} (python benchmarks/fuzz.py --seed {seed} --only {index})"]
                     + failure.detail.splitlines()[:40])
    target = out / f"{stem}.py"
    target.write_bytes((header + "\n" + small).encode("utf-8", "surrogatepass"))
    return target


def _say(text: str) -> None:
    print(text, flush=True)  # the progress of a long run, also when redirected to a file


def fuzz(programs: int, seed: int = 0, jobs: int = 2, start: int = 0, out: Optional[Path] = None,
         report_every: int = 0, shrink_limit: int = 20, log=_say) -> dict:
    """Check programs ``start .. start + programs`` of ``seed`` with ``jobs`` workers.
    Returns counts, failures (index, kind, detail) and programs per second."""
    jobs_list = [(seed, index) for index in range(start, start + programs)]
    started = time.perf_counter()
    failures: list[dict] = []
    kinds: Counter = Counter()
    signatures: Counter = Counter()
    done, cpu = 0, 0.0
    found: Counter = Counter()
    applied: Counter = Counter()
    shrinker: Optional[FixChecker] = None
    if jobs > 1:
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        pool = context.Pool(jobs, initializer=_start_pool_worker)
        results = pool.imap_unordered(check_program, jobs_list, chunksize=8)
    else:
        pool = None
        results = map(check_program, jobs_list)
    stopped = False
    try:
        for index, failure, seconds, program_found, program_applied in results:
            done += 1
            cpu += seconds
            found.update(program_found)
            applied.update(program_applied)
            if failure is not None:
                kinds[failure.kind] += 1
                signature = failure.signature()
                signatures[signature] += 1
                record = {"index": index, "kind": failure.kind, "signature": signature, "detail": failure.detail}
                if out is not None and signatures[signature] == 1 and len(signatures) <= shrink_limit:
                    text, style = generated(seed, index)
                    small = text
                    if failure.kind != "invalid-program":
                        shrinker = shrinker or FixChecker()
                        small = shrink(text, failure, shrinker, style)
                    record["reproducer"] = str(write_reproducer(out, seed, index, failure, text, small))
                failures.append(record)
                log(f"program {index}: {failure.kind}: {failure.detail.splitlines()[0][:200] if failure.detail else ''}")
            if report_every and done % report_every == 0:
                elapsed = time.perf_counter() - started
                log(f"{done} programs, {done / elapsed:.1f}/s ({cpu / done * 1000:.0f} ms CPU each), "
                    f"failures: {dict(kinds) or 'none'}")
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (`timeout 3600 python benchmarks/fuzz.py ...`)
        stopped = True
        log(f"stopped after {done} programs")
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    elapsed = time.perf_counter() - started
    summary = {"seed": seed, "start": start, "programs": done, "stopped": stopped, "jobs": jobs,
               "seconds": round(elapsed, 1),
               "programs_per_second": round(done / elapsed, 2) if elapsed else None,
               # what `jobs` otherwise idle cores would do: the machine may be shared
               "cpu_ms_per_program": round(cpu / done * 1000, 1) if done else None,
               "programs_per_second_on_idle_cores": round(jobs * done / cpu, 2) if cpu else None,
               "failures": dict(kinds), "distinct": len(signatures),
               "findings": dict(sorted(found.items())), "fixes_applied": dict(sorted(applied.items())),
               "records": failures}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"summary_seed{seed}_{start}.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    return summary


# -- hypothesmith's grammar programs (--grammar) ----------------------------------------
_STRATEGIES = None


def _strategies():
    """Hypothesis strategies, built once and only for --grammar (hypothesmith compiles
    Python's grammar for each new strategy)."""
    global _STRATEGIES
    if _STRATEGIES is None:
        import hypothesmith
        from hypothesis import strategies as st

        grammar_programs = hypothesmith.from_grammar()
        grammar_expressions = hypothesmith.from_grammar(start="eval_input").map(str.strip)
        identifiers = st.sampled_from(["x", "w", "layers", "table", "weight", "bias", "blocks", "h", "pe", "_cache"])

        @st.composite
        def wrapped_programs(draw) -> str:
            """A generated program as the body of a Module's ``__init__`` (or of the class)."""
            body = draw(grammar_programs)
            where = draw(st.sampled_from(["init", "class", "method"]))
            base = draw(st.sampled_from(["nn.Module", "torch.nn.Module", "nn.ModuleList", "Base"]))
            prefix = "class Base(nn.Module):\n    pass\n\n\n" if base == "Base" else ""
            if where == "class":
                return HEADER + prefix + f"class M({base}):\n" + _indent(body, 4)
            super_call = draw(st.sampled_from(["        super().__init__()\n", ""]))
            if where == "init":
                return HEADER + prefix + f"class M({base}):\n    def __init__(self):\n" + super_call + _indent(body, 8)
            return (HEADER + prefix + f"class M({base}):\n    def __init__(self):\n" + super_call
                    + "        self._build()\n\n    def _build(self):\n" + _indent(body, 8))

        @st.composite
        def construction_programs(draw) -> str:
            """Module classes whose construction uses generated expressions in the places the
            rules look at: assignments to self, registrations, containers, super calls."""
            expressions = st.one_of(
                grammar_expressions,
                st.sampled_from(["torch.zeros(3)", "nn.Linear(2, 2)", "Parameter(torch.ones(1))", "[nn.ReLU()]",
                                 "None", "self.w", "x * 2", "torch.randn(2).cuda()", "{'a': nn.Linear(1, 1)}"]),
            )
            statements = []
            for _ in range(draw(st.integers(1, 6))):
                name = draw(identifiers)
                value = draw(expressions).replace("\n", " ")
                form = draw(st.sampled_from(["assign", "local", "register", "append", "item", "super", "aug"]))
                statements.append({
                    "assign": f"self.{name} = ({value})",
                    "local": f"{name} = ({value})",
                    "register": f"self.register_buffer({name!r}, ({value}))",
                    "append": f"self.{name}.append(({value}))",
                    "item": f"self.{name}[0] = ({value})",
                    "super": "super().__init__()",
                    "aug": f"self.{name} += ({value})",
                }[form])
            body = "\n".join(statements) + "\n"
            return HEADER + "class M(nn.Module):\n    def __init__(self, x=1):\n" + _indent(body, 8)

        _STRATEGIES = st.one_of(grammar_programs, wrapped_programs(), construction_programs())
    return _STRATEGIES


def _indent(code: str, spaces: int) -> str:
    return textwrap.indent(code, " " * spaces) if code.strip() else " " * spaces + "pass\n"


class Checker:
    """Lints generated sources in one directory with one linter, as a worker does."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="torchlint-fuzz-"))
        self.linter = Linter(load_settings(self.directory))
        self.count = 0
        self.report_every = 0

    def check(self, source: str) -> None:
        self.count += 1
        if self.report_every and self.count % self.report_every == 0:
            print(f"{self.count} programs linted, no failure so far", flush=True)
        path = self.directory / f"generated_{self.count}.py"  # a new name: a new index entry
        result = self.linter.lint(path, path.name, source.encode("utf-8", "surrogatepass"))
        assert not result.internal_errors, result.internal_errors[0] + "\n--- program ---\n" + source


def run(examples: int, seed: int | None = None, report_every: int = 0) -> int:
    """hypothesmith's programs (``--grammar``): linting them never raises."""
    from hypothesis import HealthCheck, given, settings

    checker = Checker()
    checker.report_every = report_every
    checker.check("x = 1\n")  # starts the lint thread (and its recursion limit) before hypothesis runs

    @settings(max_examples=examples, deadline=None, database=None, derandomize=seed is not None,
              suppress_health_check=list(HealthCheck))
    @given(_strategies())
    def never_raises(source: str) -> None:
        checker.check(source)

    never_raises()
    return checker.count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=2000, help="how many generated programs to check")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="index of the first program")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--out", type=Path, default=Path("fuzz-failures"), help="where reproducers are written")
    parser.add_argument("--only", type=int, help="check (and print) this one program of --seed")
    parser.add_argument("--report-every", type=int, default=1000)
    parser.add_argument("--grammar", action="store_true", help="hypothesmith's grammar programs instead")
    parser.add_argument("--examples", type=int, default=1000, help="with --grammar: hypothesis examples")
    args = parser.parse_args()
    if args.grammar:
        started = time.perf_counter()
        try:
            count = run(args.examples, args.seed, report_every=1000)
        except Exception as error:  # hypothesis re-raises the shrunk failure
            print(f"FAILED after {time.perf_counter() - started:.0f} s: {type(error).__name__}: {error}")
            return 1
        print(f"{count} programs linted, no failure, {time.perf_counter() - started:.0f} s")
        return 0
    if args.only is not None:
        text, style = generated(args.seed, args.only)
        print(text)
        _, failure, seconds, _, _ = check_program((args.seed, args.only))
        print(f"--- buffer style {style}: {failure.kind + chr(10) + failure.detail if failure else 'no failure'} "
              f"({seconds:.2f} s)")
        return 1 if failure else 0
    signal.signal(signal.SIGTERM, _stop)  # a timeout still writes the summary of what ran
    summary = fuzz(args.programs, args.seed, args.jobs, args.start, args.out, args.report_every)
    print(f"{summary['programs']} programs{' (stopped early)' if summary['stopped'] else ''} in {summary['seconds']} s with {args.jobs} workers: "
          f"{summary['programs_per_second']} programs/s ({summary['cpu_ms_per_program']} ms CPU a program: "
          f"{summary['programs_per_second_on_idle_cores']}/s on {args.jobs} idle cores); failures: {summary['failures'] or 'none'} "
          f"({summary['distinct']} distinct); reproducers in {args.out}")
    print(f"findings per rule: {summary['findings']}; fixes applied: {summary['fixes_applied']}")
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
