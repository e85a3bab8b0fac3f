"""Real-code precision benchmark.

Downloads the pinned wheels of transformers and timm (``pip download --no-deps``),
unpacks them into a cache directory outside the repository, adds the installed torch's
own ``torch/nn/modules``, runs torchlint over all of it and compares every finding with
``benchmarks/triage.csv`` (path, line, code, verdict, reason: references only, never
third-party code).

    python benchmarks/realworld.py [--cache-dir DIR] [--show real|false-positive|untriaged]

Prints files, lines, findings, real, false positives, untriaged and stale triage rows.
Exits 1 when a finding is untriaged or false positives exceed 1 per 100,000 lines.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRIAGE = HERE / "triage.csv"
WHEELS = ("transformers==5.23.0", "timm==1.0.31")
FP_BUDGET_PER_100K = 1.0


def prepare_corpus(cache: Path) -> list[Path]:
    """The corpus roots: unpacked wheels plus torch/nn/modules."""
    wheels = cache / "wheels"
    source = cache / "src"
    wheels.mkdir(parents=True, exist_ok=True)
    roots = []
    for requirement in WHEELS:
        name, version = requirement.split("==")
        root = source / name
        marker = source / f".{name}-{version}.unpacked"
        if not marker.exists():
            found = list(wheels.glob(f"{name}-{version}-*.whl"))
            if not found:
                subprocess.run(
                    [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", requirement, "-d", str(wheels)],
                    check=True,
                )
                found = list(wheels.glob(f"{name}-{version}-*.whl"))
            with zipfile.ZipFile(found[0]) as archive:
                members = [m for m in archive.namelist() if m.startswith(name + "/")]
                archive.extractall(source, members)
            marker.touch()
        roots.append(root)
    try:
        import torch  # noqa: F401  (only to find its files)
    except ImportError:
        sys.exit("torch is not installed: pip install torch==2.13.0 (the CPU wheel) to include torch/nn/modules")
    roots.append(Path(torch.__file__).parent / "nn" / "modules")
    return roots


def corpus_key(path: str) -> str:
    """A stable, machine-independent path: ``transformers/...``, ``timm/...``, ``torch/nn/modules/...``."""
    posix = Path(path).as_posix()
    for anchor in ("torch/nn/modules/", "transformers/", "timm/"):
        index = posix.find(anchor)
        if index != -1:
            return posix[index:]
    return posix


def count(roots: list[Path]) -> tuple[int, int]:
    files = lines = 0
    for root in roots:
        for directory, _, names in os.walk(root):
            for name in names:
                if name.endswith(".py"):
                    files += 1
                    with open(os.path.join(directory, name), "rb") as handle:
                        lines += handle.read().count(b"\n")
    return files, lines


def load_triage() -> dict[tuple[str, int, str], tuple[str, str]]:
    triage = {}
    with TRIAGE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            triage[(row["path"], int(row["line"]), row["code"])] = (row["verdict"], row["reason"])
    return triage


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("TORCHLINT_BENCH_CACHE", Path.home() / ".cache" / "torchlint-bench")))
    parser.add_argument("--show", choices=["real", "false-positive", "untriaged", "all"], default="untriaged")
    args = parser.parse_args()

    roots = prepare_corpus(args.cache_dir)
    files, lines = count(roots)
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "torchlint", "--output-format", "json", "--exit-zero", "--no-cache", *map(str, roots)],
        capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        print(completed.stderr, file=sys.stderr)
        print(f"torchlint exited with {completed.returncode}", file=sys.stderr)
        return 2
    findings = json.loads(completed.stdout)
    triage = load_triage()

    by_verdict: dict[str, list] = {"real": [], "false-positive": [], "untriaged": []}
    seen = set()
    for finding in findings:
        key = (corpus_key(finding["filename"]), finding["location"]["row"], finding["code"])
        seen.add(key)
        verdict, reason = triage.get(key, ("untriaged", ""))
        by_verdict.setdefault(verdict, []).append((key, finding["message"], reason))
    stale = sorted(set(triage) - seen)

    false_positives = len(by_verdict["false-positive"])
    rate = false_positives / lines * 100_000 if lines else 0.0
    print(f"files            {files}")
    print(f"lines            {lines}")
    print(f"findings         {len(findings)}")
    print(f"real             {len(by_verdict['real'])}")
    print(f"false positives  {false_positives}  ({rate:.2f} per 100,000 lines; budget {FP_BUDGET_PER_100K})")
    print(f"untriaged        {len(by_verdict['untriaged'])}")
    print(f"stale triage     {len(stale)}  (triaged, no longer reported)")
    print(f"lint time        {elapsed:.1f} s")
    by_code: dict[str, int] = {}
    for finding in findings:
        by_code[finding["code"]] = by_code.get(finding["code"], 0) + 1
    print("by code          " + ", ".join(f"{code} {n}" for code, n in sorted(by_code.items())))

    show = by_verdict.keys() if args.show == "all" else [args.show]
    for verdict in show:
        for (path, line, code), message, reason in sorted(by_verdict.get(verdict, [])):
            print(f"  [{verdict}] {path}:{line} {code} {message[:90]}{' -- ' + reason if reason else ''}")
    for path, line, code in stale:
        print(f"  [stale] {path}:{line} {code}")

    ok = not by_verdict["untriaged"] and rate <= FP_BUDGET_PER_100K
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
