"""TL007/TL008 wraps of containers of containers: `[[Block(d), ...] for ...]`, a dict of
dicts of Parameters filled by `self.x[k] = {"w": nn.Parameter(...)}` (int keys turned
into strings), rows appended as lists/dicts. The outer container becomes a Module
container, each inner one the item kind's wrapper. Golden, idempotent, aliases/CRLF,
declined forms, and with torch the fixed model registers every item."""

from __future__ import annotations

import ast

import pytest

from test_container_fixes import module
from test_fixes import NN_ALIASES as ALIASES, fixed

TAIL = "\n    def forward(self, x):\n        return x\n"

# (before, after, a state_dict key the fixed model has)
GOLDEN = [
    ("self.a = [[Block(d) for _ in range(2)] for _ in range(n)]\n",
     "self.a = nn.ModuleList([nn.ModuleList([Block(d) for _ in range(2)]) for _ in range(n)])\n", "a.2.1.fc.weight"),
    ("self.a = [(Block(d), Block(d)), (Block(d), Block(d))]  # pairs\n",
     "self.a = nn.ModuleList([(nn.ModuleList([Block(d), Block(d)])), (nn.ModuleList([Block(d), Block(d)]))])  # pairs\n",
     "a.1.0.fc.bias"),
    ("self.a = {'enc': [Block(d)], 'dec': [Block(d), Block(d)]}\n",
     "self.a = nn.ModuleDict({'enc': nn.ModuleList([Block(d)]), 'dec': nn.ModuleList([Block(d), Block(d)])})\n",
     "a.dec.1.fc.weight"),
    ("self.a = [[nn.Parameter(torch.ones(d)), nn.Parameter(torch.zeros(d))] for _ in range(n)]\n",
     "self.a = nn.ModuleList([nn.ParameterList([nn.Parameter(torch.ones(d)), nn.Parameter(torch.zeros(d))]) "
     "for _ in range(n)])\n", "a.2.1"),
    ("self.a = [\n    {'w': nn.Parameter(torch.ones(d)),  # weight\n     'b': nn.Parameter(torch.zeros(d))}\n"
     "    for _ in range(n)\n]\n",
     "self.a = nn.ModuleList([\n    nn.ParameterDict({'w': nn.Parameter(torch.ones(d)),  # weight\n"
     "     'b': nn.Parameter(torch.zeros(d))})\n    for _ in range(n)\n])\n", "a.0.w"),
    # filled later: the fills are wrapped where they are
    ("self.a = []\nfor _ in range(n):\n    self.a.append({'w': nn.Parameter(torch.ones(d))})\n",
     "self.a = nn.ModuleList()\nfor _ in range(n):\n    self.a.append(nn.ParameterDict({'w': nn.Parameter(torch.ones(d))}))\n",
     "a.1.w"),
    ("self.a = {}\nfor i in range(n):\n    self.a[i] = {'w': nn.Parameter(torch.ones(d)), 'b': nn.Parameter(torch.ones(d))}\n",
     "self.a = nn.ModuleDict()\nfor i in range(n):\n"
     "    self.a[str(i)] = nn.ParameterDict({'w': nn.Parameter(torch.ones(d)), 'b': nn.Parameter(torch.ones(d))})\n",
     "a.2.b"),
    # a row grown in a local and then put in: wrapped where it goes in
    ("self.a = []\nfor _ in range(n):\n    row = []\n    for _ in range(2):\n        row.append(Block(d))\n"
     "    self.a.append(row)\n",
     "self.a = nn.ModuleList()\nfor _ in range(n):\n    row = []\n    for _ in range(2):\n        row.append(Block(d))\n"
     "    self.a.append(nn.ModuleList(row))\n", "a.2.1.fc.weight"),
    ("self.a = {}\nfor i in range(n):\n    ps = [nn.Parameter(torch.ones(d))]\n    ps.append(nn.Parameter(torch.zeros(d)))\n"
     "    self.a[f'r{i}'] = ps\n",
     "self.a = nn.ModuleDict()\nfor i in range(n):\n    ps = [nn.Parameter(torch.ones(d))]\n"
     "    ps.append(nn.Parameter(torch.zeros(d)))\n    self.a[f'r{i}'] = nn.ParameterList(ps)\n", "a.r2.1"),
    ("self.a = {}\nfor k in ('x', 'y'):\n    self.a[k] = [Block(d) for _ in range(n)]\n",
     "self.a = nn.ModuleDict()\nfor k in ('x', 'y'):\n    self.a[k] = nn.ModuleList([Block(d) for _ in range(n)])\n",
     "a.y.2.fc.weight"),
]


