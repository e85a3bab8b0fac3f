"""TL001 next to registrations under computed names. The registration fix is refused when a
computed name may cover the attribute (registering it again non-persistent would drop a
buffer from `state_dict()`), and offered when it cannot: a loop over literal names that do
not include it, or a computed registration that runs only after the attribute's first
store (a statement of `__init__` itself): torch raises KeyError registering a name that
holds a plain attribute, so in a program that runs, no registration took that name."""

from __future__ import annotations

import ast

import pytest

from conftest import lint_source
from test_fixes import NN_ALIASES, dedent, fixed, namespace_of

TRACKER = """\
    import torch
    {imports}

    class MomentTracker({nn}.Module):
        def __init__(self, dim):
            super().__init__()
            for stat in ("mean", "var"):
                self.register_buffer(stat, None)
            self.mean = torch.zeros(dim)
            self.count = torch.zeros(1)  # how many batches
"""

NAMED = """\
    import torch
    {imports}

    class NamedStatistics({nn}.Module):
        def __init__(self, dim, names):
            super().__init__()
            self.scale = torch.ones(dim)
            for key in names:
                self.register_buffer(key, None)
"""


def source(template: str, imports: str = "import torch.nn as nn\n", nn: str = "nn") -> str:
    return dedent(template.format(imports=imports.rstrip("\n"), nn=nn))


@pytest.mark.parametrize("imports,nn", NN_ALIASES)
def test_a_loop_over_literal_names_does_not_cover_another_name(tmp_path, imports, nn):
    before = source(TRACKER, imports, nn)
    after = before.replace("self.count = torch.zeros(1)  # how many batches",
                           'self.register_buffer("count", torch.zeros(1), persistent=False)  # how many batches')
    result = fixed(tmp_path, before)
    assert result == after
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result


@pytest.mark.parametrize("imports,nn", NN_ALIASES)
def test_a_computed_registration_after_the_store_cannot_be_its_name(tmp_path, imports, nn):
    before = source(NAMED, imports, nn)
    after = before.replace("self.scale = torch.ones(dim)",
                           'self.register_buffer("scale", torch.ones(dim), persistent=False)')
    assert fixed(tmp_path, before) == after
    assert fixed(tmp_path, after, unsafe=True) == after


def test_tabs_crlf_and_a_multi_line_value(tmp_path):
    before = source(NAMED).replace("torch.ones(dim)", "torch.ones(  # the gain\n        dim)")
    before = before.replace("    ", "\t").replace("\n", "\r\n")
    result = fixed(tmp_path, before, raw=True)
    assert result == before.replace("self.scale = torch.ones(", 'self.register_buffer("scale", torch.ones(').replace(
        "\tdim)\r\n", '\tdim), persistent=False)\r\n').encode()


# where a computed name may cover the attribute, the store is not even reported
NOT_REPORTED = {
    "the loop names include it": TRACKER.replace('("mean", "var")', '("mean", "count")'),
    "the loop variable is rebound": TRACKER.replace(
        "                self.register_buffer(stat, None)",
        "                stat = stat.upper().lower()\n                self.register_buffer(stat, None)"),
    "names from an argument": TRACKER.replace('("mean", "var")', "names").replace("(self, dim)", "(self, dim, names)"),
    "registered before the store": NAMED.replace(
        "            self.scale = torch.ones(dim)\n", "").replace(
        "                self.register_buffer(key, None)\n",
        "                self.register_buffer(key, None)\n            self.scale = torch.ones(dim)\n"),
}

# reported, but the store may run again after the registration, or the class frees names
REFUSED = {
    "the store is in a loop": NAMED.replace(
        "            self.scale = torch.ones(dim)\n", "            for _ in range(2):\n"
        "                self.scale = torch.ones(dim)\n"),
    "the store is in a branch": NAMED.replace(
        "            self.scale = torch.ones(dim)\n", "            if dim:\n                self.scale = torch.ones(dim)\n"),
    "the class frees names": NAMED + "\n        def drop(self, name):\n            self.__dict__.pop(name)\n",
    "the class deletes names": NAMED + "\n        def drop(self, name):\n            delattr(self, name)\n",
}


@pytest.mark.parametrize("name", sorted(NOT_REPORTED))
def test_not_reported_where_a_computed_name_may_cover_it(tmp_path, name):
    assert [d for d in lint_source(source(NOT_REPORTED[name]), tmp_path) if d.code == "TL001"] == []


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_when_the_registration_may_take_its_name(tmp_path, name):
    before = source(REFUSED[name])
    found = [d for d in lint_source(before, tmp_path / "lint") if d.code == "TL001"]
    assert len(found) == 1 and found[0].fix is None
    assert "may already be a registered buffer" in found[0].help
    assert fixed(tmp_path, before, unsafe=True) == before


@pytest.mark.torch
def test_torch_the_fixed_models_keep_their_checkpoints(tmp_path):
    torch = pytest.importorskip("torch")
    old, new = namespace_of(source(TRACKER)), namespace_of(fixed(tmp_path, source(TRACKER)))
    a, b = old["MomentTracker"](3), new["MomentTracker"](3)
    assert list(a.state_dict()) == list(b.state_dict()) == ["mean"]  # `var` holds None
    assert sorted(n for n, _ in b.named_buffers()) == ["count", "mean"]
    assert "count" in a.__dict__ and "count" not in b.__dict__

    old, new = namespace_of(source(NAMED)), namespace_of(fixed(tmp_path, source(NAMED)))
    a, b = old["NamedStatistics"](3, ["lo", "hi"]), new["NamedStatistics"](3, ["lo", "hi"])
    assert list(a.state_dict()) == list(b.state_dict()) == []
    assert [n for n, _ in b.named_buffers()] == ["scale"] and torch.equal(b.scale, torch.ones(3))
    with pytest.raises(KeyError):  # the original cannot take the stored name: no program relies on it
        old["NamedStatistics"](3, ["scale"])
