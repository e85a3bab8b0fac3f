"""Score torchlint on the real-bug fixtures written from public code and bug reports.

The references live in benchmarks/recall_search_refs.csv (one row per real case: rule, source,
fixture, class, expected line and column, what the bug is). Each buggy fixture has a correct twin
of the same name under fixtures/real_bugs_fixed/, which must give no finding of any code.
Fixtures torchlint misses today live in fixtures/real_bugs_pending/ (not listed in
fixtures/expected.json) until a rule catches them.

    python benchmarks/recall_search.py            # recall per rule, findings on twins
    python benchmarks/recall_search.py --check    # also exit 1 if a "found" row is no longer found
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFS = ROOT / "benchmarks" / "recall_search_refs.csv"


def lint(paths: list[str]) -> dict[str, set[tuple[str, int, int]]]:
    out = subprocess.run(
        [sys.executable, "-m", "torchlint", "--no-cache", "--select", "ALL", "--output-format", "json", "--exit-zero", *paths],
        cwd=ROOT, capture_output=True, check=True,
    )
    found: dict[str, set] = defaultdict(set)
    for d in json.loads(out.stdout):
        rel = Path(d["filename"]).resolve().relative_to(ROOT).as_posix()
        found[rel].add((d["code"], d["location"]["row"], d["location"]["column"]))
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    rows = list(csv.DictReader(REFS.open()))
    fixtures = sorted({r["fixture"] for r in rows})
    twins = sorted({"fixtures/real_bugs_fixed/" + Path(f).name for f in fixtures})
    found = lint([f for f in fixtures + twins if (ROOT / f).is_file()])
    per_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    stale = []
    for r in rows:
        hit = (r["rule"], int(r["line"]), int(r["column"])) in found.get(r["fixture"], set())
        per_rule[r["rule"]][0] += hit
        per_rule[r["rule"]][1] += 1
        if hit != (r["status"] == "found"):
            stale.append(f"{r['fixture']}:{r['line']}:{r['column']} {r['rule']}: status {r['status']} but {'found' if hit else 'missed'}")
    print("rule   found/cases  recall")
    for rule in sorted(per_rule):
        hits, total = per_rule[rule]
        print(f"{rule}  {hits:>5}/{total:<5}  {hits / total:.2f}")
    hits = sum(h for h, _ in per_rule.values())
    total = sum(t for _, t in per_rule.values())
    print(f"all    {hits:>5}/{total:<5}  {hits / total:.2f}")
    twin_findings = [(t, f) for t in twins for f in sorted(found.get(t, ()))]
    print(f"findings on fixed twins: {len(twin_findings)}")
    for t, f in twin_findings:
        print(f"  {t}: {f}")
    for line in stale:
        print("status out of date:", line)
    return 1 if args.check and (stale or twin_findings) else 0


if __name__ == "__main__":
    raise SystemExit(main())
