"""Speed benchmark: torchlint against the libcst floor and its peers, on real code.

    python benchmarks/bench.py [--quick] [--jobs N] [--with-torchfix] [--torchfix PATH]

The corpus is the real-code benchmark's (benchmarks/realworld.py: the pinned
transformers and timm wheels, unpacked under TORCHLINT_BENCH_CACHE/src, default
/work/corpus/src), copied to a temporary directory so that files can be touched.
``--quick`` uses a fixed 200-file sample. In one invocation it measures:

1. torchlint cold: an empty cache directory (the run fills it)
2. torchlint warm: the cache full
3. torchlint warm after touching 10 files (a comment appended to each)
4. the libcst floor: read, decode and ``libcst.parse_module`` every file, with the same
   number of worker processes: the least any libcst-based linter can do. It is measured
   twice: as written (the target's floor) and with the cyclic garbage collector paused
   while a file is parsed, as torchlint does while it lints one (about a fifth of a naive
   parse is the collector walking the live tree): the ratio to that stricter floor is
   printed too, for information
5. ruff ``check --select ALL --no-cache`` (a reference point for a linter in Rust)
6. with ``--with-torchfix``: TorchFix ``torchfix --select ALL`` (the closest peer; slow)

``--repeat N`` measures cold and the floor N times, alternating, and keeps the fastest
of each. Each command runs under a small wrapper process; the figures are its wall time, the CPU
time (user + system) of its whole process tree (much less disturbed than wall time by
other work on a shared machine: the ratios are given for both), and the peak resident memory of the largest single process of the command's process tree
(``getrusage(RUSAGE_CHILDREN).ru_maxrss``). Targets: cold within 1.3x the libcst floor,
warm under 2 % of cold, TorchFix at least 15x slower than torchlint cold, every process
under 500 MB. These are measurements of a shared machine: the load average is printed
with them. Exit code 0 always (figures, not a test), 2 if a command failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK_SAMPLE = 200
TOUCHED = 10
TARGETS = {"cold / floor": 1.3, "cold / floor, cpu": 1.3, "warm / cold": 0.02, "torchfix / cold": 15.0,
           "torchfix / cold, cpu": 15.0}
MEMORY_TARGET_MB = 500
PAUSED_FLOOR = "libcst floor, GC paused"

# Runs a command, then prints its wall time and the peak RSS of its process tree.
_WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
with open(sys.argv[1], "wb") as log:
    code = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=log).returncode
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024, "code": code}))
"""

# The libcst floor: what parsing alone costs, in the same number of processes.
# With a third argument "paused", the cyclic garbage collector is off while a file is
# parsed (as torchlint does while it lints one): the floor a GC-aware linter could reach.
_FLOOR = """
import gc, sys, tokenize, io
from concurrent.futures import ProcessPoolExecutor
import libcst

PAUSED = sys.argv[3:] == ["paused"]

def parse(path):
    with open(path, "rb") as handle:
        data = handle.read()
    if PAUSED:
        gc.disable()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        libcst.parse_module(data.decode(encoding))
    except Exception:
        return 0
    finally:
        gc.enable()
    return 1

if __name__ == "__main__":
    jobs, files = int(sys.argv[1]), open(sys.argv[2]).read().split("\\n")
    with ProcessPoolExecutor(jobs) as pool:
        parsed = sum(pool.map(parse, files, chunksize=8))
    print(parsed, file=sys.stderr)
"""


def corpus_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def copy_corpus(sources: list[Path], destination: Path, sample: int | None) -> list[Path]:
    files = [(source, path) for source in sources for path in corpus_files(source)]
    if sample:
        files = sorted(random.Random(0).sample(files, sample))
    copied = []
    for source, path in files:
        target = destination / source.name / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copied.append(target)
    return copied


