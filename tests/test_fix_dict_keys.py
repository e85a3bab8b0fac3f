"""TL007/TL008 wraps of dicts whose keys a ModuleDict/ParameterDict cannot be seen to take:
keys from an argument whose default is a tuple of names (wrapped, unsafe, saying what a
caller passing other keys gets), and int keys (turned into strings at every store and
lookup in the file, unsafe, only when nothing else shows the keys). Golden before/after,
idempotent, refusals, and torch builds and runs the fixed models."""

from __future__ import annotations

import ast

import pytest

from conftest import lint_source
from test_fixes import NN_ALIASES, dedent, fixed, namespace_of

TASKS = """\
    from collections import OrderedDict

    import torch
    {imports}

    class MultiHead({nn}.Module):
        def __init__(self, dim, tasks=("cls", "box")):
            super().__init__()
            self.heads = OrderedDict()
            for task in tasks:
                self.heads[task] = {nn}.Linear(dim, 1)
            self.gains = {{t: {nn}.Parameter(torch.ones(dim)) for t in tasks}}

        def forward(self, x):
            return {{t: head(x * self.gains[t]) for t, head in self.heads.items()}}
"""

RELATIONS = """\
    import torch
    {imports}

    class Relational({nn}.Module):
        def __init__(self, n_features, n_relations, n_out):
            super().__init__()
            self.layers = {{}}  # one per relation
            for rel in range(n_relations):
                self.layers[rel] = {nn}.Linear(n_features, n_out)
            self.bias = {{i: {nn}.Parameter(torch.zeros(n_out)) for i in range(n_relations)}}

        def forward(self, x, rel):
            return self.layers[rel](x) + self.bias[rel] + self.bias[0] * len(self.layers)
"""


def source(template: str, imports: str = "import torch.nn as nn\n", nn: str = "nn") -> str:
    return dedent(template.format(imports=imports.rstrip("\n"), nn=nn))


@pytest.mark.parametrize("imports,nn", NN_ALIASES)
def test_keys_from_an_argument_defaulting_to_names(tmp_path, imports, nn):
    before = source(TASKS, imports, nn)
    after = before.replace("self.heads = OrderedDict()", f"self.heads = {nn}.ModuleDict()").replace(
        f"self.gains = {{t: {nn}.Parameter(torch.ones(dim)) for t in tasks}}",
        f"self.gains = {nn}.ParameterDict({{t: {nn}.Parameter(torch.ones(dim)) for t in tasks}})")
    assert fixed(tmp_path, before) == before  # unsafe only
    result = fixed(tmp_path, before, unsafe=True)
    assert result == after
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result


def test_the_argument_keys_message_says_what_other_keys_do(tmp_path):
    found = [d for d in lint_source(source(TASKS), tmp_path) if d.code in ("TL007", "TL008")]
    assert len(found) == 2 and all(d.fix is not None and d.fix.applicability == "unsafe" for d in found)
    for d in found:
        assert "its keys come from `tasks` (names by default)" in d.fix.message
        assert "not a string raises `TypeError`" in d.fix.message and "`KeyError` at construction" in d.fix.message


@pytest.mark.parametrize("imports,nn", NN_ALIASES)
def test_int_keys_become_strings_at_every_store_and_lookup(tmp_path, imports, nn):
    before = source(RELATIONS, imports, nn)
    after = (before.replace("self.layers = {}  # one per relation", f"self.layers = {nn}.ModuleDict()  # one per relation")
             .replace("self.layers[rel] = ", "self.layers[str(rel)] = ")
             .replace(f"self.bias = {{i: {nn}.Parameter(torch.zeros(n_out)) for i in range(n_relations)}}",
                      f"self.bias = {nn}.ParameterDict({{str(i): {nn}.Parameter(torch.zeros(n_out)) "
                      "for i in range(n_relations)})")
             .replace("self.layers[rel](x) + self.bias[rel] + self.bias[0]",
                      'self.layers[str(rel)](x) + self.bias[str(rel)] + self.bias["0"]'))
    result = fixed(tmp_path, before, unsafe=True)
    assert result == after
    assert fixed(tmp_path, result, unsafe=True) == result
    found = [d for d in lint_source(before, tmp_path / "lint") if d.code in ("TL007", "TL008")]
    assert all("int keys become strings" in d.fix.message for d in found)


