"""Modules that reach a plain container through a lambda handed to a helper, a deep copy,
a typed collection argument, a factory the file registers elsewhere, or an import shim;
and the neighbouring forms that must stay silent."""

from __future__ import annotations

import pytest

HEADER = "import copy\nfrom typing import Dict, List, Optional, Sequence\n\nimport torch\nfrom torch import nn\n\n"


def cls(init_args: str, body: str, header: str = HEADER, before: str = "") -> str:
    lines = "\n".join("        " + line for line in body.strip().splitlines())
    return (f"{header}{before}class M(nn.Module):\n    def __init__(self, {init_args}):\n"
            f"        super().__init__()\n{lines}\n")


LAMBDA_HELPERS = "def each(fn, xs):\n    return [fn(x) for x in xs]\n\n\ndef twice(fn, x):\n    return fn(fn(x))\n\n\n"


@pytest.mark.parametrize("body,expected", [
    ("self.layers = each(lambda n: nn.Linear(n, n), [2, 4])", ["TL007"]),
    ("self.layers = nn.ModuleList(each(lambda n: nn.Linear(n, n), [2, 4]))", []),
    ("self.widths = each(lambda n: n * 2, [2, 4])", []),
    ("self.acts = each(lambda n: nn.ReLU(), [2, 4])", []),
    ("make = lambda n: [nn.Linear(n, n)]\nself.layers = make(3)", ["TL007"]),
    ("self.layers = (lambda: [nn.Linear(3, 3)])()", ["TL007"]),
    ("self.t = twice(lambda t: t * 2, torch.ones(3))", ["TL001"]),
    ("loop = lambda n: loop(n)\nself.a = loop(1)", []),  # recursion is cut off, not followed forever
    ("self.layers = each(lambda n, **kw: nn.Linear(n, n), [2])", ["TL007"]),
    ("self.layers = list(map(lambda n: nn.Linear(n, n), [2, 4]))", ["TL007"]),
    ("self.layers = list(map(nn.Linear, [2, 4], [4, 8]))", ["TL007"]),
    ("self.layers = nn.ModuleList(map(nn.Linear, [2, 4], [4, 8]))", []),
    ("self.acts = list(map(nn.ReLU, [2, 4]))", []),
    ("self.names = list(map(str, [2, 4]))", []),
    ("self.widths = tuple(map(lambda n: n + 1, [2, 4]))", []),
])
def test_lambdas_called_by_helpers(body, expected, codes):
    assert codes(cls("d: int", body, before=LAMBDA_HELPERS)) == expected


@pytest.mark.parametrize("args,body,expected", [
    ("head: nn.Module, n: int", "self.heads = [copy.deepcopy(head) for _ in range(n)]", ["TL007"]),
    ("head: 'nn.Linear'", "self.heads = [copy.deepcopy(head)]", ["TL007"]),
    ("head: nn.Module, n: int", "self.heads = nn.ModuleList([copy.deepcopy(head) for _ in range(n)])", []),
    ("head: nn.Module", "self.head = head\nself.views = [copy.copy(self.head)]", []),  # shares the parameters
    ("head: nn.Module", "self.views = [copy.copy(head)]", []),
    ("head", "self.heads = [copy.deepcopy(head)]", []),  # nothing says it is a Module
    ("n: int", "self.acts = [copy.deepcopy(nn.ReLU()) for _ in range(n)]", []),
    ("n: int", "lin = nn.Linear(n, n)\nself.copies = [copy.deepcopy(lin)]", ["TL007"]),
])
def test_deep_copies(args, body, expected, codes):
    assert codes(cls(args, body)) == expected


@pytest.mark.parametrize("annotation,expected", [
    ("Sequence[nn.Linear]", ["TL007"]),
    ("List[nn.Conv2d]", ["TL007"]),
    ("'List[nn.Linear]'", ["TL007"]),
    ("list[nn.Linear]", ["TL007"]),
    ("tuple[nn.Linear, ...]", ["TL007"]),
    ("Dict[str, nn.Linear]", ["TL007"]),
    ("Optional[List[nn.Linear]]", ["TL007"]),
    ("list[nn.Linear] | None", ["TL007"]),
    ("List[nn.Module]", []),  # may own nothing
    ("List[nn.ReLU]", []),
    ("Sequence[int]", []),
    ("List", []),
    ("Dict[nn.Linear, int]", []),  # Modules as keys are not held for their weights
])
def test_typed_collection_arguments(annotation, expected, codes):
    assert codes(cls(f"layers: {annotation}", "self.layers = layers")) == expected


