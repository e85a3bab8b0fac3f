"""TL011 moved-parameter with torch: the claims in the message, and the fixed model."""

from __future__ import annotations

import pytest

from test_fixes import fixed
from test_moved_parameter import module

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch



def _build(source: str, *args):
    namespace: dict = {}
    exec(compile(source, "<model>", "exec"), namespace)
    return namespace["M"](*args)


def test_torch_drops_a_moved_parameter_whenever_it_copies_and_keeps_it_otherwise():
    source = module("self.w = nn.Parameter(torch.ones(2)).to(device)")
    copied = _build(source, torch.float64)  # another dtype: a copy
    assert "w" not in dict(copied.named_parameters()) and type(copied.__dict__["w"]) is torch.Tensor
    same = _build(source, "cpu")  # same device and dtype: the Parameter itself
    assert "w" in dict(same.named_parameters())


def test_torch_refuses_a_moved_own_parameter():
    with pytest.raises(TypeError, match="cannot assign"):
        _build(module("self.w = nn.Parameter(torch.ones(1))\nself.w = self.w.double()"), "cpu")


def test_the_fixed_model_registers_the_parameter(tmp_path):
    source = fixed(tmp_path, module("self.w = nn.Parameter(torch.ones(2)).to(device)"))
    model = _build(source, torch.float64)
    assert dict(model.named_parameters())["w"].dtype == torch.float64
    source = fixed(tmp_path, module("self.w = nn.Parameter(torch.ones(1))\nself.w = self.w.double()"), unsafe=True)
    model = _build(source, "cpu")
    assert dict(model.named_parameters())["w"].dtype == torch.float64
