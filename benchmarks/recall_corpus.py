"""Recall on real bugs fixed between two PyPI releases.

Every row of ``benchmarks/recall_refs.csv`` is a bug that a package shipped in one release
and fixed in a later one (references only: package, versions, paths, lines; never the code).
This script downloads both releases with ``pip download --no-deps`` into a cache outside the
repository (default /work/corpora/recall, see ``release_diff.fetch``), runs

    python -m torchlint --no-cache --exit-zero --output-format json <release dir>

on the buggy and on the fixed release, and scores:

* a reference is FOUND when a finding with one of its expected codes lies on one of its buggy
  line ranges (the statement's lines) in the buggy file;
* recall is also printed for the references found independently of torchlint (``source=diff``: the
  diff heuristics; ``source=search``: a bug report or fix found with a code/issue search, then read in
  both releases): those taken from torchlint findings that vanished (``source=torchlint``) can only be found;
* its fixed twin is CLEAN when the fixed file has no finding of those codes inside the fixed
  class that names the attribute (or, for a class-level bug, anywhere in the class) or lies on
  the fixed lines.

Prints recall per rule (by the reference's first code), overall, the misses and the findings
on twins. Exits 1 when a twin is not clean.

    python benchmarks/recall_corpus.py [--cache-dir DIR] [--refs CSV] [--only PACKAGE] [--show-found]
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from release_diff import DEFAULT_CACHE, fetch, py_files  # noqa: E402

REFS = HERE / "recall_refs.csv"
FIELDS = ["id", "package", "buggy_version", "fixed_version", "buggy_path", "fixed_path", "class", "buggy_lines",
          "codes", "attr", "fixed_class", "fixed_lines", "description", "source"]


@dataclass
class Ref:
    id: str
    package: str
    buggy_version: str
    fixed_version: str
    buggy_path: str
    fixed_path: str
    cls: str
    buggy_lines: list[tuple[int, int]]
    codes: list[str]
    attr: str
    fixed_class: str
    fixed_lines: list[tuple[int, int]]
    description: str
    source: str = "diff"  # "diff": release_diff's heuristics; "search": a searched report/fix; "torchlint": a finding that vanished

    @property
    def rule(self) -> str:
        return self.codes[0]


def parse_lines(text: str) -> list[tuple[int, int]]:
    """``"12"``, ``"12-14"``, ``"12-14;30"`` -> [(12, 12)], [(12, 14)], [(12, 14), (30, 30)]."""
    out = []
    for part in filter(None, (p.strip() for p in text.replace(",", ";").split(";"))):
        lo, _, hi = part.partition("-")
        out.append((int(lo), int(hi or lo)))
    return out


def load_refs(path: Path = REFS) -> list[Ref]:
    refs = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            if None in row or None in row.values():  # a field too many (an unquoted comma) or too few
                raise ValueError(f"{path}: reference {row.get('id')!r} has the wrong number of fields")
            refs.append(Ref(row["id"], row["package"], row["buggy_version"], row["fixed_version"], row["buggy_path"],
                            row["fixed_path"], row["class"], parse_lines(row["buggy_lines"]),
                            [c.strip() for c in row["codes"].split("|") if c.strip()], row["attr"].strip(),
                            row["fixed_class"].strip() or row["class"], parse_lines(row["fixed_lines"]),
                            row["description"], (row.get("source") or "diff").strip()))
    return refs


def class_range(source: str, name: str) -> tuple[int, int] | None:
    """Line range of the (first) class called ``name`` in ``source``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node.lineno, node.end_lineno or node.lineno
    return None


def _within(row: int, ranges: list[tuple[int, int]]) -> bool:
    return any(lo <= row <= hi for lo, hi in ranges)


def _names_attr(finding: dict, attr: str) -> bool:
    message = finding.get("message", "")
    return bool(attr) and (f"self.{attr}`" in message or f"`{attr}`" in message or f"'{attr}'" in message
                           or f'"{attr}"' in message or f"{attr}(" in message or f"self.{attr}" in message)


def is_found(ref: Ref, findings: list[dict]) -> list[dict]:
    """Findings in the buggy file that count for ``ref``."""
    return [f for f in findings if f["code"] in ref.codes and _within(f["location"]["row"], ref.buggy_lines)]


def twin_findings(ref: Ref, findings: list[dict], fixed_class_range: tuple[int, int] | None) -> list[dict]:
    """Findings in the fixed file that show the twin is not clean."""
    out = []
    for f in findings:
        if f["code"] not in ref.codes:
            continue
        row = f["location"]["row"]
        if ref.fixed_lines and _within(row, ref.fixed_lines):
            out.append(f)
        elif fixed_class_range and fixed_class_range[0] <= row <= fixed_class_range[1] and \
                (not ref.attr or _names_attr(f, ref.attr)):
            out.append(f)
    return out


@dataclass
class Score:
    found: dict[str, list[Ref]]
    missed: dict[str, list[Ref]]
    dirty_twins: list[tuple[Ref, list[dict]]]
    unavailable: list[Ref]

    def recall(self, rule: str | None = None) -> float:
        rules = [rule] if rule else sorted(set(self.found) | set(self.missed))
        hit = sum(len(self.found.get(r, [])) for r in rules)
        total = hit + sum(len(self.missed.get(r, [])) for r in rules)
        return hit / total if total else 1.0


