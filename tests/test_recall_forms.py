"""Forms of real bugs torchlint used to miss (Module bases it did not know, moved
modules, tensors arriving through __init__, conditional wraps, conditional values and
dynamic factories), asserted through the codes reported on snippets."""

from __future__ import annotations

import pytest

from test_analysis import module

# -- Module bases ------------------------------------------------------------------------

KNOWN_BASES = [
    ("from torch.nn.modules.loss import _Loss\n", "_Loss"),
    ("from torch.nn.modules.loss import _WeightedLoss\n", "_WeightedLoss"),
    ("import torch.nn as nn\n", "nn.modules.conv._ConvNd"),
    ("from torch.nn.modules.batchnorm import _BatchNorm\n", "_BatchNorm"),
    ("from torch.nn.modules.batchnorm import _NormBase\n", "_NormBase"),
    ("from torch.nn.modules.rnn import RNNBase\n", "RNNBase"),
    ("from torch.nn.modules.rnn import RNNCellBase\n", "RNNCellBase"),
    ("from torch.nn.modules.dropout import _DropoutNd\n", "_DropoutNd"),
    ("from torch.nn.modules.instancenorm import _InstanceNorm\n", "_InstanceNorm"),
    ("from torch.nn.modules.pooling import _MaxPoolNd\n", "_MaxPoolNd"),
    ("from torch.nn.modules.pooling import _AvgPoolNd\n", "_AvgPoolNd"),
    ("import torch.nn.modules.module as mm\n", "mm.Module"),
    ("from fastai.torch_core import Module\n", "Module"),
    ("from fastai.basics import *\n", "Module"),
    ("from fastai.vision.all import *\n", "Module"),
    ("from lightning.pytorch import LightningModule\n", "LightningModule"),
    ("import lightning.pytorch as pl\n", "pl.LightningModule"),
    ("import pytorch_lightning as pl\n", "pl.LightningModule"),
    ("from torchmetrics import Metric\n", "Metric"),
    ("import torchmetrics\n", "torchmetrics.Metric"),
]


@pytest.mark.parametrize("header,base", KNOWN_BASES)
def test_known_module_bases(header, base, codes):
    assert codes(module("self.t = torch.zeros(3)", base=base, header="import torch\n" + header + "\n")) == ["TL001"]


def test_fastai_module_needs_no_super_init(codes):
    source = (
        "import torch\nfrom fastai.vision.all import *\n\n"
        "class M(Module):\n    def __init__(self, n):\n        self.lin = nn.Linear(n, n)\n"
        "        self.t = torch.zeros(n)\n"
    )
    assert codes(source) == ["TL001"]


def test_star_import_of_other_packages_binds_no_module(codes):
    source = module("self.t = torch.zeros(3)", base="Module", header="import torch\nfrom somelib.all import *\n\n")
    assert codes(source) == []


def test_configured_base_through_a_module_alias(tmp_path, codes):
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nmodule-bases = ["mypkg.layers.Base"]\n')
    header = "import torch\nimport mypkg.layers as L\n\n"
    assert codes(module("self.t = torch.zeros(3)", base="L.Base", header=header)) == ["TL001"]
    header = "import torch\nfrom mypkg.layers import Base\n\nclass Mid(Base):\n    pass\n\n"
    assert codes(module("self.t = torch.zeros(3)", base="Mid", header=header)) == ["TL001"]


def test_unconfigured_base_stays_unknown(codes):
    header = "import torch\nfrom mypkg.layers import Base\n\n"
    assert codes(module("self.t = torch.zeros(3)", base="Base", header=header)) == []


# -- Modules returned by their own methods ----------------------------------------------

