"""TL001 for a tensor wrapped in `nn.Parameter` only on one path (`self.a = t` then
`if learn: self.a = nn.Parameter(self.a)`): registering `t` as a non-persistent buffer
is safe, since the Parameter later takes the buffer's place on the wrapping path."""

from __future__ import annotations

import ast

import pytest

from test_fixes import fixed, NN_ALIASES as ALIASES, namespace_of

SOURCE = (
    "import torch\n{imports}\n\n"
    "class Snake({nn}.Module):\n"
    "\tdef __init__(self, channels, alpha=1.0, learnable=False):\n"
    "\t\tsuper().__init__()\n"
    "\t\tself.alpha = torch.full(  # one per channel\n\t\t\t(1, channels, 1), alpha)\n"
    "\t\tif learnable:\n"
    "\t\t\tself.alpha = {nn}.Parameter(self.alpha)\n\n"
    "\tdef forward(self, x):\n"
    "\t\treturn x + torch.sin(self.alpha * x) ** 2 / self.alpha\n"
)


@pytest.mark.parametrize("imports,nn", ALIASES)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_registered_where_stored(tmp_path, imports, nn, newline):
    source = SOURCE.format(imports=imports, nn=nn).replace("\n", newline)
    result = fixed(tmp_path, source, raw=True).decode()  # safe
    assert result == source.replace(
        "self.alpha = torch.full(  # one per channel" + newline + "\t\t\t(1, channels, 1), alpha)",
        'self.register_buffer("alpha", torch.full(  # one per channel' + newline
        + "\t\t\t(1, channels, 1), alpha), persistent=False)")
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True, raw=True).decode() == result


def test_not_offered_when_a_later_registration_is_no_parameter_assignment(tmp_path):
    source = SOURCE.format(imports=ALIASES[0][0], nn="nn").replace(
        "\t\t\tself.alpha = nn.Parameter(self.alpha)\n",
        "\t\t\tdel self.alpha\n\t\t\tself.register_buffer(\"alpha\", torch.ones(1))\n")
    result = fixed(tmp_path, source, unsafe=True)
    assert "self.alpha = torch.full(" in result


@pytest.mark.torch
@pytest.mark.parametrize("learnable", [False, True])
def test_checkpoint_keys_unchanged_on_both_paths(tmp_path, learnable):
    torch = pytest.importorskip("torch")
    source = SOURCE.format(imports=ALIASES[0][0], nn="nn")
    before, after = namespace_of(source, "before.py"), namespace_of(fixed(tmp_path, source), "after.py")
    old, new = before["Snake"](2, learnable=learnable), after["Snake"](2, learnable=learnable)
    assert list(new.state_dict()) == list(old.state_dict())
    assert [n for n, _ in new.named_parameters()] == (["alpha"] if learnable else [])
    assert [n for n, _ in new.named_buffers()] == ([] if learnable else ["alpha"])
    assert torch.equal(new(torch.ones(1, 2, 3)), old(torch.ones(1, 2, 3)))
