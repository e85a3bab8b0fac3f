"""TL007's wrap of a tuple of submodules passes the wrapper ONE iterable: `nn.ModuleList(a, b)`
would raise TypeError when the model is built."""

from __future__ import annotations

import pytest

from test_fix_forms import module
from test_fixes import fixed, namespace_of

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
    namespace = namespace_of(fixed(tmp_path, module(before), unsafe=True), "model.py")
    model = namespace["M"]()
    assert any(name.startswith("pair.") for name, _ in model.named_parameters())


REPEATED = [
    ("block = nn.Linear(d, d)\nself.blocks = [block] * 3\n",
     "block = nn.Linear(d, d)\nself.blocks = nn.ModuleList([block] * 3)\n"),
    ("self.convs = [None] * 2\nfor i in range(2):\n    self.convs[i] = nn.Conv1d(d, d, 1)\n",
     "self.convs = nn.ModuleList([None] * 2)\nfor i in range(2):\n    self.convs[i] = nn.Conv1d(d, d, 1)\n"),
]


@pytest.mark.parametrize("before,after", REPEATED)
def test_a_repeated_or_preallocated_list_is_wrapped(tmp_path, before, after):
    result = fixed(tmp_path, module(before), unsafe=True)
    assert result == module(after)
    assert fixed(tmp_path, result, unsafe=True) == result


@pytest.mark.torch
def test_the_preallocated_module_list_takes_its_layers_by_index(tmp_path):
    pytest.importorskip("torch")
    namespace = namespace_of(fixed(tmp_path, module(REPEATED[1][0]), unsafe=True), "model.py")
    assert sorted(namespace["M"]().state_dict()) == ["convs.0.bias", "convs.0.weight", "convs.1.bias", "convs.1.weight"]
