"""With torch: the models the tuple-unpacking and chain fixes produce register exactly
the reported attributes as buffers, keep the other targets' stores, and still run."""

from __future__ import annotations

import pytest
from test_fixes import fixed
from test_fix_targets import TARGETS, module

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def build(source: str):
    namespace: dict = {}
    exec(compile(source, "<model>", "exec"), namespace)
    return namespace["M"]()


@pytest.mark.parametrize("before,after", TARGETS)
def test_tl001_target_fix_registers_the_buffer(tmp_path, before, after):
    original = build(module(before))
    plain = {name for name, value in vars(original).items() if isinstance(value, torch.Tensor)}
    model = build(fixed(tmp_path, module(before)))
    buffers = dict(model.named_buffers(remove_duplicate=False))  # `m = q = t`: one tensor, two names
    assert plain and {name for name in buffers} == plain
    assert not model.state_dict()  # non-persistent: checkpoints unchanged
    for name in plain:  # same values, and the other targets kept their stores
        assert torch.equal(buffers[name], getattr(original, name))
    assert {k: v for k, v in vars(model).items() if not k.startswith("_") and k != "training"} == \
        {k: v for k, v in vars(original).items() if not k.startswith("_") and k not in plain and k != "training"}


def test_tl001_target_persistent_fix_saves_it(tmp_path):
    model = build(fixed(tmp_path, module("self.cos, self.k = torch.zeros(d), 4\nself.n = n = torch.ones(d)\n"),
                        unsafe=True))
    assert set(model.state_dict()) == {"cos", "n"} and model.k == 4
