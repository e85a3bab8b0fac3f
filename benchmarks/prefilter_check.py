"""Check that the prefilter never loses a finding: lint with it and without it
(``TORCHLINT_PREFILTER=0``), no cache, and compare the complete JSON output.

    python benchmarks/prefilter_check.py [PATHS...]

Default paths: the real-code corpus (TORCHLINT_BENCH_CACHE/src, default /work/corpus/src)
and this repository's fixtures. Exits 1 when the outputs differ (and prints the
difference), 2 when torchlint fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint(paths: list[str], prefilter: bool) -> tuple[list, float]:
    env = dict(os.environ, TORCHLINT_PREFILTER="1" if prefilter else "0")
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "torchlint", "--no-cache", "--exit-zero", "--output-format", "json", *paths],
        capture_output=True, text=True, env=env,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        sys.exit(f"torchlint exited with {completed.returncode} (prefilter {'on' if prefilter else 'off'})")
    return json.loads(completed.stdout), elapsed


def main() -> int:
    corpus = Path(os.environ.get("TORCHLINT_BENCH_CACHE", "/work/corpus")) / "src"
    paths = sys.argv[1:] or [str(corpus / "transformers"), str(corpus / "timm"), str(ROOT / "fixtures")]
    with_filter, on_seconds = lint(paths, True)
    without, off_seconds = lint(paths, False)
    print(f"prefilter on : {len(with_filter)} findings in {on_seconds:.1f} s")
    print(f"prefilter off: {len(without)} findings in {off_seconds:.1f} s")
    if with_filter == without:
        print("identical output")
        return 0
    on = {json.dumps(d, sort_keys=True) for d in with_filter}
    off = {json.dumps(d, sort_keys=True) for d in without}
    for line in sorted(off - on):
        print("lost by the prefilter:", line)
    for line in sorted(on - off):
        print("only with the prefilter:", line)
    return 1


if __name__ == "__main__":
    sys.exit(main())
