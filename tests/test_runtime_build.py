"""Building and inspecting in-process: argument synthesis, meta vs CPU, construction
evidence, the recorder, TL101's examples, the Python API and the pytest plugin."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
nn = torch.nn

from torchlint.runtime.inspection import inspect_model, is_requires_grad_typo  # noqa: E402
from torchlint.runtime.instantiate import Builder, build_once, realpath  # noqa: E402
from torchlint.rules import RULES_BY_CODE  # noqa: E402

_loaded = 0


def load(source: str, tmp_path: Path, name: str = "model"):
    """Write and import a module in this process; returns (module, its real path)."""
    global _loaded
    _loaded += 1
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(f"_runtime_test_{_loaded}_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module, realpath(str(path))


def build(module, path: str, name: str, factories=None):
    builder = Builder(vars(module), lambda f: f == path, factories or {}, {}, budget=60)
    return builder.build(getattr(module, name), f"{module.__name__}:{name}")


# -- argument synthesis ------------------------------------------------------------------

SYNTHESIS = """
from dataclasses import dataclass
from typing import Callable, Literal, Optional, Sequence

import torch
import torch.nn as nn


class Attention(nn.Module):
    def __init__(self, dim, num_heads, head_dim_multiple=2):
        super().__init__()
        assert dim % num_heads == 0, "dim must divide by heads"
        assert (dim // num_heads) % head_dim_multiple == 0, "rotary needs an even head size"
        self.qkv = nn.Linear(dim, 3 * dim)


class Typed(nn.Module):
    def __init__(self, in_features: int, dropout: float, bias: bool, norm: Literal["layer", "rms"],
                 act_layer: Callable[..., nn.Module], sizes: Sequence[int], extra: Optional[int]):
        super().__init__()
        assert isinstance(dropout, float) and 0 <= dropout < 1
        assert norm in ("layer", "rms") and isinstance(bias, bool)
        self.fc = nn.Linear(in_features, sizes[0], bias=bias)
        self.act = act_layer()


@dataclass
class BlockConfig:
    hidden_size: int = 32
    num_layers: int = 2


class FromConfig(nn.Module):
    def __init__(self, config: BlockConfig):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(config.hidden_size, config.hidden_size)
                                    for _ in range(config.num_layers))


class VisionConfig:
    def __init__(self, hidden_size=16, num_hidden_layers=2):
        self.hidden_size, self.num_hidden_layers = hidden_size, num_hidden_layers


class TextConfig:
    def __init__(self, vocab_size=50):
        self.vocab_size = vocab_size


class ComposedConfig:  # transformers' CLIPConfig shape: the parts as attributes
    def __init__(self):
        self.text_config = TextConfig()
        self.vision_config = VisionConfig()


class ComposedVisionEncoder(nn.Module):
    def __init__(self, config: ComposedConfig):  # annotated with the whole, needs the vision part
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(config.hidden_size, config.hidden_size)
                                    for _ in range(config.num_hidden_layers))


class SizesUnsetConfig:  # transformers' EsmConfig shape: `vocab_size=None` by default
    def __init__(self, vocab_size=None, hidden_size=16, dropout=None):
        self.vocab_size, self.hidden_size, self.dropout = vocab_size, hidden_size, dropout


class NeedsSizesSet(nn.Module):
    def __init__(self, config: SizesUnsetConfig):
        super().__init__()
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)


class SizeDefaultsToNone(nn.Module):  # CohereLayerNorm's shape
    def __init__(self, hidden_size=None, eps=1e-5, name: Optional[str] = None):
        super().__init__()
        assert name is None
        self.weight = nn.Parameter(torch.ones(hidden_size))


class UnannotatedConfig(nn.Module):
    def __init__(self, config, layer_idx):
        super().__init__()
        assert layer_idx == 0
        self.fc = nn.Linear(config.hidden_size, config.hidden_size)


class TakesAModule(nn.Module):
    def __init__(self, encoder: Attention, num_classes):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(8, num_classes)


class Picky(nn.Module):
    def __init__(self, dim):
        super().__init__()
        if dim != 16:
            raise ValueError("only 16 works")
        self.fc = nn.Linear(dim, dim)


class Impossible(nn.Module):
    def __init__(self, dim):
        super().__init__()
        raise ValueError("never")