def test_crlf_tabs_and_a_comment_inside_the_comprehension(tmp_path):
    before = source(RELATIONS).replace(
        "{i: nn.Parameter(torch.zeros(n_out)) for i in range(n_relations)}",
        "{i:  # per relation\n        nn.Parameter(torch.zeros(n_out)) for i in range(n_relations)}")
    before = before.replace("    ", "\t").replace("\n", "\r\n")
    result = fixed(tmp_path, before, unsafe=True, raw=True).decode()
    assert "self.bias = nn.ParameterDict({str(i):  # per relation\r\n" in result
    assert "\tnn.Parameter(torch.zeros(n_out)) for i in range(n_relations)})\r\n" in result
    assert 'self.layers[str(rel)](x) + self.bias[str(rel)] + self.bias["0"]' in result
    ast.parse(result)


REFUSED = {
    # the keys show: .items() / .keys() / iteration / `in` would now see strings
    "items": RELATIONS.replace("* len(self.layers)", "* len([k for k, _ in self.layers.items()])"),
    "keys": RELATIONS.replace("* len(self.layers)", "* max(self.layers.keys())"),
    "iteration": RELATIONS.replace("* len(self.layers)", "* sum(1 for k in self.layers)"),
    "membership": RELATIONS.replace("* len(self.layers)", "* (rel in self.layers)"),
    "handed on": RELATIONS.replace("* len(self.layers)", "* len(dict(self.layers))"),
    # a store under a key that may not be an int
    "other key": RELATIONS.replace("self.layers[rel] = ", "self.layers[rel * 1.0] = "),
    # another object's attribute of that name may be an instance of this class
    "other receiver": RELATIONS + "\n    def first(model):\n        return model.layers[0]\n",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_int_keys_refused_when_something_else_sees_them(tmp_path, name):
    before = source(REFUSED[name])
    found = [d for d in lint_source(before, tmp_path / "lint") if d.code == "TL007" and d.location.row == 7]
    assert len(found) == 1 and found[0].fix is None
    assert "self.layers = {}" in fixed(tmp_path, before, unsafe=True)


ARGUMENT_REFUSED = [
    TASKS.replace('tasks=("cls", "box")', "tasks"),  # no default: nothing says names
    TASKS.replace('tasks=("cls", "box")', "tasks=()"),  # an empty default says nothing either
    TASKS.replace('tasks=("cls", "box")', 'tasks=("cls", "a.b")'),  # a dotted default
    TASKS.replace("            super().__init__()\n", "            super().__init__()\n            tasks = [1, 2]\n"),
]


@pytest.mark.parametrize("template", ARGUMENT_REFUSED)
def test_argument_keys_refused_without_names_for_a_default(tmp_path, template):
    before = source(template)
    result = fixed(tmp_path, before, unsafe=True)
    assert "self.heads = OrderedDict()" in result and "ParameterDict" not in result


@pytest.mark.torch
def test_torch_the_fixed_models_build_register_and_run(tmp_path):
    torch = pytest.importorskip("torch")
    namespace = namespace_of(fixed(tmp_path, source(TASKS), unsafe=True))
    model = namespace["MultiHead"](4)
    assert sorted(n for n, _ in model.named_parameters()) == [
        "gains.box", "gains.cls", "heads.box.bias", "heads.box.weight", "heads.cls.bias", "heads.cls.weight"]
    assert list(model(torch.ones(2, 4))) == ["cls", "box"]
    with pytest.raises(TypeError):  # what the message warns of
        namespace["MultiHead"](4, tasks=(1, 2))

    old = namespace_of(source(RELATIONS))["Relational"](3, 2, 4)
    new = namespace_of(fixed(tmp_path, source(RELATIONS), unsafe=True))["Relational"](3, 2, 4)
    assert sorted(n for n, _ in new.named_parameters()) == [
        "bias.0", "bias.1", "layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight"]
    new.load_state_dict({**{f"layers.{k}": v for k, v in
                            ((f"{i}.{p}", getattr(old.layers[i], p)) for i in range(2) for p in ("weight", "bias"))},
                         **{f"bias.{i}": old.bias[i] for i in range(2)}})
    x = torch.ones(5, 3)
    for rel in (0, 1):
        assert torch.equal(old(x, rel), new(x, rel))  # same lookups, now through string keys
