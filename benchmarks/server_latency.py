"""Latency and memory of ``torchlint server`` (a script, not a timed test).

    python benchmarks/server_latency.py [--file PATH] [--changes N] [--files N] [--debounce-ms MS]

1. Latency: opens a ~1,400-line transformers modeling file (default
   ``models/bert/modeling_bert.py`` of the pinned transformers copy under
   TORCHLINT_BENCH_CACHE/src, default /work/corpus/src, as benchmarks/realworld.py
   unpacks it) and sends N incremental ``didChange``s, each one line typed or deleted
   (alternately a line ``self._probe = torch.zeros(1)`` added to and removed from the
   first ``__init__``, so every other result must hold one TL001, which is checked).
   The time from sending the change to receiving its ``publishDiagnostics`` is measured:
   median and p95, with the server's debounce (default 50 ms) included, as a user
   waits for it. Beside it, the CLI's wall time for the same file (``--no-cache``,
   median of 5 runs, interpreter start included) and the server's lint time alone
   (latency minus the debounce), and the server's CPU time per change (user + system,
   from /proc: on a busy shared machine wall times stretch, CPU times much less).
2. Memory: opens N more files (default 200 modeling files of the same copy), waits for
   every one's diagnostics and reads the server process's resident memory (VmRSS).

Targets (issue 19): median <= 300 ms after a change, <= 400 MB after 200 files. The
machine is shared: the load average is printed with the figures. Exit code 0 (figures,
not a test), 2 when the corpus is missing or the server failed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from lsp_client import LspClient  # noqa: E402  (the tests' stdio client)

DEFAULT_DEBOUNCE_MS = 50  # torchlint/server/lsp.py's (not imported: the benchmark needs no pygls)

CORPUS = Path(os.environ.get("TORCHLINT_BENCH_CACHE", "/work/corpus")) / "src" / "transformers"
PROBE = "        self._probe = torch.zeros(1)\n"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (less disturbed than wall time by
    other work on a shared machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cli_time(path: Path, runs: int = 5) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of the CLI on one file."""
    import resource

    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "torchlint", "--no-cache", "--quiet", str(path)],
                       capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), statistics.median(cpu)


def first_init_body_line(text: str) -> int:
    """The 0-based line after the first ``super().__init__(...)`` of the file."""
    for number, line in enumerate(text.splitlines()):
        if line.strip().startswith("super().__init__("):
            return number + 1
    raise SystemExit("no super().__init__() in the file")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=CORPUS / "models" / "bert" / "modeling_bert.py")
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--debounce-ms", type=int, default=None, help="the server's debounce (default: its own)")
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"missing {args.file}: unpack the pinned transformers copy (benchmarks/realworld.py)", file=sys.stderr)
        return 2
    text = args.file.read_text(encoding="utf-8")
    root = CORPUS if CORPUS in args.file.resolve().parents else args.file.parent
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"on {os.cpu_count()} CPUs")
    print(f"file: {args.file} ({len(text.splitlines())} lines)")

    options = {"debounceMs": args.debounce_ms} if args.debounce_ms is not None else None
    client = LspClient(cwd=root)
    try:
        client.initialize(root, options=options)
        uri = client.open(args.file, text)
        start = time.perf_counter()
        baseline = client.diagnostics(uri, timeout=120, version=1)
        print(f"first diagnostics after didOpen: {time.perf_counter() - start:.2f} s "
              f"(imports and first parse included), {len(baseline)} findings")
        line = first_init_body_line(text)
        latencies = []
        cpu_before = cpu_seconds(client.process.pid)
        for version in range(2, args.changes + 2):
            adding = version % 2 == 0
            if adding:
                change = {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                          "text": PROBE}
            else:
                change = {"range": {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}},
                          "text": ""}
            sent = time.perf_counter()
            client.change(uri, version, [change])
            diagnostics = client.diagnostics(uri, timeout=120, version=version)
            latencies.append(time.perf_counter() - sent)
            probes = [d for d in diagnostics if d["code"] == "TL001" and d["range"]["start"]["line"] == line]
            if len(probes) != (1 if adding else 0):
                print(f"unexpected diagnostics after change {version}: {diagnostics}", file=sys.stderr)
                return 2
            time.sleep(0.05)
        cpu_per_change = (cpu_seconds(client.process.pid) - cpu_before) / len(latencies)
        debounce = (args.debounce_ms if args.debounce_ms is not None else DEFAULT_DEBOUNCE_MS) / 1000
        median, p95 = statistics.median(latencies), percentile(latencies, 0.95)
        print(f"didChange -> publishDiagnostics over {len(latencies)} changes: median {median * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms (debounce {debounce * 1000:.0f} ms included; lint alone: median "
              f"{(median - debounce) * 1000:.0f} ms)")
        print(f"server CPU time per change (lint, memory release and protocol): {cpu_per_change * 1000:.0f} ms")
        wall, cpu = cli_time(args.file)
        print(f"CLI on the same file (torchlint --no-cache, interpreter start included): "
              f"{wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU (medians of 5)")

        others = sorted(p for p in (CORPUS / "models").rglob("modeling_*.py") if p != args.file)[:args.files]
        print(f"RSS after the first file: {rss_mb(client.process.pid):.0f} MB")
        start = time.perf_counter()
        uris = [client.open(path, path.read_text(encoding="utf-8", errors="replace")) for path in others]
        for other in uris:
            client.diagnostics(other, timeout=600)
        print(f"opened {len(uris)} more files, all linted in {time.perf_counter() - start:.1f} s; "
              f"RSS {rss_mb(client.process.pid):.0f} MB")
        code = client.shutdown()
        if code != 0:
            print(f"the server exited with {code}", file=sys.stderr)
            return 2
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
