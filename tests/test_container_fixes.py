"""TL007/TL008 fixes for the forms people write: comprehensions, lists grown by
append/extend/insert/+=/concatenation, dicts filled by item assignment, items moved with
`.to(device)`. Golden before/after, idempotent, and the fixed model registers what it holds."""

from __future__ import annotations

import ast
import textwrap

import pytest

from test_fixes import fixed

HEADER = (
    "import torch\nimport torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self, d):\n"
    "        super().__init__()\n        self.fc = nn.Linear(d, d)\n\n\n"
    "class M(nn.Module):\n    def __init__(self, d=2, n=3, device='cpu'):\n        super().__init__()\n"
)


def module(body: str) -> str:
    return HEADER + textwrap.indent(textwrap.dedent(body), " " * 8)


CASES = [
    ("self.a = [Block(d) for _ in range(n)]\n", "self.a = nn.ModuleList([Block(d) for _ in range(n)])\n"),
    ("self.a = {str(i): Block(d) for i in range(n)}\n", "self.a = nn.ModuleDict({str(i): Block(d) for i in range(n)})\n"),
    ("self.a = {f'b{i}': Block(d) for i, _ in enumerate(range(n))}\n",
     "self.a = nn.ModuleDict({f'b{i}': Block(d) for i, _ in enumerate(range(n))})\n"),
    ("self.a = {k: Block(d) for k in ('enc', 'dec')}\n", "self.a = nn.ModuleDict({k: Block(d) for k in ('enc', 'dec')})\n"),
    ("self.a = [nn.Parameter(torch.randn(d)) for _ in range(n)]\n",
     "self.a = nn.ParameterList([nn.Parameter(torch.randn(d)) for _ in range(n)])\n"),
    ("self.a = {f'p{i}': nn.Parameter(torch.randn(d)) for i in range(n)}\n",
     "self.a = nn.ParameterDict({f'p{i}': nn.Parameter(torch.randn(d)) for i in range(n)})\n"),
    ("self.a = []\nself.a += [Block(d)]\n", "self.a = nn.ModuleList()\nself.a += [Block(d)]\n"),
    ("self.a = []\nself.a.extend([Block(d) for _ in range(n)])\n",
     "self.a = nn.ModuleList()\nself.a.extend([Block(d) for _ in range(n)])\n"),
    ("self.a = []\nself.a.insert(0, Block(d))\n", "self.a = nn.ModuleList()\nself.a.insert(0, Block(d))\n"),
    ("self.a = []\nfor _ in range(n):\n    self.a.append(Block(d).to(device))\n",
     "self.a = nn.ModuleList()\nfor _ in range(n):\n    self.a.append(Block(d).to(device))\n"),
    ("self.a = [Block(d).to(device) for _ in range(n)]\n",
     "self.a = nn.ModuleList([Block(d).to(device) for _ in range(n)])\n"),
    ("self.a = [Block(d).float(), Block(d)]\n", "self.a = nn.ModuleList([Block(d).float(), Block(d)])\n"),
    ("self.a = []\nfor _ in range(n):\n    self.a = self.a + [Block(d)]  # grow\n",
     "self.a = nn.ModuleList()\nfor _ in range(n):\n    self.a.append(Block(d))  # grow\n"),
    ("self.a = [Block(d)]\nself.a = self.a + [Block(d), Block(d)]\n",
     "self.a = nn.ModuleList([Block(d)])\nself.a.extend([Block(d), Block(d)])\n"),
    ("blocks = []\nfor _ in range(n):\n    blocks.append(Block(d))\nself.a = blocks\n",
     "blocks = []\nfor _ in range(n):\n    blocks.append(Block(d))\nself.a = nn.ModuleList(blocks)\n"),
    # int keys: turned into strings (a plain `ModuleDict` would raise on them)
    ("self.a = {}\nfor i in range(n):\n    self.a[i] = Block(d)\n",
     "self.a = nn.ModuleDict()\nfor i in range(n):\n    self.a[str(i)] = Block(d)\n"),
    ("self.a = {}\nfor i in range(n):\n    self.a[f'h{i}'] = Block(d)\n",
     "self.a = nn.ModuleDict()\nfor i in range(n):\n    self.a[f'h{i}'] = Block(d)\n"),
    ("self.a = {}\nfor k in ['x', 'y']:\n    self.a[k] = nn.Parameter(torch.zeros(d))\n",
     "self.a = nn.ParameterDict()\nfor k in ['x', 'y']:\n    self.a[k] = nn.Parameter(torch.zeros(d))\n"),
    ("self.a = [  # the stack\n    Block(d)  # one block\n    for _ in range(n)\n]\n",
     "self.a = nn.ModuleList([  # the stack\n    Block(d)  # one block\n    for _ in range(n)\n])\n"),
]


@pytest.mark.parametrize("before,after", CASES)
def test_golden(tmp_path, before, after):
    result = fixed(tmp_path, module(before), unsafe=True)
    assert result == module(after)
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result  # idempotent, nothing left to fix


DECLINED = [
    "self.a = {n: Block(d) for n in x}\n",  # keys unseen
    "self.a = {}\nfor i in range(n):\n    self.a[i * 0.5] = Block(d)\n",  # float keys: ModuleDict raises
    "self.a = {}\nfor k in names:\n    self.a[k] = Block(d)\n",  # keys unseen
    "self.a = {}\nself.a['x.y'] = Block(d)\n",  # a dot: ModuleDict raises
    "self.a = [nn.Parameter(torch.ones(1))]\nself.a.insert(0, nn.Parameter(torch.ones(1)))\n",  # ParameterList lacks insert
    "self.a = []\nself.a.append(Block(d))\nself.a = self.a * 2\n",  # another store
    "self.a = [Block(d)]\nself.a.sort(key=id)\n",  # a list method ModuleList lacks
]


@pytest.mark.parametrize("body", DECLINED)
def test_declined(tmp_path, body):
    source = module(body).replace("def __init__(self, d=2, n=3, device='cpu')",
                                  "def __init__(self, d=2, n=3, device='cpu', x=(), names=())")
    assert fixed(tmp_path, source, unsafe=True) == source


@pytest.mark.parametrize("header", ["import torch\nimport torch.nn as tnn\n", "import torch\nfrom torch import nn as tnn\n"])
def test_alias_tabs_and_crlf(tmp_path, header):
    source = (header + "\n\nclass M(tnn.Module):\n\tdef __init__(self, n):\n\t\tsuper().__init__()\n"
              "\t\tself.a = []\n\t\tfor _ in range(n):\n\t\t\tself.a = self.a + [tnn.Linear(2, 2)]\n").replace("\n", "\r\n")
    result = fixed(tmp_path, source, unsafe=True, raw=True)
    assert result == source.replace("self.a = []", "self.a = tnn.ModuleList()").replace(
        "self.a = self.a + [tnn.Linear(2, 2)]", "self.a.append(tnn.Linear(2, 2))").encode()
