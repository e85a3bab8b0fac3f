"""Module detection and tensor inference, asserted through TL001/TL007 on snippets."""

from __future__ import annotations

import pytest

HEADER = "import torch\nimport torch.nn as nn\n\n"


def module(body: str, base: str = "nn.Module", header: str = HEADER) -> str:
    lines = "\n".join("        " + line for line in body.strip().splitlines())
    return f"{header}class M({base}):\n    def __init__(self, x=None):\n        super().__init__()\n{lines}\n"


# -- module detection -------------------------------------------------------------------

SPELLINGS = [
    ("import torch\n", "torch.nn.Module"),
    ("import torch\nimport torch.nn as nn\n", "nn.Module"),
    ("import torch\nimport torch.nn as N\n", "N.Module"),
    ("import torch\nfrom torch import nn\n", "nn.Module"),
    ("import torch\nfrom torch.nn import Module as Base\n", "Base"),
    ("import torch\nfrom torch import nn\n", "nn.Sequential"),
    ("import torch\nfrom torch.nn import ModuleList\n", "ModuleList"),
    ("import torch\nfrom torch.nn.modules.module import Module\n", "Module"),
    ("import torch\nimport pytorch_lightning as pl\n", "pl.LightningModule"),
    ("import torch\nfrom transformers import PreTrainedModel\n", "PreTrainedModel"),
    ("import torch\nfrom transformers.models.bert.modeling_bert import BertPreTrainedModel\n", "BertPreTrainedModel"),
    ("import torch\nfrom torch import nn\nclass Mid(nn.Module):\n    pass\n", "Mid"),
    ("import torch\nfrom torch import nn\nAlias = nn.Module\n", "Alias"),
]


@pytest.mark.parametrize("header,base", SPELLINGS)
def test_module_detected_under_any_spelling(header, base, codes):
    assert codes(module("self.t = torch.zeros(3)", base=base, header=header + "\n")) == ["TL001"]


NOT_MODULES = [
    ("import torch\nfrom torch.utils.data import Dataset\n", "Dataset"),
    ("import torch\n", "object"),
    ("import torch\nfrom somewhere import Unknown\n", "Unknown"),
    ("import torch\nfrom torch import nn\n", "nn.Parameter"),
]


@pytest.mark.parametrize("header,base", NOT_MODULES)
def test_non_modules_are_never_flagged(header, base, codes):
    assert codes(module("self.t = torch.zeros(3)", base=base, header=header + "\n")) == []


def test_configured_module_base(tmp_path, codes):
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nmodule-bases = ["mylib.layers.Base"]\n')
    source = module("self.t = torch.zeros(3)", base="Base", header="import torch\nfrom mylib.layers import Base\n\n")
    assert codes(source) == ["TL001"]


# -- tensor inference --------------------------------------------------------------------

TENSORS = [
    "self.t = torch.zeros(3)",
    "self.t = torch.Tensor([1.0, 2.0])",
    "self.t = torch.FloatTensor(3, 3)",
    "self.t = torch.autograd.Variable(torch.zeros(2))",
    "self.t = torch.randn(3).float().to('cpu').unsqueeze(0)",
    "self.t = torch.arange(4) * 2 + 1",
    "self.t = torch.ones(4)[None, :]",
    "self.t = -torch.ones(4)",
    "self.t = torch.ones(4) > 0",
    "self.t = torch.ones(4) if x else None",
    "t = torch.zeros(3)\nt[0] = 1\nself.t = t",
    "a, b = torch.zeros(2), torch.ones(2)\nself.t = a",
    "gy, gx = torch.meshgrid(torch.arange(3), torch.arange(3))\nself.t = gy",
    "self.t = torch.nn.functional.one_hot(torch.arange(3))",
    "self.t = torch.linalg.inv(torch.eye(3))",
    "self.t = nn.init.normal_(torch.empty(3))",
    "self.t = torch.from_numpy(x)",
    "self.p = nn.Parameter(torch.ones(1))\nself.t = self.p * 2",
    "setattr(self, 't', torch.zeros(1))",
]


@pytest.mark.parametrize("body", TENSORS)
def test_tensor_expressions(body, codes):
    assert codes(module(body)) == ["TL001"]


NOT_TENSORS = [
    "self.t = torch.device('cpu')",
    "self.t = torch.float32",
    "self.t = torch.finfo(torch.float16).min",
    "self.t = torch.Size([1, 2])",
    "self.t = torch.Generator()",
    "self.t = torch.zeros(3).item()",
    "self.t = torch.zeros(3).tolist()",
    "self.t = torch.zeros(3).shape",
    "self.t = len(torch.zeros(3))",
    "self.t = 3.0",
    "self.t = [1, 2, 3]",
    "self.t = x",
    "self.t = torch.load(x)",
    "self.t = nn.Parameter(torch.zeros(3))",
    "self.t = nn.Buffer(torch.zeros(3))",
    "self.t = torch.zeros(3)\nself.register_buffer('u', self.t.clone())\nself.t = nn.Parameter(self.t)",
    "self.t = torch.zeros(3)\ndel self.t",
    "self.t = None",
]
# `self.t = torch.nn.Parameter(torch.zeros(3)).to('cpu')` was listed here: no TL001 still, but
# since TL011 it is reported as a moved Parameter (tests/test_moved_parameter.py).