def _source(body: str) -> str:
    return module(body) + TAIL


@pytest.mark.parametrize("before,after,key", GOLDEN)
def test_golden(tmp_path, before, after, key):
    result = fixed(tmp_path, _source(before), unsafe=True)
    assert result == _source(after)
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result  # idempotent, nothing left to fix
    assert fixed(tmp_path, _source(before)) == _source(before)  # unsafe only


def test_int_keys_of_the_outer_dict_become_strings_in_lookups_too(tmp_path):
    before = _source("self.a = {}\nfor i in range(n):\n    self.a[i] = {'w': nn.Parameter(torch.ones(d))}\n").replace(
        "        return x\n", "        row = self.a[0]\n        return x * row['w']\n")
    result = fixed(tmp_path, before, unsafe=True)
    assert "row = self.a[\"0\"]\n" in result and "self.a[str(i)] = nn.ParameterDict(" in result
    assert fixed(tmp_path, result, unsafe=True) == result


@pytest.mark.parametrize("imports,nn", ALIASES)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_aliases_crlf_and_tabs(tmp_path, imports, nn, newline):
    before = (f"import torch\n{imports}\n\nclass Grid({nn}.Module):\n\tdef __init__(self, n=2):\n"
              f"\t\tsuper().__init__()\n\t\tself.rows = [[{nn}.Linear(2, 2) for _ in range(n)]  # row\n"
              "\t\t\tfor _ in range(n)]\n")
    after = (f"import torch\n{imports}\n\nclass Grid({nn}.Module):\n\tdef __init__(self, n=2):\n"
             f"\t\tsuper().__init__()\n\t\tself.rows = {nn}.ModuleList([{nn}.ModuleList([{nn}.Linear(2, 2) for _ in range(n)])  # row\n"
             "\t\t\tfor _ in range(n)])\n")
    before, after = before.replace("\n", newline), after.replace("\n", newline)
    result = fixed(tmp_path, before, unsafe=True, raw=True).decode()
    assert result == after
    assert fixed(tmp_path, result, unsafe=True, raw=True).decode() == result


DECLINED = [
    # ParameterList lacks insert: an item's method the inner wrapper does not have
    "self.a = [[nn.Parameter(torch.ones(d))] for _ in range(n)]\nself.a[0].insert(0, nn.Parameter(torch.ones(d)))\n",
    "self.a = [[Block(d)] for _ in range(n)]\nfor row in self.a:\n    row.sort(key=id)\n",
    "self.a = {}\nfor i in range(n):\n    self.a[i] = [Block(d)]\nrow = self.a[0]\nrow.reverse()\n",
    # an inner dict with a key ParameterDict rejects
    "self.a = [{'w.x': nn.Parameter(torch.ones(d))} for _ in range(n)]\n",
    # an inner list built elsewhere (a local that may change later)
    "row = [Block(d)]\nself.a = [row, row]\nrow.append(Block(d))\n",
    # a local row used after it is put in (the wrapper would copy it without the later items)
    "self.a = []\nfor _ in range(n):\n    row = []\n    self.a.append(row)\n    row.append(Block(d))\n",
    "self.a = []\nrow = []\nfor _ in range(n):\n    row.append(Block(d))\n    self.a.append(row)\n",
    "self.a = []\nfor _ in range(n):\n    row = [Block(d)]\n    self.a.append(row)\nself.width = len(row)\n",
    # a Parameter next to a list of them: no single wrapper holds both
    "self.a = [nn.Parameter(torch.ones(d)), [nn.Parameter(torch.ones(d))]]\n",
]


@pytest.mark.parametrize("body", DECLINED)
def test_declined(tmp_path, body):
    source = _source(body)
    assert fixed(tmp_path, source, unsafe=True) == source


def test_message_names_the_inner_wrappers(tmp_path):
    from torchlint import engine
    from torchlint.config import load_settings

    (tmp_path / "model.py").write_text(_source(GOLDEN[4][0]))
    [finding] = [d for d in engine.run([str(tmp_path / "model.py")], load_settings(tmp_path), jobs=1).diagnostics
                 if d.code == "TL008"]
    assert "Wrap it in `nn.ModuleList`" in finding.fix.message
    assert "each inner container becomes a `nn.ParameterDict` inside it" in finding.fix.message
