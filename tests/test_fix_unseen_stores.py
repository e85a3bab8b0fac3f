"""Fixes for findings that used to be refused: a TL001 name that other code stores values
of unseen type under (an unsafe fix naming the store), and a TL008 list of Parameters
moved before they were kept (`nn.Parameter(t).to(device)`: every item moved)."""

from __future__ import annotations

import pytest

from test_fix_forms import module
from test_fixes import fixed, namespace_of

IMPORTED = (
    "import torch\nimport torch.nn as nn\nfrom helpers import to_device\n\n\n"
    "class Lookup(nn.Module):\n"
    "    def __init__(self, eos):\n"
    "        super().__init__()\n"
    "        self.eos_ids = torch.LongTensor([eos])  # the end-of-sentence id\n\n"
    "    def forward(self, state, x):\n"
    "        if state is None:\n"
    "            self.eos_ids = to_device(x, self.eos_ids)\n"
    "        return x + self.eos_ids\n"
)


def _finding(tmp_path, source, code="TL001"):
    from torchlint import engine
    from torchlint.config import load_settings

    (tmp_path / "model.py").write_text(source)
    return [d for d in engine.run([str(tmp_path / "model.py")], load_settings(tmp_path), jobs=1).diagnostics
            if d.code == code]


def test_store_of_an_imported_function_result_gives_an_unsafe_fix(tmp_path):
    [finding] = _finding(tmp_path, IMPORTED)
    assert finding.fix.applicability == "unsafe"
    assert "line 13 stores `to_device(x, self.eos_ids)` under `eos_ids`, assumed to be a tensor or None" \
        in finding.fix.message
    assert fixed(tmp_path, IMPORTED) == IMPORTED
    result = fixed(tmp_path, IMPORTED, unsafe=True)
    assert result == IMPORTED.replace("self.eos_ids = torch.LongTensor([eos])  # the end-of-sentence id",
                                      'self.register_buffer("eos_ids", torch.LongTensor([eos]))  # the end-of-sentence id')
    assert fixed(tmp_path, result, unsafe=True) == result  # idempotent


@pytest.mark.parametrize("store", [
    "        if isinstance(fc, float):\n            self.fc = fc\n        else:\n            self.fc = torch.as_tensor(fc)\n",
    "        self.fc = [fc]\n",
])
def test_store_known_to_be_no_tensor_still_refuses(tmp_path, store):
    source = ("import torch\nimport torch.nn as nn\n\n\nclass Blur(nn.Module):\n    def __init__(self, d=3):\n"
              "        super().__init__()\n        self.fc = torch.zeros(d)\n\n    def forward(self, x):\n        return x * self.fc\n\n"
              "    def reset(self, fc):\n" + store)
    [finding, *_] = _finding(tmp_path, source)
    assert finding.fix is None and "no automatic fix" in finding.help
    assert fixed(tmp_path, source, unsafe=True) == source


ALIASES = [
    ("import torch\nimport torch.nn as nn\n", "nn"),
    ("import torch\nimport torch.nn as tnn\n", "tnn"),
    ("import torch\nfrom torch import nn\n", "nn"),
]


@pytest.mark.parametrize("header,nn", ALIASES)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_unseen_store_fix_with_aliases_and_crlf(tmp_path, header, nn, newline):
    source = (header + f"\n\nclass M({nn}.Module):\n\tdef __init__(self, d=3):\n\t\tsuper().__init__()\n"
              "\t\tself.z = torch.zeros(  # zeros\n\t\t\td)\n\n\tdef forward(self, x):\n\t\treturn x + self.z\n\n"
              "\tdef reset(self, x):\n\t\tself.z = x\n")
    source = source.replace("\n", newline)
    result = fixed(tmp_path, source, unsafe=True, raw=True).decode()
    assert result == source.replace("self.z = torch.zeros(  # zeros" + newline + "\t\t\td)",
                                    'self.register_buffer("z", torch.zeros(  # zeros' + newline + "\t\t\td))")
    assert fixed(tmp_path, result, unsafe=True, raw=True).decode() == result


MOVED = [
    ("self.protos = [nn.Parameter(torch.randn(d)).to(device) for _ in range(2)]\n",
     "self.protos = nn.ParameterList([nn.Parameter(torch.randn(d)).to(device) for _ in range(2)])\n"),
    ("self.protos = []\nfor _ in range(2):\n    self.protos.append(nn.Parameter(torch.ones(1)).to(device))  # moved\n",
     "self.protos = nn.ParameterList()\nfor _ in range(2):\n    self.protos.append(nn.Parameter(torch.ones(1)).to(device))  # moved\n"),
]


def _with_device(body: str) -> str:
    return module(body).replace("def __init__(self, d=3):", 'def __init__(self, d=3, device="cpu"):')


@pytest.mark.parametrize("before,after", MOVED)
def test_moved_parameters_in_a_list_are_wrapped(tmp_path, before, after):
    result = fixed(tmp_path, _with_device(before), unsafe=True)
    assert result == _with_device(after)
    assert fixed(tmp_path, result, unsafe=True) == result


@pytest.mark.torch
@pytest.mark.parametrize("before,after", MOVED)
def test_moved_parameters_wrapped_are_trained(tmp_path, before, after):
    pytest.importorskip("torch")
    namespace = namespace_of(fixed(tmp_path, _with_device(before), unsafe=True), "model.py")
    model = namespace["M"]()
    names = [name for name, p in model.named_parameters() if p.requires_grad]
    assert names == ["protos.0", "protos.1"]


@pytest.mark.torch
def test_unseen_store_fixed_model_keeps_the_buffer(tmp_path):
    torch = pytest.importorskip("torch")
    source = ("import torch\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self, d=3):\n"
              "        super().__init__()\n        self.z = torch.zeros(d)\n\n    def forward(self, x):\n"
              "        return x + self.z\n\n    def reset(self, x):\n        self.z = x\n")
    namespace = namespace_of(fixed(tmp_path, source, unsafe=True), "model.py")
    model = namespace["M"]()
    model.reset(torch.ones(3))
    assert dict(model.named_buffers())["z"].tolist() == [1.0, 1.0, 1.0]
    assert list(model.state_dict()) == ["z"]