def measure(name: str, command: list[str], work: Path, env: dict | None = None) -> dict:
    log = work / f"{name.replace(' ', '_')}.stderr"
    completed = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(log), *command],
        capture_output=True, text=True, cwd=work, env=dict(os.environ, **(env or {})),
    )
    try:
        result = json.loads(completed.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result = {"wall": float("nan"), "cpu": float("nan"), "rss_mb": float("nan"), "code": -1}
    result["name"] = name
    result["log"] = log
    print(f"  {name:<38} {result['wall']:8.2f} s {result['cpu']:8.2f} cpu-s {result['rss_mb']:7.0f} MB  (exit {result['code']}, "
          f"load {os.getloadavg()[0]:.1f})", flush=True)
    return result


def best(runs: list[dict]) -> dict:
    """The fastest of repeated runs (the least disturbed by other work), its peak memory the largest."""
    fastest = dict(min(runs, key=lambda r: r["wall"]))
    fastest["cpu"] = min(r["cpu"] for r in runs)
    fastest["rss_mb"] = max(r["rss_mb"] for r in runs)
    fastest["code"] = max(runs, key=lambda r: abs(r["code"]))["code"]
    return fastest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"a fixed {QUICK_SAMPLE}-file sample")
    parser.add_argument("--jobs", type=int, default=None, help="processes for torchlint, the floor and torchfix (default: CPUs)")
    parser.add_argument("--with-torchfix", action="store_true", help="also run TorchFix (slow)")
    parser.add_argument("--torchfix", default=None, help="the torchfix executable (default: on PATH or beside this Python)")
    parser.add_argument("--ruff", default=None, help="the ruff executable (default: on PATH or beside this Python)")
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("TORCHLINT_BENCH_CACHE", "/work/corpus")) / "src")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure cold and the floor this many times, alternating, and keep the fastest of each")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    args = parser.parse_args()

    from torchlint.engine import default_jobs

    jobs = args.jobs or default_jobs()
    sources = [args.corpus / "transformers", args.corpus / "timm"]
    missing = [str(s) for s in sources if not s.is_dir()]
    if missing:
        sys.exit(f"corpus not found: {', '.join(missing)} (run benchmarks/realworld.py first)")
    work = Path(tempfile.mkdtemp(prefix="torchlint-bench-"))
    try:
        files = copy_corpus(sources, work / "corpus", QUICK_SAMPLE if args.quick else None)
        lines = sum(p.read_bytes().count(b"\n") for p in files)
        (work / "files.txt").write_text("\n".join(map(str, files)))
        roots = sorted({str(work / "corpus" / s.name) for s in sources if (work / "corpus" / s.name).is_dir()})
        print(f"corpus: {len(files)} files, {lines:,} lines ({'quick sample' if args.quick else 'full'}), "
              f"{jobs} processes, load average before {os.getloadavg()[0]:.2f}")
        cache = work / "cache"
        torchlint = [sys.executable, "-m", "torchlint", "--exit-zero", "--output-format", "concise",
                     "--jobs", str(jobs), "--cache-dir", str(cache), *roots]
        floor = [sys.executable, "-c", _FLOOR, str(jobs), str(work / "files.txt")]
        colds, floors, paused_floors = [], [], []
        for _ in range(max(1, args.repeat)):
            shutil.rmtree(cache, ignore_errors=True)
            colds.append(measure("torchlint cold", torchlint, work))
            floors.append(measure("libcst parse-only floor", floor, work))
            paused_floors.append(measure(PAUSED_FLOOR, [*floor, "paused"], work))
        results = [best(colds), measure("torchlint warm", torchlint, work)]
        for path in random.Random(1).sample(files, min(TOUCHED, len(files))):
            with open(path, "a", encoding="utf-8") as handle:
                handle.write("\n# touched by the benchmark\n")
        results.append(measure(f"torchlint warm, {TOUCHED} files touched", torchlint, work))
        results.append(best(floors))
        results.append(best(paused_floors))
        ruff = args.ruff or shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
        if Path(ruff).exists() or shutil.which(ruff):
            results.append(measure("ruff --select ALL", [ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero",
                                                          "--quiet", *roots], work))
        else:
            print("  ruff not found: pip install ruff")
        if args.with_torchfix:
            torchfix = args.torchfix or shutil.which("torchfix") or str(Path(sys.executable).parent / "torchfix")
            results.append(measure("torchfix --select ALL", [torchfix, "--select", "ALL", "--jobs", str(jobs), *roots], work))
        load_after = os.getloadavg()[0]

        by_name = {r["name"]: r for r in results}
        cold = by_name["torchlint cold"]["wall"]
        floor_run = by_name["libcst parse-only floor"]
        ratios = {
            "cold / floor": cold / floor_run["wall"],
            "cold / floor, cpu": by_name["torchlint cold"]["cpu"] / floor_run["cpu"],
            "cold / floor, GC paused": cold / by_name[PAUSED_FLOOR]["wall"],
            "cold / floor, GC paused, cpu": by_name["torchlint cold"]["cpu"] / by_name[PAUSED_FLOOR]["cpu"],
            "warm / cold": by_name["torchlint warm"]["wall"] / cold,
            f"touched / cold": by_name[f"torchlint warm, {TOUCHED} files touched"]["wall"] / cold,
        }
        if "torchfix --select ALL" in by_name:
            ratios["torchfix / cold"] = by_name["torchfix --select ALL"]["wall"] / cold
            ratios["torchfix / cold, cpu"] = by_name["torchfix --select ALL"]["cpu"] / by_name["torchlint cold"]["cpu"]
        if "ruff --select ALL" in by_name:
            ratios["ruff / cold"] = by_name["ruff --select ALL"]["wall"] / cold

        print()
        print(f"{'command':<40}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}")
        for r in results:
            print(f"{r['name']:<40}{r['wall']:>9.2f}{r['cpu']:>9.2f}{r['rss_mb']:>9.0f}")
        print()
        print(f"{'ratio':<20}{'value':>9}  target")
        for name, value in ratios.items():
            target = TARGETS.get(name)
            if target is None:
                verdict = ""
            elif name.startswith("torchfix / cold"):
                verdict = f">= {target:g}  {'met' if value >= target else 'NOT met'}"
            else:
                verdict = f"<= {target:g}  {'met' if value <= target else 'NOT met'}"
            print(f"{name:<20}{value:>9.3f}  {verdict}")
        peak = max(r["rss_mb"] for r in results if r["name"].startswith("torchlint"))
        print(f"{'torchlint peak MB':<20}{peak:>9.0f}  < {MEMORY_TARGET_MB} per process  "
              f"{'met' if peak < MEMORY_TARGET_MB else 'NOT met'}")
        print(f"load average {load_after:.2f} after (2 cores shared with other work: figures are noisy)")
        return exit_code([r for r in results if not r["name"].startswith("torchfix")])
    finally:
        clean_up(work, args.keep)


def exit_code(results: list[dict]) -> int:
    """2 when a measured command failed (each named, with its log), else 0."""
    failed = [r for r in results if r["code"] != 0]
    for r in failed:
        print(f"{r['name']} exited {r['code']}: see {r['log']}")
    return 2 if failed else 0


def clean_up(work: Path, keep: bool) -> None:
    if keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
