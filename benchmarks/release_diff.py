"""Candidate registration-bug fixes between two PyPI releases of a package.

Downloads each release with ``pip download --no-deps NAME==VER`` (wheel or sdist),
unpacks it under a cache outside the repository (default /work/corpora/recall/<name>/<ver>/),
pairs the ``.py`` files of the two releases by relative path (tolerating a moved package
root: ``src/`` layouts, renamed top directories, a file moved to another folder), and lists
CANDIDATE bug fixes found by diff heuristics that are independent of torchlint:

* ``TL001``/``TL004``: ``self.x = <value>`` in the old class whose name the new class
  registers (``register_buffer("x"``, ``register_parameter("x"``, ``self.x = nn.Buffer(``,
  ``self.x = nn.Parameter(``); TL004 when the old value asks for ``requires_grad``;
* ``TL007``/``TL008``: ``self.x = [...]``/``{...}``/``[]``+``append`` that becomes
  ``nn.ModuleList``/``ModuleDict``/``Sequential``/``ParameterList``/``ParameterDict``;
* ``TL005``: a misspelt ``requires_grad`` attribute that the new release spells right;
* ``TL002``/``TL003``: ``super().__init__()`` moved up above registrations, or added;
* ``TL006``: construction-time in-place init wrapped in ``torch.no_grad()`` in the new release;
* ``TL009``: a parameterised layer or ``nn.Parameter`` constructed in ``forward`` (or another
  non-construction method) that the new release no longer builds there; the package's own layer
  classes (``project_layer_classes``: Module subclasses that create parameters) count like torch's.

Every candidate must be read in both versions before it becomes a reference
(``benchmarks/recall_refs.csv``): features get deleted, classes become Modules later, files move.

    python benchmarks/release_diff.py NAME OLD NEW
    python benchmarks/release_diff.py NAME --range [FROM] [TO]     # consecutive releases
    python benchmarks/release_diff.py --scan NAME [NAME ...]      # every consecutive pair, summary
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CACHE = Path(os.environ.get("TORCHLINT_RECALL_CACHE", "/work/corpora/recall"))

PARAM_LAYERS = {
    "Linear", "Bilinear", "LazyLinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
    "ConvTranspose3d", "Embedding", "EmbeddingBag", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
    "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LSTM", "GRU", "RNN", "LSTMCell",
    "GRUCell", "RNNCell", "MultiheadAttention", "PReLU", "Transformer", "TransformerEncoderLayer",
    "TransformerDecoderLayer", "Parameter", "RMSNorm",
}
CONTAINERS = {"ModuleList", "ModuleDict", "Sequential", "ParameterList", "ParameterDict"}
REGISTER_CALLS = {"register_buffer", "register_parameter"}
WRAPS = {"Parameter", "Buffer"}
TYPO = re.compile(r"\.(require_grad|requires_grads|require_grads|requires_gradient|required_grad|requiresgrad|requires_gard|require_gard)\b")
INPLACE = re.compile(r"\.(uniform_|normal_|fill_|zero_|copy_|constant_|xavier_uniform_|add_|mul_|clamp_)\(")


# --------------------------------------------------------------------------- fetching

def versions(name: str) -> list[str]:
    """Released versions, oldest first (``pip index versions``)."""
    out = subprocess.run([sys.executable, "-m", "pip", "index", "versions", name],
                         capture_output=True, text=True).stdout
    match = re.search(r"Available versions: (.*)", out)
    if not match:
        return []
    found = [v.strip() for v in match.group(1).split(",") if v.strip()]
    try:
        from packaging.version import Version
        found.sort(key=Version)
    except Exception:  # noqa: BLE001 - an odd version string: keep pip's order, reversed
        found.reverse()
    return found


def fetch(name: str, version: str, cache: Path = DEFAULT_CACHE) -> Path | None:
    """Unpacked release directory ``cache/<name>/<version>`` (None when pip cannot get it)."""
    target = cache / name / version
    marker = target / ".unpacked"
    if marker.exists():
        return target
    download = cache / name / "_dl" / version
    download.mkdir(parents=True, exist_ok=True)
    archives = [p for p in download.iterdir() if p.suffix in (".whl", ".gz", ".zip", ".bz2", ".tgz")]
    if not archives:
        base = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", f"{name}=={version}", "-d", str(download)]
        # a wheel first (no build step); an sdist only when the release has no wheel for us
        subprocess.run(base + ["--only-binary", ":all:", "--python-version", "3.11", "--implementation", "py",
                               "--abi", "none", "--platform", "any"], capture_output=True, text=True, timeout=300)
        archives = [p for p in download.iterdir() if p.suffix in (".whl", ".gz", ".zip", ".bz2", ".tgz")]
        if not archives:
            subprocess.run(base + ["--no-binary", ":all:", "--no-build-isolation"],
                           capture_output=True, text=True, timeout=300)
            archives = [p for p in download.iterdir() if p.suffix in (".whl", ".gz", ".zip", ".bz2", ".tgz")]
        for pyver in ("3.8", "3.7", "3.10", "3.6"):
            if archives:
                break
            # binary-only releases: any Linux wheel will do, only its .py files are read
            subprocess.run(base + ["--only-binary", ":all:", "--python-version", pyver, "--platform", "manylinux1_x86_64",
                                   "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64",
                                   "--platform", "linux_x86_64"], capture_output=True, text=True, timeout=300)
            archives = [p for p in download.iterdir() if p.suffix in (".whl", ".gz", ".zip", ".bz2", ".tgz")]
    if not archives:
        return None
    archive = sorted(archives)[0]
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    try:
        if archive.suffix in (".whl", ".zip"):
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    if member.endswith(".py") and ".." not in member and not member.startswith("/"):
                        zf.extract(member, target)
        else:
            with tarfile.open(archive) as tf:
                members = [m for m in tf.getmembers()
                           if m.isfile() and m.name.endswith(".py") and ".." not in m.name and not m.name.startswith("/")]
                tf.extractall(target, members)
    except (zipfile.BadZipFile, tarfile.TarError, OSError):
        return None
    marker.touch()
    return target


# --------------------------------------------------------------------------- pairing files

def py_files(root: Path) -> dict[str, Path]:
    """Relative path -> file, with an sdist's ``name-ver/`` and a ``src/`` prefix stripped."""
    files = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).parts
        if len(rel) > 1 and re.match(r".+-\d", rel[0]):  # sdist top directory name-1.2.3
            rel = rel[1:]
        if rel and rel[0] == "src":
            rel = rel[1:]
        if any(part in ("tests", "test", "docs", "examples", "build") for part in rel[:-1]):
            continue
        files["/".join(rel)] = path
    return files


