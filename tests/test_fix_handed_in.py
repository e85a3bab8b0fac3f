"""TL007 wraps for collections of Modules that arrive through `__init__` arguments
(`stages: Sequence[Stage]` stored as it is, copied or with an empty default) and for
containers a helper of the file returns (`map_values(lambda n: Head(n), sizes)`).
Golden, idempotent, aliases/CRLF/tabs, declined forms, and the reasons in the message."""

from __future__ import annotations

import ast
import textwrap

import pytest

from test_fixes import NN_ALIASES as ALIASES, fixed

HEAD = '''\
import torch
{imports}from typing import Dict, List, Mapping, Optional, Sequence, Tuple


def build(make, n):
    return [make() for _ in range(n)]


def map_values(fn, table):
    return {{key: fn(value) for key, value in table.items()}}


def numbered(make, n):
    return {{f"h{{i}}": make() for i in range(n)}}


class Block({nn}.Module):
    def __init__(self, d=2):
        super().__init__()
        self.fc = {nn}.Linear(d, d)


class M({nn}.Module):
    def __init__(self, {signature}, d=2, n=3):
        super().__init__()
'''
TAIL = "\n    def forward(self, x):\n        return x\n"


def source(signature: str, body: str, imports: str = "import torch.nn as nn\n", nn: str = "nn") -> str:
    return HEAD.format(imports=imports, nn=nn, signature=signature) + \
        textwrap.indent(textwrap.dedent(body).replace("nn.", f"{nn}."), " " * 8) + TAIL


# (signature, before, after, arguments to build the fixed model with, a key it then registers)
GOLDEN = [
    ("stages: Sequence[Block]", "self.a = stages\n", "self.a = nn.ModuleList(stages)\n",
     "stages=[Block(), Block()]", "a.1.fc.weight"),
    ("stages: 'List[Block]'", "self.a = list(stages)  # a copy\n", "self.a = nn.ModuleList(list(stages))  # a copy\n",
     "stages=[Block()]", "a.0.fc.weight"),
    ("stages: tuple[Block, ...]", "self.a = tuple(stages)\n", "self.a = nn.ModuleList(tuple(stages))\n",
     "stages=(Block(), Block())", "a.1.fc.bias"),
    ("stages: Tuple[Block, Block]", "self.a = stages\n", "self.a = nn.ModuleList(stages)\n",
     "stages=(Block(), Block())", "a.1.fc.bias"),
    # grown after it is stored: the wrapper keeps the calls
    ("stages: Sequence[Block]", "self.a = list(stages)\nself.a.append(Block(d))\n",
     "self.a = nn.ModuleList(list(stages))\nself.a.append(Block(d))\n", "stages=[Block()]", "a.1.fc.weight"),
    # None stays None: `if self.a is None` keeps working
    ("extra: Optional[List[Block]] = None", "self.a = extra\n",
     "self.a = nn.ModuleList(extra) if extra is not None else None\n", "extra=[Block()]", "a.0.fc.weight"),
    ("extra: list[Block] | None = None", "self.a = extra\n",
     "self.a = nn.ModuleList(extra) if extra is not None else None\n", "extra=[Block()]", "a.0.fc.weight"),
    ("extra: Sequence[Block] = None", "self.a = extra\n",
     "self.a = nn.ModuleList(extra) if extra is not None else None\n", "extra=[Block()]", "a.0.fc.weight"),
    ("extra: Optional[List[Block]] = None", "self.a = extra or []\n", "self.a = nn.ModuleList(extra or [])\n",
     "extra=[Block()]", "a.0.fc.weight"),
    # a dict whose annotation says its keys are strings
    ("heads: Dict[str, Block]", "self.a = heads\n", "self.a = nn.ModuleDict(heads)\n",
     "heads={'enc': Block()}", "a.enc.fc.weight"),
    ("heads: 'Optional[Mapping[str, Block]]' = None", "self.a = heads or {}\n",
     "self.a = nn.ModuleDict(heads or {})\n", "heads={'enc': Block()}", "a.enc.fc.weight"),
    ("heads: dict[str, Block] | None = None", "self.a = heads\n",
     "self.a = nn.ModuleDict(heads) if heads is not None else None\n", "heads={'dec': Block()}", "a.dec.fc.weight"),
    # containers a helper of the file returns
    ("sizes=None", "self.a = build(lambda: Block(d), n)\n", "self.a = nn.ModuleList(build(lambda: Block(d), n))\n",
     "", "a.2.fc.weight"),
    ("sizes=None", "self.a = map_values(lambda w: Block(w), {'enc': d, 'dec': d})\n",
     "self.a = nn.ModuleDict(map_values(lambda w: Block(w), {'enc': d, 'dec': d}))\n", "", "a.dec.fc.weight"),
    ("sizes=None", "sizes = sizes or {'enc': 2, 'dec': 3}\nself.a = map_values(lambda w: Block(w), sizes)\n",
     "sizes = sizes or {'enc': 2, 'dec': 3}\nself.a = nn.ModuleDict(map_values(lambda w: Block(w), sizes))\n",
     "", "a.dec.fc.weight"),
    ("sizes={'enc': 2}", "self.a = map_values(lambda w: Block(w), table=sizes)\n",
     "self.a = nn.ModuleDict(map_values(lambda w: Block(w), table=sizes))\n", "", "a.enc.fc.weight"),
    ("*, sizes=dict(enc=2, dec=3)", "self.a = map_values(lambda w: Block(w), sizes)\n",
     "self.a = nn.ModuleDict(map_values(lambda w: Block(w), sizes))\n", "", "a.enc.fc.weight"),
    ("sizes=None", "self.a = numbered(lambda: Block(d), n)\n", "self.a = nn.ModuleDict(numbered(lambda: Block(d), n))\n",
     "", "a.h2.fc.weight"),
]


