"""TL001 on one arm of a conditional expression (`self.s = nn.Parameter(t) if learn else
t`): the fix turns the line into an `if`/`else` that keeps the Parameter on one path and
registers the plain tensor as a non-persistent buffer on the other (safe: no path's
checkpoint keys change)."""

from __future__ import annotations

import ast

import pytest

from test_fixes import fixed, NN_ALIASES as ALIASES, namespace_of

SOURCE = (
    "import torch\n{imports}\n\n"
    "class Gate({nn}.Module):\n"
    "\tdef __init__(self, n, learn=False):\n"
    "\t\tsuper().__init__()\n"
    "\t\tt = torch.zeros(n)\n"
    "\t\tself.logits = {nn}.Parameter(t) if learn else t  # prior\n"
    "\t\tself.scale = torch.ones(\n\t\t\tn,  # one per gene\n\t\t) if not learn else {nn}.Parameter(torch.ones(n))\n\n"
    "\tdef forward(self, x):\n"
    "\t\treturn x * self.logits * self.scale\n"
)
FIXED = (
    "import torch\n{imports}\n\n"
    "class Gate({nn}.Module):\n"
    "\tdef __init__(self, n, learn=False):\n"
    "\t\tsuper().__init__()\n"
    "\t\tt = torch.zeros(n)\n"
    "\t\tif learn:\n\t\t\tself.logits = {nn}.Parameter(t)\n"
    "\t\telse:\n\t\t\tself.register_buffer(\"logits\", t, persistent=False)  # prior\n"
    "\t\tif not learn:\n\t\t\tself.register_buffer(\"scale\", torch.ones(\n\t\t\tn,  # one per gene\n\t\t), persistent=False)\n"
    "\t\telse:\n\t\t\tself.scale = {nn}.Parameter(torch.ones(n))\n\n"
    "\tdef forward(self, x):\n"
    "\t\treturn x * self.logits * self.scale\n"
)


@pytest.mark.parametrize("imports,nn", ALIASES)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_plain_arm_becomes_an_if_else(tmp_path, imports, nn, newline):
    source = SOURCE.format(imports=imports, nn=nn).replace("\n", newline)
    result = fixed(tmp_path, source, raw=True).decode()  # a safe fix
    assert result == FIXED.format(imports=imports, nn=nn).replace("\n", newline)
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True, raw=True).decode() == result  # idempotent


def test_spaces_and_the_persistent_form(tmp_path):
    source = SOURCE.format(imports=ALIASES[0][0], nn="nn").replace("\t", "    ")
    result = fixed(tmp_path, source, unsafe=True)
    assert "        if learn:\n            self.logits = nn.Parameter(t)\n        else:\n" \
           "            self.register_buffer(\"logits\", t)  # prior\n" in result


def test_comment_between_the_arms_refuses(tmp_path):
    source = SOURCE.format(imports=ALIASES[0][0], nn="nn").replace(
        "\t\tself.logits = nn.Parameter(t) if learn else t  # prior\n",
        "\t\tself.logits = (nn.Parameter(t)  # learned\n\t\t\tif learn else t)\n")
    result = fixed(tmp_path, source, unsafe=True)
    assert "self.logits = (nn.Parameter(t)  # learned\n" in result


@pytest.mark.torch
@pytest.mark.parametrize("learn", [False, True])
def test_fixed_model_registers_on_both_paths(tmp_path, learn):
    torch = pytest.importorskip("torch")
    namespace = namespace_of(fixed(tmp_path, SOURCE.format(imports=ALIASES[0][0], nn="nn")), "model.py")
    model = namespace["Gate"](3, learn)
    if learn:
        assert sorted(n for n, _ in model.named_parameters()) == ["logits", "scale"]
    else:
        assert sorted(n for n, _ in model.named_buffers()) == ["logits", "scale"]
        assert list(model.state_dict()) == []  # non-persistent: the checkpoint keys are unchanged
    assert model(torch.ones(3)).shape == (3,)