def score(refs: list[Ref], findings_for, source_for) -> Score:
    """``findings_for(package, version, path)`` -> findings of that file (None: release not available);
    ``source_for(package, version, path)`` -> its text."""
    found: dict[str, list[Ref]] = defaultdict(list)
    missed: dict[str, list[Ref]] = defaultdict(list)
    dirty = []
    unavailable = []
    for ref in refs:
        buggy = findings_for(ref.package, ref.buggy_version, ref.buggy_path)
        fixed = findings_for(ref.package, ref.fixed_version, ref.fixed_path)
        if buggy is None or fixed is None:
            unavailable.append(ref)
            continue
        (found if is_found(ref, buggy) else missed)[ref.rule].append(ref)
        src = source_for(ref.package, ref.fixed_version, ref.fixed_path) or ""
        bad = twin_findings(ref, fixed, class_range(src, ref.fixed_class))
        if bad:
            dirty.append((ref, bad))
    return Score(dict(found), dict(missed), dirty, unavailable)


class Runner:
    """Materialises releases and lints each release directory once."""

    def __init__(self, cache: Path):
        self.cache = cache
        self._findings: dict[tuple[str, str], dict[str, list[dict]] | None] = {}
        self._files: dict[tuple[str, str], dict[str, Path]] = {}

    def _release(self, package: str, version: str):
        key = (package, version)
        if key not in self._findings:
            root = fetch(package, version, self.cache)
            if root is None:
                self._findings[key] = None
                return None
            self._files[key] = py_files(root)
            proc = subprocess.run([sys.executable, "-m", "torchlint", "--no-cache", "--exit-zero", "--output-format", "json",
                                   str(root)], capture_output=True, text=True)
            try:
                data = json.loads(proc.stdout or "[]")
            except json.JSONDecodeError:
                print(f"# torchlint failed on {root}: {proc.stderr[-500:]}", file=sys.stderr)
                data = []
            by_file: dict[str, list[dict]] = defaultdict(list)
            for finding in data:
                by_file[str(Path(finding["filename"]).resolve())].append(finding)
            self._findings[key] = by_file
        return self._findings[key]

    def findings_for(self, package: str, version: str, path: str):
        by_file = self._release(package, version)
        if by_file is None:
            return None
        file = self._files[(package, version)].get(path)
        if file is None:
            print(f"# {package} {version}: no file {path}", file=sys.stderr)
            return None
        return by_file.get(str(file.resolve()), [])

    def source_for(self, package: str, version: str, path: str):
        if self._release(package, version) is None:
            return None
        file = self._files[(package, version)].get(path)
        return file.read_text(encoding="utf-8", errors="replace") if file else None


def describe(ref: Ref) -> str:
    lines = ";".join(f"{a}-{b}" if a != b else str(a) for a, b in ref.buggy_lines)
    return (f"{ref.id} {'|'.join(ref.codes)} {ref.package} {ref.buggy_version} {ref.buggy_path}:{lines} "
            f"{ref.cls}{'.' + ref.attr if ref.attr else ''}: {ref.description}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--refs", type=Path, default=REFS)
    ap.add_argument("--only", action="append", help="score only this package (repeatable)")
    ap.add_argument("--show-found", action="store_true")
    args = ap.parse_args(argv)
    refs = load_refs(args.refs)
    if args.only:
        refs = [r for r in refs if r.package in args.only]
    runner = Runner(args.cache_dir)
    result = score(refs, runner.findings_for, runner.source_for)
    packages = {r.package for r in refs}
    print(f"references: {len(refs)} from {len(packages)} packages")
    for rule in sorted(set(result.found) | set(result.missed)):
        hit, miss = len(result.found.get(rule, [])), len(result.missed.get(rule, []))
        print(f"  {rule}: recall {hit}/{hit + miss} = {result.recall(rule):.2f}")
    total_hit = sum(map(len, result.found.values()))
    total = total_hit + sum(map(len, result.missed.values()))
    print(f"  overall: recall {total_hit}/{total} = {result.recall():.2f}")
    independent = [r for r in refs if r.source != "torchlint"]
    if len(independent) < len(refs):
        hit = sum(1 for rs in result.found.values() for r in rs if r.source != "torchlint")
        n = hit + sum(1 for rs in result.missed.values() for r in rs if r.source != "torchlint")
        print(f"  independent subset (found by diff heuristics or search, not by torchlint): recall {hit}/{n}"
              f" = {hit / n if n else 1.0:.2f}")
    if result.unavailable:
        print(f"unavailable ({len(result.unavailable)}):")
        for ref in result.unavailable:
            print("  " + describe(ref))
    print(f"misses ({total - total_hit}):")
    for rule in sorted(result.missed):
        for ref in result.missed[rule]:
            print("  " + describe(ref))
    if args.show_found:
        print("found:")
        for rule in sorted(result.found):
            for ref in result.found[rule]:
                print("  " + describe(ref))
    print(f"findings on fixed twins ({len(result.dirty_twins)}):")
    for ref, bad in result.dirty_twins:
        print(f"  {ref.id} {ref.package} {ref.fixed_version} {ref.fixed_path} {ref.fixed_class}:")
        for f in bad:
            print(f"    {f['code']} line {f['location']['row']}: {f['message'][:140]}")
    return 1 if result.dirty_twins else 0


if __name__ == "__main__":
    sys.exit(main())
