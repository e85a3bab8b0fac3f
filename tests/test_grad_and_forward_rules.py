"""TL004, TL005, TL006 and TL009 on focused snippets."""

from __future__ import annotations

import pytest

from torchlint.analysis.typos import is_requires_grad_typo

HEADER = "import torch\nimport torch.nn as nn\n\n"


def init_body(body: str) -> str:
    lines = "\n".join("        " + line for line in body.strip().splitlines())
    return f"{HEADER}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n{lines}\n"


# -- TL004 -------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "self.w = torch.randn(3, requires_grad=True)",
    "self.w = torch.randn(3)\nself.w.requires_grad = True",
    "self.w = torch.randn(3)\nself.w.requires_grad_()",
    "w = torch.randn(3)\nw.requires_grad_(True)\nself.w = w",
    "self.w = torch.autograd.Variable(torch.zeros(2), requires_grad=True)",
])
def test_tl004_found_instead_of_tl001(body, codes):
    assert codes(init_body(body)) == ["TL004"]


@pytest.mark.parametrize("body", [
    "self.w = nn.Parameter(torch.randn(3, requires_grad=True))",
    "self.w = torch.randn(3, requires_grad=True)\nself.w = nn.Parameter(self.w)",
    "w = torch.randn(3, requires_grad=True)\nself.n = w.numel()",
])
def test_tl004_silent(body, codes):
    assert codes(init_body(body)) == []


# -- TL005 -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "require_grad", "requires_grads", "require_grads", "requires_gradient", "required_grad",
    "requiresgrad", "requires_grad_", "Requires_grad", "requries_grad", "requires_gard",
])
def test_typo_names(name):
    assert is_requires_grad_typo(name)


@pytest.mark.parametrize("name", [
    "requires_grad", "_requires_grad", "retain_grad", "requires_grid", "needs_grad",
    "requires_grad_fn", "grad", "zero_grad", "set_requires_grad",
])
def test_real_names_are_not_typos(name):
    assert not is_requires_grad_typo(name)


@pytest.mark.parametrize("source,expected", [
    ("def f(m):\n    for p in m.parameters():\n        p.require_grad = False\n", [("TL005", 3, 11)]),
    ("import torch\nx = torch.ones(2, requires_grads=True)\n", [("TL005", 2, 19)]),
    ("def f(p):\n    p.requires_grad_ = False\n", [("TL005", 2, 7)]),
    ("def f(p):\n    setattr(p, 'require_grad', False)\n", [("TL005", 2, 16)]),
])
def test_tl005_found(source, expected, lint):
    assert lint(source) == expected


@pytest.mark.parametrize("source", [
    # the program's own attribute, read back: consistently spelt, not a typo
    "class C:\n    def __init__(self, require_grad):\n        self.require_grad = require_grad\n\n"
    "    def on(self):\n        return self.require_grad\n",
    # a keyword of the user's own function
    "def freeze(m, require_grad=False):\n    pass\n\nfreeze(None, require_grad=True)\n",
    # calling requires_grad_ is right, even if the file assigns nothing
    "def f(p):\n    p.requires_grad_(False)\n    p.requires_grad = False\n",
])
def test_tl005_silent(source, codes):
    assert codes(source) == []


# -- TL006 -------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "self.w = nn.Parameter(torch.empty(3))\nself.w.normal_()",
    "self.w = nn.Parameter(torch.empty(3))\nself.w.copy_(torch.ones(3))",
    "self.w = nn.Parameter(torch.empty(3))\nself.w.clamp_(0, 1)",
    "self.w = nn.Parameter(torch.empty(3))\nself.w *= 2",
    "self.w = nn.Parameter(torch.empty(3))\nself.w[0] = 1",
    "self.fc = nn.Conv2d(1, 1, 1)\nself.fc.weight.fill_(0)",
    "self.fc = nn.Linear(1, 1)\nif True:\n    self.fc.bias.zero_()",
])
def test_tl006_found(body, codes):
    assert codes(init_body(body)) == ["TL006"]


