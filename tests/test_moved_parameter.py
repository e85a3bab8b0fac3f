"""TL011 moved-parameter: what is reported, what is not, its fixes, and what torch does."""

from __future__ import annotations

import ast
import textwrap

import pytest

from test_fixes import fixed

HEADER = "import torch\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self, device, n=3):\n        super().__init__()\n"


def module(body: str) -> str:
    return HEADER + textwrap.indent(body, " " * 8) + "\n"


REPORTED = [
    "self.w = nn.Parameter(torch.randn(3, 3)).to(device)",
    "self.w = nn.Parameter(torch.randn(3)).cuda()",
    "self.w = nn.Parameter(torch.randn(3)).cpu()",
    "self.w = nn.Parameter(torch.randn(3)).half()",
    "self.w = nn.Parameter(torch.randn(3)).float()",
    "self.w = nn.Parameter(torch.randn(3)).double()",
    "self.w = nn.Parameter(torch.randn(3)).bfloat16()",
    "self.w = nn.Parameter(torch.randn(3)).type(torch.float64)",
    "self.w = nn.Parameter(torch.randn(3)).to(torch.float16)",
    "self.w = nn.Parameter(torch.randn(3)).to(device).half()",
    "self.w = torch.nn.Parameter(torch.zeros(3)).to('cpu')",
    "self.w = nn.Parameter(torch.randn(3), requires_grad=False).to(device)",
    "p = nn.Parameter(torch.randn(3))\nself.w = p.cuda()",
    "p = nn.Parameter(torch.randn(3)).to(device)\nself.w = p",
    "self.w = nn.Parameter(torch.ones(1))\nself.w = self.w.double()",
    "self.w = nn.Parameter(torch.ones(1))\nself.w = self.w.to(device)",
    "setattr(self, 'w', nn.Parameter(torch.ones(1)).cuda())",
    "self.register_parameter('w', nn.Parameter(torch.ones(1)).to(device))",
]


@pytest.mark.parametrize("body", REPORTED)
def test_reported_once_as_tl011(body, codes):
    assert codes(module(body)) == ["TL011"]


def test_reported_in_a_helper_called_from_init(codes):
    source = HEADER + "        self._build()\n\n    def _build(self):\n        self.w = nn.Parameter(torch.ones(2)).cuda()\n"
    assert codes(source) == ["TL011"]


SILENT = [
    "self.w = nn.Parameter(torch.randn(3).to(device))",
    "self.w = nn.Parameter(torch.randn(3, device=device))",
    "self.fc = nn.Linear(3, 3).to(device)",
    "self.fc = nn.Linear(3, 3)\nself.fc = self.fc.to(device)",
    "self.fc = nn.Linear(3, 3)\nself.fc = self.fc.double()",
    "self.ps = nn.ParameterList()\nself.ps.append(nn.Parameter(torch.randn(3)).to(device))",
    "self.pd = nn.ParameterDict()\nself.pd['a'] = nn.Parameter(torch.randn(3)).to(device)",
    "self.w = nn.Parameter(torch.randn(3)).to()",  # a no-op
    "self.kind = nn.Parameter(torch.randn(3)).type()",  # a type name
    "self.w = nn.Parameter(torch.randn(3))\nself.w.data = self.w.data.to(device)",
    "self.register_buffer('b', nn.Parameter(torch.randn(3)).to(device))",  # registered either way
    # another name: a plain copy of a registered Parameter, not a moved Parameter
    "self.w = nn.Parameter(torch.randn(3))\nself.w_dev = self.w.to(device)",
]


@pytest.mark.parametrize("body", SILENT)
def test_silent(body, codes):
    assert "TL011" not in codes(module(body))


def test_a_copy_under_another_name_stays_tl001(codes):
    """`.double()` always copies a default-dtype Parameter: a plain tensor, derived."""
    assert codes(module("self.w = nn.Parameter(torch.randn(3))\nself.w64 = self.w.double()")) == ["TL001"]


def test_a_moved_parameter_outside_construction_is_not_reported(codes):
    source = HEADER + "        self.w = nn.Parameter(torch.ones(2))\n\n    def forward(self, x):\n" \
        "        self.cache = nn.Parameter(x).cuda()\n        return x\n"
    assert codes(source) == ["TL009"]  # a Parameter made in forward: TL009's, not TL011's


def test_not_in_a_plain_class(codes):
    assert codes("import torch\nfrom torch import nn\n\nclass A:\n    def __init__(self):\n"
                 "        self.w = nn.Parameter(torch.ones(1)).cuda()\n") == []


def test_messages_name_the_consequence_and_the_fix(tmp_path):
    from conftest import lint_source

    (found,) = lint_source(module("self.w = nn.Parameter(torch.randn(3, 3)).to(device)"), tmp_path)
    assert "plain tensor whenever it copies" in found.message and "CPU tests pass" in found.message
    assert "parameters()" in found.message
    assert found.help == "Move the call inside: `nn.Parameter(torch.randn(3, 3).to(device))`"
    (found,) = lint_source(module("self.w = nn.Parameter(torch.ones(1))\nself.w = self.w.double()"), tmp_path)
    assert "TypeError" in found.message and "new Parameter object" in found.help


# -- fixes -------------------------------------------------------------------------------