MOVED_MODULES = [
    "self.layers = [nn.Linear(2, 2).to('cuda')]",
    "self.layers = [nn.Linear(2, 2).cuda().half()]",
    "self.layers = [nn.Linear(2, 2).cpu(), nn.Linear(2, 2).float(), nn.Linear(2, 2).double()]",
    "self.layers = [nn.Linear(2, 2).bfloat16()]",
    "self.layers = [nn.Linear(2, 2).eval()]",
    "self.layers = [nn.Linear(2, 2).train(False)]",
    "self.layers = [nn.Linear(2, 2).requires_grad_(False)]",
    "self.layers = [nn.Linear(2, 2).type(torch.float64)]",
    "self.layers = []\nself.layers.append(nn.Linear(2, 2).to(x))",
    "self.layers = []\nself.layers += [nn.Linear(2, 2).to(x)]",
    "self.layers = []\nfor _ in range(3):\n    self.layers = self.layers + [nn.Linear(2, 2).to(x)]",
    "self.layers = {'a': nn.Linear(2, 2).to(x)}",
]


@pytest.mark.parametrize("body", MOVED_MODULES)
def test_moved_module_in_plain_container(body, codes):
    assert codes(module(body)) == ["TL007"]


def test_moved_modules_registered_are_clean(codes):
    body = "self.layers = nn.ModuleList([nn.Linear(2, 2).to(x) for _ in range(2)])\nself.act = [nn.ReLU().to(x)]"
    assert codes(module(body)) == []


# -- tensors arriving through __init__ arguments ----------------------------------------

def init_with(signature: str, body: str, header: str = "from typing import Optional, Union\nimport torch\nfrom torch import Tensor, nn\n\n") -> str:
    lines = "\n".join("        " + line for line in body.strip().splitlines())
    return f"{header}class M(nn.Module):\n    def __init__(self, {signature}):\n        super().__init__()\n{lines}\n"


TENSOR_ARGUMENTS = [
    ("t: Tensor", "self.t = t"),
    ("t: torch.Tensor", "self.t = t"),
    ("t: 'Tensor'", "self.t = t"),
    ("t: 'torch.Tensor'", "self.t = t"),
    ("t: Optional[Tensor] = None", "self.t = t"),
    ("t: 'Optional[torch.Tensor]' = None", "self.t = t"),
    ("t: Union[Tensor, None] = None", "self.t = t"),
    ("t: Tensor | None = None", "self.t = t"),
    ("t: torch.LongTensor", "self.t = t"),
    ("t=torch.ones(3)", "self.t = t"),
    ("t: Tensor", "self.t = t.float().unsqueeze(0)"),
    ("t: Tensor", "self.t = t.reshape(-1)"),
    ("t: Tensor", "self.t = torch.cat([t, t])"),
    ("*, t: Tensor", "self.t = t.view(1, -1)"),
    ("t: Tensor", "self.helper(t)\n"),
]


@pytest.mark.parametrize("signature,body", TENSOR_ARGUMENTS)
def test_tensor_argument_stored(signature, body, codes):
    source = init_with(signature, body)
    if "helper" in body:
        source += "\n    def helper(self, value):\n        self.t = value.detach()\n"
    assert codes(source) == ["TL001"]


UNKNOWN_ARGUMENTS = [
    ("t", "self.t = t"),
    ("t=None", "self.t = t"),
    ("t: int = 3", "self.t = t"),
    ("t: Union[Tensor, float] = 1.0", "self.t = t"),
    ("t: 'np.ndarray'", "self.t = t"),
    ("t: Tensor", "self.register_buffer('t', t)"),
    ("t: Tensor", "self.t = nn.Parameter(t)"),
    ("t: Tensor", "self.n = t.shape[0]"),
]


@pytest.mark.parametrize("signature,body", UNKNOWN_ARGUMENTS)
def test_argument_of_unknown_type_or_registered_stays_silent(signature, body, codes):
    assert codes(init_with(signature, body)) == []


def test_a_user_class_named_tensor_is_not_torch_tensor(codes):
    header = "import torch\nfrom torch import nn\nfrom mylib import Tensor\n\n"
    assert codes(init_with("t: Tensor", "self.t = t", header=header)) == []


