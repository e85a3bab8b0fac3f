"""TL004 and TL001 fixes in the forms people write: golden before/after, idempotent, and
the fixed model registers what the fix promised."""

from __future__ import annotations

import textwrap

import pytest

from test_fixes import fixed

HEADER = "import torch\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self, d=3):\n        super().__init__()\n"


def module(body: str) -> str:
    return HEADER + textwrap.indent(textwrap.dedent(body), " " * 8)


TL004 = [
    ("self.a = torch.randn(d, requires_grad=True)\n", "self.a = nn.Parameter(torch.randn(d))\n"),
    ("self.a = torch.zeros(d).requires_grad_()\n", "self.a = nn.Parameter(torch.zeros(d))\n"),
    ("self.a = torch.zeros(d).requires_grad_(True)  # trainable\n", "self.a = nn.Parameter(torch.zeros(d))  # trainable\n"),
    ("self.a = torch.empty(d).uniform_(-1, 1).requires_grad_()\n",
     "self.a = nn.Parameter(torch.empty(d).uniform_(-1, 1))\n"),
    ("self.a = torch.ones(d)\nself.a.requires_grad = True\n",
     "self.a = nn.Parameter(torch.ones(d))\nself.a.requires_grad = True\n"),
    ("t = torch.ones(d)\nt.requires_grad = True\nself.a = t\n",
     "t = torch.ones(d)\nt.requires_grad = True\nself.a = nn.Parameter(t)\n"),
    ("self.a = torch.tensor([1.0, 2.0], requires_grad=True)\n", "self.a = nn.Parameter(torch.tensor([1.0, 2.0]))\n"),
    ("self.a = torch.randn(\n    d,\n    requires_grad=True,  # learn it\n)\n",
     "self.a = nn.Parameter(torch.randn(\n    d,  # learn it\n))\n"),
]


@pytest.mark.parametrize("before,after", TL004)
def test_tl004_golden(tmp_path, before, after):
    result = fixed(tmp_path, module(before), unsafe=True)
    assert result == module(after)
    assert fixed(tmp_path, result, unsafe=True) == result


def test_tl001_in_a_helper_called_from_init(tmp_path):
    source = HEADER + "        self._build(d)\n\n    def _build(self, d):\n        self.mask = torch.ones(d, d).tril()\n"
    assert fixed(tmp_path, source) == source.replace(
        "self.mask = torch.ones(d, d).tril()", 'self.register_buffer("mask", torch.ones(d, d).tril(), persistent=False)')


def test_tl001_fixed_when_forward_moves_it_by_hand(tmp_path):
    """`self.z = self.z.to(x.device)` in forward stays a tensor (a buffer stays a buffer)."""
    source = HEADER + ("        self.z = torch.linspace(0, 1, d)\n\n    def forward(self, x):\n"
                       "        self.z = self.z.to(x.device)\n        return x * self.z\n")
    assert fixed(tmp_path, source) == source.replace(
        "self.z = torch.linspace(0, 1, d)", 'self.register_buffer("z", torch.linspace(0, 1, d), persistent=False)')


@pytest.mark.parametrize("later", ["self.z = self.table[0]", "self.z = self.z.tolist()", "self.z = other.z.to(x)"])
def test_tl001_not_fixed_when_something_else_may_be_stored(tmp_path, later):
    source = HEADER + ("        self.z = torch.linspace(0, 1, d)\n\n    def forward(self, x, other):\n"
                       f"        {later}\n        return x\n")
    assert fixed(tmp_path, source) == source
