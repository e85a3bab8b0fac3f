"""Autofix over the real-code corpus: every fixed file must parse, a second run must
change nothing.

    python benchmarks/fix_corpus.py [--cache-dir DIR] [--keep] [PATH ...]

Copies the corpus of ``realworld.py`` (transformers, timm, torch/nn/modules), or the
directories given as PATHs (e.g. fixtures/ or an unpacked library), to a scratch
directory, runs ``torchlint --fix --unsafe-fixes --show-fixes`` on it, checks that every
changed file parses and that ``--diff --unsafe-fixes`` afterwards finds nothing, and
prints the counts: per fixable code, how many findings were offered a fix (safe or
unsafe) and how many of those a second lint no longer reports. Exit 1 on any failure.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realworld import prepare_corpus  # noqa: E402


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*.py")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("TORCHLINT_BENCH_CACHE", Path.home() / ".cache" / "torchlint-bench")))
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    parser.add_argument("paths", nargs="*", type=Path, help="directories to use instead of the realworld corpus")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="torchlint-fix-corpus-"))
    copies = []
    for root in (args.paths or prepare_corpus(args.cache_dir)):
        target = scratch / root.name
        shutil.copytree(root, target, ignore=shutil.ignore_patterns("__pycache__"))
        copies.append(target)
    before = snapshot(scratch)
    found = lint(copies)
    done = subprocess.run([sys.executable, "-m", "torchlint", "--fix", "--unsafe-fixes", "--show-fixes",
                           "--output-format", "concise", "--no-cache", *map(str, copies)], capture_output=True, text=True)
    after = snapshot(scratch)
    changed = [p for p in after if after[p] != before.get(p)]
    broken = []
    for path in changed:
        try:
            ast.parse(after[path], filename=str(path))
        except SyntaxError as error:
            broken.append(f"{path}: {error}")
    again = subprocess.run([sys.executable, "-m", "torchlint", "--diff", "--unsafe-fixes", "--no-cache", *map(str, copies)],
                           capture_output=True, text=True)
    summary = [line for line in done.stdout.splitlines() if line.startswith(("Fixed", "  ", "Found"))]
    remaining = {(d["code"], d["filename"], d["message"]) for d in lint(copies)}
    print(f"files            {len(before)}")
    print(fix_table(found, remaining))
    print(f"files changed    {len(changed)}")
    print("\n".join(summary))
    print(f"do not parse     {len(broken)}")
    print(f"second run diff  {'none' if again.returncode == 0 else 'CHANGES (not idempotent)'}")
    if done.returncode == 2 or "Traceback" in done.stderr:
        print(done.stderr, file=sys.stderr)
    for line in broken:
        print("  " + line)
    if not args.keep:
        shutil.rmtree(scratch)
    else:
        print(f"scratch copy: {scratch}")
    return 0 if not broken and again.returncode == 0 and done.returncode != 2 else 1


def lint(copies: list[Path]) -> list[dict]:
    result = subprocess.run([sys.executable, "-m", "torchlint", "--unsafe-fixes", "--output-format", "json",
                             "--exit-zero", "--no-cache", *map(str, copies)], capture_output=True, text=True)
    return json.loads(result.stdout or "[]")


def fix_table(found: list[dict], remaining: set) -> str:
    """Per fixable code: findings, findings offered a fix, offered fixes gone after the fix
    (a finding counts as gone when no finding of its code, file and message remains)."""
    from torchlint.rules import RULES_BY_CODE

    rows = ["code    findings  fix offered  gone after --fix"]
    total = [0, 0, 0]
    for code in sorted({d["code"] for d in found}):
        rule = RULES_BY_CODE.get(code)
        if rule is None or not rule.fixable:
            continue
        mine = [d for d in found if d["code"] == code]
        offered = [d for d in mine if d["fix"]]
        gone = [d for d in offered if (d["code"], d["filename"], d["message"]) not in remaining]
        counts = (len(mine), len(offered), len(gone))
        total = [t + c for t, c in zip(total, counts)]
        rows.append(f"{code}   {counts[0]:8d}  {counts[1]:11d}  {counts[2]:16d}")
    share = f"{100 * total[1] / total[0]:.1f} %" if total[0] else "n/a"
    rows.append(f"all     {total[0]:8d}  {total[1]:11d}  {total[2]:16d}   fix offered for {share} of fixable findings")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
