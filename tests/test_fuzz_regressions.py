"""Fixes that the fuzzer (benchmarks/fuzz.py) once broke: golden before/after, and a
second fix pass changes nothing."""

from __future__ import annotations

import pytest

from test_fix_forms import module
from test_fixes import fixed


CASES = [
    # TL004 dropping `requires_grad=True` after a parenthesised argument: the argument's
    # parentheses were cut with it (`torch.zeros((4,)` did not parse)
    ("self.a = torch.zeros((4,), requires_grad=True)\n", "self.a = nn.Parameter(torch.zeros((4,)))\n"),
    ("self.a = torch.zeros((d), (3), requires_grad = True  )\n", "self.a = nn.Parameter(torch.zeros((d), (3)  ))\n"),
    ("self.a = torch.zeros(*(4,), requires_grad=(True), dtype=torch.float)\n",
     "self.a = nn.Parameter(torch.zeros(*(4,), dtype=torch.float))\n"),
    ("self.a = torch.zeros(requires_grad=True, size=(3,))\n", "self.a = nn.Parameter(torch.zeros(size=(3,)))\n"),
]


@pytest.mark.parametrize("before,after", CASES)
def test_fuzz_found_fixes(tmp_path, before, after):
    result = fixed(tmp_path, module(before), unsafe=True)
    assert result == module(after)
    assert fixed(tmp_path, result, unsafe=True) == result


def test_super_call_goes_above_a_decorated_first_statement(tmp_path):
    """TL003's fix inserted `super().__init__()` between a decorator and its `def`: a
    decorated function's position starts at `def`."""
    before = (
        "import functools\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self, d):\n"
        "        # a helper\n        @staticmethod\n        # between\n        @functools.cache\n"
        "        def helper(value):\n            return value\n        self.fc = nn.Linear(d, d)\n"
    )
    after = before.replace("        # a helper\n", "        super().__init__()\n        # a helper\n")
    result = fixed(tmp_path, before)
    assert result == after
    assert fixed(tmp_path, result) == result


def test_registered_name_is_the_one_python_reads(tmp_path):
    """Python reads identifiers in NFKC form (`self.ﬁlter`, with the ligature, is
    `self.filter`) but uses a string as written: the buffer must be registered under the
    normalised name (and mangled after normalising), or `self.ﬁlter` no longer finds it."""
    before = module("self.\ufb01lter = torch.zeros(d)\nself.__\ufb01x = torch.ones(d)\nself.caf\u00e9 = torch.ones(d)\n")
    after = module('self.register_buffer("filter", torch.zeros(d), persistent=False)\n'
                   'self.register_buffer("_M__fix", torch.ones(d), persistent=False)\n'
                   'self.register_buffer("caf\u00e9", torch.ones(d), persistent=False)\n')
    result = fixed(tmp_path, before)
    assert result == after
    assert fixed(tmp_path, result) == result


def test_a_store_through_a_normalised_name_reaches_the_registration(codes):
    """The fuzzer's seed 41 #14407: `register_buffer("filter", None)` above a store to
    `self.ﬁlter` (the ligature: the same attribute to Python) was still reported after the
    fix, since the store was tracked under the name as written."""
    source = module('self.register_buffer("filter", None, persistent=False)\nself.\ufb01lter = torch.zeros(d)\n')
    assert codes(source) == []
    assert codes(module("self.\ufb01lter = torch.zeros(d)\n")) == ["TL001"]
