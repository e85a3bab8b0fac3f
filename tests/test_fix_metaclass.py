"""A class initialised by its metaclass (fastai's `Module` runs `nn.Module.__init__` before
`__init__`): TL001/TL007 register in place, unsafe, saying what they assume."""

from __future__ import annotations

import pytest

from test_fixes import fixed, namespace_of

SOURCE = (
    "import torch\nimport torch.nn as nn\n\n\n"
    "class InitMeta(type):\n"
    "    def __call__(cls, *args, **kwargs):\n"
    "        obj = cls.__new__(cls)\n"
    "        nn.Module.__init__(obj)\n"
    "        obj.__init__(*args, **kwargs)\n"
    "        return obj\n\n\n"
    "class Base(nn.Module, metaclass=InitMeta):\n"
    "    pass\n\n\n"
    "class Mixer(Base):\n"
    "    def __init__(self, n, width):\n"
    "        self.positions = torch.randn(n, width)  # learned later\n"
    "        self.mixers = [nn.Linear(n, n) for _ in range(2)]\n\n"
    "    def forward(self, x):\n"
    "        for mix in self.mixers:\n"
    "            x = mix(x)\n"
    "        return x + self.positions\n"
)


def test_metaclass_class_is_fixed_in_place_unsafe(tmp_path):
    from conftest import lint_source

    found = {d.code: d for d in lint_source(SOURCE, tmp_path)}
    assert set(found) >= {"TL001", "TL007"}
    for code in ("TL001", "TL007"):
        assert found[code].fix.applicability == "unsafe"
        assert "assumed to be initialised by its metaclass" in found[code].fix.message
    assert fixed(tmp_path, SOURCE) == SOURCE
    result = fixed(tmp_path, SOURCE, unsafe=True)
    assert result == SOURCE.replace(
        "self.positions = torch.randn(n, width)  # learned later",
        'self.register_buffer("positions", torch.randn(n, width))  # learned later').replace(
        "self.mixers = [nn.Linear(n, n) for _ in range(2)]", "self.mixers = nn.ModuleList([nn.Linear(n, n) for _ in range(2)])")
    assert fixed(tmp_path, result, unsafe=True) == result


@pytest.mark.torch
def test_metaclass_fixed_model_registers(tmp_path):
    torch = pytest.importorskip("torch")
    namespace = namespace_of(fixed(tmp_path, SOURCE, unsafe=True), "model.py")
    model = namespace["Mixer"](3, 3)
    assert sorted(model.state_dict()) == ["mixers.0.bias", "mixers.0.weight", "mixers.1.bias", "mixers.1.weight",
                                          "positions"]
    assert model(torch.ones(3, 3)).shape == (3, 3)
