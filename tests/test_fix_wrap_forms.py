"""TL007/TL008 wraps for forms that used to be refused: OrderedDicts with literal keys, a
name that another store sets to a single module (or to anything, on another arm of the
same `if`), and containers (and TL004 tensors) stored before `super().__init__()`, moved
below it. Golden, idempotent, aliases/CRLF/tabs, and the fixed model registers them."""

from __future__ import annotations

import ast

import pytest

from test_container_fixes import module
from test_fixes import fixed, NN_ALIASES as ALIASES, namespace_of

GOLDEN = [
    # an OrderedDict with literal keys: the wrapper keeps the order
    ("self.a = OrderedDict([('enc', Block(d)), ('dec', Block(d))])\n",
     "self.a = nn.ModuleDict(OrderedDict([('enc', Block(d)), ('dec', Block(d))]))\n"),
    ("self.a = collections.OrderedDict(\n    [('enc', Block(d)),  # first\n     ('dec', Block(d))]\n)\n",
     "self.a = nn.ModuleDict(collections.OrderedDict(\n    [('enc', Block(d)),  # first\n     ('dec', Block(d))]\n))\n"),
    ("self.a = OrderedDict()\nfor k in ('enc', 'dec'):\n    self.a[k] = Block(d)\n",
     "self.a = nn.ModuleDict()\nfor k in ('enc', 'dec'):\n    self.a[k] = Block(d)\n"),
    # another store of the name holds one module (or None): the wrapper's slot takes it
    ("if n > 1:\n    self.a = [Block(d) for _ in range(n)]\nelse:\n    self.a = Block(d)\n",
     "if n > 1:\n    self.a = nn.ModuleList([Block(d) for _ in range(n)])\nelse:\n    self.a = Block(d)\n"),
    ("if n:\n    self.a = (Block(d),)\nelif d:\n    self.a = None\nelse:\n    self.a = nn.Identity()\n",
     "if n:\n    self.a = (nn.ModuleList([Block(d),]))\nelif d:\n    self.a = None\nelse:\n    self.a = nn.Identity()\n"),
    # anything, on another arm of the same `if`
    ("if blocks is not None:\n    self.a = blocks\nelse:\n    self.a = [Block(d), Block(d)]\n",
     "if blocks is not None:\n    self.a = blocks\nelse:\n    self.a = nn.ModuleList([Block(d), Block(d)])\n"),
]


def _source(body: str) -> str:
    return ("import collections\nfrom collections import OrderedDict\n" + module(body)).replace(
        "def __init__(self, d=2, n=3, device='cpu')", "def __init__(self, d=2, n=3, device='cpu', blocks=None)") + \
        "\n    def forward(self, x):\n        return x\n"


@pytest.mark.parametrize("before,after", GOLDEN)
def test_golden(tmp_path, before, after):
    result = fixed(tmp_path, _source(before), unsafe=True)
    assert result == _source(after)
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result


DECLINED = [
    "self.a = OrderedDict([('enc.x', Block(d))])\n",  # a dot: ModuleDict raises
    "self.a = {'keys': Block(d)}\n",  # a ModuleDict method's name: KeyError
    "self.a = OrderedDict([('_modules', Block(d))])\n",  # an internal's name
    "self.a = OrderedDict(pairs)\n",  # keys unseen
    "self.a = [Block(d)]\nself.a = blocks\n",  # a later store of anything, on the same path: TypeError
    "self.a = [Block(d)]\n\n def reset(self, x):\n    self.a = list(x)\n",  # in another method
]


@pytest.mark.parametrize("body", DECLINED)
def test_declined(tmp_path, body):
    source = _source(body).replace("blocks=None)", "blocks=None, pairs=())").replace(
        "\n         def reset", "\n    def reset")
    assert fixed(tmp_path, source, unsafe=True) == source


def test_other_branch_is_named_in_the_message(tmp_path):
    from torchlint import engine
    from torchlint.config import load_settings

    (tmp_path / "model.py").write_text(_source(GOLDEN[5][0]))
    [finding] = [d for d in engine.run([str(tmp_path / "model.py")], load_settings(tmp_path), jobs=1).diagnostics
                 if d.code == "TL007"]
    assert "the store on line 17, on another branch, stays as written" in finding.fix.message


