"""TL001 in a `torch.jit.ScriptModule` subclass: it raises `RuntimeError: ScriptModule does
not support non-persistent buffers`, so the only registration is the persistent one, an
unsafe fix (it adds a `state_dict` key); a tensor declared as `torch.jit.Attribute(t,
torch.Tensor)` is registered as `t`. Golden before/after, and torch scripts the fixed
module (from a file: TorchScript reads the source)."""

from __future__ import annotations

import ast
import importlib.util
import warnings

import pytest

from conftest import lint_source
from test_fixes import fixed

MODEL = """\
import torch
{imports}


class PhaseShift(torch.jit.ScriptModule):
    def __init__(self, n_freq=5, hop=4):
        super().__init__()
        advance = torch.linspace(0, 3.0 * hop, n_freq)[..., None]
        self.advance = torch.jit.Attribute(advance, torch.Tensor)  # per bin
        self.offset = torch.zeros(n_freq, 1)
        self.rate = torch.jit.Attribute(1.0, float)

    @torch.jit.script_method
    def forward(self, spec):
        return spec * self.advance + self.offset * self.rate
"""

ALIASES = ["import torch.nn as nn", "import torch.nn as tnn", "from torch import nn"]


def source(imports: str = ALIASES[0]) -> str:
    return MODEL.format(imports=imports)


def expected(before: str) -> str:
    return before.replace("self.advance = torch.jit.Attribute(advance, torch.Tensor)  # per bin",
                          'self.register_buffer("advance", advance)  # per bin').replace(
        "self.offset = torch.zeros(n_freq, 1)", 'self.register_buffer("offset", torch.zeros(n_freq, 1))')


@pytest.mark.parametrize("imports", ALIASES)
def test_persistent_registration_only_with_unsafe_fixes(tmp_path, imports):
    before = source(imports)
    assert fixed(tmp_path, before) == before  # no safe form exists
    result = fixed(tmp_path, before, unsafe=True)
    assert result == expected(before)
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result
    assert not [d for d in lint_source(result, tmp_path / "again") if d.code == "TL001"]


def test_the_message_says_why_persistent(tmp_path):
    found = [d for d in lint_source(source(), tmp_path) if d.code == "TL001"]
    assert [d.location.row for d in found] == [9, 10]
    for d in found:
        assert d.fix.applicability == "unsafe"
        assert "takes no non-persistent buffers" in d.fix.message
    assert "taken out of its `torch.jit.Attribute`" in found[0].fix.message


def test_tabs_and_crlf(tmp_path):
    before = source().replace("    ", "\t").replace("\n", "\r\n")
    assert fixed(tmp_path, before, unsafe=True, raw=True).decode() == expected(before)


@pytest.mark.torch
def test_torch_the_fixed_script_module_scripts_and_saves_its_tensors(tmp_path):
    torch = pytest.importorskip("torch")

    def load(text: str, name: str):
        path = tmp_path / f"{name}.py"
        path.write_text(text)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec.loader.exec_module(module)
            return module.PhaseShift()

    old = load(source(), "phase_before")
    new = load(fixed(tmp_path / "fix", source(), unsafe=True) if (tmp_path / "fix").mkdir() is None else "", "phase_after")
    assert list(old.state_dict()) == []
    assert list(new.state_dict()) == ["advance", "offset"]
    spec = torch.ones(5, 3)
    assert torch.equal(old(spec), new(spec))
    new.double()
    assert new.advance.dtype == torch.float64  # moved and cast with the module now
