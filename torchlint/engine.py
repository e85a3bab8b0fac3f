"""Runs the rules over files and collects diagnostics.

Data flows one way: bytes -> decoded text -> libcst module (parsed once) -> shared
analysis (``FileContext``) -> rules -> diagnostics -> noqa / per-file filtering.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from torchlint import source as sources
from torchlint.analysis.context import FileContext
from torchlint.analysis.project import ProjectIndex
from torchlint.config import Settings
from torchlint.diagnostics import Diagnostic, Location
from torchlint.discovery import discover
from torchlint.rules import ALL_RULES, FILE_NOT_LINTED, RULES_BY_CODE, Rule
from torchlint.suppression import Suppressions


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0
    missing_paths: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    runtime_summary: Optional[str] = None  # set by --runtime (torchlint/runtime)


class Linter:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.index = ProjectIndex(extra_module_bases=settings.module_bases)
        self.rules: list[Rule] = [rule() for rule in ALL_RULES if rule.code in settings.select]

    def lint_bytes(self, path: Path, shown: str, data: Optional[bytes], result: RunResult) -> list[Diagnostic]:
        try:
            if data is None:
                data = sources.read_bytes(path)
            text = sources.decode(data)
            module = sources.parse(text)
        except sources.NotLinted as problem:
            return [_not_linted(shown, problem)]
        facts = self.index.add_source(path, text)
        ctx = FileContext(path, shown, text, module, facts, self.index)
        suppressions = Suppressions.parse(text)
        ignored = self.settings.ignored_for(path)
        diagnostics: list[Diagnostic] = []
        seen: set[tuple] = set()
        lines = text.splitlines()
        for rule in self.rules:
            if rule.code in ignored:
                continue
            try:
                findings = list(rule.check(ctx))
            except RecursionError:
                result.internal_errors.append(f"{shown}: {rule.code} gave up: the code is nested too deeply")
                continue
            except Exception:  # a bug in torchlint must not stop the run
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
                        noqa_row=span.start.line,
                        source_line=lines[span.start.line - 1] if span.start.line <= len(lines) else None,
                    )
                )
        return diagnostics


def _not_linted(shown: str, problem: "sources.NotLinted") -> Diagnostic:
    rule = RULES_BY_CODE[FILE_NOT_LINTED]
    location = Location(problem.row, problem.column)
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=f"File not linted: {problem.reason}",
        path=shown,
        location=location,
        end_location=location,
        help="Fix the file so that Python can read and parse it; the other files were linted",
        noqa_row=None,
    )


# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 24
_worker_linter: Optional[Linter] = None


def _init_worker(settings: Settings) -> None:
    global _worker_linter
    _worker_linter = Linter(settings)


def _lint_in_worker(target: tuple[Path, str, Optional[bytes]]) -> tuple[list[Diagnostic], list[str]]:
    partial = RunResult()
    diagnostics = _worker_linter.lint_bytes(*target, partial)
    return diagnostics, partial.internal_errors


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run(paths: Sequence[str], settings: Settings, stdin: Optional[bytes] = None,
        stdin_filename: Optional[str] = None, jobs: Optional[int] = None) -> RunResult:
    """Lint ``paths``; with several jobs, files are linted in worker processes (each
    with its own lazily built project index) and the results merged in a fixed order."""
    result = RunResult()
    targets: list[tuple[Path, str, Optional[bytes]]] = []
    file_paths = [p for p in paths if p != "-"]
    if len(file_paths) != len(paths):
        name = stdin_filename or "-"
        targets.append((Path(stdin_filename or "stdin.py"), name, stdin if stdin is not None else b""))
    discovery = discover(file_paths, settings)
    result.missing_paths = discovery.missing
    targets.extend((path, str(path), None) for path in discovery.files)  # shown as the user spelled it
    jobs = jobs or default_jobs()
    if jobs > 1 and len(targets) >= PARALLEL_THRESHOLD:
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(settings,)) as pool:
            for diagnostics, errors in pool.map(_lint_in_worker, targets, chunksize=8):
                result.diagnostics.extend(diagnostics)
                result.internal_errors.extend(errors)
    else:
        linter = Linter(settings)
        for path, shown, data in targets:
            result.diagnostics.extend(linter.lint_bytes(path, shown, data, result))
    result.files_checked = len(targets)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result
