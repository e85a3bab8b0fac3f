"""With torch: the models test_fix_nested_containers.py fixes build and register every
item of the inner containers (split off so the static tests run without torch)."""

from __future__ import annotations

import pytest

from test_fix_nested_containers import GOLDEN, _source
from test_fixes import fixed, namespace_of

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


@pytest.mark.parametrize("before,after,key", GOLDEN)
def test_fixed_model_registers_the_inner_items(tmp_path, before, after, key):
    model = namespace_of(fixed(tmp_path, _source(before), unsafe=True))["M"]()
    assert key in model.state_dict()
    assert key in dict(model.named_parameters())
    assert key not in namespace_of(_source(before))["M"]().state_dict()  # the bug the fix removes


def test_relation_weights_train_after_the_fix(tmp_path):
    before = _source("self.a = {}\nfor i in range(n):\n    self.a[i] = {'w': nn.Parameter(torch.ones(d))}\n").replace(
        "        return x\n", "        row = self.a[1]\n        return x * row['w']\n")
    model = namespace_of(fixed(tmp_path, before, unsafe=True))["M"]()
    model(torch.ones(2)).sum().backward()
    assert model.a["1"]["w"].grad is not None