def pair_files(old: dict[str, Path], new: dict[str, Path]) -> list[tuple[str, str]]:
    """(old rel, new rel) pairs: same path, else same path below the top folder, else a unique basename."""
    pairs = []
    used = set()
    def tail(rel: str, n: int) -> str:
        return "/".join(rel.split("/")[-n:])
    for rel in old:
        if rel in new:
            pairs.append((rel, rel))
            used.add(rel)
            continue
        for n in (3, 2, 1):
            hits = [r for r in new if r not in used and tail(r, n) == tail(rel, n) and len(r.split("/")) >= n]
            if len(hits) == 1 and (n > 1 or Path(rel).name != "__init__.py"):
                pairs.append((rel, hits[0]))
                used.add(hits[0])
                break
    return pairs


# --------------------------------------------------------------------------- per-class facts

def _call_name(node: ast.AST) -> str:
    """Last name of a call's function: nn.Linear -> Linear, torch.nn.Parameter -> Parameter."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _self_attr(target: ast.AST) -> str | None:
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return target.attr
    return None


@dataclass
class Store:
    attr: str
    method: str
    line: int
    end: int
    value: ast.AST | None
    text: str


@dataclass
class ClassFacts:
    name: str
    line: int
    end: int
    bases: str
    stores: list[Store] = field(default_factory=list)
    registered: dict[str, int] = field(default_factory=dict)  # attr -> line
    wrapped: dict[str, tuple[int, str]] = field(default_factory=dict)  # attr -> (line, container name)
    appended: dict[str, int] = field(default_factory=dict)  # attr -> first append/extend line
    forward_layers: list[tuple[str, int, int, str]] = field(default_factory=list)  # (method, line, end, layer)
    init_layers: set[str] = field(default_factory=set)
    super_line: int | None = None
    first_store_line: int | None = None
    init_line: int | None = None
    init_no_grad: bool = False
    init_inplace: list[int] = field(default_factory=list)
    typos: list[int] = field(default_factory=list)


def _construction_methods(cls: ast.ClassDef) -> dict[str, ast.FunctionDef]:
    methods = {n.name: n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    reach = set()
    todo = ["__init__"] if "__init__" in methods else []
    while todo:
        name = todo.pop()
        if name in reach or name not in methods:
            continue
        reach.add(name)
        for node in ast.walk(methods[name]):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "self":
                todo.append(node.func.attr)
    return {n: methods[n] for n in reach}


def class_facts(source: str, project_layers: frozenset[str] = frozenset()) -> dict[str, ClassFacts]:
    """Per-class facts. ``project_layers``: the release's own layer classes (see ``project_layer_classes``),
    counted like torch's parameterised layers when built in ``forward``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    lines = source.splitlines()
    out = {}
    for cls in ast.walk(tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        facts = ClassFacts(cls.name, cls.lineno, cls.end_lineno or cls.lineno,
                           ", ".join(ast.unparse(b) for b in cls.bases))
        construction = _construction_methods(cls)
        methods = [n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for method in methods:
            in_construction = method.name in construction
            static = any(_call_name(d) in ("classmethod", "staticmethod") or getattr(d, "id", "") in ("classmethod", "staticmethod")
                         for d in method.decorator_list)
            stored = {id(n.value) for n in ast.walk(method) if isinstance(n, ast.Assign)
                      and any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in n.targets)}
            for node in ast.walk(method):
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        attr = _self_attr(target)
                        if attr is None:
                            continue
                        value = node.value
                        text = "\n".join(lines[node.lineno - 1:(node.end_lineno or node.lineno)])
                        facts.stores.append(Store(attr, method.name, node.lineno, node.end_lineno or node.lineno, value, text))
                        name = _call_name(value) if isinstance(value, ast.Call) else ""
                        if name in WRAPS:
                            facts.registered.setdefault(attr, node.lineno)
                        if name in CONTAINERS:
                            facts.wrapped.setdefault(attr, (node.lineno, name))
                        if in_construction and method.name == "__init__" and facts.first_store_line is None \
                                and isinstance(value, (ast.Call, ast.List, ast.ListComp, ast.Dict)) \
                                and _call_name(value) not in ("int", "float", "str", "bool", "len", "get", "max", "min", "tuple", "list", "dict"):
                            facts.first_store_line = node.lineno
                elif isinstance(node, ast.Call):
                    name = _call_name(node)
                    if name in REGISTER_CALLS and node.args and isinstance(node.args[0], ast.Constant) \
                            and isinstance(node.args[0].value, str):
                        facts.registered.setdefault(node.args[0].value, node.lineno)
                    if name in ("append", "extend", "insert") and isinstance(node.func, ast.Attribute):
                        attr = _self_attr(node.func.value)
                        if attr:
                            facts.appended.setdefault(attr, node.lineno)
                    if name in ("setattr",) and len(node.args) >= 3 and isinstance(node.args[0], ast.Name) \
                            and node.args[0].id == "self" and isinstance(node.args[1], ast.Constant):
                        vname = _call_name(node.args[2]) if isinstance(node.args[2], ast.Call) else ""
                        if vname in WRAPS:
                            facts.registered.setdefault(str(node.args[1].value), node.lineno)
                    if (name in PARAM_LAYERS or (name in project_layers and isinstance(node.func, ast.Name))) \
                            and isinstance(node.func, (ast.Attribute, ast.Name)):
                        if in_construction:
                            facts.init_layers.add(name)
                        elif not static and id(node) not in stored and not method.name.startswith(("_init", "reset", "build", "init")):
                            facts.forward_layers.append((method.name, node.lineno, node.end_lineno or node.lineno, name))
                    if name == "__init__" and method.name == "__init__" and facts.super_line is None:
                        facts.super_line = node.lineno
                elif isinstance(node, ast.With) and in_construction:
                    if any("no_grad" in ast.unparse(item.context_expr) for item in node.items):
                        facts.init_no_grad = True
            if method.name == "__init__":
                facts.init_line = method.lineno
            if in_construction:
                seg_lines = lines[method.lineno - 1:(method.end_lineno or method.lineno)]
                for offset, text in enumerate(seg_lines):
                    if INPLACE.search(text) and "nn.init" not in text and ".data" not in text and "self." in text:
                        facts.init_inplace.append(method.lineno + offset)
            for offset, text in enumerate(lines[method.lineno - 1:(method.end_lineno or method.lineno)]):
                if TYPO.search(text):
                    facts.typos.append(method.lineno + offset)
        out.setdefault(cls.name, facts)
    return out


def project_layer_classes(sources: list[str]) -> frozenset[str]:
    """A release's own layer classes: classes that derive (directly or through another of its classes) from a
    ``Module``/``nn.X`` base and create a parameter or a parameterised layer in their construction methods.
    Built in ``forward`` they are TL009 candidates like ``nn.Linear``; parameterless ones (an activation
    wrapper, a pooling block) are left out, as RULES.md's TL009 policy asks."""
    bases: dict[str, list[str]] = {}
    owns: dict[str, bool] = {}
    for src in sources:
        if "torch" not in src:
            continue
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError):
            continue
        for cls in ast.walk(tree):
            if not isinstance(cls, ast.ClassDef) or not cls.bases:
                continue
            bases.setdefault(cls.name, [ast.unparse(b) for b in cls.bases])
            made = {_call_name(n) for m in _construction_methods(cls).values() for n in ast.walk(m) if isinstance(n, ast.Call)}
            owns[cls.name] = owns.get(cls.name, False) or bool(made & PARAM_LAYERS) or bool(made & REGISTER_CALLS)

    def is_module(name: str, seen: frozenset[str] = frozenset()) -> bool:
        for base in bases.get(name, []):
            last = base.rsplit(".", 1)[-1]
            if last == "Module" or base.startswith(("nn.", "torch.nn.")) or \
                    (last in bases and last not in seen and is_module(last, seen | {name})):
                return True
        return False

    def owns_params(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if owns.get(name):
            return True
        return any(b.rsplit(".", 1)[-1] in PARAM_LAYERS for b in bases.get(name, [])) or \
            any(b in bases and b not in seen and owns_params(b, seen | {name}) for b in (x.rsplit(".", 1)[-1] for x in bases.get(name, [])))

    return frozenset(n for n in bases if n not in PARAM_LAYERS and is_module(n) and owns_params(n))


# --------------------------------------------------------------------------- heuristics

@dataclass
class Candidate:
    code: str
    old_file: str
    new_file: str
    cls: str
    attr: str
    old_lines: tuple[int, int]
    new_lines: tuple[int, int] | None
    why: str
    hunk: str = ""


def _is_list_like(value: ast.AST | None) -> bool:
    if isinstance(value, (ast.List, ast.ListComp, ast.Dict, ast.DictComp, ast.Tuple)):
        return True
    return isinstance(value, ast.Call) and _call_name(value) in ("list", "dict", "tuple", "OrderedDict")


def _mentions_requires_grad(text: str) -> bool:
    return "requires_grad" in text


def compare(old_src: str, new_src: str, old_file: str, new_file: str,
            new_classes_elsewhere: dict[str, tuple[str, ClassFacts, str]] | None = None,
            project_layers: frozenset[str] = frozenset()) -> list[Candidate]:
    old = class_facts(old_src, project_layers)
    new = class_facts(new_src, project_layers)
    found: list[Candidate] = []
    old_lines = old_src.splitlines()
    new_lines = new_src.splitlines()
    for cname, oc in old.items():
        nfile, nsrc_lines = new_file, new_lines
        nc = new.get(cname)
        if nc is None and new_classes_elsewhere and cname in new_classes_elsewhere:
            nfile, nc, nsrc = new_classes_elsewhere[cname]
            nsrc_lines = nsrc.splitlines()
        if nc is None:
            continue
        def hunk(a: tuple[int, int], b: tuple[int, int] | None) -> str:
            a_seg = old_lines[max(0, a[0] - 4):a[1] + 3]
            b_seg = nsrc_lines[max(0, b[0] - 4):b[1] + 3] if b else []
            return "\n".join(difflib.unified_diff(a_seg, b_seg, f"{old_file}:{a[0]}", f"{nfile}:{b[0] if b else '-'}", lineterm="", n=3))
        # TL001 / TL004: a plain store whose name the new class registers
        seen = set()
        for store in oc.stores:
            if store.attr in oc.registered or store.attr in seen:
                continue
            if store.attr not in nc.registered:
                continue
            if isinstance(store.value, ast.Call) and _call_name(store.value) in WRAPS:
                continue
            if isinstance(store.value, ast.Constant) and store.value.value is None:
                continue
            seen.add(store.attr)
            code = "TL004" if _mentions_requires_grad(store.text) else "TL001"
            nline = nc.registered[store.attr]
            found.append(Candidate(code, old_file, nfile, cname, store.attr, (store.line, store.end), (nline, nline),
                                   f"`self.{store.attr}` ({store.method}) becomes registered", hunk((store.line, store.end), (nline, nline))))
        # TL011: nn.Parameter(...).to(device) / .cuda() whose store the new class no longer moves
        moved = re.compile(r"Parameter\((.|\n)*\)\s*\.(to|cuda|cpu|half|float|double|bfloat16|type)\(")
        seen_moved = set()
        for store in oc.stores:
            if store.attr in seen_moved or not moved.search(store.text):
                continue
            twins = [t for t in nc.stores if t.attr == store.attr]
            if not twins or any(moved.search(t.text) for t in twins):
                continue
            seen_moved.add(store.attr)
            t = twins[0]
            found.append(Candidate("TL011", old_file, nfile, cname, store.attr, (store.line, store.end), (t.line, t.end),
                                   f"`self.{store.attr}` no longer moves a Parameter", hunk((store.line, store.end), (t.line, t.end))))
        # TL007 / TL008: plain container becomes a Module container
        for attr, (nline, cont) in nc.wrapped.items():
            if attr in oc.wrapped:
                continue
            olds = [s for s in oc.stores if s.attr == attr and _is_list_like(s.value)]
            if not olds:
                continue
            s = olds[0]
            code = "TL008" if cont.startswith("Parameter") else "TL007"
            found.append(Candidate(code, old_file, nfile, cname, attr, (s.line, s.end), (nline, nline),
                                   f"`self.{attr}` plain container -> nn.{cont}", hunk((s.line, s.end), (nline, nline))))
        # TL005: typo fixed
        if oc.typos and len(nc.typos) < len(oc.typos):
            for line in oc.typos:
                found.append(Candidate("TL005", old_file, nfile, cname, "", (line, line), None, "requires_grad typo fixed",
                                       hunk((line, line), None)))
        # TL002 / TL003
        if oc.init_line and nc.init_line and re.search(r"Module|nn\.|Layer|Net|Model|Block", oc.bases):
            if oc.super_line is None and nc.super_line is not None:
                found.append(Candidate("TL003", old_file, nfile, cname, "", (oc.init_line, oc.init_line), (nc.super_line, nc.super_line),
                                       "super().__init__() added", hunk((oc.init_line, oc.init_line + 3), (nc.super_line, nc.super_line))))
            elif oc.super_line and nc.super_line and oc.first_store_line and oc.first_store_line < oc.super_line and \
                    (nc.first_store_line is None or nc.first_store_line > nc.super_line):
                found.append(Candidate("TL002", old_file, nfile, cname, "", (oc.first_store_line, oc.super_line), (nc.super_line, nc.super_line),
                                       "super().__init__() moved above the first store", hunk((oc.first_store_line, oc.super_line), (nc.super_line, nc.super_line))))
        # TL006
        if oc.init_inplace and not oc.init_no_grad and nc.init_no_grad:
            line = oc.init_inplace[0]
            found.append(Candidate("TL006", old_file, nfile, cname, "", (line, line), None, "init wrapped in torch.no_grad()",
                                   hunk((line, line), None)))
        # TL009: a layer built in forward that the new class no longer builds there
        new_fw = {(m, layer) for m, _, _, layer in nc.forward_layers}
        for method, line, end, layer in oc.forward_layers:
            if (method, layer) in new_fw:
                continue
            if method not in {n for n, *_ in nc.forward_layers} and method not in new_src and method not in "".join(nsrc_lines):
                continue  # the method is gone: a deleted feature, not a fix
            found.append(Candidate("TL009", old_file, nfile, cname, layer, (line, end), None,
                                   f"{'nn.' if layer in PARAM_LAYERS else ''}{layer}(...) no longer built in {method}" + (" (now in construction)" if layer in nc.init_layers else ""),
                                   hunk((line, end), None)))
    return found


def diff_releases(name: str, old_ver: str, new_ver: str, cache: Path = DEFAULT_CACHE) -> list[Candidate]:
    old_root = fetch(name, old_ver, cache)
    new_root = fetch(name, new_ver, cache)
    if old_root is None or new_root is None:
        print(f"# {name}: could not fetch {old_ver if old_root is None else new_ver}", file=sys.stderr)
        return []
    old_files, new_files = py_files(old_root), py_files(new_root)
    pairs = pair_files(old_files, new_files)
    old_texts = {}
    for rel, path in old_files.items():
        try:
            old_texts[rel] = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            pass
    layers = project_layer_classes(list(old_texts.values()))
    # classes by name across the new release, for classes that moved to another file (built on first need)
    new_sources: dict[str, str] = {}

    def source(rel: str) -> str:
        if rel not in new_sources:
            try:
                new_sources[rel] = new_files[rel].read_text(encoding="utf-8", errors="replace")
            except OSError:
                new_sources[rel] = ""
        return new_sources[rel]

    class Elsewhere(dict):
        built = False

        def _build(self) -> None:
            if self.built:
                return
            self.built = True
            counts: dict[str, int] = {}
            for rel in new_files:
                src = source(rel)
                if "torch" not in src:
                    continue
                for cname, facts in class_facts(src, layers).items():
                    counts[cname] = counts.get(cname, 0) + 1
                    dict.__setitem__(self, cname, (rel, facts, src))
            for cname, n in counts.items():
                if n > 1:
                    dict.__delitem__(self, cname)

        def __contains__(self, key: object) -> bool:
            self._build()
            return dict.__contains__(self, key)

        def __bool__(self) -> bool:
            return True

    elsewhere = Elsewhere()
    out = []
    for old_rel, new_rel in pairs:
        try:
            old_src = old_files[old_rel].read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        new_src = source(new_rel)
        if old_src == new_src or "torch" not in old_src:
            continue
        out.extend(compare(old_src, new_src, old_rel, new_rel, elsewhere, layers))
    # files that vanished: their classes may live elsewhere now
    paired = {o for o, _ in pairs}
    for old_rel in old_files:
        if old_rel in paired:
            continue
        try:
            old_src = old_files[old_rel].read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "torch" in old_src:
            out.extend(compare(old_src, "", old_rel, "?", elsewhere, layers))
    return out


# --------------------------------------------------------------------------- auxiliary: torchlint findings that vanish

_ATTR = re.compile(r"`self\.([A-Za-z_][A-Za-z0-9_]*)`|`(?:nn\.)?([A-Za-z_][A-Za-z0-9_.]*)\(\.\.\.\)`")


_LINTED: dict[Path, list[dict]] = {}


def lint(root: Path) -> list[dict]:
    """torchlint's JSON findings for a release directory (auxiliary candidates only)."""
    if root in _LINTED:
        return _LINTED[root]
    if len(_LINTED) > 2:  # consecutive pairs share one release: keep the last few
        _LINTED.pop(next(iter(_LINTED)))
    _LINTED[root] = _lint(root)
    return _LINTED[root]


def _lint(root: Path) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "torchlint", "--no-cache", "--exit-zero", "--output-format", "json", str(root)],
                          capture_output=True, text=True)
    try:
        return json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return []


