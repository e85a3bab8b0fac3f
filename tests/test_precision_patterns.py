"""False-finding patterns from libraries no rule was written against (issue 26), and the
real bug next to each: fixtures/clean/* must stay silent, fixtures/buggy/* keep their
findings (tests/test_fixtures.py); the details checked here are messages, fixes and torch."""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings

import pytest

from conftest import FIXTURES, run_cli


def _diagnostics(relative: str) -> list[dict]:
    result = run_cli(f"fixtures/{relative}", "--output-format", "json", "--exit-zero")
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def _load(relative: str):
    path = FIXTURES / relative
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(path.stem + "_under_test", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(path.parent))


# -- complex tensors -----------------------------------------------------------------------

def test_complex_tensors_get_their_own_advice_and_no_fix():
    found = {d["location"]["row"]: d for d in _diagnostics("buggy/complex_tables.py")}
    complex_rows = {15, 21, 23, 24, 25}
    for row in complex_rows:
        assert "complex tensor" in found[row]["message"]
        assert "_apply" in found[row]["help"] and "imaginary" in found[row]["help"]
        assert found[row]["fix"] is None
    for row in set(found) - complex_rows:  # real tensors beside them: the ordinary advice and fix
        assert "complex" not in found[row]["message"]
        assert found[row]["fix"] is not None


@pytest.mark.torch
def test_complex_buffer_loses_its_imaginary_part_under_a_real_dtype():
    """Why no buffer fix: `.to(<real dtype>)` casts a complex buffer to that dtype."""
    torch = pytest.importorskip("torch")
    module = _load("buggy/complex_tables.py")
    model = module.RotaryPolar(8, 4)
    assert model.freqs_cis.is_complex() and "freqs_cis" not in model.state_dict()
    model.register_buffer("as_buffer", model.freqs_cis.clone())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.to(torch.bfloat16)
    assert not model.as_buffer.is_complex()


@pytest.mark.torch
def test_complex_table_moved_by_apply_override_follows_the_module():
    torch = pytest.importorskip("torch")
    module = _load("clean/complex_rotary.py")
    model = module.RotaryMovedByHand(8, 4).to("meta")
    assert model.freqs_cis.device.type == "meta" and model.freqs_cis.is_complex()
