"""torchlint over real notebooks: the PyPI packages whose sdists ship notebooks that
define models, pinned, materialised with ``pip download --no-deps`` (only their
``.ipynb`` files are unpacked, into a cache outside the repository), linted, and every
finding joined with ``benchmarks/notebook_triage.csv`` (source, path, cell, line, code,
verdict, reason: references only, never third-party code).

    python benchmarks/notebook_corpus.py [--cache-dir DIR] [--runtime]

Prints, per package: notebooks, code cells, IPython lines masked, cells that do not
parse (TL000), Module classes, findings and how they were triaged. Exits 1 on an
untriaged finding, a finding triaged ``false``, or a cell that does not parse (the
notebooks run in Jupyter: a cell torchlint cannot read is torchlint's bug).
``--runtime`` also runs ``--runtime`` over them (their definitions only: never the
training cells) and prints its summary.

The triage file also lists notebooks read from public repositories that do not ship
on PyPI (``source`` is ``owner/repo@commit``); this script cannot fetch those.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TRIAGE = HERE / "notebook_triage.csv"
DEFAULT_CACHE = Path(os.environ.get("TORCHLINT_NOTEBOOK_CACHE", "/work/corpora/notebooks"))
# package, version: sdists that ship notebooks with model code (examples, tutorials)
PACKAGES = [("neuromancer", "1.5.6"), ("sbi", "0.27.0"), ("torchphysics", "1.1.2"), ("torch-harmonics", "0.8.0")]


def materialise(cache: Path, name: str, version: str) -> Path:
    target = cache / "pypi" / f"{name}-{version}"
    if target.is_dir() and any(target.rglob("*.ipynb")):
        return target
    downloads = cache / "sdists"
    downloads.mkdir(parents=True, exist_ok=True)
    found = [p for p in downloads.glob("*.tar.gz") if p.name.lower().replace("_", "-").startswith(f"{name}-{version}")]
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        f"{name}=={version}", "-d", str(downloads)], check=True, capture_output=True)
        found = [p for p in downloads.glob("*.tar.gz")
                 if p.name.lower().replace("_", "-").startswith(f"{name}-{version}")]
    with tarfile.open(found[0]) as archive:
        members = [m for m in archive.getmembers() if m.name.endswith(".ipynb") and m.isfile()]
        for member in members:
            member.name = member.name.split("/", 1)[1]  # drop the sdist's top directory
            archive.extract(member, target, filter="data")
    return target


def census(directory: Path) -> Counter:
    sys.path.insert(0, str(ROOT))
    from torchlint.notebooks import load
    from torchlint.source import NotLinted

    counts: Counter = Counter()
    for path in sorted(directory.rglob("*.ipynb")):
        try:
            joined = load(path.read_bytes())
        except NotLinted:
            counts["unreadable"] += 1
            continue
        counts["notebooks"] += 1
        counts["code cells"] += len(joined.map.cells)
        counts["masked lines"] += sum(len(m.originals) for m in joined.masked.values())
        counts["broken cells"] += len(joined.problems)
        counts["classes"] += sum(isinstance(n, ast.ClassDef) for n in ast.walk(ast.parse(joined.text)))
    return counts


def lint(directory: Path, runtime: bool) -> tuple[list[dict], str]:
    args = [sys.executable, "-m", "torchlint", str(directory), "--no-cache", "--output-format", "json", "--exit-zero"]
    result = subprocess.run(args + (["--runtime", "--show-refuted"] if runtime else []), capture_output=True,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    summary = ""
    if runtime:
        text = subprocess.run(args[:-4] + ["--no-cache", "--runtime", "--exit-zero", "--quiet"], capture_output=True,
                              text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        summary = text.stdout.strip().splitlines()[-1] if text.stdout.strip() else text.stderr.strip()[-300:]
    return json.loads(result.stdout or "[]"), summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--runtime", action="store_true")
    args = parser.parse_args(argv)
    with open(TRIAGE, newline="", encoding="utf-8") as handle:
        triage = {(r["source"], r["path"], int(r["cell"]), int(r["line"]), r["code"]): r for r in csv.DictReader(handle)}
    failed = False
    for name, version in PACKAGES:
        directory = materialise(args.cache_dir, name, version)
        counts = census(directory)
        findings, summary = lint(directory, args.runtime)
        verdicts: Counter = Counter()
        for d in findings:
            path = Path(d["filename"]).resolve().relative_to(directory.resolve()).as_posix()
            row = triage.get((f"{name}=={version}", path, d["cell"] or 0, d["location"]["row"], d["code"]))
            verdict = row["verdict"] if row else "untriaged"
            verdicts[verdict] += 1
            if verdict in ("untriaged", "false"):
                failed = True
                print(f"  {verdict}: {path}:cell {d['cell']}:{d['location']['row']}: {d['code']} {d['message']}")
        failed |= counts["broken cells"] > 0 or counts["unreadable"] > 0
        print(f"{name}=={version}: {counts['notebooks']} notebooks, {counts['code cells']} code cells, "
              f"{counts['masked lines']} IPython lines masked, {counts['broken cells']} cells not parsed, "
              f"{counts['classes']} classes; {len(findings)} findings {dict(verdicts)}")
        if summary:
            print(f"  {summary}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