@pytest.mark.parametrize("signature,before,after,args,key", GOLDEN)
def test_golden(tmp_path, signature, before, after, args, key):
    result = fixed(tmp_path, source(signature, before), unsafe=True)
    assert result == source(signature, after)
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result  # idempotent, nothing left to fix
    assert fixed(tmp_path, source(signature, before)) == source(signature, before)  # unsafe only


@pytest.mark.parametrize("imports,nn", ALIASES)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_aliases_crlf_and_tabs(tmp_path, imports, nn, newline):
    before = source("stages: Sequence[Block], extra: Optional[List[Block]] = None",
                    "self.a = stages  # kept\nself.b = extra\n", imports, nn)
    after = source("stages: Sequence[Block], extra: Optional[List[Block]] = None",
                   "self.a = nn.ModuleList(stages)  # kept\nself.b = nn.ModuleList(extra) if extra is not None else None\n",
                   imports, nn)
    before, after = (text.replace("        ", "\t\t").replace("    ", "\t").replace("\n", newline)
                     for text in (before, after))
    result = fixed(tmp_path, before, unsafe=True, raw=True).decode()
    assert result == after
    assert fixed(tmp_path, result, unsafe=True, raw=True).decode() == result


DECLINED = [
    ("heads: Dict[int, Block]", "self.a = heads\n"),  # int keys: ModuleDict raises
    ("heads: Mapping[tuple, Block]", "self.a = heads\n"),
    ("stages: Sequence[Block]", "self.a = stages\nself.a.sort(key=id)\n"),  # a list method ModuleList lacks
    ("stages: Sequence[Block]", "self.a = stages\nself.a = self.a * 2\n"),  # another store
    # a helper's dict keyed by the values it is given (ints), or by keys nothing here shows
    ("sizes=None", "self.a = {w: Block(w) for w in (2, 3)}\n"),
    ("sizes=None", "self.a = map_values(lambda w: Block(w), sizes)\n"),
    ("sizes=None", "self.a = map_values(lambda w: Block(w), {2: 2, 'x.y': 3})\n"),
    ("sizes=dict(keys=2)", "self.a = map_values(lambda w: Block(w), sizes)\n"),  # a ModuleDict method's name
    ("sizes=None", "sizes = sizes or {'enc': 2}\nfor k in ('a', 'b'):\n    sizes = {k: 1}\n"
                   "self.a = map_values(lambda w: Block(w), sizes)\n"),
]


