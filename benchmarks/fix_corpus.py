"""Autofix over the real-code corpus: every fixed file must parse, a second run must
change nothing.

    python benchmarks/fix_corpus.py [--cache-dir DIR] [--keep]

Copies the corpus of ``realworld.py`` (transformers, timm, torch/nn/modules) to a
scratch directory, runs ``torchlint --fix --unsafe-fixes --show-fixes`` on it, checks
that every changed file parses and that ``--diff --unsafe-fixes`` afterwards finds
nothing, and prints the counts. Exit 1 on any failure.
"""

from __future__ import annotations

import argparse
import ast
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
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="torchlint-fix-corpus-"))
    copies = []
    for root in prepare_corpus(args.cache_dir):
        target = scratch / root.name
        shutil.copytree(root, target, ignore=shutil.ignore_patterns("__pycache__"))
        copies.append(target)
    before = snapshot(scratch)
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
    print(f"files            {len(before)}")
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


if __name__ == "__main__":
    sys.exit(main())