EARLY = (
    "import torch\n{imports}\n\n"
    "class Filter({nn}.Module):\n"
    "\tdef __init__(self, n, taps=2):\n"
    "\t\tself.gain = torch.ones(n, requires_grad=True)  # learned\n"
    "\t\tself.taps = [{nn}.Conv1d(1, 1, 3, padding=1) for _ in range(taps)]\n"
    "\t\tself.mix = [\n\t\t\t{nn}.Parameter(torch.full((1,), 0.5))  # one per tap\n\t\t\tfor _ in range(taps)\n\t\t]\n"
    "\t\tsuper().__init__()\n"
    "\t\tself.out = {nn}.Linear(n, n)\n\n"
    "\tdef forward(self, x):\n"
    "\t\tfor tap, w in zip(self.taps, self.mix):\n"
    "\t\t\tx = x + w * tap(x.unsqueeze(1)).squeeze(1)\n"
    "\t\treturn self.out(x * self.gain)\n"
)
EARLY_FIXED = (
    "import torch\n{imports}\n\n"
    "class Filter({nn}.Module):\n"
    "\tdef __init__(self, n, taps=2):\n"
    "\t\tsuper().__init__()\n"
    "\t\tself.gain = {nn}.Parameter(torch.ones(n))  # learned\n"
    "\t\tself.taps = {nn}.ModuleList([{nn}.Conv1d(1, 1, 3, padding=1) for _ in range(taps)])\n"
    "\t\tself.mix = {nn}.ParameterList([\n\t\t\t{nn}.Parameter(torch.full((1,), 0.5))  # one per tap\n"
    "\t\t\tfor _ in range(taps)\n\t\t])\n"
    "\t\tself.out = {nn}.Linear(n, n)\n\n"
    "\tdef forward(self, x):\n"
    "\t\tfor tap, w in zip(self.taps, self.mix):\n"
    "\t\t\tx = x + w * tap(x.unsqueeze(1)).squeeze(1)\n"
    "\t\treturn self.out(x * self.gain)\n"
)


@pytest.mark.parametrize("imports,nn", ALIASES)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_before_super_wraps_move_below_it(tmp_path, imports, nn, newline):
    source = EARLY.format(imports=imports, nn=nn).replace("\n", newline)
    result = fixed(tmp_path, source, unsafe=True, raw=True).decode()
    assert result == EARLY_FIXED.format(imports=imports, nn=nn).replace("\n", newline)
    assert fixed(tmp_path, result, unsafe=True, raw=True).decode() == result
    assert fixed(tmp_path, source, raw=True).decode() == source  # unsafe only


def test_before_super_wrap_stays_when_code_in_between_reads_it(tmp_path):
    source = EARLY.format(imports=ALIASES[0][0], nn="nn").replace(
        "\t\tsuper().__init__()\n", "\t\tself.taps.append(nn.Identity())\n\t\tsuper().__init__()\n")
    result = fixed(tmp_path, source, unsafe=True)
    assert "self.taps = [nn.Conv1d" in result  # not moved: line between reads it
    ast.parse(result)


@pytest.mark.torch
def test_before_super_fixed_model_builds_and_registers(tmp_path):
    torch = pytest.importorskip("torch")
    source = EARLY.format(imports=ALIASES[0][0], nn="nn")
    before = namespace_of(source, "before.py")
    assert sorted(name for name, _ in before["Filter"](4).named_parameters()) == ["out.bias", "out.weight"]
    model = namespace_of(fixed(tmp_path, source, unsafe=True), "model.py")["Filter"](4)
    names = sorted(name for name, _ in model.named_parameters())
    assert names == ["gain", "mix.0", "mix.1", "out.bias", "out.weight", "taps.0.bias", "taps.0.weight",
                     "taps.1.bias", "taps.1.weight"]
    assert model(torch.ones(2, 4)).shape == (2, 4)


@pytest.mark.torch
@pytest.mark.parametrize("before,after", GOLDEN)
def test_wrapped_model_registers(tmp_path, before, after):
    pytest.importorskip("torch")
    namespace = namespace_of(fixed(tmp_path, _source(before), unsafe=True), "model.py")
    model = namespace["M"]()
    assert any(name.startswith("a.") for name, _ in model.named_parameters())