@pytest.mark.parametrize("body", [
    "self.w = nn.Parameter(torch.empty(3))\nwith torch.no_grad():\n    self.w.normal_()",
    "self.w = nn.Parameter(torch.empty(3))\nwith torch.inference_mode():\n    self.w.normal_()",
    "self.w = nn.Parameter(torch.empty(3))\nwith torch.set_grad_enabled(False):\n    self.w.normal_()",
    "self.w = nn.Parameter(torch.empty(3))\nself.w.data.normal_()",
    "self.w = nn.Parameter(torch.empty(3))\nnn.init.normal_(self.w)",
    "self.w = nn.Parameter(torch.empty(3))\nself.w.requires_grad_(False)\nself.w.zero_()",
    "self.w = nn.Parameter(torch.empty(3))\nself.w.requires_grad = False\nself.w.zero_()",
    "self.w = nn.Parameter(torch.empty(3))\nself.w.detach().zero_()",
    "self.t = torch.empty(3)\nself.register_buffer('b', torch.zeros(3))\nt = torch.zeros(3)\nt.uniform_()",
    "self.act = nn.ReLU()",
])
def test_tl006_silent(body, codes):
    assert "TL006" not in codes(init_body(body))


def test_tl006_in_forward_is_not_construction(codes):
    source = init_body("self.w = nn.Parameter(torch.empty(3))") + "\n    def forward(self, x):\n        self.w.zero_()\n        return x\n"
    assert codes(source) == []


# -- TL009 -------------------------------------------------------------------------------

def forward_body(body: str, extra: str = "") -> str:
    lines = "\n".join("        " + line for line in body.strip().splitlines())
    return f"{HEADER}class M(nn.Module):\n    def forward(self, x):\n{lines}\n        return x\n{extra}"


@pytest.mark.parametrize("body", [
    "x = nn.Conv2d(3, 8, 3)(x)",
    "x = nn.Embedding(10, 4)(x)",
    "x = nn.LSTM(4, 4)(x)[0]",
    "x = nn.MultiheadAttention(4, 2)(x, x, x)[0]",
    "x = nn.GroupNorm(2, 4)(x)",
    "x = nn.InstanceNorm2d(4, affine=True)(x)",
    "self.proj = nn.Linear(4, 4)\nx = self.proj(x)",
    "w = torch.nn.Parameter(torch.ones(4))",
])
def test_tl009_found(body, codes):
    assert codes(forward_body(body)) == ["TL009"]


@pytest.mark.parametrize("body", [
    "x = nn.ReLU()(x)",
    "x = nn.Dropout(0.5)(x)",
    "x = nn.Softmax(dim=-1)(x)",
    "x = nn.LayerNorm(4, elementwise_affine=False)(x)",
    "x = nn.BatchNorm2d(4, affine=False)(x)",
    "x = nn.InstanceNorm2d(4)(x)",
    "x = nn.functional.linear(x, torch.ones(4, 4))",
    "if not hasattr(self, 'proj'):\n    self.proj = nn.Linear(4, 4)\nx = self.proj(x)",
    "def make():\n    return nn.Linear(4, 4)",
])
def test_tl009_silent(body, codes):
    assert codes(forward_body(body)) == []


def test_tl009_helper_shared_with_init_is_construction(codes):
    source = (
        f"{HEADER}class M(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.head = self._make()\n\n"
        "    def _make(self):\n        return nn.Linear(4, 4)\n\n"
        "    def forward(self, x):\n        return self.head(x)\n"
    )
    assert codes(source) == []


def test_tl009_one_time_updates_stored_on_self_are_silent(codes):
    source = (
        f"{HEADER}class Loss(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.bce = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(5.0))\n\n"
        "class M(nn.Module):\n"
        "    def forward(self, x):\n"
        "        if self.expand:\n"
        "            new_bias = nn.Embedding(6, 2)\n"
        "            self.bias = new_bias\n"
        "            self.expand = False\n"
        "        if x.size(0) > 3:\n"
        "            self._extend()\n"
        "        return Loss()(x, x)\n\n"
        "    def _extend(self):\n"
        "        self.weight = nn.Parameter(torch.ones(3))\n"
    )
    assert codes(source) == []


def test_tl009_unconditional_store_on_self_is_rebuilt_every_call(lint):
    source = forward_body("self.every = nn.Linear(2, 2)\nx = self.every(x)")
    assert lint(source) == [("TL009", 6, 22)]


def test_tl009_user_class_owning_parameters_through_sequential(codes):
    source = (
        f"{HEADER}class Block(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.body = nn.Sequential(nn.Linear(2, 2), nn.ReLU())\n\n"
        "class Acts(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.body = nn.Sequential(nn.ReLU(), nn.Dropout(0.1))\n\n"
        "class M(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return Block()(Acts()(x))\n"
    )
    assert codes(source) == ["TL009"]
