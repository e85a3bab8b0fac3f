"""TL007's wrap of a tuple of submodules passes the wrapper ONE iterable: `nn.ModuleList(a, b)`
would raise TypeError when the model is built."""

from __future__ import annotations

import pytest

from test_fix_forms import module
from test_fixes import fixed

TUPLES = [
    ("self.pair = (nn.Linear(d, d), nn.ReLU())\n", "self.pair = (nn.ModuleList([nn.Linear(d, d), nn.ReLU()]))\n"),
    ("self.pair = nn.Linear(d, d), nn.ReLU()\n", "self.pair = nn.ModuleList([nn.Linear(d, d), nn.ReLU()])\n"),
    ("self.pair = (nn.Linear(d, d),)\n", "self.pair = (nn.ModuleList([nn.Linear(d, d),]))\n"),
    ("self.pair = (  # both\n    nn.Linear(d, d),\n    nn.Linear(d, d),\n)\n",
     "self.pair = (  # both\n    nn.ModuleList([nn.Linear(d, d),\n    nn.Linear(d, d),])\n)\n"),
]


@pytest.mark.parametrize("before,after", TUPLES)
def test_a_tuple_is_wrapped_as_one_list(tmp_path, before, after):
    result = fixed(tmp_path, module(before), unsafe=True)
    assert result == module(after)
    assert fixed(tmp_path, result, unsafe=True) == result  # idempotent


@pytest.mark.torch
@pytest.mark.parametrize("before,after", TUPLES)
def test_the_wrapped_tuple_builds_and_registers_its_layers(tmp_path, before, after):
    pytest.importorskip("torch")
    namespace: dict = {}
    exec(compile(fixed(tmp_path, module(before), unsafe=True), "model.py", "exec"), namespace)
    model = namespace["M"]()
    assert any(name.startswith("pair.") for name, _ in model.named_parameters())