"""


@pytest.mark.parametrize("name", ["Attention", "Typed", "FromConfig", "UnannotatedConfig", "TakesAModule", "Picky",
                                  "ComposedVisionEncoder", "NeedsSizesSet", "SizeDefaultsToNone"])
def test_argument_synthesis_builds(tmp_path, name):
    module, path = load(SYNTHESIS, tmp_path)
    outcome = build(module, path, name)
    assert outcome.status == "built", outcome.reason
    assert outcome.device == "meta"
    assert isinstance(outcome.instance, getattr(module, name))


def test_synthesised_values_are_shown_and_varied(tmp_path):
    module, path = load(SYNTHESIS, tmp_path)
    attention = build(module, path, "Attention")
    assert attention.arguments == "dim=64, num_heads=4"
    picky = build(module, path, "Picky")
    assert picky.arguments == "dim=16" and picky.attempts > 2  # a later scheme
    failed = build(module, path, "Impossible")
    assert failed.status == "failed"
    assert failed.reason.startswith("ValueError: never [dim=64; meta]")
    assert "argument sets failed" in failed.reason


def test_an_annotated_composite_config_falls_back_to_the_part_that_fits(tmp_path):
    module, path = load(SYNTHESIS, tmp_path)
    outcome = build(module, path, "ComposedVisionEncoder")
    assert outcome.status == "built", outcome.reason
    assert outcome.arguments == "config=VisionConfig()" and outcome.attempts > 1
    assert len(outcome.instance.layers) == 2


def test_sizes_left_at_none_are_given_values_in_a_later_attempt(tmp_path):
    module, path = load(SYNTHESIS, tmp_path)
    config = build(module, path, "NeedsSizesSet")
    assert config.status == "built", config.reason
    assert config.instance.embed.num_embeddings > 0 and config.attempts > 1
    layer_norm = build(module, path, "SizeDefaultsToNone")
    assert layer_norm.status == "built", layer_norm.reason
    assert layer_norm.arguments.startswith("hidden_size=")


def test_a_factory_replaces_synthesis(tmp_path):
    module, path = load(SYNTHESIS, tmp_path)
    calls = []

    def make():
        calls.append(1)
        return module.Impossible.__new__(module.Impossible)

    outcome = build(module, path, "Impossible", factories={f"{module.__name__}:Impossible": make})
    assert calls and outcome.status == "failed" and "Module.__init__() never ran" in outcome.reason
    good = build(module, path, "Picky", factories={f"{module.__name__}:Picky": lambda: module.Picky(16)})
    assert good.status == "built" and good.attempts == 1 and good.arguments.startswith("factory")


# -- meta versus CPU ---------------------------------------------------------------------

def _fixture_modules():
    modules = []
    for path in sorted([*(FIXTURES / "buggy").glob("*.py"), *(FIXTURES / "clean").glob("*.py"),
                        *(FIXTURES / "runtime").glob("*.py")]):
        spec = importlib.util.spec_from_file_location(f"_meta_vs_cpu_{path.parent.name}_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        except ModuleNotFoundError as missing:
            # fixtures written against third-party bases (lightning, fastai, ...) that this
            # environment does not install
            if missing.name is None or missing.name.split(".")[0] in ("torch", "models"):
                raise
            del sys.modules[spec.name]
            continue
        modules.append((module, realpath(str(path))))
    for name in ("models.blocks", "train"):
        module = importlib.import_module(name)
        modules.append((module, realpath(module.__file__)))
    return modules


def test_inspection_is_the_same_on_meta_and_cpu(monkeypatch):
    monkeypatch.syspath_prepend(str(FIXTURES / "project"))
    monkeypatch.syspath_prepend(str(FIXTURES / "runtime"))
    for directory in ("clean", "buggy"):  # fixtures that import a sibling file (a base class, a layer)
        monkeypatch.syspath_prepend(str(FIXTURES / directory))
    compared = 0
    owned_files = set()
    modules = _fixture_modules()
    for _, path in modules:
        owned_files.add(path)
    for module, path in modules:
        builder = Builder(vars(module), owned_files.__contains__, {}, {}, budget=60)
        for cls in [v for v in vars(module).values()
                    if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == module.__name__]:
            plans = builder._plans(cls, cls.__qualname__)
            if not isinstance(plans, list):
                continue
            _, make, _, _ = plans[0]
            meta, cpu = build_once(make, "meta"), build_once(make, "cpu")
            if meta.error is not None or cpu.error is not None or "_parameters" not in vars(meta.instance):
                continue
            assert next(iter(meta.instance.parameters()), torch.empty(0, device="meta")).device.type in ("meta", "cpu")
            on_meta = inspect_model(meta.instance, owned_files.__contains__, meta.recorder.where)
            on_cpu = inspect_model(cpu.instance, owned_files.__contains__, cpu.recorder.where)
            assert on_meta.facts == on_cpu.facts, cls.__qualname__
            assert on_meta.findings == on_cpu.findings, cls.__qualname__
            compared += 1
    assert compared >= 25


def test_meta_builds_cost_no_memory():
    class Huge(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(16384, 16384) for _ in range(8))  # 2.1e9 parameters

    attempt = build_once(Huge, "meta")
    assert attempt.error is None
    assert attempt.instance.layers[0].weight.device.type == "meta"


# -- construction evidence and the recorder ----------------------------------------------

EVIDENCE = """
import torch
import torch.nn as nn


