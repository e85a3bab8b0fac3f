"""Precision on libraries no rule was written against.

Materialises a pinned corpus of PyPI model libraries (``pip download --no-deps``, wheel
preferred, sdist otherwise), unpacks only each package's ``.py`` sources into a cache
directory outside the repository, runs torchlint over every library and joins every
finding with ``benchmarks/precision_triage.csv`` (library, path, line, code, verdict,
reason: references and verdicts only, never third-party code).

    python benchmarks/precision_corpus.py [--cache-dir DIR] [--only LIB,LIB]
        [--with-tuned] [--show untriaged|false|bad-advice|real|all]

``path`` is relative to the library's root (``<cache>/src/<library>/``), so it starts
with the import package, e.g. ``torchaudio/models/wav2vec2/model.py``. A row is keyed by
(library, path, line, code): two findings of one rule on one line (a tuple unpack) share
it, and are counted once each. Verdicts:

- ``real``: the claim is true at run time (the tensor really is missing from
  ``state_dict()``, the list really hides its parameters), even if the authors meant it.
- ``false``: the claim is untrue.
- ``bad-advice``: real, but the help or fix would crash or break the code if followed
  (e.g. ``register_buffer`` advised on a line before ``super().__init__()``). This verdict
  depends on the help text of the day: ``--show bad-advice`` prints it; once the advice is
  right, the row becomes ``real``.

Directories named ``tests``, ``test``, ``docs``, ``.mim`` (OpenMMLab's bundled configs) and torchlint's default excludes
(``build``, ``dist``, ...) are not unpacked: the corpus is the library code users import.

``--with-tuned`` adds transformers, timm and torch/nn/modules, the code the rules were
tuned on, through ``benchmarks/realworld.py`` and its own ``benchmarks/triage.csv``.

Prints a table per library (files, lines, findings, real, false, bad-advice, untriaged,
false per 100k lines) and the totals; lists stale triage rows (triaged, no longer found).
Exits 1 when a finding is untriaged, false findings exceed 0.3 per 100k lines overall or
2 per 100k in any library, or any finding is bad-advice.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
TRIAGE = HERE / "precision_triage.csv"
DEFAULT_CACHE = Path(os.environ.get("TORCHLINT_PRECISION_CACHE", "/work/corpora/precision"))
VERDICTS = ("real", "false", "bad-advice")
OVERALL_FALSE_BUDGET = 0.3  # false findings per 100k lines, whole corpus
LIBRARY_FALSE_BUDGET = 2.0  # false findings per 100k lines, any one library
SKIPPED_DIRS = frozenset({"tests", "test", "docs", ".mim"})  # .mim: OpenMMLab's bundled config files

# Never part of this corpus: the packages the recall benchmark and other work use (kept apart so
# that precision is measured on code nobody tuned against).
EXCLUDED = frozenset("""
diffusers torchvision torch-geometric kornia monai open-clip-torch ultralytics x-transformers speechbrain
segmentation-models-pytorch peft torchmetrics gpytorch pyro-ppl botorch e3nn stable-baselines3 flair
imagen-pytorch lightly pytorch-forecasting pytorch-metric-learning sentence-transformers vector-quantize-pytorch
auraloss darts deepctr-torch deepxde neuralprophet nnaudio norse piq pykeen pypots pytorch-widedeep recbole
sinabs snntorch stanza torch-geometric-temporal torch-rechub tsai litgpt openai-whisper fairseq
segment-anything vit-pytorch denoising-diffusion-pytorch detectron2 transformers timm torch
""".split())


@dataclass(frozen=True)
class Library:
    name: str  # the key in the triage CSV and the directory under <cache>/src/
    requirement: str  # "dist==version"
    packages: tuple[str, ...]  # top-level import packages (or single modules, "x.py") to keep
    area: str


LIBRARIES: tuple[Library, ...] = (
    # audio / speech
    Library("torchaudio", "torchaudio==2.11.1", ("torchaudio",), "audio"),
    # training frameworks
    Library("lightning", "lightning==2.6.6", ("lightning",), "training framework"),
    Library("fastai", "fastai==2.8.12", ("fastai",), "training framework"),
    # NLP toolkits
    Library("allennlp", "allennlp==2.10.1", ("allennlp",), "NLP toolkit"),
    # reinforcement learning
    Library("tianshou", "tianshou==2.0.1", ("tianshou",), "RL"),
    Library("torchrl", "torchrl==0.14.1", ("torchrl",), "RL"),
    Library("d3rlpy", "d3rlpy==2.8.1", ("d3rlpy",), "RL"),
    Library("pfrl", "pfrl==0.4.0", ("pfrl",), "RL"),
    # probabilistic: normalising flows, Bayesian layers
    Library("nflows", "nflows==0.14", ("nflows",), "probabilistic"),
    Library("normflows", "normflows==1.7.3", ("normflows",), "probabilistic"),
    Library("zuko", "zuko==1.6.0", ("zuko",), "probabilistic"),
    # differential equations
    Library("torchdiffeq", "torchdiffeq==0.2.5", ("torchdiffeq",), "science: ODE"),
    Library("torchsde", "torchsde==0.2.6", ("torchsde",), "science: SDE"),
    Library("torchdyn", "torchdyn==1.0.6", ("torchdyn",), "science: neural ODE"),
    # molecules / physics
    Library("schnetpack", "schnetpack==2.1.1", ("schnetpack",), "science: molecules"),
    Library("torchani", "torchani==2.9.0", ("torchani",), "science: molecules"),
    Library("mace-torch", "mace-torch==0.3.16", ("mace",), "science: molecules"),
    Library("nequip", "nequip==0.19.1", ("nequip",), "science: molecules"),
    Library("dgllife", "dgllife==0.3.2", ("dgllife",), "graph / chemistry"),
    # medical imaging, vision
    Library("torchio", "torchio==1.2.1", ("torchio",), "medical imaging"),
    Library("lpips", "lpips==0.1.4", ("lpips",), "vision: perceptual metric"),
    Library("basicsr", "basicsr==1.4.2", ("basicsr",), "vision: restoration"),
    Library("facexlib", "facexlib==0.3.0", ("facexlib",), "vision: faces"),
    Library("efficientnet-pytorch", "efficientnet-pytorch==0.7.1", ("efficientnet_pytorch",), "vision: backbones"),
    Library("mmdet", "mmdet==3.3.0", ("mmdet",), "vision: detection"),
    Library("pretrainedmodels", "pretrainedmodels==0.7.4", ("pretrainedmodels",), "vision: backbones"),
    # audio / speech
    Library("encodec", "encodec==0.1.1", ("encodec",), "audio: codec"),
    Library("demucs", "demucs==4.1.0", ("demucs",), "audio: source separation"),
    Library("asteroid", "asteroid==0.7.0", ("asteroid",), "audio: source separation"),
    Library("torch-audiomentations", "torch-audiomentations==0.12.0", ("torch_audiomentations",), "audio: augmentation"),
    Library("espnet", "espnet==202511", ("espnet", "espnet2", "espnetez"), "speech toolkit"),
    Library("pyannote-audio", "pyannote.audio==4.0.7", ("pyannote",), "speech: diarisation"),
    Library("nemo-toolkit", "nemo-toolkit==3.0.0", ("nemo",), "speech / NLP toolkit"),
    # forecasting, tabular
    Library("neuralforecast", "neuralforecast==3.3.0", ("neuralforecast",), "forecasting"),
    Library("gluonts", "gluonts==0.17.0", ("gluonts",), "forecasting"),
    Library("chronos-forecasting", "chronos-forecasting==2.3.2", ("chronos",), "forecasting"),
    Library("pytorch-tabular", "pytorch-tabular==1.2.0", ("pytorch_tabular",), "tabular"),
    Library("pytorch-tabnet", "pytorch-tabnet==4.1.0", ("pytorch_tabnet",), "tabular"),
    Library("rtdl", "rtdl==0.0.13", ("rtdl",), "tabular"),
    # Bayesian layers
    Library("bayesian-torch", "bayesian-torch==0.5.0", ("bayesian_torch",), "probabilistic: Bayesian layers"),
    Library("blitz-bayesian-pytorch", "blitz-bayesian-pytorch==0.2.8", ("blitz",), "probabilistic: Bayesian layers"),
    # proteins
    Library("fair-esm", "fair-esm==2.0.0", ("esm",), "science: proteins"),
    # training frameworks
    Library("mosaicml", "mosaicml==0.32.1", ("composer",), "training framework"),
    # continual learning
    Library("avalanche-lib", "avalanche-lib==0.6.0", ("avalanche",), "continual learning"),
    # research-code collections (single-author model zoos)
    Library("perceiver-pytorch", "perceiver-pytorch==0.11.0", ("perceiver_pytorch",), "research code"),
    Library("performer-pytorch", "performer-pytorch==1.1.4", ("performer_pytorch",), "research code"),
    Library("reformer-pytorch", "reformer-pytorch==1.4.4", ("reformer_pytorch",), "research code"),
    Library("lambda-networks", "lambda-networks==0.4.0", ("lambda_networks",), "research code"),
    Library("dalle2-pytorch", "dalle2-pytorch==1.15.6", ("dalle2_pytorch",), "generative"),
    Library("audiolm-pytorch", "audiolm-pytorch==2.4.0", ("audiolm_pytorch",), "generative: audio"),
    # second round: more areas and more single-author research code
    Library("compressai", "compressai==1.2.8", ("compressai",), "learned compression"),
    Library("pythae", "pythae==0.1.2", ("pythae",), "generative: autoencoders"),
    Library("deepinv", "deepinv==0.5.0", ("deepinv",), "imaging: inverse problems"),
    Library("cellpose", "cellpose==4.2.1.1", ("cellpose",), "bio imaging"),
    Library("scvi-tools", "scvi-tools==1.4.2", ("scvi",), "science: single-cell"),
    Library("spikingjelly", "spikingjelly==2.0.0", ("spikingjelly",), "spiking networks"),
    Library("pykan", "pykan==0.2.8", ("kan",), "research code: KAN"),
    Library("ncps", "ncps==1.0.1", ("ncps",), "research code: liquid networks"),
    Library("torchcde", "torchcde==0.2.5", ("torchcde",), "science: neural CDE"),
    Library("brevitas", "brevitas==0.13.4", ("brevitas",), "quantisation"),
    Library("nnunetv2", "nnunetv2==2.8.1", ("nnunetv2",), "medical imaging"),
    Library("torchxrayvision", "torchxrayvision==1.5.7", ("torchxrayvision",), "medical imaging"),
    Library("pytorch-ignite", "pytorch-ignite==0.5.5", ("ignite",), "training framework"),
    Library("skorch", "skorch==1.4.0", ("skorch",), "training framework"),
    Library("stylegan2-pytorch", "stylegan2-pytorch==1.9.0", ("stylegan2_pytorch",), "generative"),
    Library("lightweight-gan", "lightweight-gan==1.2.1", ("lightweight_gan",), "generative"),
    Library("byol-pytorch", "byol-pytorch==0.9.1", ("byol_pytorch",), "self-supervised"),
    Library("enformer-pytorch", "enformer-pytorch==0.8.12", ("enformer_pytorch",), "science: genomics"),
    Library("alphafold3-pytorch", "alphafold3-pytorch==0.8.3", ("alphafold3_pytorch",), "science: proteins"),
    Library("escnn", "escnn==1.0.11", ("escnn",), "equivariant networks"),
    Library("torch-spatiotemporal", "torch-spatiotemporal==0.9.5", ("tsl",), "graph / spatiotemporal"),
    Library("pytorchvideo", "pytorchvideo==0.1.5", ("pytorchvideo",), "video"),
)


# ---------------------------------------------------------------------------
# materialising the corpus


def _download(requirement: str, wheels: Path) -> Path:
    name, version = requirement.split("==")
    normal = re.sub(r"[-_.]+", "_", name).lower()
    stems = {normal, normal.replace("_", "-"), name.lower()}

    def found() -> list[Path]:
        hits = []
        for path in wheels.iterdir():
            lower = path.name.lower()
            if any(lower.startswith(f"{stem}-{version}-") or lower.startswith(f"{stem}-{version}.") for stem in stems):
                hits.append(path)
        return sorted(hits, key=lambda p: not p.name.endswith(".whl"))  # wheel first

    hits = found()
    if not hits:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", requirement, "-d", str(wheels)],
            check=True,
        )
        hits = found()
    if not hits:
        raise SystemExit(f"pip download gave no archive for {requirement}")
    return hits[0]


def _members(archive: Path) -> list[tuple[str, object]]:
    """(path inside the archive, handle) for every regular file."""
    if archive.name.endswith(".whl") or archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            return [(info.filename, info) for info in z.infolist() if not info.is_dir()]
    with tarfile.open(archive) as t:
        return [(m.name, m) for m in t.getmembers() if m.isfile()]


def _keep(member: str, packages: tuple[str, ...], sdist: bool) -> str | None:
    """The path to unpack ``member`` to (relative to the library root), or None."""
    parts = PurePosixPath(member).parts
    if sdist:
        parts = parts[1:]  # "<dist>-<version>/"
        if parts[:1] == ("src",):
            parts = parts[1:]
    if not parts or not parts[-1].endswith(".py"):
        return None
    if parts[0] not in packages and not (len(parts) == 1 and parts[0] in packages):
        return None
    from torchlint.discovery import DEFAULT_EXCLUDES

    if any(p in SKIPPED_DIRS or p in DEFAULT_EXCLUDES for p in parts[1:-1]):
        return None
    return "/".join(parts)


def unpack(library: Library, cache: Path) -> Path:
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    root = cache / "src" / library.name
    marker = cache / "src" / f".{library.name}-{library.requirement.split('==')[1]}.unpacked"
    if marker.exists():
        return root
    archive = _download(library.requirement, wheels)
    sdist = not archive.name.endswith(".whl")
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    wanted = [(name, _keep(name, library.packages, sdist)) for name, _ in _members(archive)]
    wanted = {name: target for name, target in wanted if target}
    if not wanted:
        raise SystemExit(f"{archive.name}: no .py files under {library.packages}")
    if sdist:
        with tarfile.open(archive) as t:
            for member in t.getmembers():
                target = wanted.get(member.name)
                if target and member.isfile():
                    _write(root / target, t.extractfile(member).read())
    else:
        with zipfile.ZipFile(archive) as z:
            for name, target in wanted.items():
                _write(root / target, z.read(name))
    for old in (cache / "src").glob(f".{library.name}-*.unpacked"):
        old.unlink()
    marker.touch()
    return root


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def count(root: Path) -> tuple[int, int]:
    files = lines = 0
    for directory, _, names in os.walk(root):
        for name in names:
            if name.endswith(".py"):
                files += 1
                with open(os.path.join(directory, name), "rb") as handle:
                    lines += handle.read().count(b"\n")
    return files, lines


# ---------------------------------------------------------------------------
# linting, joining, scoring


@dataclass(frozen=True)
class Finding:
    library: str
    path: str
    line: int
    code: str
    message: str = ""
    help: str = ""  # the help text and the fix's applicability: what a user would follow

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.library, self.path, self.line, self.code)


@dataclass
class Row:
    library: str
    files: int = 0
    lines: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {v: 0 for v in (*VERDICTS, "untriaged")})

    @property
    def findings(self) -> int:
        return sum(self.counts.values())

    @property
    def false_rate(self) -> float:
        return self.counts["false"] / self.lines * 100_000 if self.lines else 0.0


def lint(root: Path, library: str) -> list[Finding]:
    completed = subprocess.run(
        [sys.executable, "-m", "torchlint", "--no-cache", "--exit-zero", "--output-format", "json", str(root)],
        capture_output=True, text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(f"torchlint failed on {library} ({completed.returncode}):\n{completed.stderr}")
    found = []
    for item in json.loads(completed.stdout):
        path = Path(item["filename"]).resolve()
        try:
            relative = path.relative_to(root.resolve()).as_posix()
        except ValueError:
            relative = path.as_posix()
        fix = item.get("fix") or {}
        advice = item.get("help") or ""
        if fix:
            advice += f" [fix {fix.get('applicability')}: {fix.get('message')}]"
        found.append(Finding(library, relative, item["location"]["row"], item["code"], item["message"], advice))
    return found


def load_triage(path: Path = TRIAGE) -> dict[tuple[str, str, int, str], tuple[str, str]]:
    triage: dict[tuple[str, str, int, str], tuple[str, str]] = {}
    if not path.exists():
        return triage
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            verdict = row["verdict"].strip()
            if verdict not in VERDICTS:
                raise SystemExit(f"{path.name}:{number}: verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
            key = (row["library"], row["path"], int(row["line"]), row["code"])
            if key in triage:
                raise SystemExit(f"{path.name}:{number}: duplicate row for {key}")
            triage[key] = (verdict, row["reason"])
    return triage


@dataclass
class Score:
    rows: dict[str, Row]
    joined: list[tuple[Finding, str, str]]  # finding, verdict (or "untriaged"), reason
    stale: list[tuple[str, str, int, str]]

    @property
    def total(self) -> Row:
        total = Row("TOTAL")
        for row in self.rows.values():
            total.files += row.files
            total.lines += row.lines
            for verdict, n in row.counts.items():
                total.counts[verdict] += n
        return total

    def failures(self) -> list[str]:
        problems = []
        total = self.total
        if total.counts["untriaged"]:
            problems.append(f"{total.counts['untriaged']} untriaged finding(s)")
        if total.false_rate > OVERALL_FALSE_BUDGET:
            problems.append(f"false findings {total.false_rate:.2f} per 100k lines overall (budget {OVERALL_FALSE_BUDGET})")
        for row in self.rows.values():
            if row.false_rate > LIBRARY_FALSE_BUDGET:
                problems.append(f"{row.library}: false findings {row.false_rate:.2f} per 100k lines (budget {LIBRARY_FALSE_BUDGET})")
        if total.counts["bad-advice"]:
            problems.append(f"{total.counts['bad-advice']} finding(s) whose advice would break the code")
        return problems


def score(
    sizes: dict[str, tuple[int, int]],
    findings: list[Finding],
    triage: dict[tuple[str, str, int, str], tuple[str, str]],
) -> Score:
    """Join findings with the triage; ``sizes`` maps each linted library to (files, lines).
    Stale rows are those of a linted library that no finding matches any more."""
    rows = {name: Row(name, files, lines) for name, (files, lines) in sizes.items()}
    joined = []
    seen = set()
    for finding in findings:
        seen.add(finding.key)
        verdict, reason = triage.get(finding.key, ("untriaged", ""))
        rows[finding.library].counts[verdict] += 1
        joined.append((finding, verdict, reason))
    stale = sorted(key for key in triage if key[0] in rows and key not in seen)
    return Score(rows, joined, stale)


def render(result: Score, show: str | None) -> str:
    out = []
    header = f"{'library':<18}{'files':>7}{'lines':>10}{'finds':>7}{'real':>6}{'false':>6}{'bad':>5}{'untr':>6}{'false/100k':>12}"
    out.append(header)
    out.append("-" * len(header))
    for row in [*sorted(result.rows.values(), key=lambda r: r.library), None, result.total]:
        if row is None:
            out.append("-" * len(header))
            continue
        c = row.counts
        out.append(
            f"{row.library:<18}{row.files:>7}{row.lines:>10}{row.findings:>7}{c['real']:>6}{c['false']:>6}"
            f"{c['bad-advice']:>5}{c['untriaged']:>6}{row.false_rate:>12.2f}"
        )
    by_code: dict[str, int] = {}
    for finding, _, _ in result.joined:
        by_code[finding.code] = by_code.get(finding.code, 0) + 1
    out.append("by code: " + ", ".join(f"{code} {n}" for code, n in sorted(by_code.items())))
    if show:
        wanted = (*VERDICTS, "untriaged") if show == "all" else (show,)
        for finding, verdict, reason in sorted(result.joined, key=lambda j: j[0].key):
            if verdict in wanted:
                out.append(
                    f"  [{verdict}] {finding.library} {finding.path}:{finding.line} {finding.code} "
                    f"{finding.message[:100]}{' -- ' + reason if reason else ''}"
                )
                if verdict in ("bad-advice", "untriaged") and finding.help:
                    # the verdict of a bad-advice row depends on today's help text: show it to re-judge
                    out.append(f"      help: {finding.help}")
    if result.stale:
        out.append(f"stale triage rows (triaged, no longer reported): {len(result.stale)}")
        for library, path, line, code in result.stale:
            out.append(f"  [stale] {library} {path}:{line} {code}")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# the tuned corpus (transformers, timm, torch.nn) through benchmarks/realworld.py

TUNED_VERDICTS = {"real": "real", "false-positive": "false", "bad-advice": "bad-advice"}


def tuned(cache: Path) -> tuple[dict[str, tuple[int, int]], list[Finding], dict]:
    sys.path.insert(0, str(HERE))
    import realworld  # noqa: E402  (the helpers for the tuned corpus live there)

    roots = realworld.prepare_corpus(cache)
    sizes: dict[str, tuple[int, int]] = {}
    findings: list[Finding] = []
    for root in roots:
        name = "torch.nn" if root.name == "modules" else root.name
        sizes[name] = realworld.count([root])
        completed = subprocess.run(
            [sys.executable, "-m", "torchlint", "--no-cache", "--exit-zero", "--output-format", "json", str(root)],
            capture_output=True, text=True,
        )
        if completed.returncode != 0:
            raise SystemExit(f"torchlint failed on {root}:\n{completed.stderr}")
        for item in json.loads(completed.stdout):
            key = realworld.corpus_key(item["filename"])
            findings.append(Finding(name, key, item["location"]["row"], item["code"], item["message"]))
    triage = {}
    for (path, line, code), (verdict, reason) in realworld.load_triage().items():
        name = "torch.nn" if path.startswith("torch/") else path.split("/")[0]
        triage[(name, path, line, code)] = (TUNED_VERDICTS.get(verdict, verdict), reason)
    return sizes, findings, triage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help=f"default {DEFAULT_CACHE}")
    parser.add_argument("--only", help="comma-separated library names (the first CSV column)")
    parser.add_argument("--with-tuned", action="store_true", help="add transformers, timm and torch.nn (realworld.py)")
    parser.add_argument("--tuned-cache-dir", type=Path, default=None, help="realworld.py's cache (default <cache-dir>/tuned)")
    parser.add_argument("--show", choices=[*VERDICTS, "untriaged", "all"], default=None)
    parser.add_argument("--prepare-only", action="store_true", help="download and unpack, do not lint")
    parser.add_argument("--json", type=Path, help="also write the joined findings here (json lines)")
    args = parser.parse_args(argv)

    libraries = LIBRARIES
    if args.only:
        names = set(args.only.split(","))
        unknown = names - {lib.name for lib in LIBRARIES}
        if unknown:
            parser.error(f"unknown libraries: {', '.join(sorted(unknown))}")
        libraries = tuple(lib for lib in LIBRARIES if lib.name in names)

    sizes: dict[str, tuple[int, int]] = {}
    findings: list[Finding] = []
    started = time.perf_counter()
    for library in libraries:
        root = unpack(library, args.cache_dir)
        sizes[library.name] = count(root)
        if not args.prepare_only:
            findings.extend(lint(root, library.name))
    if args.prepare_only:
        for name, (files, lines) in sizes.items():
            print(f"{name:<18}{files:>7}{lines:>10}")
        print(f"{'TOTAL':<18}{sum(f for f, _ in sizes.values()):>7}{sum(l for _, l in sizes.values()):>10}")
        return 0
    triage = load_triage()
    if args.with_tuned:
        tuned_sizes, tuned_findings, tuned_triage = tuned(args.tuned_cache_dir or args.cache_dir / "tuned")
        sizes.update(tuned_sizes)
        findings.extend(tuned_findings)
        triage.update(tuned_triage)
    result = score(sizes, findings, triage)
    print(render(result, args.show))
    print(f"lint time {time.perf_counter() - started:.1f} s")
    if args.json:
        with args.json.open("w", encoding="utf-8") as handle:
            for finding, verdict, reason in result.joined:
                handle.write(json.dumps({**finding.__dict__, "verdict": verdict, "reason": reason}) + "\n")
    problems = result.failures()
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
