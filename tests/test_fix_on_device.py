"""TL004 for a trainable tensor given to an optimizer and then moved (`self.t = self.t.to(device)`):
the fix creates the Parameter on its device where it is first made and drops the move."""

from __future__ import annotations

import ast

import pytest

from test_fixes import fixed, NN_ALIASES as ALIASES, namespace_of

SOURCE = (
    "import torch\n{imports}\n\n"
    "class Penalty({nn}.Module):\n"
    "\tdef __init__(self, device=\"cpu\", lr=1e-3):\n"
    "\t\tsuper().__init__()\n"
    "\t\tself.log_alpha = torch.tensor(\n\t\t\t[0.0],\n\t\t\trequires_grad=True,\n\t\t)\n"
    "\t\tself.optim = torch.optim.Adam([self.log_alpha], lr=lr)\n"
    "\t\tself.log_alpha = self.log_alpha{move}\n\n"
    "\tdef forward(self, x):\n"
    "\t\treturn x * self.log_alpha.exp()\n"
)
FIXED = (
    "import torch\n{imports}\n\n"
    "class Penalty({nn}.Module):\n"
    "\tdef __init__(self, device=\"cpu\", lr=1e-3):\n"
    "\t\tsuper().__init__()\n"
    "\t\tself.log_alpha = {nn}.Parameter(torch.tensor(\n\t\t\t[0.0], device={device}))\n"
    "\t\tself.optim = torch.optim.Adam([self.log_alpha], lr=lr)\n\n"
    "\tdef forward(self, x):\n"
    "\t\treturn x * self.log_alpha.exp()\n"
)


@pytest.mark.parametrize("imports,nn", ALIASES)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("move,device", [(".to(device)", "device"), (".cuda()", '"cuda"'), ('.to("cpu")', '"cpu"')])
def test_created_on_its_device(tmp_path, imports, nn, newline, move, device):
    source = SOURCE.format(imports=imports, nn=nn, move=move).replace("\n", newline)
    assert fixed(tmp_path, source, raw=True).decode() == source  # unsafe only
    result = fixed(tmp_path, source, unsafe=True, raw=True).decode()
    assert result == FIXED.format(imports=imports, nn=nn, device=device).replace("\n", newline)
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True, raw=True).decode() == result


@pytest.mark.parametrize("source", [
    SOURCE.format(imports=ALIASES[0][0], nn="nn", move=".to(torch.float64)"),  # a dtype, not a device
    SOURCE.format(imports=ALIASES[0][0], nn="nn", move=".to(device)").replace("[0.0],", "[0.0], device=device,"),
    SOURCE.format(imports=ALIASES[0][0], nn="nn", move=".to(device)  # moved"),
    SOURCE.format(imports=ALIASES[0][0], nn="nn", move=".to(device)").replace(
        "\t\tself.log_alpha = self.log_alpha.to(device)\n", "\t\tif device:\n\t\t\tself.log_alpha = self.log_alpha.to(device)\n"),
])
def test_declined(tmp_path, source):
    result = fixed(tmp_path, source, unsafe=True)
    assert "self.log_alpha = self.log_alpha.to(" in result


@pytest.mark.torch
def test_the_optimizer_trains_the_parameter(tmp_path):
    torch = pytest.importorskip("torch")
    namespace = namespace_of(fixed(tmp_path, SOURCE.format(imports=ALIASES[0][0], nn="nn", move=".to(device)"),
                                   unsafe=True), "model.py")
    model = namespace["Penalty"]()
    assert [name for name, _ in model.named_parameters()] == ["log_alpha"]
    model(torch.ones(2)).sum().backward()
    model.optim.step()
    assert model.log_alpha.item() != 0.0  # the tensor used in forward is the one the optimizer updates