def test_helper_argument_is_what_the_caller_passes(codes):
    """A Parameter is a `Tensor` too: the caller's value wins over the helper's annotation."""
    source = init_with("n: int", "self.w = nn.Parameter(torch.zeros(n))\nself.w = self.fill(self.w)")
    source += "\n    @staticmethod\n    def fill(w: Tensor) -> Tensor:\n        return w\n"
    assert codes(source) == []


# -- conditional wraps -------------------------------------------------------------------

def test_wrap_only_in_a_branch_says_when_it_stays_plain(tmp_path):
    from conftest import lint_source

    source = module("self.beta = torch.tensor(1.0)\nif x:\n    self.beta = nn.Parameter(self.beta)")
    (finding,) = lint_source(source, tmp_path)
    assert finding.code == "TL001" and finding.location.row == 7
    assert "stays a plain tensor when `x` is false" in finding.message
    # A Parameter assigned to a buffer's name replaces the buffer (Module.__setattr__ takes the
    # name out of `_buffers` first): the non-persistent registration is safe on both paths.
    assert finding.fix.applicability == "safe"
    assert [e.content for e in finding.fix.edits] == ['self.register_buffer("beta", torch.tensor(1.0), persistent=False)']


@pytest.mark.torch
def test_wrap_only_in_a_branch_fix_builds_on_both_paths(tmp_path):
    torch = pytest.importorskip("torch")
    from test_fixes import fixed, namespace_of

    source = module("self.beta = torch.tensor(1.0)\nif x:\n    self.beta = nn.Parameter(self.beta)")
    result = fixed(tmp_path, source)
    assert 'self.register_buffer("beta", torch.tensor(1.0), persistent=False)' in result
    namespace = namespace_of(result, "model.py")
    learned, fixed_value = namespace["M"](x=True), namespace["M"](x=False)
    assert [n for n, _ in learned.named_parameters()] == ["beta"] and list(learned.state_dict()) == ["beta"]
    assert [n for n, _ in fixed_value.named_buffers()] == ["beta"] and list(fixed_value.state_dict()) == []
    assert fixed_value.to(torch.float64).beta.dtype == torch.float64  # now moved with the module


CONDITIONAL = [
    ("if x:\n    del self.b\n    self.register_buffer('b', torch.ones(3))", True),
    ("if x:\n    pass\nelse:\n    self.b = nn.Parameter(self.b)", True),
    ("if x:\n    self.b = nn.Parameter(self.b)\nelif x > 1:\n    self.b = nn.Parameter(self.b)", True),
    ("for _ in range(2):\n    if x:\n        self.b = nn.Parameter(self.b)", True),
    ("if x:\n    self.b = nn.Parameter(self.b)\nelse:\n    self.b = nn.Parameter(self.b, requires_grad=False)", False),
    ("if x:\n    self.b = nn.Parameter(self.b)\nelse:\n    del self.b", False),
    ("if x:\n    if x > 1:\n        self.b = nn.Parameter(self.b)\n    else:\n        self.b = nn.Parameter(-self.b)\n"
     "else:\n    self.b = nn.Parameter(self.b * 2)", False),
    ("try:\n    self.b = nn.Parameter(self.b)\nexcept RuntimeError:\n    pass", False),
    ("self.b = nn.Parameter(self.b)", False),
]


@pytest.mark.parametrize("later,reported", CONDITIONAL)
def test_wrap_on_some_paths_only(later, reported, codes):
    assert codes(module("self.b = torch.ones(3)\n" + later)) == (["TL001"] if reported else [])


def test_a_tensor_made_inside_the_branch_is_judged_there(codes):
    body = "if x:\n    self.b = torch.ones(3)\n    self.b = nn.Parameter(self.b)\nelse:\n    self.b = None"
    assert codes(module(body)) == []


# -- conditional expressions and dynamic factories --------------------------------------