def test_typed_collection_argument_wrapped_is_clean(codes):
    assert codes(cls("layers: List[nn.Linear]", "self.layers = nn.ModuleList(layers)")) == []
    assert codes(cls("layers: Dict[str, nn.Linear]", "self.layers = nn.ModuleDict(layers)")) == []


def test_typed_collection_of_a_project_class(codes):
    before = ("class Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
              "        self.lin = nn.Linear(2, 2)\n\n\nclass Tag(nn.Module):\n    pass\n\n\n")
    assert codes(cls("blocks: Sequence[Block]", "self.blocks = blocks", before=before)) == ["TL007"]
    assert codes(cls("tags: Sequence[Tag]", "self.tags = tags", before=before)) == []


FACTORY = "from rlkit.catalog import Catalog\n"


def test_factory_results_registered_elsewhere_are_modules(codes):
    body = ("self.a = {}\nself.b = {}\nfor i in range(2):\n    self.a[i] = Catalog.build(i)\n"
            "    self.add_module(f'a{i}', self.a[i])\n    self.b[i] = Catalog.build(i)\n")
    assert codes(cls("n: int", body, header=HEADER + FACTORY)) == ["TL007"]


def test_factory_results_never_registered_are_not_judged(codes):
    body = "self.a = {}\nfor i in range(2):\n    self.a[i] = Catalog.build(i)\n"
    assert codes(cls("n: int", body, header=HEADER + FACTORY)) == []


def test_factory_registered_through_a_local(codes):
    body = "enc = Catalog.build(0)\nself.register_module('enc', enc)\nself.others = [Catalog.build(1)]\n"
    assert codes(cls("n: int", body, header=HEADER + FACTORY)) == ["TL007"]


@pytest.mark.parametrize("binding,expected", [
    ("torch, nn = try_import_torch()", ["TL001", "TL007"]),
    ("torch, _ = try_import_torch()\nimport torch.nn as nn", ["TL001", "TL007"]),
    ("torch, nn = load_torch()", []),  # an unknown function binds nothing we can trust
])
def test_import_shims(binding, expected, codes):
    source = (f"from rlkit.framework import try_import_torch, load_torch\n\n{binding}\n\n\n"
              "class M(nn.Module):\n    def __init__(self):\n        nn.Module.__init__(self)\n"
              "        self.layers = [nn.Linear(2, 2)]\n        self.t = torch.zeros(2)\n")
    assert codes(source) == expected


# -- the author's word: kept out of the module tree on purpose ---------------------------

@pytest.mark.parametrize("body,expected", [
    ("self.t = torch.zeros(3)  # intentionally not a buffer: it must not be saved", []),
    ("# keep it out of the state_dict\nself.t = torch.zeros(3)", []),
    ("# the scratch table t is not registered on purpose\nn = 3\nself.t = torch.zeros(n)", []),
    ("self.t = torch.zeros(3)  # TODO: should be registered, not saved today", ["TL001"]),
    ("self.t = torch.zeros(3)  # not one of the registered names", ["TL001"]),
    ("self.t = torch.zeros(3)  # do not modify parameters here", ["TL001"]),
    ("# not saved on purpose\nself.other = 1\n\n\n\n\n\n\n\n\nself.t = torch.zeros(3)", ["TL001"]),
    ("self.layers = [nn.Linear(2, 2)]  # plain list on purpose: registered by the sharding wrapper", []),
    ("self.layers = [nn.Linear(2, 2)]  # FIXME not registered on purpose?", ["TL007"]),
    ("self.t = torch.zeros(3, requires_grad=True)  # not a parameter on purpose", ["TL004"]),
])
def test_comments_saying_the_attribute_is_kept_out(body, expected, codes):
    assert codes(cls("n: int", body)) == expected


