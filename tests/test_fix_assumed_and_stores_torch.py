"""With torch: models fixed by the argument, first-store and other-method forms of the
TL001 fix register what the fix promised and still run."""

from __future__ import annotations

import pytest
from test_fixes import fixed, namespace_of
from test_fix_assumed_and_stores import HEAD, STORED_ELSEWHERE
from test_fix_refusals import HEAD as INIT, TAIL

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def test_argument_fix_registers_the_tensor_passed(tmp_path):
    source = HEAD + "    def __init__(self, w: Tensor, m: Optional[Tensor] = None):\n        super().__init__()\n" \
                    "        self.w = w\n        self.m = m\n"
    model = namespace_of(fixed(tmp_path, source, unsafe=True))["M"](torch.ones(2))
    assert set(model.state_dict()) == {"w"} and dict(model.named_buffers())["w"].tolist() == [1.0, 1.0]
    assert model.m is None and "m" in model._buffers


def test_restored_tensor_fix_keeps_the_last_value_in_the_buffer(tmp_path):
    source = INIT + "        self.z = torch.ones(d)\n        self.z = self.z * 2\n" + TAIL
    model = namespace_of(fixed(tmp_path, source))["M"]()
    assert dict(model.named_buffers())["z"].tolist() == [2.0, 2.0, 2.0]
    assert model(torch.zeros(3)).tolist() == [2.0, 2.0, 2.0]


def test_other_method_store_goes_into_the_buffer(tmp_path):
    source = STORED_ELSEWHERE.format("        h = torch.zeros_like(x)\n        self.z = h\n")
    model = namespace_of(fixed(tmp_path, source))["M"]()
    model.reset(torch.ones(3))
    assert "z" in model._buffers and model.z.tolist() == [0.0, 0.0, 0.0]