JOINS = [
    ("self.t = x if isinstance(x, torch.Tensor) else torch.tensor(x)", ["TL001"]),
    ("self.t = torch.ones(3) if x else 1.0", ["TL001"]),
    ("t = x\nif t is None:\n    t = torch.ones(3)\nself.t = t", ["TL001"]),
    # a Parameter on one arm, a plain tensor on the other: plain whenever `x` is false
    ("self.t = nn.Parameter(torch.ones(3)) if x else torch.ones(3)", ["TL001"]),
    ("self.t = nn.Parameter(torch.ones(3)) if x else nn.Buffer(torch.ones(3))", []),
    ("self.t = x if x is not None else nn.Parameter(torch.ones(3))", []),
    ("self.t = 1.0 if x else 2.0", []),
    ("self.register_buffer('t', x if torch.is_tensor(x) else torch.tensor(x))", []),
]


@pytest.mark.parametrize("body,expected", JOINS)
def test_tensor_on_one_path_is_reported(body, expected, codes):
    assert codes(module(body)) == expected


FACTORIES = [
    ("self.w = getattr(torch, 'hann_window')(8)", ["TL001"]),
    ("self.w = getattr(torch, f'{x}_window')(8)", ["TL001"]),
    ("fn = getattr(torch, 'blackman_window')\nself.w = fn(8)", ["TL001"]),
    ("fn = torch.hann_window\nself.w = fn(8)", ["TL001"]),
    ("self.w = getattr(torch, x)", []),
    ("self.w = getattr(torch, f'{x}')(8)", []),
    ("self.w = getattr(np, 'hanning')(8)", []),
    ("self.act = getattr(nn, 'ReLU')()\nself.acts = [getattr(nn, 'Linear')(2, 2)]", ["TL007"]),
]


@pytest.mark.parametrize("body,expected", FACTORIES)
def test_dynamic_torch_factories(body, expected, codes):
    assert codes(module(body, header="import numpy as np\n" + "import torch\nimport torch.nn as nn\n\n")) == expected


# -- values from helpers -------------------------------------------------------------------

HELPERS = [
    ("def f(n):\n    t = torch.zeros(n)\n    return t.unsqueeze(0)\n", "self.t = f(3)", ["TL001"]),
    ("def f(x):\n    return x.view(-1)\n", "self.t = f(torch.ones(4))", ["TL001"]),
    ("def f(x, y):\n    return torch.stack([x, y])\n", "self.t = f(x, x)", ["TL001"]),
    ("def f(x):\n    return g(x)\n\ndef g(y):\n    return y * 2\n", "self.t = f(torch.ones(2))", ["TL001"]),
    ("def f(x):\n    return x.view(-1)\n", "self.t = f(x)", []),
    ("def f(x):\n    return x.numel()\n", "self.t = f(torch.ones(4))", []),
    ("def f(x):\n    return nn.Parameter(x)\n", "self.t = f(torch.ones(4))", []),
]


@pytest.mark.parametrize("helper,body,expected", HELPERS)
def test_same_file_helper_values(helper, body, expected, codes):
    assert codes(module(body, header=HEADER + helper + "\n\n")) == expected


def test_unannotated_helper_in_another_file(tmp_path, codes):
    (tmp_path / "ops.py").write_text(
        "import torch\nimport torch.nn.functional as F\n\n"
        "def window(n):\n    w = torch.hann_window(n)\n    return w.sqrt()\n\n"
        "def padded(x):\n    return F.pad(x, (1, 1))\n\n"
        "def shape(n):\n    t = torch.ones(n)\n    return t.shape\n\n"
        "def maybe(n):\n    if n:\n        return torch.ones(n)\n    return n\n"
    )
    header = "import torch\nimport torch.nn as nn\nfrom ops import window, padded, shape, maybe\n\n"
    assert codes(module("self.a = window(4)\nself.b = padded(x)", header=header)) == ["TL001", "TL001"]
    assert codes(module("self.c = shape(4)\nself.d = maybe(3)", header=header)) == []


