"""TL004 advice for a tensor the class replaces outside construction: never advice that raises."""

from __future__ import annotations

import json

from conftest import run_cli


def test_hand_updated_tensor_gets_advice_that_survives_its_update_and_no_fix():
    result = run_cli("fixtures/buggy/hand_updated_grad_tensor.py", "--output-format", "json", "--no-cache")
    found = {d["location"]["row"]: d for d in json.loads(result.stdout)}
    assert sorted(found) == [13, 14]
    replaced, kept = found[13], found[14]
    assert "outside construction" in replaced["help"] and "raises `TypeError` once it is a Parameter" in replaced["help"]
    assert replaced["fix"] is None  # wrapping it would make forward's store raise
    assert kept["fix"] is not None and "TypeError" not in kept["help"]
