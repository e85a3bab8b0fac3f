"""Where does torchlint's time go? One process, stage by stage, over a file sample.

    python benchmarks/stages.py [PATHS...] [--sample N] [--cprofile]

Stages, per file: read + decode; the project index's `ast` facts (the file's own and
those of files its names resolve through); the prefilter decision; libcst parsing (only
for files the prefilter keeps); the rules (construction walks, evaluation); position
metadata (only for files with findings). Prints seconds and share of each, and how many
files each stage saw. ``--cprofile`` also prints the top functions by cumulative time.
Default paths: the real-code corpus (TORCHLINT_BENCH_CACHE/src, default /work/corpus/src).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
from pathlib import Path

from torchlint import source as sources
from torchlint.analysis.context import FileContext
from torchlint.config import load_settings
from torchlint.discovery import discover
from torchlint.engine import Linter


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    corpus = Path(os.environ.get("TORCHLINT_BENCH_CACHE", "/work/corpus")) / "src"
    parser.add_argument("paths", nargs="*", default=[str(corpus / "transformers"), str(corpus / "timm")])
    parser.add_argument("--sample", type=int, default=300, help="files to profile (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--floor", action="store_true", help="also time libcst parsing of every sampled file (the floor)")
    args = parser.parse_args()

    settings = load_settings(Path(args.paths[0]))
    files = discover(args.paths, settings).files
    if args.sample and len(files) > args.sample:
        files = sorted(random.Random(args.seed).sample(files, args.sample))
    linter = Linter(settings)
    stages = dict.fromkeys(("read+decode", "ast index", "prefilter", "libcst parse", "rules", "positions"), 0.0)
    counts = dict.fromkeys(stages, 0)
    profiler = cProfile.Profile() if args.cprofile else None

    def timed(stage, function, *arguments):
        started = time.perf_counter()
        try:
            return function(*arguments)
        finally:
            stages[stage] += time.perf_counter() - started
            counts[stage] += 1

    if profiler:
        profiler.enable()
    lines = 0
    for path in files:
        try:
            text = timed("read+decode", lambda: sources.decode(sources.read_bytes(path)))
        except sources.NotLinted:
            continue
        lines += text.count("\n")
        facts = timed("ast index", linter.index.add_source, path, text)
        if not timed("prefilter", linter._could_report, path, text, facts):
            continue
        try:
            module = timed("libcst parse", sources.parse, text)
        except sources.NotLinted:
            continue
        ctx = FileContext(path, str(path), text, module, facts, linter.index)
        findings = timed("rules", lambda: [f for rule in linter.rules for f in rule.check(ctx)])
        if findings:
            timed("positions", lambda: [ctx.position(f.node) for f in findings])
    if profiler:
        profiler.disable()

    floor = None
    if args.floor:
        started = time.perf_counter()
        for path in files:
            try:
                sources.parse(sources.decode(sources.read_bytes(path)))
            except sources.NotLinted:
                pass
        floor = time.perf_counter() - started
    total = sum(stages.values())
    print(f"{len(files)} files, {lines} lines, {total:.2f} s in one process")
    print(f"{'stage':<14}{'seconds':>9}{'share':>8}{'files':>7}")
    for stage, seconds in stages.items():
        print(f"{stage:<14}{seconds:>9.2f}{seconds / total:>8.0%}{counts[stage]:>7}")
    if floor is not None:
        print(f"libcst floor (read, decode, parse every file): {floor:.2f} s; torchlint / floor = {total / floor:.2f}")
    if profiler:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
