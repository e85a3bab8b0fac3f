"""fix forms with torch (split from test_fix_forms.py so the static tests run without torch)."""

from __future__ import annotations


import pytest
from test_fixes import fixed
from test_fix_forms import TL004, module

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


@pytest.mark.parametrize("before,after", TL004)
def test_tl004_fixed_model_trains_it(tmp_path, before, after):
    namespace: dict = {}
    exec(compile(fixed(tmp_path, module(before), unsafe=True), "<model>", "exec"), namespace)
    assert "a" in dict(namespace["M"]().named_parameters())
