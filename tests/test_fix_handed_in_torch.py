"""With torch: the models test_fix_handed_in.py fixes build and register what they hold
(split off so the static tests run without torch)."""

from __future__ import annotations

import pytest

from test_fix_handed_in import GOLDEN, source
from test_fixes import fixed, namespace_of

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


@pytest.mark.parametrize("signature,before,after,args,key", GOLDEN)
def test_fixed_model_registers_what_it_was_handed(tmp_path, signature, before, after, args, key):
    namespace = namespace_of(fixed(tmp_path, source(signature, before), unsafe=True))
    model = eval(f"M({args})", namespace)
    assert key in model.state_dict()
    assert key in dict(model.named_parameters())
    unfixed = eval(f"M({args})", namespace_of(source(signature, before)))
    assert key not in unfixed.state_dict()  # the bug the fix removes


@pytest.mark.parametrize("signature", ["extra: Optional[List[Block]] = None", "heads: dict[str, Block] | None = None"])
def test_none_stays_none(tmp_path, signature):
    name = signature.split(":")[0]
    namespace = namespace_of(fixed(tmp_path, source(signature, f"self.a = {name}\n"), unsafe=True))
    assert namespace["M"]().a is None
