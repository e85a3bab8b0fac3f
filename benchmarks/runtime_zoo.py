"""Runtime-checker benchmark: ``torchlint --runtime`` over transformers' (or timm's) model files.

Uses the pinned transformers wheel of the real-code benchmark (unpacked into the same
cache, see realworld.py); the worker imports it as the package ``transformers`` from
the cache's ``src`` directory, so transformers' own dependencies (numpy, tokenizers,
huggingface-hub, safetensors, ...) must be installed, and torch==2.13.0.

    python benchmarks/runtime_zoo.py [--cache-dir DIR] [--library transformers|timm] [--models bert,gpt2,...]
                                     [--limit N] [--jobs N] [--report FILE]

timm needs torchvision (CPU build matching the installed torch, ``pip install --no-deps``);
without it every timm file fails to import and is counted as such. When the only torchvision
at hand is a build whose compiled ops do not load against this torch (a CUDA wheel next to a
CPU torch: its ``_C.so`` needs ``libc10_cuda.so``), ``--torchvision-python-only`` makes its
pure-python parts (models, transforms, layers) importable: torchvision's
``_meta_registrations`` registers fake kernels for ``torchvision::nms`` and ``::qnms``
without checking that its ops loaded, so its import fails with ``operator torchvision::nms
does not exist``; the option defines those two op schemas (no kernels) in the workers, through
a ``sitecustomize`` module on their PYTHONPATH, before torchvision is imported. The report
then says "torchvision's compiled ops unavailable: classes that call them are not
buildable" (calling an op raises; torchvision's other ops check ``_has_ops()`` first).

Runs the same code as the CLI (static pass, then the runtime pass) and prints: files,
Module classes found, built, skipped and failed by reason, findings confirmed /
refuted / unverified (by reason) / found only at runtime, wall time, median and p90
build time per class, peak worker memory, and the share built separately for the
generated ``modeling_*.py`` files and the ``modular_*.py`` templates (transformers'
modular converter rewrites those; many of their classes cannot run as written,
e.g. ``super().__init__()`` without the base's arguments). Classes that no arguments could
build as written are counted apart (``not_runnable_as_written``: templates transformers itself
cannot import or whose constructors call a base without its arguments, missing optional
dependencies), with the share built of the rest. Build times are those of built classes.
Aims: >= 85 % of Module classes built, median build < 0.2 s, peak worker memory < 1 GB.
Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from realworld import prepare_corpus  # noqa: E402

from torchlint import engine  # noqa: E402
from torchlint.config import load_settings  # noqa: E402
from torchlint.runtime.runner import apply_runtime, reason_category  # noqa: E402

AIM_BUILT, AIM_MEDIAN_S, AIM_PEAK_MB = 0.85, 0.2, 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(os.environ.get("TORCHLINT_BENCH_CACHE", Path.home() / ".cache" / "torchlint-bench")))
    parser.add_argument("--models", help="comma-separated model directories (default: all)")
    parser.add_argument("--limit", type=int, help="only the first N model directories")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--library", choices=("transformers", "timm"), default="transformers")
    parser.add_argument("--report", type=Path, help="write the per-class runtime report (JSON) here")
    parser.add_argument("--torchvision-python-only", action="store_true",
                        help="if torchvision's compiled ops do not load against this torch, import its "
                             "pure-python parts anyway (see the module docstring)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="torchlint-zoo-"))
    try:
        return run(args, torchvision_setup(args.torchvision_python_only, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace, torchvision: str) -> int:
    roots = prepare_corpus(args.cache_dir)
    transformers = next(r for r in roots if r.name == args.library)
    if args.library == "timm":  # model files, one per architecture, and the layers they use
        models = sorted(p for p in (transformers / "models").glob("*.py") if not p.name.startswith("_"))
        models += [transformers / "layers"]
    else:
        models = sorted(p for p in (transformers / "models").iterdir() if p.is_dir() and not p.name.startswith("_"))
    if args.models:
        wanted = set(args.models.split(","))
        models = [m for m in models if m.name in wanted]
    if args.limit:
        models = models[: args.limit]
    paths = [str(m) for m in models]

    settings = load_settings(transformers, runtime=True)
    settings.runtime.pythonpath = (transformers.parent,)
    settings.runtime.timeout = args.timeout
    if args.report:
        settings.runtime.report = args.report
    started = time.monotonic()
    result = engine.run(paths, settings, jobs=args.jobs)
    static_seconds = time.monotonic() - started
    stats = apply_runtime(result, settings, paths, show_refuted=True, jobs=args.jobs)
    wall = time.monotonic() - started

    found = stats.classes_found
    built_share = stats.built / found if found else 0.0
    unverified = Counter(_category(d.runtime["detail"]) for d in result.diagnostics
                         if d.runtime and d.runtime["verdict"] == "unverified")
    runtime_only = Counter(d.code for d in result.diagnostics if d.origin == "runtime")
    builds = sorted(stats.build_seconds)
    median = statistics.median(builds) if builds else float("nan")
    p90 = builds[int(len(builds) * 0.9)] if builds else float("nan")
    p95 = builds[int(len(builds) * 0.95)] if builds else float("nan")
    slow = sum(1 for b in builds if b > 10)

    print(f"torchvision           {torchvision}")
    print(f"model directories     {len(models)}")
    print(f"files checked         {result.files_checked} ({stats.files_imported} imported, "
          f"{sum(stats.files_failed.values())} not importable: {dict(stats.files_failed)})")
    print(f"Module classes found  {found}")
    print(f"built                 {stats.built} ({built_share:.1%}; {stats.built_on_cpu} on the CPU)")
    for label, keep in (("  modeling files", lambda p: not Path(p).name.startswith("modular_")),
                        ("  modular templates", lambda p: Path(p).name.startswith("modular_"))):
        counts = [v for p, v in stats.per_file.items() if keep(p)]
        part_found, part_built = sum(c[0] for c in counts), sum(c[1] for c in counts)
        print(f"{label:22}{part_built} of {part_found} built ({part_built / max(part_found, 1):.1%})")
    print(f"skipped               {sum(stats.skipped.values())} {dict(stats.skipped)}")
    print(f"failed                {sum(stats.failed.values())} {dict(stats.failed.most_common())}")
    print(f"static findings       confirmed {stats.verdicts['confirmed']}, refuted {stats.verdicts['refuted']}, "
          f"unverified {stats.verdicts['unverified']} {dict(unverified)}")
    print(f"runtime-only findings {sum(runtime_only.values())} {dict(runtime_only)}")
    print(f"wall time             {wall:.1f} s (static pass {static_seconds:.1f} s)")
    print(f"build time per class  median {median:.3f} s, p90 {p90:.3f} s, p95 {p95:.3f} s, "
          f"max {builds[-1] if builds else float('nan'):.2f} s; {slow} over 10 s")
    print("top reasons not built " + "; ".join(f"{reason} ({n})" for reason, n in stats.top_reasons(8)))
    apart = Counter(kind for kind in (not_runnable_as_written(entry) for entry in stats.classes
                                      if entry.get("status") not in ("built", "skipped")) if kind)
    runnable = found - sum(apart.values()) - sum(stats.skipped.values())
    print(f"not runnable as written {sum(apart.values())}: " + "; ".join(f"{k} ({n})" for k, n in apart.most_common()))
    print(f"built of the rest     {stats.built} of {runnable} ({stats.built / max(runnable, 1):.1%}; "
          "the rest: classes that are not abstract and whose file and constructor can run as written)")
    print(f"peak worker memory    {stats.peak_worker_rss_mb} MB (max RSS of a worker; "
          f"{stats.workers_started} workers started, {stats.workers_replaced} replaced after a fault)")
    print(f"aims                  built >= {AIM_BUILT:.0%}: {'met' if built_share >= AIM_BUILT else 'MISSED'}; "
          f"median < {AIM_MEDIAN_S} s: {'met' if median < AIM_MEDIAN_S else 'MISSED'}; "
          f"peak < {AIM_PEAK_MB} MB: {'met' if stats.peak_worker_rss_mb < AIM_PEAK_MB else 'MISSED'}")
    for diagnostic in result.diagnostics:
        if diagnostic.origin == "runtime" or (diagnostic.runtime or {}).get("verdict") == "confirmed":
            print(f"  {diagnostic.origin:7} {diagnostic.path}:{diagnostic.location.row} {diagnostic.code} "
                  f"{diagnostic.message[:150]}")
    heaviest = sorted(stats.per_file.items(), key=lambda item: -item[1][2])[:5]
    print("heaviest files        " + ", ".join(f"{Path(p).name} {v[2]} MB" for p, v in heaviest))
    if os.environ.get("TORCHLINT_ZOO_FAILURES"):
        for path, qualname, reason in stats.failures:
            print(f"  failed {path} {qualname}: {reason[:300]}")
        for diagnostic in result.diagnostics:
            if diagnostic.runtime and diagnostic.runtime["verdict"] != "confirmed":
                print(f"  {diagnostic.path}:{diagnostic.location.row} {diagnostic.code} "
                      f"{diagnostic.runtime['verdict']}: {diagnostic.runtime['detail']}")
    return 0


_MISSING_BASE_ARGUMENTS = re.compile(r"TypeError: (\w+)\.__init__\(\) (missing \d+ required positional|"
                                    r"takes \d+ positional arguments? but \d+ were given)")


def not_runnable_as_written(entry: dict) -> Optional[str]:
    """Why no constructor arguments could build this class, if that is the case (counted
    apart from the gaps of synthesis): an optional dependency missing; or transformers'
    ``modular_*.py`` templates, which the library's converter expands into the
    ``modeling_*.py`` files users import, and which do not run as written: transformers
    itself refuses to import some (its ``auto_docstring`` recognises processors by file
    name; imports of names only the converter writes; base orders it resolves), and
    their constructors call a base's constructor without its arguments (``super().__init__()``
    for ``LlamaAttention(config, layer_idx)``) or use names only the converter defines."""
    why = entry.get("why") or ""
    if re.search(r"No module named|requires the \w+ library", why):
        return "an optional dependency is not installed"
    if not Path(entry.get("file", "")).name.startswith("modular_"):
        return None
    if why.startswith("not imported:"):
        return "modular template that transformers cannot import"
    # the first attempt's error, or a later one's (after mending a config field the template's
    # inherited code reads, the build may reach the template's own unrunnable call)
    for result in [why] + [attempt.get("result") or "" for attempt in entry.get("log") or ()]:
        called = _MISSING_BASE_ARGUMENTS.search(result)
        if called and called.group(1) != entry.get("class"):
            return "modular template calling a base constructor without its arguments"
        if re.match(r"(build failed: )?(NameError|UnboundLocalError):", result):
            return "modular template using names only the converter defines"
    return None


# Defined in the workers when torchvision's compiled ops cannot load (--torchvision-python-only).
TORCHVISION_SHIM = '''\
# Written by torchlint's benchmarks/runtime_zoo.py --torchvision-python-only (a benchmark aid,
# not part of torchlint): torchvision's compiled ops do not load against this torch, and its
# _meta_registrations registers fake kernels for these two ops unconditionally. Their schemas
# (no kernels: calling them raises) let its pure-python parts import.
import torch

_torchvision_ops = torch.library.Library("torchvision", "FRAGMENT")
_torchvision_ops.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
_torchvision_ops.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
'''
_PROBE = "import torchvision, torchvision.extension as e; print(torchvision.__version__, e._has_ops())"


def torchvision_setup(python_only: bool, scratch: Path) -> str:
    """How torchvision imports in the workers (they inherit this process's environment);
    with ``python_only``, a torchvision whose compiled ops fail to load is made importable
    without them. Returns the line the benchmark prints."""
    def probe() -> tuple[bool, str]:
        done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=300)
        lines = (done.stdout if done.returncode == 0 else done.stderr).strip().splitlines()
        return done.returncode == 0, lines[-1] if lines else f"exit code {done.returncode}"

    ok, said = probe()
    if ok:
        version, has_ops = said.split()
        return f"{version}" + ("" if has_ops == "True" else
                               " (its compiled ops unavailable: classes that call them are not buildable)")
    if "No module named 'torchvision'" in said:
        return "not installed (files that import it are counted as not importable)"
    if not python_only or "torchvision::" not in said:
        return f"fails to import: {said} (files that import it are counted as not importable" + (
            "; --torchvision-python-only imports its pure-python parts)" if "torchvision::" in said else ")")
    (scratch / "sitecustomize.py").write_text(TORCHVISION_SHIM, encoding="utf-8")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(scratch), os.environ.get("PYTHONPATH"))))
    ok, said_now = probe()
    if not ok:
        return f"fails to import even without its compiled ops: {said_now}"
    return (f"{said_now.split()[0]}, pure-python parts only (--torchvision-python-only): its compiled ops "
            f"unavailable ({said}): classes that call them are not buildable")


def _category(detail: str) -> str:
    reason = _reason(detail)
    return reason if reason == "line not reached" else reason_category(reason)


def _reason(detail: str) -> str:
    """The class failure reason inside a verdict detail (after "could not be built: ")."""
    for marker in ("build failed: ", "could not be imported: ", "was skipped: "):
        if marker in detail:
            return detail.split(marker, 1)[1].split("; `", 1)[0]
    return "line not reached" if "not reached" in detail else detail


if __name__ == "__main__":
    sys.exit(main())
