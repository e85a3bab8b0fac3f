"""Check that read-ahead never changes a result: lint files one at a time (as an editor
or a one-file pre-commit run does, where the read-ahead child indexes the imports), with
it and without it (``TORCHLINT_READAHEAD=0``), no cache, and compare the JSON output.

    python benchmarks/readahead_check.py [--files 200] [--seed 0] [PATHS...]

Default paths: the real-code corpus (TORCHLINT_BENCH_CACHE/src, default /work/corpus/src)
and this repository's fixtures; ``--files`` of their .py files are drawn at random (files
that hold a Module class first). Prints the time of each mode too. Exits 1 when an output
differs (and prints the file), 2 when torchlint fails.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint(path: Path, read_ahead: bool) -> tuple[str, float]:
    env = dict(os.environ, TORCHLINT_READAHEAD="1" if read_ahead else "0")
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "torchlint", "--no-cache", "--exit-zero", "--output-format", "json", str(path)],
        capture_output=True, text=True, env=env,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        sys.exit(f"torchlint exited with {completed.returncode} on {path}")
    return completed.stdout, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    corpus = Path(os.environ.get("TORCHLINT_BENCH_CACHE", "/work/corpus")) / "src"
    roots = [Path(p) for p in args.paths] or [corpus / "transformers", corpus / "timm", ROOT / "fixtures"]
    files = sorted(p for root in roots for p in ([root] if root.is_file() else root.rglob("*.py")))
    with_modules = [p for p in files if b"Module" in p.read_bytes()]
    rng = random.Random(args.seed)
    chosen = rng.sample(with_modules, min(args.files, len(with_modules)))
    rest = [p for p in files if p not in set(chosen)]
    chosen += rng.sample(rest, min(len(rest), args.files - len(chosen)))
    differing, seconds, findings = [], {True: 0.0, False: 0.0}, 0
    for path in chosen:
        outputs = {}
        for read_ahead in (True, False):
            outputs[read_ahead], elapsed = lint(path, read_ahead)
            seconds[read_ahead] += elapsed
        findings += outputs[True].count('"code"')
        if outputs[True] != outputs[False]:
            differing.append(path)
            print(f"DIFFERS: {path}")
    print(f"{len(chosen)} files linted one at a time, {findings} findings; outputs differ on {len(differing)}")
    print(f"time: read-ahead {seconds[True]:.1f} s, without {seconds[False]:.1f} s "
          f"({seconds[True] / max(seconds[False], 1e-9):.3f}x)")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
