"""TL007/TL008 container fixes with torch: the fixed model registers what it holds."""

from __future__ import annotations

import pytest

from test_container_fixes import CASES, module
from test_fixes import fixed

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


@pytest.mark.parametrize("before,after", CASES)
def test_the_fixed_model_registers_its_contents(tmp_path, before, after):
    namespace: dict = {}
    exec(compile(fixed(tmp_path, module(before), unsafe=True), "<model>", "exec"), namespace)
    model = namespace["M"]()
    assert list(model.parameters()), "the fixed model registers the contents"
    assert not [k for k, v in vars(model).items() if not k.startswith("_") and isinstance(v, (list, dict))]
