"""``--runtime`` in the linter's process: plan the imports, run the worker pool, judge.

Nothing here imports torch or user code: that happens in the workers (pool.py,
worker.py). This module decides which files to import and under which module name,
collects what the workers report, gives each static finding its verdict
(verdicts.py), adds the runtime-only findings and writes the summary line.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from torchlint import notebooks
from torchlint import source as sources
from torchlint.analysis.project import ClassRef, ProjectIndex, module_name_for
from torchlint.config import Settings
from torchlint.diagnostics import Diagnostic, Location
from torchlint.discovery import discover
from torchlint.notebooks.cells import CellMap
from torchlint.notebooks.definitions import importable_module
from torchlint.rules import FILE_NOT_LINTED, RULES_BY_CODE
from torchlint.runtime import messages
from torchlint.runtime.pool import FileTask, WorkerPool, WorkerStartError
from torchlint.runtime.shape_help import shape_help
from torchlint.runtime.subjects import FileClasses, Subject, subject_of
from torchlint.runtime.verdicts import (ACCOUNTS_FOR, CONFIRMED, REFUTED, UNVERIFIED, Evidence, FileRecord,
                                        defect_family, judge, reason_of)
from torchlint.suppression import Suppressions

MAX_WORKERS = 4  # each worker holds its own torch (~300 MB)


class RuntimeUnavailable(Exception):
    """--runtime cannot run at all (torch is not installed, no worker starts)."""


@dataclass
class RuntimeStats:
    classes_found: int = 0
    built: int = 0
    built_on_cpu: int = 0
    skipped: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    build_seconds: list[float] = field(default_factory=list)
    verdicts: Counter = field(default_factory=Counter)
    runtime_only: int = 0
    files_imported: int = 0
    files_failed: Counter = field(default_factory=Counter)
    peak_worker_rss_mb: int = 0
    workers_started: int = 0
    workers_replaced: int = 0
    wall_seconds: float = 0.0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (file, class, reason)
    per_file: dict[str, list[int]] = field(default_factory=dict)  # file -> [classes found, built, peak MB]
    classes: list[dict[str, Any]] = field(default_factory=list)  # one entry a class: --runtime-report

    def top_reasons(self, n: int = 5) -> list[tuple[str, int]]:
        """Why classes were not built, most frequent first (the same reason in many classes
        is one line: a missing dependency, an argument nobody can make up, ...)."""
        return Counter(_reason_key(entry["why"]) for entry in self.classes
                       if not entry["built"] and entry["why"]).most_common(n)

    def summary(self, show_refuted: bool) -> str:
        built = f"{self.built} built" + (f" ({self.built_on_cpu} on the CPU)" if self.built_on_cpu else "")
        parts = [f"{self.classes_found} Module class{'es' if self.classes_found != 1 else ''} found", built,
                 f"{sum(self.skipped.values())} skipped{_reasons(self.skipped)}",
                 f"{sum(self.failed.values())} failed{_reasons(self.failed)}"]
        line = "Runtime: " + ", ".join(parts)
        if self.files_failed:
            line += f"; {sum(self.files_failed.values())} file(s) not imported{_reasons(self.files_failed)}"
        refuted = f"{self.verdicts[REFUTED]} refuted" + ("" if show_refuted or not self.verdicts[REFUTED]
                                                         else " (hidden; --show-refuted shows them)")
        line += (f". Findings: {self.verdicts[CONFIRMED]} confirmed, {refuted}, {self.verdicts[UNVERIFIED]} "
                 f"unverified, {self.runtime_only} found only at runtime.")
        top = self.top_reasons()
        if top:
            unbuilt = sum(1 for entry in self.classes if not entry["built"])
            line += f"\nNot built ({unbuilt}), top reasons:" + "".join(
                f"\n  {n:>4} x {reason}" for reason, n in top)
            line += "\n  (`--runtime-report FILE` lists every class; `--explain-runtime CLASS` shows one's attempts)"
        return line

    def median_build_seconds(self) -> Optional[float]:
        return statistics.median(self.build_seconds) if self.build_seconds else None


def _reason_key(why: str) -> str:
    """One reason for many classes: without the line it was raised at or a file's path
    (``No module named 'torchvision' (line 23)`` in 40 files is one reason)."""
    why = re.sub(r" \(line \d+\)$", "", why)
    return re.sub(r" \((?:/|[A-Za-z]:\\)[^()]*\)", "", why)


def _reasons(counter: Counter) -> str:
    if not counter:
        return ""
    return " (" + ", ".join(f"{reason}: {n}" for reason, n in counter.most_common()) + ")"


def reason_category(reason: Optional[str]) -> str:
    """A short bucket for the summary: why a class or file was not checked."""
    text = reason or ""
    for needle, category in (
        ("timed out", "timeout"), ("crashed", "worker crashed"), ("exited with code", "worker exited"),
        ("sys.exit", "sys.exit()"), ("exceeded the worker's memory limit", "memory limit"), ("process(es)", "started processes"),
        ("cannot synthesise", "arguments"), ("construction raised", "error a finding predicts"),
        ("Module.__init__() never ran", "Module.__init__ never ran"), ("factory", "factory"),
        ("abstract", "abstract"), ("internal error", "internal error"), ("No module named", "missing dependency"),
    ):
        if needle in text:
            return category
    head = text.split(":", 1)[0].strip()
    return head if head.isidentifier() else "other"


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


# -- planning ---------------------------------------------------------------------------

def import_plan(path: Path, settings: Settings) -> tuple[str, list[str]]:
    """The module name a file is imported as, and the sys.path roots that make its
    imports (relative ones through the ``__init__.py`` chain, ``src/`` layouts) work."""
    name = module_name_for(path) or path.stem
    packages = name.count(".") + (1 if path.name == "__init__.py" else 0)
    root = path.parents[packages]
    roots = [str(p) for p in settings.runtime.pythonpath] + [str(root)]
    project = settings.project_root.resolve()
    for extra in (project / "src", project):
        if extra.is_dir() and str(extra) not in roots:
            roots.append(str(extra))
    if not all(part.isidentifier() for part in name.split(".")):
        name = ""  # not importable by name: loaded from its path
    return name, roots


@dataclass
class _Plan:
    records: dict[str, FileRecord]
    tasks: list[FileTask]
    static_classes: dict[str, int]  # path -> number of Module classes the static pass sees
    watch: dict[str, list[int]]
    # (file, class) whose buffers are registered under names computed from its arguments
    value_dependent: set[tuple[str, str]] = field(default_factory=set)
    index: Optional[ProjectIndex] = None
    modules: dict[str, str] = field(default_factory=dict)  # path -> the module name it is imported as
    module_names: dict[str, list[str]] = field(default_factory=dict)  # path -> its Module classes (static)
    # notebooks: shown path -> its cell map; their definitions are imported from a
    # module written under ``scratch`` (torchlint/notebooks/definitions.py)
    cell_maps: dict[str, "CellMap"] = field(default_factory=dict)
    scratch: Optional[str] = None

    def unplace(self, d: Diagnostic) -> Diagnostic:
        cells = self.cell_maps.get(d.path)
        return cells.unplace(d) if cells is not None else d

    def place(self, d: Diagnostic) -> Diagnostic:
        cells = self.cell_maps.get(d.path)
        return cells.place(d) if cells is not None else d


def _plan(paths: Sequence[str], settings: Settings, diagnostics: list[Diagnostic]) -> _Plan:
    discovery = discover([p for p in paths if p != "-"], settings)
    index = ProjectIndex(extra_module_bases=settings.module_bases)
    by_shown: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        by_shown.setdefault(d.path, []).append(d)
    plan = _Plan({}, [], {}, {}, index=index)
    for path in discovery.files:
        real = os.path.realpath(path)
        try:
            data = sources.read_bytes(path)
            joined = notebooks.load(data) if notebooks.is_notebook(path) else None
            text = joined.text if joined is not None else sources.decode(data)
        except sources.NotLinted:
            continue
        if joined is not None:
            plan.cell_maps[str(path)] = joined.map
            real = _write_definitions(plan, path, text)
        record = FileRecord(real, str(path), text.splitlines(), FileClasses(text))
        plan.records[real] = record
        facts = index.add_source(Path(real), text)
        modules = [name for name in (facts.classes if facts else {})
                   if index.is_module_class(ClassRef(Path(real), name))]
        plan.static_classes[real] = len(modules)
        plan.module_names[real] = modules
        for name in modules:
            chain = [facts.classes[name], *index.ancestors(ClassRef(Path(real), name))]
            if any(f.computed_buffer_names for f in chain):
                plan.value_dependent.add((real, name))
        found = [plan.unplace(d) for d in by_shown.get(str(path), []) if d.code != FILE_NOT_LINTED]
        rows = {row for d in found for row in _rows(record, d)}
        if rows:
            plan.watch[real] = sorted(rows)
        if modules or found:
            module, roots = import_plan(Path(real), settings)
            if joined is not None:  # loaded from its path, run from the notebook's directory's view
                module, roots = "", [str(Path(path).resolve().parent), *roots[1:]]
            plan.tasks.append(FileTask(real, module, roots))
            plan.modules[real] = module
    return plan


def _write_definitions(plan: _Plan, path: Path, text: str) -> str:
    """Write the notebook's definitions (imports, classes, functions, constants; never
    its top-level work) as a module to import; its real path."""
    import hashlib
    import tempfile

    if plan.scratch is None:
        plan.scratch = tempfile.mkdtemp(prefix="torchlint-notebooks-")
    digest = hashlib.blake2b(str(Path(path).resolve()).encode(), digest_size=4).hexdigest()
    stem = "".join(c if c.isalnum() else "_" for c in Path(path).stem)
    target = Path(plan.scratch) / f"{stem}_{digest}.py"
    target.write_text(importable_module(text), encoding="utf-8", newline="")
    return os.path.realpath(target)


def _rows(record: FileRecord, d: Diagnostic) -> range:
    start, end = record.classes.statement_rows(d.location.row)
    return range(start, end + 1)


# -- collecting -------------------------------------------------------------------------

class _Collector:
    def __init__(self, records: dict[str, FileRecord]):
        self.records = records
        self.evidence = Evidence()

    def on_message(self, task: FileTask, message: tuple) -> None:
        record = self.records[task.path]
        kind = message[0]
        if kind == "imported":
            record.imported, record.import_reason = message[1], message[2]
            record.found = record.found or message[3]
        elif kind == "file_done":
            record.peak_rss_mb = max(record.peak_rss_mb, message[2])
        elif kind == "class_done":
            report = message[1]
            record.reports[report["qualname"]] = report
            self.evidence.add(report)

    def on_fault(self, task: FileTask, stage: Optional[str], qualname: Optional[str],
                 reason: str) -> Optional[FileTask]:
        record = self.records[task.path]
        if stage == "class" and qualname:
            record.faults[qualname] = reason
            return FileTask(task.path, task.module, task.roots, [*task.skip, qualname])
        record.imported, record.import_reason = False, reason
        return None


# -- the whole run ----------------------------------------------------------------------

def apply_runtime(result, settings: Settings, paths: Sequence[str], show_refuted: bool = False,
                  jobs: Optional[int] = None) -> RuntimeStats:
    """Give ``result.diagnostics`` their verdicts, add the runtime-only findings, drop
    refuted ones unless ``show_refuted``; ``result.runtime_summary`` gets the summary."""
    if not torch_available():
        raise RuntimeUnavailable(
            f"--runtime needs torch, which this Python ({sys.executable}) cannot import: "
            f"`{sys.executable} -m pip install torch` (the CPU-only build: add "
            "`--index-url https://download.pytorch.org/whl/cpu`)"
        )
    started = time.monotonic()
    plan = _plan(paths, settings, result.diagnostics)
    try:
        return _apply(result, settings, plan, started, show_refuted, jobs)
    finally:
        if plan.scratch is not None:
            shutil.rmtree(plan.scratch, ignore_errors=True)


def _apply(result, settings: Settings, plan: _Plan, started: float, show_refuted: bool,
           jobs: Optional[int]) -> RuntimeStats:
    result.diagnostics = [plan.unplace(d) for d in result.diagnostics]  # notebooks: the joined rows
    collector = _Collector(plan.records)
    pool = WorkerPool(
        size=min(jobs or os.cpu_count() or 1, MAX_WORKERS, max(1, len(plan.tasks))),
        init={"owned": sorted(plan.records), "watch": plan.watch, "timeout": settings.runtime.timeout,
              "memory_mb": settings.runtime.memory_limit_mb, "factories": settings.runtime.factories,
              "pythonpath": [str(p) for p in settings.runtime.pythonpath]},
        timeout=settings.runtime.timeout,
    )
    try:
        pool.run(plan.tasks, collector)
    except WorkerStartError as error:
        raise RuntimeUnavailable(str(error)) from None
    stats = RuntimeStats(peak_worker_rss_mb=pool.peak_rss_mb, workers_started=pool.workers_started,
                         workers_replaced=pool.workers_replaced)
    _count_classes(plan, stats)
    diagnostics = _judge_static(result.diagnostics, plan, collector.evidence, stats, settings)
    extra = _runtime_only(result.diagnostics, plan, collector.evidence, settings)
    stats.runtime_only = len(extra)
    kept = [d for d in diagnostics if show_refuted or (d.runtime or {}).get("verdict") != REFUTED]
    result.diagnostics = sorted((plan.place(d) for d in kept + extra), key=Diagnostic.sort_key)
    stats.wall_seconds = time.monotonic() - started
    result.runtime_summary = stats.summary(show_refuted)
    if settings.runtime.report is not None:
        write_report(settings.runtime.report, stats)
    return stats


def _count_classes(plan: _Plan, stats: RuntimeStats) -> None:
    for record in plan.records.values():
        if record.imported is None:
            continue
        if record.imported is False:
            for name in record.found or plan.module_names.get(record.path, []):
                stats.classes.append(_entry(record, plan, name, None, f"not imported: {record.import_reason}"))
            stats.files_failed[reason_category(record.import_reason)] += 1
            stats.failures.append((record.shown, "<import>", record.import_reason or ""))
            stats.classes_found += plan.static_classes.get(record.path, 0)
            stats.failed["file not imported"] += plan.static_classes.get(record.path, 0)
            stats.per_file[record.shown] = [plan.static_classes.get(record.path, 0), 0, record.peak_rss_mb]
            continue
        stats.files_imported += 1
        names = set(record.found) | set(record.reports) | set(record.faults)
        stats.classes_found += len(names)
        stats.per_file[record.shown] = [len(names), sum(record.reports.get(n, {}).get("status") == "built"
                                                         for n in names if n not in record.faults),
                                        record.peak_rss_mb]
        for name in sorted(names):
            report = record.reports.get(name)
            stats.classes.append(_entry(record, plan, name, None if name in record.faults else report,
                                        f"build failed: {record.faults[name]}" if name in record.faults else None))
        for name in names:
            if name in record.faults:
                stats.failed[reason_category(record.faults[name])] += 1
                stats.failures.append((record.shown, name, record.faults[name]))
                continue
            report = record.reports.get(name)
            if report is None:
                stats.failed["not reached"] += 1
            elif report["status"] == "built":
                stats.built += 1
                stats.built_on_cpu += report.get("device") == "cpu"
                stats.build_seconds.append(report["seconds"])
            elif report["status"] == "skipped":
                stats.skipped[reason_category(report["reason"])] += 1
            else:
                stats.failed[reason_category(report["reason"])] += 1
                stats.failures.append((record.shown, name, report["reason"]))


def _entry(record: FileRecord, plan: _Plan, name: str, report: Optional[dict[str, Any]],
           why: Optional[str]) -> dict[str, Any]:
    """One class in the runtime report: built or not, why, how, in what time."""
    module = plan.modules.get(record.path) or None
    span = record.classes.by_qualname(name)
    rows = [span.row, span.end_row] if span is not None else None
    if report is None:
        status = "not imported" if why and why.startswith("not imported") else "failed"
        return {"file": record.shown, "module": module, "class": name, "built": False, "status": status,
                "why": why or "not reached (the worker stopped before it)", "how": None, "arguments": None,
                "seconds": None, "device": None, "attempts": 0, "log": [], "rows": rows}
    built = report.get("status") == "built"
    if built:
        why = None
    elif report.get("status") == "skipped":
        why = f"skipped: {report.get('reason')}"
    elif (report.get("reason") or "").startswith("construction raised "):
        why = f"raised the error a finding predicts: {report['reason'][len('construction raised '):]}"
    elif report.get("error"):
        why = f"build failed: {report['error']}"
    else:
        why = f"build failed: {report.get('reason')}"
    return {"file": record.shown, "module": module, "class": name, "built": built, "status": report.get("status"),
            "why": why, "how": report.get("how"), "arguments": report.get("arguments") or report.get("tried"),
            "seconds": round(report.get("seconds") or 0.0, 4), "device": report.get("device"),
            "attempts": report.get("attempts", 0), "log": report.get("log") or [], "rows": rows}


def explain_class(stats: RuntimeStats, diagnostics: list[Diagnostic], wanted: str) -> Optional[str]:
    """``--explain-runtime CLASS``: how the runtime checker tried to build the class (``Net``,
    ``Outer.Inner``, ``pkg.models:Net`` or ``models.py:Net``) and what it concluded; None
    when no linted Module class has that name."""
    where, _, name = wanted.rpartition(":")
    chosen = [entry for entry in stats.classes
              if (entry["class"] == name or entry["class"].rsplit(".", 1)[-1] == name)
              and (not where or where in (entry["module"], entry["file"]) or entry["file"].endswith(where))]
    if not chosen:
        return None
    blocks = []
    for entry in chosen:
        lines = [f"`{entry['class']}` in {entry['file']}" + (f" (module {entry['module']})" if entry["module"] else "")]
        if entry["built"]:
            lines.append(f"  result:    built on {entry['device']} in {entry['seconds']:.3f} s")
        else:
            lines.append(f"  result:    not built: {entry['why']}")
        if entry["how"]:
            lines.append(f"  how:       {entry['how']}")
        if entry["arguments"]:
            lines.append(f"  arguments: {entry['arguments']}")
        if entry["log"]:
            lines.append(f"  attempts ({entry['attempts']}" + (", the last 12 shown" if entry["attempts"] > 12 else "")
                         + "):")
            for number, attempt in enumerate(entry["log"], 1):
                lines.append(f"    {number}. [{attempt['device']}] {attempt['arguments']} ({attempt.get('how')}): "
                             f"{attempt['result']} ({attempt['seconds']:.3f} s)")
        if entry["status"] == "failed":  # (a file that cannot be imported needs its dependency, not a factory)
            key = f"{entry['module']}:{entry['class']}" if entry["module"] else f"<module>:{entry['class']}"
            lines.append("  to build it yourself: [tool.torchlint.runtime] factories = "
                         f"{{ \"{key}\" = \"<module>:<function returning an instance>\" }}")
        rows = entry.get("rows")
        found = [d for d in diagnostics if d.path == entry["file"] and rows and rows[0] <= d.location.row <= rows[1]]
        if found:
            lines.append("  findings:")
            for d in sorted(found, key=Diagnostic.sort_key):
                verdict = (d.runtime or {}).get("verdict", "-")
                origin = " (found at runtime)" if d.origin == "runtime" else ""
                lines.append(f"    {d.location.row}:{d.location.column} {d.code} [{verdict}]{origin}: "
                             f"{(d.runtime or {}).get('detail', '')}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def write_report(path: Path, stats: RuntimeStats) -> None:
    """``--runtime-report FILE``: every Module class, built or not, why, how, and in what time."""
    import json

    data = {
        "summary": {"classes": stats.classes_found, "built": stats.built, "built_on_cpu": stats.built_on_cpu,
                    "not_built": sum(1 for entry in stats.classes if not entry["built"]),
                    "top_reasons": [{"reason": reason, "classes": n} for reason, n in stats.top_reasons(20)],
                    "verdicts": dict(stats.verdicts), "found_only_at_runtime": stats.runtime_only,
                    "wall_seconds": round(stats.wall_seconds, 2), "peak_worker_rss_mb": stats.peak_worker_rss_mb},
        "classes": stats.classes,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _judge_static(diagnostics: list[Diagnostic], plan: _Plan, evidence: Evidence,
                  stats: RuntimeStats, settings: Settings) -> list[Diagnostic]:
    by_shown = {record.shown: record for record in plan.records.values()}
    for d in diagnostics:
        if d.code == FILE_NOT_LINTED or d.origin != "static":
            continue
        record = by_shown.get(d.path)
        if record is None:
            subject = Subject(None, None, (d.location.row, d.location.row))
        else:
            subject = subject_of(d, record.classes, record.lines)
        verdict, detail = judge(d.code, subject, record, evidence)
        d.runtime = {"verdict": verdict, "reason": reason_of(detail), "detail": detail}
        if d.code == "TL001" and verdict == CONFIRMED and record is not None:
            _upgrade_to_requires_grad(d, subject, record, evidence, settings)
        stats.verdicts[verdict] += 1
    return diagnostics


def _upgrade_to_requires_grad(d: Diagnostic, subject: Subject, record: FileRecord, evidence: Evidence,
                              settings: Settings) -> None:
    """A static TL001 whose tensor the build shows requiring grad is one defect with two
    consequences: reported once, as the more specific TL004 (not trained, not saved or moved)."""
    facts = evidence.facts.get((record.path, subject.qualname or ""))
    fact = facts["attrs"].get(subject.attribute or "") if facts else None
    if not fact or fact.get("kind") != "tensor" or fact.get("parameter") or not fact.get("requires_grad"):
        return
    if "TL004" not in settings.select or "TL004" in settings.ignored_for(Path(record.path)):
        return
    message, help = messages.requires_grad_tensor(subject.attribute)
    d.code, d.name, d.message, d.help, d.fix = "TL004", RULES_BY_CODE["TL004"].name, message, help, None
    d.runtime["detail"] += "; it requires grad in this build, so it is reported as TL004"
    d.runtime["reason"] += "; it requires grad, so it is reported as TL004"


def _runtime_only(static: list[Diagnostic], plan: _Plan, evidence: Evidence, settings: Settings) -> list[Diagnostic]:
    """Runtime findings that no static finding accounts for, as diagnostics."""
    by_shown = {record.shown: record for record in plan.records.values()}
    accounted_lines: set[tuple[str, str, int]] = set()
    accounted_subjects: set[tuple[str, str, Optional[str], Optional[str]]] = set()
    for d in static:
        record = by_shown.get(d.path)
        if record is None:
            continue
        subject = subject_of(d, record.classes, record.lines)
        for code in (d.code, *ACCOUNTS_FOR.get(d.code, ())):
            for row in range(subject.statement_rows[0], subject.statement_rows[1] + 1):
                accounted_lines.add((code, record.path, row))
                accounted_lines.add((defect_family(code), record.path, row))
            accounted_subjects.add((defect_family(code), record.path, subject.qualname, subject.attribute))

    candidates = _one_per_defect([f for f in [*evidence.findings, *map(_event_finding, evidence.events)]
                                  if f is not None])
    seen_tensors: dict[str, dict[str, set[str]]] = {}
    out: list[Diagnostic] = []
    seen: set[tuple] = set()
    suppressions: dict[str, Suppressions] = {}
    for finding in candidates:
        code = finding["code"]
        record = plan.records.get(finding["file"] or finding.get("class_file") or "")
        if record is None or code not in settings.select or code in settings.ignored_for(Path(record.shown)):
            continue
        row, column = _where(finding, record, plan)
        if row is None:
            continue
        if (code, record.path, row) in accounted_lines or (defect_family(code), record.path, row) in accounted_lines:
            continue
        if (defect_family(code), finding.get("class_file"), finding.get("qualname"),
                finding.get("attribute")) in accounted_subjects:
            continue
        if finding.get("attribute") and (finding.get("class_file"), finding.get("qualname")) in plan.value_dependent:
            continue  # which names become buffers depends on the arguments: made-up ones decide nothing
        tensors, kept_out = _seen_statically(
            finding.get("class_file") or record.path, finding.get("qualname"), plan, settings, seen_tensors)
        if code == "TL001" and finding.get("attribute") in tensors:
            continue  # the static pass saw this tensor and left it alone by policy (a placeholder, an alias)
        if code in ("TL001", "TL007", "TL008") and (kept_out is True or finding.get("attribute") in kept_out):
            continue  # the author says it is kept out of the module tree, or the class manages it
        key = (code, record.path, row, finding.get("attribute") if finding.get("qualname") else None)
        if key in seen:
            continue
        seen.add(key)
        if record.path not in suppressions:
            suppressions[record.path] = Suppressions.parse("\n".join(record.lines))
        if suppressions[record.path].suppressed(code, row):
            continue
        line = record.lines[row - 1] if row <= len(record.lines) else ""
        rule = RULES_BY_CODE.get(code)
        out.append(Diagnostic(
            code=code, name=rule.name if rule else code.lower(), message=finding["message"], path=record.shown,
            location=Location(row, column), end_location=Location(row, max(column + 1, len(line.rstrip()) + 1)),
            help=_help(finding, plan), noqa_row=row, origin="runtime",
            runtime={"verdict": CONFIRMED, "reason": "found at runtime: not reported by the static pass",
                     "detail": _found_in(finding, plan)}, source_line=line,
        ))
    return out


def _one_per_defect(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runtime findings about one attribute of one class (several instances of the class,
    or codes of one family) are one defect: keep one, the one that knows its line."""
    best: dict[tuple, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for finding in findings:
        if not (finding.get("qualname") and finding.get("attribute")):
            out.append(finding)
            continue
        key = (finding.get("class_file"), finding["qualname"], finding["attribute"], defect_family(finding["code"]))
        kept = best.get(key)
        if kept is None:
            best[key] = finding
            out.append(finding)
        elif not kept.get("line") and finding.get("line"):
            out[out.index(kept)] = best[key] = finding
    return out


def _seen_statically(path: str, qualname: Optional[str], plan: _Plan, settings: Settings,
                     memo: dict[str, dict[str, tuple]]) -> tuple[set[str], Union[set[str], bool]]:
    """The attributes of class ``qualname`` that the static pass saw made tensors in
    construction, reported or not: a runtime finding on one of those is the static pass's
    policy to judge (an empty placeholder, an alias of a registered tensor), not a miss;
    and the attributes its author says are kept out of the module tree (True: the class
    manages its module tree itself)."""
    if path not in memo:
        memo[path] = {}
        record = plan.records.get(path)
        if record is not None and plan.index is not None:
            from torchlint.analysis.context import FileContext
            from torchlint.analysis.values import Kind

            text = "\n".join(record.lines) + "\n"
            try:
                module = sources.parse(text)
            except sources.NotLinted:
                return set(), set()
            facts = plan.index.add_source(Path(path), text)
            ctx = FileContext(Path(path), record.shown, text, module, facts, plan.index, settings)
            try:
                memo[path] = {info.name: ({event.name for event in info.construction.assignments()
                                           if event.value.kind is Kind.TENSOR}, _kept_out(ctx, info))
                              for info in ctx.module_classes}
            finally:
                ctx.release()
    return memo[path].get(qualname or "", (set(), set()))


def _kept_out(ctx, info) -> Union[set[str], bool]:
    from torchlint.analysis.intent import manages_module_tree, said_unregistered
    from torchlint.analysis.values import Kind

    if manages_module_tree(info):
        return True
    return {event.name for event in info.construction.assignments()
            if event.value.kind in (Kind.TENSOR, Kind.CONTAINER) and said_unregistered(ctx, event)}


def _where(finding: dict[str, Any], record: FileRecord, plan: _Plan) -> tuple[Optional[int], int]:
    if finding.get("line"):
        row = finding["line"]
        line = record.lines[row - 1] if row <= len(record.lines) else ""
        return row, len(line) - len(line.lstrip()) + 1
    owner = plan.records.get(finding.get("class_file") or "")
    span = owner.classes.by_qualname(finding.get("qualname") or "") if owner is not None else None
    if span is None or owner is not record:
        return None, 1
    return span.row, span.column


def _event_finding(event: dict[str, Any]) -> Optional[dict[str, Any]]:
    """A construction error (or a probe's record of one) as a runtime finding."""
    code = event["code"]
    if event.get("made_up"):
        return None  # torch rejected an argument value torchlint made up: nothing about the code
    message, help = messages.construction_error(code, event["message"])
    if code == "TL003" and event.get("qualname"):
        return {"code": code, "file": event.get("class_file"), "line": None, "qualname": event.get("qualname"),
                "class_file": event.get("class_file"), "attribute": None, "message": message, "help": help}
    if event.get("file") is None or event.get("line") is None:
        return None
    return {"code": code, "file": event["file"], "line": event["line"], "qualname": None, "class_file": None,
            "attribute": event.get("name"), "message": message, "help": help}


def _help(finding: dict[str, Any], plan: _Plan) -> Optional[str]:
    """The worker's help; TL101's in the expressions of the class's own source."""
    help = finding.get("help") or None
    owner = plan.records.get(finding.get("class_file") or "")
    if finding["code"] != "TL101" or owner is None:
        return help
    line = finding.get("line") if finding.get("file") == finding.get("class_file") else None
    return shape_help({**finding, "line": line}, owner.lines) or help


def _found_in(finding: dict[str, Any], plan: _Plan) -> str:
    """``found by building `Net` with dim=64``: the arguments (made up, mended, or a
    factory's) reproduce the build, as a verdict's detail gives them."""
    qualname = finding.get("qualname")
    if not qualname:
        return "found while building the model"
    record = plan.records.get(finding.get("class_file") or finding.get("file") or "")
    report = record.reports.get(qualname) if record is not None else None
    arguments = report.get("arguments") if report is not None and report.get("status") == "built" else None
    if not arguments:
        return f"found by building `{qualname}`"
    if arguments == "no arguments":
        return f"found by building `{qualname}` without arguments"
    return f"found by building `{qualname}` with {arguments}"
