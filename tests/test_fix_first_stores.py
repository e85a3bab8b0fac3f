"""TL001 on a name set before: registered where it is first set on each arm of one `if`
(the later store then goes into the buffer), or at a first store of an argument (unsafe,
saying what it assumes)."""

from __future__ import annotations

import ast

import pytest

from test_fixes import fixed, NN_ALIASES as ALIASES, namespace_of

ARMS = (
    "import numpy as np\nimport torch\n{imports}\n\n"
    "class Solver({nn}.Module):\n"
    "\tdef __init__(self, steps, device=None):\n"
    "\t\tsuper().__init__()\n"
    "\t\tif isinstance(steps, np.ndarray):\n"
    "\t\t\tself.steps = torch.from_numpy(steps.copy())  # from numpy\n"
    "\t\telse:\n"
    "\t\t\tself.steps = torch.linspace(0, 1, steps)\n"
    "\t\tif device is not None:\n"
    "\t\t\tself.steps = self.steps.to(device)\n\n"
    "\tdef forward(self, x):\n"
    "\t\treturn x * self.steps.sum()\n"
)


@pytest.mark.parametrize("imports,nn", ALIASES)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_first_store_on_each_arm_is_registered(tmp_path, imports, nn, newline):
    source = ARMS.format(imports=imports, nn=nn).replace("\n", newline)
    result = fixed(tmp_path, source, raw=True).decode()
    assert result == source.replace(
        "self.steps = torch.from_numpy(steps.copy())  # from numpy",
        'self.register_buffer("steps", torch.from_numpy(steps.copy()), persistent=False)  # from numpy').replace(
        "self.steps = torch.linspace(0, 1, steps)",
        'self.register_buffer("steps", torch.linspace(0, 1, steps), persistent=False)')
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True, raw=True).decode() == result


@pytest.mark.parametrize("later", ["self.steps = torch.zeros(3)", "self.steps = self.steps.to(device)"])
def test_arms_must_cover_every_path(tmp_path, later):
    """`if a: self.x = t1` then `self.x = t2`: registering on the one arm would leave t2
    plain (and reported) on the other path, so the later store gets no fix of that kind;
    it gets the registration of None before the `if` instead, which leaves no finding."""
    source = ARMS.format(imports=ALIASES[0][0], nn="nn").replace("\t\telse:\n\t\t\tself.steps = torch.linspace(0, 1, steps)\n", "").replace(
        "self.steps = self.steps.to(device)", later)
    from conftest import lint_source

    found = [d for d in lint_source(source, tmp_path) if d.code == "TL001" and d.location.row == 12]
    assert found
    # not that kind: the fix registers None before the `if` (every path then stores into the buffer)
    assert [e.content for e in found[0].fix.edits] == ['\t\tself.register_buffer("steps", None, persistent=False)\n']
    assert found[0].fix.edits[0].location.row == 9  # the `if` line
    result = fixed(tmp_path, source)
    assert not [d for d in lint_source(result, tmp_path / "again") if d.code == "TL001"]


@pytest.mark.torch
@pytest.mark.parametrize("steps", ["array", 4])
def test_registered_on_each_arm_builds(tmp_path, steps):
    torch = pytest.importorskip("torch")
    np = pytest.importorskip("numpy")
    namespace = namespace_of(fixed(tmp_path, ARMS.format(imports=ALIASES[0][0], nn="nn")), "model.py")
    model = namespace["Solver"](np.linspace(0, 1, 4) if steps == "array" else steps, device="cpu")
    assert [name for name, _ in model.named_buffers()] == ["steps"]
    assert list(model.state_dict()) == []


ARGUMENT = (
    "import torch\nimport torch.nn as nn\n\n\n"
    "class Encoder(nn.Module):\n"
    "    def __init__(self, dim, groups=None):\n"
    "        super().__init__()\n"
    "        self.groups = groups\n"
    "        if self.groups is None:\n"
    "            self.groups = torch.eye(dim)\n\n"
    "    def forward(self, x):\n"
    "        return x @ self.groups\n"
)


def test_first_store_of_an_argument_is_registered_unsafe(tmp_path):
    from conftest import lint_source

    [finding] = [d for d in lint_source(ARGUMENT, tmp_path) if d.code == "TL001"]
    assert finding.fix.applicability == "unsafe"
    assert "line 8 first stores `groups` under `groups`, assumed to be a plain tensor or None" in finding.fix.message
    assert fixed(tmp_path, ARGUMENT) == ARGUMENT
    result = fixed(tmp_path, ARGUMENT, unsafe=True)
    assert result == ARGUMENT.replace("self.groups = groups", 'self.register_buffer("groups", groups)')
    assert fixed(tmp_path, result, unsafe=True) == result


@pytest.mark.torch
def test_first_store_of_an_argument_builds(tmp_path):
    torch = pytest.importorskip("torch")
    namespace = namespace_of(fixed(tmp_path, ARGUMENT, unsafe=True), "model.py")
    assert list(namespace["Encoder"](3).state_dict()) == ["groups"]
    assert torch.equal(namespace["Encoder"](2, torch.ones(2, 2)).groups, torch.ones(2, 2))
