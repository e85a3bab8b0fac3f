"""With torch: the fixture models whose fixes came with the handed-in, helper-result and
nested container wraps register what the fix promised once `--fix --unsafe-fixes` ran."""

from __future__ import annotations

import shutil

import pytest

from conftest import FIXTURES, run_cli
from test_fixes_with_torch import load, parameters

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

STEMS = ("buggy/module_collections_handed_in", "buggy/layers_from_lambda_helpers",
         "real_bugs/TL008_nested_dict_relation_params", "real_bugs/TL008_time_aware_experts_list")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("fixed")
    for stem in STEMS:
        (root / stem).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / f"{stem}.py", root / f"{stem}.py")
    result = run_cli(*(str(root / f"{stem}.py") for stem in STEMS), "--fix", "--unsafe-fixes")
    assert b"Traceback" not in result.stderr, result.stderr

    def pair(stem):
        name = stem.replace("/", "_")
        return load(FIXTURES / f"{stem}.py", f"before_{name}"), load(root / f"{stem}.py", f"after_{name}")

    return pair


def test_collections_handed_in_are_registered(models):
    before, after = models("buggy/module_collections_handed_in")
    stages = lambda mod: [mod.Stage(3), mod.Stage(3)]  # noqa: E731
    assert parameters(before.CurriculumPipeline(stages(before), [1, 1])) == set()
    pipeline = after.CurriculumPipeline(stages(after), [1, 1])
    assert {"stages.0.proj.weight", "stages.1.proj.bias"} <= parameters(pipeline)
    assert pipeline(torch.ones(2, 3)).shape == (2, 3)
    mixture = after.ExpertMixture([torch.nn.Linear(3, 3)], {"g": after.Stage(3)})
    assert {"experts.0.weight", "gates.g.proj.weight"} <= parameters(mixture)
    assert parameters(after.ExpertMixture([torch.nn.Linear(3, 3)])) == {"experts.0.weight", "experts.0.bias"}
    towers = after.TwoTower((after.Stage(3), after.Stage(3)))
    assert towers.heads is None  # None stays None
    assert {"towers.0.proj.weight", "towers.1.proj.weight"} <= parameters(towers)
    with_heads = after.TwoTower((after.Stage(3), after.Stage(3)), [torch.nn.Conv1d(1, 1, 3)])
    assert "heads.0.weight" in parameters(with_heads)


def test_containers_helpers_return_are_registered(models):
    before, after = models("buggy/layers_from_lambda_helpers")
    assert not any(n.startswith(("heads.", "adapters.")) for n in parameters(before.MultiSpeciesModel(4)))
    model = after.MultiSpeciesModel(4)
    assert {"heads.human.0.weight", "heads.mouse.0.bias", "adapters.1.weight"} <= parameters(model)
    assert set(model(torch.ones(2, 4))) == {"human", "mouse"}


def test_nested_relation_parameters_are_registered_and_trained(models):
    before, after = models("real_bugs/TL008_nested_dict_relation_params")
    assert parameters(before.RelationalAggregator(3, 2, 4)) == set()
    model = after.RelationalAggregator(3, 2, 4)
    assert {"aggregators.0.w", "aggregators.1.b", "relation_layers.1.weight"} <= parameters(model)
    model(torch.ones(2, 3), 1).sum().backward()
    assert model.aggregators["1"]["w"].grad is not None


def test_expert_bank_still_concatenates(models):
    # `torch.cat(self.experts)` raises TypeError on a ParameterList: the fix passes `list(self.experts)`
    before, after = models("real_bugs/TL008_time_aware_experts_list")
    assert parameters(before.TimeAwareExperts(4, 3, 5)) == {"gate.weight", "gate.bias", "time_embedding.weight"}
    model = after.TimeAwareExperts(4, 3, 5)
    assert {"experts.0", "experts.2"} <= parameters(model)
    model(torch.ones(2, 4), torch.tensor([1, 2])).sum().backward()
    assert model.experts[2].grad is not None