def vanished_findings(name: str, old_ver: str, new_ver: str, cache: Path = DEFAULT_CACHE) -> list[Candidate]:
    """Findings of the old release whose class and attribute still exist in the new release without the finding.

    This only finds what torchlint already reports, so references taken from it are marked
    ``source=torchlint`` and scored apart from the independent diff heuristics."""
    old_root, new_root = fetch(name, old_ver, cache), fetch(name, new_ver, cache)
    if old_root is None or new_root is None:
        return []
    old_files, new_files = py_files(old_root), py_files(new_root)
    by_path = {str(p.resolve()): rel for rel, p in old_files.items()}
    new_by_path = {str(p.resolve()): rel for rel, p in new_files.items()}
    pairs = dict(pair_files(old_files, new_files))
    new_findings: dict[str, list[dict]] = {}
    for f in lint(new_root):
        rel = new_by_path.get(str(Path(f["filename"]).resolve()))
        if rel:
            new_findings.setdefault(rel, []).append(f)
    out = []
    seen: set[tuple[str, int, str]] = set()
    facts_cache: dict[tuple[str, str], dict[str, ClassFacts]] = {}

    def facts(which: str, rel: str, files: dict[str, Path]) -> tuple[dict[str, ClassFacts], str]:
        src = files[rel].read_text(encoding="utf-8", errors="replace")
        if (which, rel) not in facts_cache:
            facts_cache[(which, rel)] = class_facts(src)
        return facts_cache[(which, rel)], src

    for f in lint(old_root):
        rel = by_path.get(str(Path(f["filename"]).resolve()))
        if rel is None or rel not in pairs or (rel, f["location"]["row"], f["code"]) in seen:
            continue
        seen.add((rel, f["location"]["row"], f["code"]))
        m = _ATTR.search(f["message"])
        attr = (m.group(1) or m.group(2)) if m else ""
        row = f["location"]["row"]
        old_classes, old_src = facts("old", rel, old_files)
        owner = next((c for c in old_classes.values() if c.line <= row <= c.end and
                      not any(o.line <= row <= o.end and o is not c and o.line > c.line for o in old_classes.values())), None)
        if owner is None:
            continue
        new_rel = pairs[rel]
        new_classes, new_src = facts("new", new_rel, new_files)
        twin = new_classes.get(owner.name)
        if twin is None:
            continue
        twin_text = "\n".join(new_src.splitlines()[twin.line - 1:twin.end])
        if attr and attr not in twin_text:
            continue  # the attribute (or layer) is gone: a deleted feature, not a fix
        still = [g for g in new_findings.get(new_rel, []) if g["code"] == f["code"] and twin.line <= g["location"]["row"] <= twin.end
                 and (not attr or attr in g["message"])]
        if still:
            continue
        old_lines = old_src.splitlines()
        seg = old_lines[max(0, row - 3):row + 2]
        out.append(Candidate(f["code"], rel, new_rel, owner.name, attr, (row, f["end_location"]["row"]), None,
                             "torchlint finding vanished; class and name remain", "\n".join(seg)))
    return out