@pytest.mark.parametrize("method,expected", [
    ("def named_parameters(self, prefix='', recurse=True):\n        yield from ()", []),
    ("def state_dict(self, *a, **k):\n        return {}", []),
    ("def parameters(self, recurse=True):\n        return iter(())", []),
    ("def extra(self):\n        self._register_state_dict_hook(lambda *a: None)", []),
    ("def _load_from_state_dict(self, *args):\n        pass", ["TL007"]),  # renaming keys on load: still a bug
    ("def forward(self, x):\n        return x", ["TL007"]),
])
def test_classes_that_manage_their_module_tree(method, expected, codes):
    source = cls("n: int", "self.layers = [nn.Linear(2, 2)]") + f"\n    {method}\n"
    assert codes(source) == expected


# -- builders in other modules of the project --------------------------------------------

def _project(tmp_path, builders: str, model: str):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "builders.py").write_text("import torch\nimport torch.nn as nn\n\n" + builders)
    (package / "model.py").write_text(
        "import torch.nn as nn\nfrom .builders import *\nfrom . import builders\n\n\n"
        "class M(nn.Module):\n    def __init__(self, n):\n        super().__init__()\n        " + model + "\n")
    return package / "model.py"


@pytest.mark.parametrize("builders,model,expected", [
    ("def block(c):\n    return nn.Sequential(nn.Conv2d(c, c, 3), nn.ReLU())\n",
     "self.blocks = [block(n) for _ in range(2)]", ["TL007"]),
    ("def block(c):\n    return nn.Sequential(nn.Conv2d(c, c, 3), nn.ReLU())\n",
     "self.blocks = [builders.block(n) for _ in range(2)]", ["TL007"]),
    ("def block(c):\n    layer = nn.Sequential()\n    layer.add_module('fc', nn.Linear(c, c))\n    return layer\n",
     "self.blocks = [block(n)]", ["TL007"]),
    ("def block(c):\n    return nn.Sequential(nn.Conv2d(c, c, 3), nn.ReLU())\n",
     "self.blocks = nn.ModuleList([block(n) for _ in range(2)])", []),
    ("def act(name):\n    if name:\n        return nn.GELU()\n    return nn.ReLU()\n",
     "self.acts = [act('x') for _ in range(2)]", []),
    ("SHARED = nn.Linear(2, 2)\n\ndef shared():\n    return SHARED\n",
     "self.layers = [shared()]", []),  # not a new Module
    ("def maybe(c):\n    if c:\n        return nn.Linear(c, c)\n    return None\n",
     "self.layers = [maybe(n)]", []),  # not always a Module: not judged
    ("def pe(n):\n    return torch.zeros(n, 4)\n", "self.pe = pe(n)", ["TL001"]),
])
def test_builders_of_other_modules(tmp_path, builders, model, expected):
    from torchlint import engine
    from torchlint.config import load_settings

    path = _project(tmp_path, builders, model)
    result = engine.run([str(path)], load_settings(tmp_path), jobs=1)
    assert sorted(d.code for d in result.diagnostics) == expected


# -- property setters that construction runs ---------------------------------------------

SETTER_CLASS = '''import torch
from torch import nn


class M(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.table = {init}

    @property
    def table(self):
        return self._table

    @table.setter
    def table(self, value):
{setter}
'''


@pytest.mark.parametrize("init,setter,expected", [
    ("n", "        self._table = torch.zeros(value)", ["TL001"]),
    ("n", "        self.register_buffer('_table', torch.zeros(value))", []),
    ("n", "        self._table = int(value)", []),
    ("[]", "        self._table = value", []),  # a pass-through setter: `self.table = []` is the store
    ("[nn.Linear(2, 2)]", "        self._table = value", ["TL007"]),
    ("torch.zeros(n)", "        '''Set it.'''\n        self._table = value", ["TL001"]),
    ("n", "        if not hasattr(self, '_table'):\n            self.register_buffer('_table', torch.zeros(value))\n"
          "        elif value != len(self._table):\n            self._table, self.other = torch.zeros(value), torch.ones(1)", []),
    ("n", "        if hasattr(self, '_table'):\n            self._table = torch.zeros(value)\n"
          "        else:\n            self._table = torch.zeros(value)", ["TL001", "TL001"]),
])
def test_property_setters_run_by_construction(init, setter, expected, codes):
    assert codes(SETTER_CLASS.format(init=init, setter=setter)) == expected