FIXES = [
    ("self.w = nn.Parameter(torch.randn(3, 3)).to(device)", "self.w = nn.Parameter(torch.randn(3, 3).to(device))"),
    ("self.w = nn.Parameter(torch.randn(3)).cuda()", "self.w = nn.Parameter(torch.randn(3).cuda())"),
    ("self.w = nn.Parameter(torch.randn(3), requires_grad=False).half()",
     "self.w = nn.Parameter(torch.randn(3).half(), requires_grad=False)"),
    ("self.w = nn.Parameter(0.1 * torch.ones(3)).to(device)", "self.w = nn.Parameter((0.1 * torch.ones(3)).to(device))"),
    ("self.w = nn.Parameter(torch.ones(3)).to(device).double()",
     "self.w = nn.Parameter(torch.ones(3).to(device).double())"),
    ("self.w = nn.Parameter(  # the weight\n    torch.ones(3),\n).to(\n    device,  # where\n)",
     "self.w = nn.Parameter(  # the weight\n    torch.ones(3).to(\n    device,  # where\n),\n)"),
    ("self.w = nn.Parameter((torch.ones(3) + 1)).cuda()", "self.w = nn.Parameter((torch.ones(3) + 1).cuda())"),
    ("self.register_parameter('w', nn.Parameter(torch.ones(1)).to(dtype=torch.float16))",
     "self.register_parameter('w', nn.Parameter(torch.ones(1).to(dtype=torch.float16)))"),
]


@pytest.mark.parametrize("before,after", FIXES)
def test_safe_fix_moves_the_call_inside(tmp_path, before, after):
    result = fixed(tmp_path, module(before))
    assert result == module(after)
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result  # idempotent; nothing else to fix


@pytest.mark.parametrize("header", [
    "import torch\nimport torch.nn as tnn\n",
    "import torch\nfrom torch import nn as tnn\n",
])
def test_fix_under_an_alias_with_tabs_and_crlf(tmp_path, header):
    source = (header + "\n\nclass M(tnn.Module):\n\tdef __init__(self, d):\n\t\tsuper().__init__()\n"
              "\t\tself.w = tnn.Parameter(torch.ones(2)).to(d)  # moved\n").replace("\n", "\r\n")
    result = fixed(tmp_path, source, raw=True)
    assert result == source.replace("tnn.Parameter(torch.ones(2)).to(d)", "tnn.Parameter(torch.ones(2).to(d))").encode()


def test_own_parameter_gets_only_an_unsafe_rewrap(tmp_path):
    body = "self.s = nn.Parameter(torch.ones(1))\nself.s = self.s.double()  # keep"
    assert fixed(tmp_path, module(body)) == module(body)
    result = fixed(tmp_path, module(body), unsafe=True)
    assert result == module(body.replace("self.s = self.s.double()", "self.s = nn.Parameter(self.s.double())"))
    assert fixed(tmp_path, result, unsafe=True) == result


def test_frozen_own_parameter_stays_frozen_after_the_rewrap(tmp_path):
    body = "self.s = nn.Parameter(torch.ones(1), requires_grad=False)\nself.s = self.s.half()"
    result = fixed(tmp_path, module(body), unsafe=True)
    assert "self.s = nn.Parameter(self.s.half(), requires_grad=False)" in result


def test_moved_through_a_local_moves_the_call_to_where_it_is_made(tmp_path):
    body = "p = nn.Parameter(torch.ones(1))  # made here\nn = n + 1\nself.w = p.to(device)"
    result = fixed(tmp_path, module(body))
    assert result == module("p = nn.Parameter(torch.ones(1).to(device))  # made here\nn = n + 1\nself.w = p")
    assert fixed(tmp_path, result, unsafe=True) == result


@pytest.mark.parametrize("body", [
    "p = nn.Parameter(torch.ones(1))\nprint(p)\nself.w = p.cuda()",  # p is used elsewhere
    "p = nn.Parameter(torch.ones(1))\ndevice = 'cpu'\nself.w = p.to(device)",  # device changes in between
    "p = nn.Parameter(torch.ones(1))\np = nn.Parameter(torch.ones(2))\nself.w = p.cuda()",
])
def test_moved_through_a_local_is_not_fixed_when_the_move_would_change_meaning(tmp_path, body):
    assert fixed(tmp_path, module(body), unsafe=True) == module(body)


def test_moved_parameter_reported_though_another_method_registers_the_name(codes):
    """torch-uncertainty 0.1.2's TemperatureScaler: `nn.Parameter(...).to(device)` in __init__,
    and a `set_temperature` method that stores a new Parameter under the same name later.
    After construction the attribute is the plain result of `.to()`: the optimizer built then
    misses it, whatever a later call would register."""
    source = (
        "import torch\nfrom torch import nn\n\n\nclass Scaler(nn.Module):\n"
        "    def __init__(self, init_val: float = 1.0, device=None):\n        super().__init__()\n"
        "        self.temperature = nn.Parameter(torch.ones(1) * init_val).to(device)\n\n"
        "    def set_temperature(self, val: float) -> None:\n"
        "        self.temperature = nn.Parameter(torch.ones(1) * val)\n\n"
        "    def forward(self, logits):\n        return logits / self.temperature\n"
    )
    assert codes(source) == ["TL011"]
    base = source.replace("class Scaler(nn.Module):", "class Base(nn.Module):\n    def __init__(self):\n"
                          "        super().__init__()\n        self.register_buffer('temperature', torch.ones(1))\n\n\n"
                          "class Scaler(Base):")
    assert codes(base) == []  # a base class's buffer: the moved tensor goes into _buffers