def report(name: str, old_ver: str, new_ver: str, cands: list[Candidate], show_hunk: bool = True) -> None:
    for c in cands:
        new = f"{c.new_lines[0]}" if c.new_lines else "-"
        print(f"{c.code} {name} {old_ver}->{new_ver} {c.old_file}:{c.old_lines[0]}-{c.old_lines[1]} -> {c.new_file}:{new} "
              f"class {c.cls} {c.attr}: {c.why}")
        if show_hunk and c.hunk:
            print(c.hunk)
            print()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", nargs="*")
    ap.add_argument("--range", nargs="*", metavar="VER", help="consecutive releases from FROM to TO (inclusive)")
    ap.add_argument("--scan", action="store_true", help="every consecutive pair of every named package")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--no-hunk", action="store_true")
    ap.add_argument("--torchlint", action="store_true", help="auxiliary: list torchlint findings that vanish (cached releases)")
    ap.add_argument("--max-versions", type=int, default=60, help="scan at most this many (evenly kept, newest last)")
    args = ap.parse_args(argv)
    if args.scan or args.range is not None:
        names = args.name
        for name in names:
            vers = versions(name)
            if args.range:
                lo = vers.index(args.range[0]) if args.range[0] in vers else 0
                hi = vers.index(args.range[1]) + 1 if len(args.range) > 1 and args.range[1] in vers else len(vers)
                vers = vers[lo:hi]
            vers = [v for v in vers if not re.search(r"(a|b|rc|dev)\d*$", v)] or vers
            if len(vers) > args.max_versions:
                step = len(vers) / args.max_versions
                vers = [vers[int(i * step)] for i in range(args.max_versions - 1)] + [vers[-1]]
            print(f"## {name}: {len(vers)} versions", flush=True)
            if args.torchlint:  # only the releases already materialised
                vers = [v for v in vers if (args.cache_dir / name / v / ".unpacked").exists()]
            for a, b in zip(vers, vers[1:]):
                cands = (vanished_findings if args.torchlint else diff_releases)(name, a, b, args.cache_dir)
                report(name, a, b, cands, show_hunk=not args.no_hunk)
                sys.stdout.flush()
        return 0
    if len(args.name) != 3:
        ap.error("NAME OLD NEW, or NAME --range, or --scan NAME ...")
    name, a, b = args.name
    find = vanished_findings if args.torchlint else diff_releases
    report(name, a, b, find(name, a, b, args.cache_dir), show_hunk=not args.no_hunk)
    return 0


if __name__ == "__main__":
    sys.exit(main())
