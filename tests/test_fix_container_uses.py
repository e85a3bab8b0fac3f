"""TL007/TL008 wraps where the file uses the container as a list: as the argument of a
torch function that wants a list or tuple of tensors (`torch.cat(self.experts)` raises
TypeError on a ParameterList), as an operand (`self.a + self.b`: ParameterList has no
`+`; `[stem] + self.layers`: a list cannot add a ModuleList) or in `==`. There the use
becomes `list(self.x)`; `isinstance`/`type`, and any such use of a dict, refuse and say
why. Golden, idempotent, and with torch the fixed model runs forward."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from test_container_fixes import module
from test_fixes import fixed, namespace_of


def _source(body: str, forward: str) -> str:
    return module(body) + "\n    def forward(self, x):\n" + "".join(f"        {line}\n" for line in forward.splitlines())


P = "nn.Parameter(torch.ones(d))"
# (init body, forward before, forward after)
GOLDEN = [
    (f"self.a = [{P} for _ in range(n)]\n", "return x * torch.cat(self.a, dim=0).sum()",
     "return x * torch.cat(list(self.a), dim=0).sum()"),
    (f"self.a = [{P} for _ in range(n)]\n", "return x * torch.stack(\n    self.a  # the bank\n).sum()",
     "return x * torch.stack(\n    list(self.a)  # the bank\n).sum()"),
    (f"self.a = [{P}]\nself.b = [{P}]\n", "return x * sum(self.a + self.b)",
     "return x * sum(list(self.a) + list(self.b))"),
    ("self.a = [Block(d), Block(d)]\n", "for layer in [nn.Identity()] + self.a:\n    x = getattr(layer, 'fc', layer)(x)\nreturn x",
     "for layer in [nn.Identity()] + list(self.a):\n    x = getattr(layer, 'fc', layer)(x)\nreturn x"),
    ("self.a = [Block(d), Block(d)]\n", "assert self.a != []\nreturn x", "assert list(self.a) != []\nreturn x"),
    # nested: an inner ParameterList handed to torch.stack
    (f"self.a = [[{P}, {P}] for _ in range(n)]\n", "return x * torch.stack(self.a[0]).sum()",
     "return x * torch.stack(list(self.a[0])).sum()"),
    # an isinstance check against a class neither a list nor a ModuleList is: the same answer
    ("self.a = [Block(d), Block(d)]\n", "if isinstance(self.a, (Block, torch.Tensor)):\n    return x\nreturn x",
     "if isinstance(self.a, (Block, torch.Tensor)):\n    return x\nreturn x"),
]
WRAPPED = {
    f"self.a = [{P} for _ in range(n)]\n": f"self.a = nn.ParameterList([{P} for _ in range(n)])\n",
    f"self.a = [{P}]\nself.b = [{P}]\n": f"self.a = nn.ParameterList([{P}])\nself.b = nn.ParameterList([{P}])\n",
    "self.a = [Block(d), Block(d)]\n": "self.a = nn.ModuleList([Block(d), Block(d)])\n",
    f"self.a = [[{P}, {P}] for _ in range(n)]\n":
        f"self.a = nn.ModuleList([nn.ParameterList([{P}, {P}]) for _ in range(n)])\n",
}


@pytest.mark.parametrize("body,before,after", GOLDEN)
def test_golden(tmp_path, body, before, after):
    result = fixed(tmp_path, _source(body, before), unsafe=True)
    assert result == _source(WRAPPED[body], after)
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result


@pytest.mark.torch
@pytest.mark.parametrize("body,before,after", GOLDEN)
def test_fixed_model_runs_forward(tmp_path, body, before, after):
    torch = pytest.importorskip("torch")
    model = namespace_of(fixed(tmp_path, _source(body, before), unsafe=True))["M"]()
    assert list(model.parameters())
    model(torch.ones(2))


# (init body, forward, the reason in the help)
REFUSED = [
    ("self.a = [Block(d)]\n", "assert isinstance(self.a, list)\nreturn x",
     "line 17 uses it where a `nn.ModuleList` cannot stand in for the plain list (`isinstance(self.a, list)`)"),
    ("self.a = [Block(d)]\n", "return x if isinstance(self.a, (nn.Module, int)) else x + 1",
     "(`isinstance(self.a, (nn.Module, int))`)"),
    ("self.a = [Block(d)]\n", "return x if type(self.a) is list else x + 1", "(`type(self.a)`)"),
    (f"self.a = {{'w': {P}}}\n", "return x * torch.stack(self.a)",
     "a `nn.ParameterDict` cannot stand in for the plain dict (`torch.stack(self.a)`)"),
    (f"self.a = {{'w': {P}}}\n", "return x if self.a == {} else x * self.a['w']",
     "a `nn.ParameterDict` cannot stand in for the plain dict (`self.a == {}`)"),
]


@pytest.mark.parametrize("body,forward,reason", REFUSED)
def test_refused_and_says_why(tmp_path, body, forward, reason):
    source = _source(body, forward)
    assert fixed(tmp_path, source, unsafe=True) == source
    (tmp_path / "model.py").write_text(source)
    out = subprocess.run([sys.executable, "-m", "torchlint", "--no-cache", "--exit-zero", "--output-format", "json",
                          str(tmp_path / "model.py")], capture_output=True, text=True).stdout
    [help_text] = [d["help"] for d in json.loads(out) if d["code"] in ("TL007", "TL008")]
    assert "(no automatic fix: " in help_text and reason in help_text, help_text


def test_message_says_where_it_is_passed_as_a_list(tmp_path):
    from torchlint import engine
    from torchlint.config import load_settings

    (tmp_path / "model.py").write_text(_source(*GOLDEN[0][:2]))
    [finding] = [d for d in engine.run([str(tmp_path / "model.py")], load_settings(tmp_path), jobs=1).diagnostics
                 if d.code == "TL008"]
    assert "where it is used as a list (line 17: " in finding.fix.message and "`list(...)`" in finding.fix.message