@pytest.mark.parametrize("signature,body", DECLINED)
def test_declined(tmp_path, signature, body):
    before = source(signature, body)
    assert fixed(tmp_path, before, unsafe=True) == before


def test_declined_when_called_as_a_module(tmp_path):
    # the callers may hand in an `nn.Sequential` that the annotation does not show
    before = source("stages: Sequence[Block]", "self.a = stages\n").replace("        return x\n", "        return self.a(x)\n")
    assert _tl007_fix_messages(tmp_path, before) == [None]
    assert fixed(tmp_path, before, unsafe=True) == before


def _tl007_fix_messages(tmp_path, text: str) -> list:
    from torchlint import engine
    from torchlint.config import load_settings

    (tmp_path / "model.py").write_text(text)
    return [d.fix.message if d.fix else None
            for d in engine.run([str(tmp_path / "model.py")], load_settings(tmp_path), jobs=1).diagnostics
            if d.code == "TL007"]


def test_messages_say_what_the_callers_decide(tmp_path):
    [listed] = _tl007_fix_messages(tmp_path, source("extra: Optional[List[Block]] = None", "self.a = extra\n"))
    assert "`extra` may be any iterable of Modules the callers pass" in listed and "None stays None" in listed
    [keyed] = _tl007_fix_messages(tmp_path, source("heads: Dict[str, Block]", "self.a = heads\n"))
    assert "its keys are the callers'" in keyed and "contains `.`" in keyed
    [returned] = _tl007_fix_messages(tmp_path, source(
        "sizes=None", "sizes = sizes or {'enc': 2, 'dec': 3}\nself.a = map_values(lambda w: Block(w), sizes)\n"))
    assert "its keys come from `sizes`" in returned


def _tl00x_help(tmp_path, text: str, code: str = "TL007") -> list:
    import json
    import subprocess
    import sys

    (tmp_path / "model.py").write_text(text)
    out = subprocess.run([sys.executable, "-m", "torchlint", "--no-cache", "--exit-zero", "--output-format", "json",
                          str(tmp_path / "model.py")], capture_output=True, text=True).stdout
    return [(d["help"], d["fix"]) for d in json.loads(out) if d["code"] == code]


@pytest.mark.parametrize("body,reason", [
    # int keys the file reads as ints: `str(k)` would break the unpacking below
    ("self.a = {}\nfor i in range(n):\n    self.a[i] = Block(d)\nself.b = {**self.a}\n",
     "its keys are ints, which `nn.ModuleDict` does not take (only strings without dots), and line 30 uses the dict"),
    ("self.a = {i: Block(d) for i in range(n)}\nfor k, v in self.a.items():\n    v.fc.reset_parameters()\n",
     "its keys are ints, which `nn.ModuleDict` does not take (only strings without dots), and line 28 uses the dict"),
    ("self.a = {}\nself.a['enc.x'] = Block(d)\n", "its key 'enc.x' is one `nn.ModuleDict` rejects"),
    ("self.a = {task: Block(d) for task in sizes}\n",
     "nothing here shows that its keys (`task` from `sizes`) are such names"),
    ("self.a = {}\nfor k in sizes:\n    self.a[k] = Block(d)\n", "nothing here shows that its keys (`k`) are such names"),
])
def test_dict_refusal_says_why(tmp_path, body, reason):
    [(help_text, fix)] = _tl00x_help(tmp_path, source("sizes=None", body))
    assert fix is None
    assert "(no automatic fix: " in help_text and reason in help_text, help_text


def test_nested_parameters_refusal_says_nothing_about_keys(tmp_path):
    body = "self.a = {'x': [nn.Parameter(torch.ones(1))], 'y.z': [nn.Parameter(torch.ones(1))]}\n"
    for help_text, fix in _tl00x_help(tmp_path, source("sizes=None", body), "TL008"):
        assert fix is None and "its key 'y.z'" in help_text
