"""TL001 fixes for an attribute that is one target of several: tuple unpacking
(``self.cos, self.sin = tables(n)``) and chains (``self.n = n = t``). Golden before/after,
idempotent; the model each fix produces is built with torch in test_fix_targets_torch.py."""

from __future__ import annotations

import textwrap

import pytest

from test_fixes import fixed

HEADER = "import torch\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self, d=3):\n        super().__init__()\n"
NP = ", persistent=False"


def module(body: str, header: str = HEADER) -> str:
    return header + textwrap.indent(textwrap.dedent(body), " " * 8)


# (before, after) with the safe (non-persistent) fix
TARGETS = [
    # tuple unpacking: the reported target becomes a fresh local registered right after
    ("self.a, self.k = torch.zeros(d), 4\n",
     f'a, self.k = torch.zeros(d), 4\nself.register_buffer("a", a{NP})\n'),
    ("self.cos, self.sin = torch.zeros(d).cos(), torch.zeros(d).sin()\n",
     f'cos, sin = torch.zeros(d).cos(), torch.zeros(d).sin()\nself.register_buffer("cos", cos{NP})\n'
     f'self.register_buffer("sin", sin{NP})\n'),
    # comments inside the edited statement and after it stay where they are
    ("self.a, self.k = (  # pair\n    torch.zeros(d),  # table\n    4,\n)  # done\n",
     f'a, self.k = (  # pair\n    torch.zeros(d),  # table\n    4,\n)  # done\nself.register_buffer("a", a{NP})\n'),
    ("(self.a, self.k) = torch.zeros(d), 4\n",
     f'(a, self.k) = torch.zeros(d), 4\nself.register_buffer("a", a{NP})\n'),
    ("[self.a, self.k] = [torch.zeros(d), 4]\n",
     f'[a, self.k] = [torch.zeros(d), 4]\nself.register_buffer("a", a{NP})\n'),
    ("(self.a, self.k), self.j = (torch.zeros(d), 4), 5\n",
     f'(a, self.k), self.j = (torch.zeros(d), 4), 5\nself.register_buffer("a", a{NP})\n'),
    # a local of that name exists: a fresh one, so nothing the function reads is shadowed
    ("a = 4\nself.a, self.k = torch.zeros(d), a\n",
     f'a = 4\na_, self.k = torch.zeros(d), a\nself.register_buffer("a", a_{NP})\n'),
    # one-line suite and `;`: the registration runs right after, on the same line
    ("if d: self.a, self.k = torch.zeros(d), 4\n",
     f'if d: a, self.k = torch.zeros(d), 4; self.register_buffer("a", a{NP})\n'),
    ("self.a, self.k = torch.zeros(d), 4; self.j = 1\n",
     f'a, self.k = torch.zeros(d), 4; self.register_buffer("a", a{NP}); self.j = 1\n'),
    ("if d:\n    self.a, self.k = torch.zeros(d), 4\nelse:\n    self.k = 0\n",
     f'if d:\n    a, self.k = torch.zeros(d), 4\n    self.register_buffer("a", a{NP})\nelse:\n    self.k = 0\n'),
    # a private name: the local is not mangled, the registered name is
    ("self.__a, self.k = torch.zeros(d), 4\n",
     f'a, self.k = torch.zeros(d), 4\nself.register_buffer("_M__a", a{NP})\n'),
    # chains: a plain name among the targets is registered, the attribute's target goes
    ("self.n = n = torch.ones(d)\n", f'n = torch.ones(d)\nself.register_buffer("n", n{NP})\n'),
    ("n = self.n = torch.ones(d)\n", f'n = torch.ones(d)\nself.register_buffer("n", n{NP})\n'),
    ("self.n = t = torch.ones(d)  # ones\nself.k = t.sum().item()\n",
     f't = torch.ones(d)  # ones\nself.register_buffer("n", t{NP})\nself.k = t.sum().item()\n'),
    ("self.m = self.q = torch.zeros(d)\n",
     f'm = q = torch.zeros(d)\nself.register_buffer("m", m{NP})\nself.register_buffer("q", q{NP})\n'),
]


@pytest.mark.parametrize("before,after", TARGETS)
def test_tl001_target_golden(tmp_path, before, after):
    result = fixed(tmp_path, module(before))
    assert result == module(after)
    assert fixed(tmp_path, result) == result


def test_tl001_target_persistent_with_unsafe_fixes(tmp_path):
    result = fixed(tmp_path, module("self.cos, self.k = torch.zeros(d), 4\n"), unsafe=True)
    assert result == module('cos, self.k = torch.zeros(d), 4\nself.register_buffer("cos", cos)\n')


@pytest.mark.parametrize("header,spelling", [
    ("import torch\nfrom torch import nn\n", "nn"),
    ("import torch\nimport torch.nn as tnn\n", "tnn"),
])
def test_tl001_target_nn_buffer_style_and_aliases(tmp_path, header, spelling):
    head = header + f"\n\nclass M({spelling}.Module):\n    def __init__(self, d=3):\n        super().__init__()\n"
    result = fixed(tmp_path, module("self.a, self.k = torch.zeros(d), 4\nself.n = n = torch.ones(d)\n", head),
                   config='[tool.torchlint]\nbuffer-style = "nn.Buffer"\n')
    assert result == module(f"a, self.k = torch.zeros(d), 4\nself.a = {spelling}.Buffer(a{NP})\n"
                            f"n = torch.ones(d)\nself.n = {spelling}.Buffer(n{NP})\n", head)


def test_tl001_target_crlf_and_tabs(tmp_path):
    source = module("self.a, self.k = torch.zeros(d), 4\nself.n = n = torch.ones(d)\n").replace("        ", "\t\t")
    source = source.replace("    ", "\t").replace("\n", "\r\n")
    result = fixed(tmp_path, source, raw=True)
    expected = module(f'a, self.k = torch.zeros(d), 4\nself.register_buffer("a", a{NP})\n'
                      f'n = torch.ones(d)\nself.register_buffer("n", n{NP})\n')
    expected = expected.replace("        ", "\t\t").replace("    ", "\t").replace("\n", "\r\n")
    assert result.decode() == expected


def test_tl001_target_not_fixed_when_the_function_reads_its_locals(tmp_path):
    """A new local would show up in ``locals()``."""
    source = module("self.a, self.k = torch.zeros(d), 4\nself.names = sorted(locals())\n")
    assert fixed(tmp_path, source, unsafe=True) == source


def test_tl001_target_before_super_not_fixed(tmp_path):
    source = ("import torch\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self, d=3):\n"
              "        self.a, self.k = torch.zeros(d), 4\n        super().__init__()\n")
    assert fixed(tmp_path, source, unsafe=True) == source
