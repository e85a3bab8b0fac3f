"""TL007/TL008 wraps and the list methods called on the attribute: only calls that may reach
this object's attribute block the wrap. `self.<name>.<method>()` in a class of the file that
is neither this class nor a base or subclass of it (through any number of `class` lines)
is another object's attribute; any other receiver may be this object."""

from __future__ import annotations

import ast

import pytest

from test_fixes import NN_ALIASES, dedent, fixed, namespace_of

MODEL = """\
    import torch
    {imports}

    class Pyramid({nn}.Module):
        def __init__(self, d=2, n=3):
            super().__init__()
            self.levels = [{nn}.Linear(d, d) for _ in range(n)]

        def forward(self, x):
            for level in self.levels:
                x = level(x)
            return x

{other}"""

# a plain object whose own `levels` is a list it sorts and reverses
UNRELATED = """\
    class Schedule:
        def __init__(self):
            self.levels = [3, 1, 2]

        def order(self):
            self.levels.sort()
            self.levels.reverse()
"""

# a subclass two steps down: its `self` is a Pyramid
GRANDCHILD = """\
    class Mid(Pyramid):
        pass


    class Flipped(Mid):
        def flip(self):
            self.levels.reverse()
"""

# another receiver that may be a Pyramid
OUTSIDE = """\
    def flip(model):
        model.levels.reverse()
"""


def source(other: str, imports: str = "import torch.nn as nn\n", nn: str = "nn") -> str:
    return dedent(MODEL.format(imports=imports.rstrip("\n"), nn=nn, other=other))


@pytest.mark.parametrize("imports,nn", NN_ALIASES)
def test_a_list_method_of_an_unrelated_class_does_not_block_the_wrap(tmp_path, imports, nn):
    before = source(UNRELATED, imports, nn)
    after = before.replace(f"self.levels = [{nn}.Linear(d, d) for _ in range(n)]",
                           f"self.levels = {nn}.ModuleList([{nn}.Linear(d, d) for _ in range(n)])")
    assert after != before
    result = fixed(tmp_path, before, unsafe=True)
    assert result == after
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result
    assert fixed(tmp_path, before, unsafe=False) == before  # the wrap is unsafe (adds state_dict keys)


@pytest.mark.parametrize("other", [GRANDCHILD, OUTSIDE])
def test_a_list_method_that_may_reach_the_attribute_still_blocks_it(tmp_path, other):
    before = source(other)
    assert fixed(tmp_path, before, unsafe=True) == before


def test_a_call_in_a_comment_or_string_does_not_block_it(tmp_path):
    before = source('    NOTE = "call self.levels.reverse() to flip"  # self.levels.sort() too\n')
    assert "nn.ModuleList(" in fixed(tmp_path, before, unsafe=True)


def test_crlf_and_tabs_are_kept(tmp_path):
    before = source(UNRELATED).replace("    ", "\t").replace("\n", "\r\n")
    result = fixed(tmp_path, before, unsafe=True, raw=True)
    assert result == before.replace("self.levels = [nn.Linear(d, d) for _ in range(n)]",
                                     "self.levels = nn.ModuleList([nn.Linear(d, d) for _ in range(n)])").encode()


@pytest.mark.torch
def test_the_fixed_model_registers_its_levels_and_the_other_class_still_sorts(tmp_path):
    pytest.importorskip("torch")
    result = fixed(tmp_path, source(UNRELATED), unsafe=True)
    namespace = namespace_of(result)
    model = namespace["Pyramid"]()
    assert [name for name, _ in model.named_parameters()] == [
        f"levels.{i}.{p}" for i in range(3) for p in ("weight", "bias")]
    schedule = namespace["Schedule"]()
    schedule.order()
    assert schedule.levels == [3, 2, 1]