@pytest.mark.parametrize("body", NOT_TENSORS)
def test_non_tensor_expressions(body, codes):
    assert codes(module(body)) == []


def test_project_functions_returning_tensors(codes):
    source = HEADER + (
        "def table(n) -> torch.Tensor:\n    return make(n)\n\n"
        "def grid(n):\n    return torch.stack([torch.arange(n)] * 2)\n\n"
        "def count(n):\n    return n * 2\n\n"
        "class M(nn.Module):\n"
        "    def __init__(self, n):\n"
        "        super().__init__()\n"
        "        self.a = table(n)\n"
        "        self.b = grid(n)\n"
        "        self.c = count(n)\n"
        "        self.d = self._mask(n)\n\n"
        "    def _mask(self, n):\n"
        "        return torch.ones(n, n).tril()\n"
    )
    assert codes(source) == ["TL001", "TL001", "TL001"]


def test_forward_caches_are_not_construction(codes):
    source = module("self.fc = nn.Linear(2, 2)") + (
        "\n    def forward(self, x):\n        self.last = torch.zeros(1)\n        return x\n"
    )
    assert codes(source) == []


def test_helper_called_twice_reports_once(lint):
    source = module("self._build()\nself._build()") + "\n    def _build(self):\n        self.t = torch.zeros(1)\n"
    assert lint(source) == [("TL001", 11, 9)]


def test_recursive_helpers_terminate(codes):
    source = module("self.a()") + (
        "\n    def a(self):\n        self.b()\n\n    def b(self):\n        self.a()\n        self.t = torch.ones(1)\n"
    )
    assert codes(source) == ["TL001"]


def test_base_registered_names_are_respected(codes):
    source = HEADER + (
        "class Base(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.register_buffer('pe', None)\n\n"
        "class Child(Base):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.pe = torch.zeros(3)\n"
    )
    assert codes(source) == []


def test_setattr_override_silences_tl001(codes):
    source = module("self.t = torch.zeros(1)") + "\n    def __setattr__(self, name, value):\n        super().__setattr__(name, value)\n"
    assert codes(source) == []


# -- containers ----------------------------------------------------------------------------

CONTAINER_BUGS = [
    "self.layers = [nn.Linear(2, 2) for _ in range(3)]",
    "self.layers = (nn.Linear(2, 2), nn.Linear(2, 2))",
    "self.layers = list(nn.Linear(2, 2) for _ in range(3))",
    "self.layers = []\nself.layers += [nn.Linear(2, 2)]",
    "self.layers = []\nself.layers.extend([nn.Conv2d(1, 1, 1)])",
    "layers = []\nfor i in range(3):\n    layers.append(nn.Linear(2, 2))\nself.layers = layers",
    "self.layers = {'a': nn.Linear(2, 2)}",
    "self.layers = [[nn.Linear(2, 2)]]",
    "self.layers = [nn.Dropout(0.1)]",
    "self.layers = {'ce': nn.CrossEntropyLoss(weight=torch.ones(3))}",
]


@pytest.mark.parametrize("body", CONTAINER_BUGS)
def test_modules_in_plain_containers(body, codes):
    assert codes(module(body)) == ["TL007"]


CONTAINERS_OK = [
    "self.layers = nn.ModuleList([nn.Linear(2, 2)])",
    "layers = [nn.Linear(2, 2)]\nself.net = nn.Sequential(*layers)",
    "self.layers = [nn.Linear(2, 2)]\nself.net = nn.Sequential(*self.layers)",
    "self.layers = [nn.Linear(2, 2)]\nself.x = 1\nself.y = 2\nself.layers = nn.ModuleList(self.layers)",
    "self.a = nn.Linear(2, 2)\nself.layers = [self.a]",
    "self.layers = [nn.ReLU(), nn.Identity()]",
    "self.layers = [m for m in self.children()]",
    "self.layers = [nn.Linear(2, 2)]\nfor i, l in enumerate(self.layers):\n    self.add_module(f'l{i}', l)",
    "self.layers = (nn.Linear(2, 2) for _ in range(2))",
]


@pytest.mark.parametrize("body", CONTAINERS_OK)
def test_registered_containers_are_fine(body, codes):
    assert codes(module(body)) == []
