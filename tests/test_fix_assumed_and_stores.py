"""TL001 fixes for a tensor that arrives as an argument (unsafe: a caller may pass an
``nn.Parameter`` or a non-tensor), and for names other methods store into, judged with
those methods' locals."""

from __future__ import annotations

import pytest

from test_fixes import fixed

HEAD = "import torch\nimport torch.nn as nn\nfrom torch import Tensor\nfrom typing import Optional\n\n\nclass M(nn.Module):\n"


def test_tl001_argument_fix_is_unsafe(tmp_path):
    source = HEAD + "    def __init__(self, w: Tensor, m: Optional[Tensor] = None):\n        super().__init__()\n" \
                    "        self.w = w\n        self.m = m\n"
    assert fixed(tmp_path, source) == source  # not a safe fix
    assert fixed(tmp_path, source, unsafe=True) == source.replace(
        "self.w = w", 'self.register_buffer("w", w)').replace("self.m = m", 'self.register_buffer("m", m)')


def test_tl001_argument_fix_says_why_it_is_unsafe(tmp_path):
    from torchlint import engine
    from torchlint.config import load_settings

    (tmp_path / "model.py").write_text(HEAD + "    def __init__(self, w: Tensor):\n        super().__init__()\n"
                                              "        self.w = w.float()\n")
    settings = load_settings(tmp_path)
    [finding] = [d for d in engine.run([str(tmp_path / "model.py")], settings, jobs=1).diagnostics if d.code == "TL001"]
    assert finding.fix.applicability == "unsafe"
    assert "`nn.Parameter`" in finding.fix.message and "TypeError" in finding.fix.message


STORED_ELSEWHERE = HEAD + "    def __init__(self, d=3):\n        super().__init__()\n        self.z = torch.zeros(d)\n\n" \
                          "    def forward(self, x):\n        return x + self.z\n\n" \
                          "    def reset(self, x):\n{}        return x\n"


@pytest.mark.parametrize("later", [
    "        h = torch.zeros_like(x)\n        self.z = h\n",
    "        h = None\n        if x is not None:\n            h = torch.ones(3)\n        self.z = h\n",
    "        self.z += 1\n",
    "        a, b = torch.ones(3), 2\n        self.z = a\n",
])
def test_tl001_fixed_when_other_stores_are_tensors_by_their_locals(tmp_path, later):
    source = STORED_ELSEWHERE.format(later)
    assert fixed(tmp_path, source) == source.replace(
        "self.z = torch.zeros(d)", 'self.register_buffer("z", torch.zeros(d), persistent=False)')


@pytest.mark.parametrize("later", [
    "        h = [1, 2]\n        self.z = h\n",
    "        h = 0\n        if x:\n            h = torch.ones(3)\n        self.z = h\n",
    "        if isinstance(x, float):\n            self.z = x\n",  # checked: likely no tensor
])
def test_tl001_not_fixed_when_another_store_may_be_no_tensor(tmp_path, later):
    source = STORED_ELSEWHERE.format(later)
    assert fixed(tmp_path, source, unsafe=True) == source


def test_tl001_other_store_of_an_unseen_value_gives_an_unsafe_fix_naming_it(tmp_path):
    """``self.z = x`` with ``x`` an argument of unknown type: registering is right if it is a
    tensor, so the fix is offered, unsafe, naming the store and the TypeError otherwise."""
    from torchlint import engine
    from torchlint.config import load_settings

    source = STORED_ELSEWHERE.format("        self.z = x\n")
    assert fixed(tmp_path, source) == source  # not a safe fix
    assert fixed(tmp_path, source, unsafe=True) == source.replace(
        "self.z = torch.zeros(d)", 'self.register_buffer("z", torch.zeros(d))')
    (tmp_path / "model.py").write_text(source)
    [finding] = [d for d in engine.run([str(tmp_path / "model.py")], load_settings(tmp_path), jobs=1).diagnostics
                 if d.code == "TL001"]
    assert finding.fix.applicability == "unsafe"
    assert "line 16 stores `x` under `z`, assumed to be a tensor or None" in finding.fix.message
    assert "TypeError" in finding.fix.message


def test_tl001_not_fixed_when_another_store_is_a_tensor_on_one_arm_only(tmp_path):
    source = STORED_ELSEWHERE.format("        self.z = torch.ones(3) if x else 0\n")
    assert fixed(tmp_path, source, unsafe=True) == source
    both = STORED_ELSEWHERE.format("        self.z = torch.ones(3) if x else None\n")
    assert fixed(tmp_path, both) != both


METHOD_TABLES = HEAD + "    def __init__(self, d=3):\n        super().__init__()\n        self.a, self.b = self.tables(d)\n\n" \
                       "    def tables(self, d):\n        return torch.zeros(d), torch.ones(d)\n\n" \
                       "    def odd(self):\n        return [1], 2\n\n" \
                       "    def update(self, d):\n        self.a, self.b = self.{}\n\n" \
                       "    def forward(self, x):\n        return x + self.a + self.b\n"


def test_tl001_other_store_from_a_method_of_the_class_is_judged_by_what_it_returns(tmp_path):
    source = METHOD_TABLES.format("tables(d + 1)")
    assert fixed(tmp_path, source) == source.replace(
        "        self.a, self.b = self.tables(d)\n",
        '        a, b = self.tables(d)\n        self.register_buffer("a", a, persistent=False)\n'
        '        self.register_buffer("b", b, persistent=False)\n')
    odd = METHOD_TABLES.format("odd()")
    assert fixed(tmp_path, odd, unsafe=True) == odd