class InPlace(nn.Module):
    def __init__(self, dim=4):
        super().__init__()
        self.w = nn.Parameter(torch.empty(dim))
        self.w.uniform_(-1, 1)
        self.b = nn.Parameter(torch.empty(dim))


class Late(nn.Module):
    def __init__(self):
        self.w = nn.Parameter(torch.zeros(2))
        self.register_buffer("b", torch.zeros(2))
        super().__init__()
        self.after = torch.zeros(1)


class Never(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(2, 2)


class Rejected(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("count", 0)
        self.register_parameter("scale", torch.ones(1))
        self.ok = nn.Parameter(torch.ones(1))


class Grads(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.temperature = torch.ones(1, requires_grad=True)
        self.fc.weight.require_grad = False
"""


def _events(outcome):
    return sorted((e["code"], e.get("line")) for e in outcome.events)


def test_in_place_on_a_leaf_confirms_tl006(tmp_path):
    module, path = load(EVIDENCE, tmp_path)
    outcome = build(module, path, "InPlace")
    assert outcome.status == "failed"
    assert ("TL006", 10) in _events(outcome)
    assert "a leaf Variable that requires grad" in outcome.reason
    assert outcome.instance is not None  # the probe build went on: other attributes can be judged
    assert "b" in inspect_model(outcome.instance, lambda f: f == path).facts[(path, "InPlace")]["attrs"]


INPLACE = """
import torch
import torch.nn as nn


class Several(nn.Module):
    def __init__(self, dim=4):
        super().__init__()
        self.w = nn.Parameter(torch.empty(dim))
        self.b = nn.Parameter(torch.empty(dim))
        self.w.uniform_(-1, 1)
        self.b += 1
        self.b[0] = 0.0
        nn.init.zeros_(self.b)          # init functions work under no_grad: fine
        with torch.no_grad():
            self.w.mul_(2)              # fine
        self.w.requires_grad_(True)     # not a write to the data
        self.frozen = nn.Parameter(torch.empty(dim), requires_grad=False)
        self.frozen.fill_(1.0)          # does not require grad: fine
"""


def test_a_probe_sees_every_in_place_write_to_a_leaf(tmp_path):
    module, path = load(INPLACE, tmp_path)
    outcome = build(module, path, "Several")
    assert outcome.status == "failed"
    assert "a leaf Variable that requires grad" in outcome.reason
    # line 11 twice: the error of the first build, and the probe's note
    assert [line for code, line in _events(outcome) if code == "TL006"] == [11, 11, 12, 13]
    assert outcome.instance is not None and isinstance(outcome.instance.frozen, nn.Parameter)


def test_probe_records_every_registration_before_init(tmp_path):
    module, path = load(EVIDENCE, tmp_path)
    late = build(module, path, "Late")
    assert [e for e in _events(late) if e[0] == "TL002"] == [("TL002", 16), ("TL002", 16), ("TL002", 17)]
    never = build(module, path, "Never")
    assert {e["code"] for e in never.events} == {"TL003"}
    assert any(e.get("qualname") == "Never" for e in never.events)


def test_probe_records_every_rejected_registration(tmp_path):
    module, path = load(EVIDENCE, tmp_path)
    outcome = build(module, path, "Rejected")
    assert [e for e in _events(outcome) if e[0] == "TL010"] == [("TL010", 30), ("TL010", 30), ("TL010", 31)]
    facts = inspect_model(outcome.instance, lambda f: f == path).facts[(path, "Rejected")]
    assert facts["attrs"]["ok"]["kind"] == "parameter"


def test_requires_grad_tensor_and_typo(tmp_path):
    module, path = load(EVIDENCE, tmp_path)
    outcome = build(module, path, "Grads")
    assert outcome.status == "built"
    found = inspect_model(outcome.instance, lambda f: f == path, outcome.recorder.where,
                          outcome.recorder.typo_where).findings
    # one defect, one finding: a plain tensor that requires grad is TL004 alone (its message
    # names both consequences), not TL001 and TL004 on the same attribute
    assert sorted((f["code"], f["line"], f["attribute"]) for f in found) == [
        ("TL004", 39, "temperature"), ("TL005", 40, "require_grad")]
    by_code = {f["code"]: f for f in found}
    assert "never updates it" in by_code["TL004"]["message"] and "state_dict()" in by_code["TL004"]["message"]
    assert "`self.fc.weight.require_grad` was set" in by_code["TL005"]["message"]


@pytest.mark.parametrize("name,typo", [("require_grad", True), ("requires_grads", True), ("requiresgrad", True),
                                       ("requires_gradient", True), ("requires_grad", False), ("grad", False)])
def test_requires_grad_typos(name, typo):
    assert is_requires_grad_typo(name) is typo


def test_the_recorder_restores_torch():
    setattr_, cuda, register = nn.Module.__setattr__, torch.Tensor.cuda, nn.Module.register_buffer
    attempt = build_once(lambda: nn.Linear(2, 2).cuda(), "meta")
    assert attempt.error is None  # .cuda() is a no-op while building (no GPU needed)
    assert nn.Module.__setattr__ is setattr_ and nn.Module.register_buffer is register
    assert torch.Tensor.cuda is cuda and "cuda" not in torch.Tensor.__dict__


# -- TL101's own examples ----------------------------------------------------------------

RULE = RULES_BY_CODE["TL101"]


@pytest.mark.parametrize("kind,source", [("valid", s) for s in RULE.VALID] + [("invalid", s) for s in RULE.INVALID])
def test_tl101_examples(tmp_path, kind, source):
    module, path = load(source, tmp_path)
    outcome = build(module, path, "Net")
    assert outcome.status == "built"
    codes = [f["code"] for f in inspect_model(outcome.instance, lambda f: f == path, outcome.recorder.where).findings]
    assert ("TL101" in codes) is (kind == "invalid")


# -- the Python API and the pytest plugin ------------------------------------------------

def test_check_model_and_assert_registered(tmp_path):
    import torchlint

    module, path = load(EVIDENCE, tmp_path)
    model = module.Grads()
    findings = torchlint.check_model(model)
    assert sorted(d.code for d in findings) == ["TL004", "TL005"]  # one finding per defect
    assert all(d.origin == "runtime" and d.location.row == 35 for d in findings)  # the class line
    assert torchlint.check_model(model, ignore=["TL004", "TL005"]) == []
    with pytest.raises(AssertionError, match=r"Grads has 2 registration problems:\n  .*model.py:35: TL004"):
        torchlint.assert_registered(model)
    torchlint.assert_registered(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
    with pytest.raises(TypeError):
        torchlint.check_model(object())


def test_pytest_plugin(tmp_path):
    (tmp_path / "test_user_models.py").write_text(textwrap.dedent("""\
        import torch
        import torch.nn as nn

        class Good(nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("pe", torch.zeros(3))

        class Bad(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = [nn.Linear(2, 2)]

        def test_good(assert_registered):
            assert_registered(Good())

        def test_bad(assert_registered):
            assert_registered(Bad())
    """))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            cwd=tmp_path, capture_output=True)
    out = result.stdout.decode()
    assert "1 failed, 1 passed" in out, out
    assert "Bad has 1 registration problem:" in out and "TL007 `self.layers` keeps 1 submodule" in out


def test_cpu_fallback_is_for_small_models_only(tmp_path):
    module, path = load("""
    import torch
    import torch.nn as nn

    class MetaHostile(nn.Module):
        def __init__(self, width=4096, depth=8):
            super().__init__()
            self.scale = torch.tensor(2.0).item()  # .item() does not work on meta tensors
            self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))

    class SmallMetaHostile(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.tensor(2.0).item()
            self.fc = nn.Linear(4, 4)
    """, tmp_path)
    big = build(module, path, "MetaHostile")
    assert big.status == "failed"
    assert "too large for a CPU build (more than 20,000,000 tensor elements)" in big.reason
    small = build(module, path, "SmallMetaHostile")
    assert small.status == "built" and small.device == "cpu"


def test_module_arguments_are_built_on_meta(tmp_path):
    module, path = load("""
    import torch.nn as nn

    class Wide(nn.Module):
        def __init__(self, width: int = 100_000):
            super().__init__()
            self.fc = nn.Linear(width, width)  # 10^10 parameters: only possible on meta

    class Holder(nn.Module):
        def __init__(self, inner: Wide):
            super().__init__()
            self.inner = inner
    """, tmp_path)
    outcome = build(module, path, "Holder")
    assert outcome.status == "built", outcome.reason
    assert outcome.instance.inner.fc.weight.device.type == "meta"


def test_tensors_that_escape_meta_still_build(tmp_path):
    torch.save(torch.arange(3.0), tmp_path / "table.pt")
    module, path = load(f"""
    import torch
    import torch.nn as nn

    class Loaded(nn.Module):
        def __init__(self, dim=4):
            super().__init__()
            self.fc = nn.Linear(dim, dim)
            self.legacy = torch.FloatTensor(2, dim)
            self.table = torch.load({str(tmp_path / "table.pt")!r})
            self.from_list = torch.as_tensor([1.0, 2.0], device="cpu")
    """, tmp_path)
    outcome = build(module, path, "Loaded")
    assert outcome.status == "built" and outcome.device == "meta"
    assert outcome.instance.fc.weight.device.type == "meta" and outcome.instance.table.device.type == "cpu"
    found = inspect_model(outcome.instance, lambda f: f == path, outcome.recorder.where).findings
    assert sorted((f["attribute"], f["line"]) for f in found) == [("from_list", 11), ("legacy", 9), ("table", 10)]


def test_from_numpy_builds(tmp_path):
    pytest.importorskip("numpy")
    module, path = load("""
    import numpy as np
    import torch
    import torch.nn as nn

    class Table(nn.Module):
        def __init__(self, n=5):
            super().__init__()
            self.register_buffer("ok", torch.from_numpy(np.ones(n)))
            self.grid = torch.from_numpy(np.zeros((n, n)))
    """, tmp_path)
    outcome = build(module, path, "Table")
    assert outcome.status == "built"
    found = inspect_model(outcome.instance, lambda f: f == path, outcome.recorder.where).findings
    assert [(f["code"], f["attribute"]) for f in found] == [("TL001", "grid")]


def test_a_made_up_value_rejected_by_torch_is_no_evidence(tmp_path):
    module, path = load("""
    import torch
    import torch.nn as nn

    class Decoder(nn.Module):
        def __init__(self, layer_fn, depth=2):
            super().__init__()
            for i in range(depth):
                self.add_module(f"layer{i}", layer_fn)   # expects a module instance

    class Counter(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.register_buffer("count", 0)             # the code's own bug
    """, tmp_path)
    decoder = build(module, path, "Decoder")
    assert decoder.status == "failed" and decoder.events == []
    assert "Identity is not a Module subclass" in decoder.reason
    counter = build(module, path, "Counter")
    assert [e["code"] for e in counter.events][:1] == ["TL010"]


def test_tl101_only_for_weights_the_linted_code_replaced(tmp_path):
    module, path = load("""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class HeadNorm(nn.LayerNorm):
        '''One norm per head: weight (heads, head_dim) on purpose, its own forward.'''
        def __init__(self, shape):
            super().__init__(shape)
            self.normalized_shape = (shape[-1],)

        def forward(self, x):
            return F.layer_norm(x, self.normalized_shape, None, None, self.eps) * self.weight + self.bias

    class Attention(nn.Module):
        def __init__(self, heads=4, head_dim=8):
            super().__init__()
            self.q_norm = HeadNorm((heads, head_dim))
            self.proj = nn.Linear(heads * head_dim, 16)
            self.proj.weight = nn.Parameter(torch.zeros(heads * head_dim, 16))
    """, tmp_path)
    outcome = build(module, path, "Attention")
    found = inspect_model(outcome.instance, lambda f: f == path, outcome.recorder.where).findings
    assert [(f["code"], f["attribute"], f["line"]) for f in found] == [("TL101", "proj.weight", 20)]
    # check_model() has no recorded lines: it reports at the class of the layer's user
    import torchlint

    model = module.Attention()
    assert [(d.code, d.location.row) for d in torchlint.check_model(model)] == [("TL101", 15)]
    model.proj.weight = nn.Parameter(torch.zeros(16, 32))
    assert torchlint.check_model(model) == []