HEADER = "import torch\nimport torch.nn as nn\n\n"


# -- Modules arriving through __init__ arguments -------------------------------------------

def test_module_arguments_before_super_init(codes):
    source = (
        "import torch.nn as nn\n\n"
        "class Net(nn.Module):\n    def __init__(self, body, head: nn.Module, lr=0.1):\n"
        "        self.lr = lr\n        self.body = body\n        self.head = head\n        super().__init__()\n\n"
        "def make():\n    return Net(nn.Linear(2, 2), head=nn.Linear(2, 1))\n"
    )
    assert codes(source) == ["TL002", "TL002"]


def test_arguments_of_unknown_type_before_super_init_stay_silent(codes):
    source = (
        "import torch.nn as nn\n\n"
        "class Net(nn.Module):\n    def __init__(self, body, head):\n"
        "        self.body = body\n        self.head = head\n        super().__init__()\n"
    )
    assert codes(source) == []


def test_register_parameter_of_an_argument_annotated_tensor_is_not_judged(codes):
    assert codes(init_with("w: Tensor", "self.register_parameter('w', w)")) == []


def test_annotated_module_argument_in_a_plain_list_is_not_judged(codes):
    """A Module handed in may be owned elsewhere (a back-reference to a parent)."""
    assert codes(init_with("parent: nn.Module", "self.parent = [parent]")) == []


NARROWED = [
    "if isinstance(t, torch.Tensor):\n    self.register_buffer('t', t)\nelse:\n    self.t = t",
    "if not torch.is_tensor(t):\n    self.t = t\nelse:\n    self.register_buffer('t', t)",
]


@pytest.mark.parametrize("body", NARROWED)
def test_isinstance_tensor_narrows_the_other_arm(body, codes):
    assert codes(init_with("t=None, n=3", "if t is None:\n    t = torch.ones(n)\n" + body)) == []


def test_installed_base_is_read_not_imported(tmp_path, monkeypatch, codes):
    """A base from an installed package the table does not know: its source is read."""
    from torchlint.analysis import project

    site = tmp_path / "site"
    (site / "vendorlib" / "layers").mkdir(parents=True)
    (site / "vendorlib" / "__init__.py").write_text("raise ImportError('never imported')\nfrom .layers.base import Base\n")
    (site / "vendorlib" / "layers" / "__init__.py").write_text("")
    (site / "vendorlib" / "layers" / "base.py").write_text(
        "import torch.nn as nn\n\nclass Base(nn.Module):\n    pass\n\nclass Plain:\n    pass\n")
    monkeypatch.syspath_prepend(str(site))
    project._installed_root.cache_clear()
    try:
        header = "import torch\nfrom vendorlib import Base\nfrom vendorlib.layers.base import Plain\n\n"
        assert codes(module("self.t = torch.zeros(3)", base="Base", header=header)) == ["TL001"]
        assert codes(module("self.t = torch.zeros(3)", base="Plain", header=header)) == []
    finally:
        project._installed_root.cache_clear()


def test_only_an_unsafe_autofix_for_an_argument_only_annotated_tensor(tmp_path):
    """A caller may pass an nn.Parameter: a buffer would stop it training. The fix is
    offered as unsafe only, and its message says so (issue 18)."""
    from conftest import lint_source

    (direct,) = lint_source(init_with("t: Tensor", "self.t = t"), tmp_path)
    (moved,) = lint_source(init_with("t: Tensor", "self.t = t.float()"), tmp_path)
    (reshaped,) = lint_source(init_with("t: Tensor", "self.t = t.reshape(-1)"), tmp_path)
    for assumed in (direct, moved):
        assert assumed.fix.applicability == "unsafe"
        assert "`nn.Parameter`" in assumed.fix.message and "no longer trained" in assumed.fix.message
    assert reshaped.fix is not None and reshaped.fix.applicability == "safe"
