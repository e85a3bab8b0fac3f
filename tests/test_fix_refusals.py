"""TL001: a name stored twice in construction is registered at its first store, and a
finding without a fix says why in its help text."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from test_fixes import fixed

HEAD = "import torch\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self, d=3):\n        super().__init__()\n"
TAIL = "\n    def forward(self, x):\n        return x + self.z\n"


@pytest.mark.parametrize("later", [
    "        self.z = self.z * 2\n",
    "        self.z = self.z.unsqueeze(0)  # batch axis\n",
    "        self._grow()\n\n    def _grow(self):\n        self.z = torch.cat([self.z, self.z])\n",
])
def test_tl001_restored_tensor_registered_at_its_first_store(tmp_path, later):
    source = HEAD + "        self.z = torch.zeros(d)\n" + later + TAIL
    result = fixed(tmp_path, source)
    assert result == source.replace("self.z = torch.zeros(d)",
                                    'self.register_buffer("z", torch.zeros(d), persistent=False)')
    assert fixed(tmp_path, result) == result


def help_of(tmp_path, source: str) -> list:
    (tmp_path / "model.py").write_text(source)
    out = subprocess.run([sys.executable, "-m", "torchlint", "--no-cache", "--exit-zero", "--output-format", "json",
                          str(tmp_path / "model.py")], capture_output=True, text=True).stdout
    return [(d["location"]["row"], d["help"], d["fix"]) for d in json.loads(out) if d["code"] == "TL001"]


@pytest.mark.parametrize("body,row,reason", [
    ("        self.z = 0\n        self.z = torch.zeros(d)\n", 9, "is set before (line 8)"),
    ("        self.z = torch.zeros(d)\n\n    def reset(self):\n        self.z = [0]\n", 8,
     "line 11 stores something under `z` that may not be a tensor or None"),
    ("        self.names = dict(locals())\n        self.z, self.k = torch.ones(d), 1\n", 9,
     "its assignment cannot be split"),
    # the first store is on the main path but is a trainable tensor (a TL004 there), not
    # "a path that may not run"
    ("        self.z = torch.zeros(d, requires_grad=True)\n        self.z = torch.ones(1).unsqueeze(0)\n", 9,
     "is first set (line 8) to a tensor that requires grad"),
    # (an `if` of `__init__` itself gets None registered before it: see test_fix_partial_if.py)
    ("        for _ in range(2):\n            if d:\n                self.z = torch.zeros(d)\n"
     "        self.z = torch.ones(1)\n", 11, "is first set (line 10) on a path that may not run"),
])
def test_tl001_refusal_says_why(tmp_path, body, row, reason):
    findings = {r: (h, f) for r, h, f in help_of(tmp_path, HEAD + body + TAIL)}
    help_text, fix = findings[row]
    assert fix is None
    assert "no automatic fix" in help_text
    if reason:
        assert reason in help_text
