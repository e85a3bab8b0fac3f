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


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("before,after", TL004)
def test_tl004_fixed_model_trains_it(tmp_path, before, after):
    namespace: dict = {}
    exec(compile(fixed(tmp_path, module(before), unsafe=True), "<model>", "exec"), namespace)
    assert "a" in dict(namespace["M"]().named_parameters())
