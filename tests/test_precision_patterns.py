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


# -- names registered first ---------------------------------------------------------------

@pytest.mark.torch
def test_stores_to_registered_names_go_into_buffers():
    pytest.importorskip("torch")
    module = _load("clean/buffers_registered_first.py")
    mask = module.LengthMask(4)
    mask.set_max_len(6)
    assert mask.state_dict(keep_vars=True) == {} and dict(mask.named_buffers())["positions"].shape == (6,)
    assert sorted(module.Harmonics([0, 2]).state_dict()) == ["harmonic_0"]  # None buffers are not saved
    assert sorted(dict(module.Harmonics([0, 2]).named_buffers())) == ["harmonic_0"]


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


# -- tensors handed to a child that registers them ----------------------------------------

def _aliases_in_state_dict(model, name: str) -> bool:
    """Is the attribute's tensor, as this very object, in the model's state_dict?"""
    tensor = getattr(model, name)
    return any(t is tensor for t in model.state_dict(keep_vars=True).values())


@pytest.mark.torch
def test_tensors_owned_by_children_are_saved_through_the_child():
    pytest.importorskip("torch")
    module = _load("clean/tensors_owned_by_children.py")
    cases = [
        (module.WeightedClassifier(4, [10, 30, 60]), ["class_weights"]),
        (module.ImbalancedTagger(4, 3, 2.0), ["pos_weight", "nll_weight"]),
        (module.CausalMixer(3), ["mask", "balance_weights"]),
        (module.ScaledFlow(2.0), ["scale_cpu"]),
    ]
    for model, names in cases:
        for name in names:
            assert name not in model.state_dict() and _aliases_in_state_dict(model, name), (model, name)


@pytest.mark.torch
def test_accumulating_into_the_alias_leaves_the_child_behind():
    pytest.importorskip("torch")
    module = _load("buggy/tensors_owned_by_children.py")
    model = module.AdaptiveWeights(4, 3).to("meta")
    assert model.criterion.weight.device.type == "meta" and model.class_weights.device.type == "cpu"
    gated = module.GatedBlock(3)
    assert not _aliases_in_state_dict(gated, "mask")
    wrapped = module.WrappedCopies(4, 2)  # views and wraps are new objects
    for name in ("table", "shift_cpu", "initial_weight"):
        assert not _aliases_in_state_dict(wrapped, name)


# -- placeholders never read as state ------------------------------------------------------

@pytest.mark.torch
def test_placeholders_are_replaced_before_use_on_another_device():
    torch = pytest.importorskip("torch")
    module = _load("clean/placeholders_replaced.py")
    x = torch.randn(2, 3, 4, device="meta")
    module.RelativeBias(2).to("meta")(torch.randn(2, 2, 5, 5, device="meta"))
    module.MemoisedProjection(4).to("meta")(x)
    module.AttentionProbe(4).to("meta")(x)
    module.Recurrent(4).to("meta")(x)


@pytest.mark.torch
def test_placeholders_read_as_state_break_on_another_device():
    torch = pytest.importorskip("torch")
    module = _load("buggy/placeholders_read.py")
    x = torch.randn(2, 4, device="meta")
    for model in (module.EpisodicMemory(4, 8), module.DeltaEncoder(4), module.RunningCentre(4).eval()):
        with pytest.raises((RuntimeError, NotImplementedError)):
            model.to("meta")(x)
    # a real table or mask kept while the key matches: the construction-time tensor is used
    with pytest.raises(RuntimeError):
        module.CausalMask(4).to("meta")(torch.randn(2, 4, 4, device="meta"))
    grown = module.GrowingPositions(16, 2)
    assert grown(torch.tensor([[3, 5]])) is not None and grown.table.shape[0] == 16  # construction table used


# -- moved by an _apply override, narrowed by isinstance, registered one by one -------------

@pytest.mark.torch
def test_routes_that_register_or_move_attributes():
    torch = pytest.importorskip("torch")
    module = _load("clean/registered_elsewhere.py")
    assert module.HashEmbedding(8, 2).to("meta").salts.device.type == "meta"
    learned = module.Reweight(torch.nn.Parameter(torch.ones(3)), 3)
    assert "weight" in dict(learned.named_parameters()) and "bias" in dict(learned.named_parameters())
    assert "weight" in dict(module.Reweight(2.0, 3).named_buffers())
    assert len(list(module.MultiTask(["a", "b"], 4).parameters())) == 8


@pytest.mark.torch
def test_routes_that_do_not():
    torch = pytest.importorskip("torch")
    module = _load("buggy/registered_elsewhere.py")
    assert module.HashEmbedding(8, 2).to("meta").offsets.device.type == "cpu"
    assert "weight" not in module.Reweight(2.0, 3).state_dict()
    assert list(module.MultiTask(["a", "b"], 4).parameters()) == []
