"""A short fuzz run (benchmarks/fuzz.py runs the long one): generated programs, alone
and inside Module classes, never make torchlint raise or report an internal error."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT

pytest.importorskip("hypothesmith")
sys.path.insert(0, str(ROOT / "benchmarks"))
import fuzz  # noqa: E402


def test_generated_programs_never_raise():
    assert fuzz.run(examples=60) >= 60


def test_checker_reports_internal_errors(monkeypatch):
    """The property can fail: an exception inside a rule is caught and counted."""
    from torchlint.rules.tl001_unregistered_tensor import UnregisteredTensor

    def broken(self, ctx):
        raise ValueError("boom")

    monkeypatch.setattr(UnregisteredTensor, "check", broken)
    checker = fuzz.Checker()
    with pytest.raises(AssertionError, match="boom"):
        checker.check("import torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n")
