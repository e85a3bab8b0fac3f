"""With torch: every fix, applied to the fixture models, registers what it promised.

Each model is built before and after `torchlint --fix --unsafe-fixes` and inspected
(named_parameters / named_buffers / state_dict / construction errors).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys

import pytest

from conftest import FIXTURES, run_cli

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """(before, after) module pairs for the buggy fixtures."""
    root = tmp_path_factory.mktemp("fixed")
    shutil.copytree(FIXTURES / "buggy", root / "buggy")
    result = run_cli(str(root / "buggy"), "--fix", "--unsafe-fixes")
    assert b"Traceback" not in result.stderr, result.stderr

    def pair(stem):
        return (load(FIXTURES / "buggy" / f"{stem}.py", f"before_{stem}"),
                load(root / "buggy" / f"{stem}.py", f"after_{stem}"))

    return pair


def buffers(model):
    return set(dict(model.named_buffers()))


def parameters(model):
    return set(dict(model.named_parameters()))


def test_tl001_plain_tensors_become_buffers_that_follow_the_module(models):
    before, after = models("positional_encoding")
    assert "pe" not in buffers(before.PositionalEncoding(8))
    model = after.PositionalEncoding(8)
    assert "pe" in buffers(model) and "pe" in model.state_dict()  # persistent with --unsafe-fixes
    assert model.double().pe.dtype == torch.float64  # now follows .to()/.double()
    before, after = models("rotary_embedding")
    assert {"inv_freq", "cos_cached", "sin_cached"} <= buffers(after.RotaryEmbedding(8))
    before, after = models("detection_head")
    assert "anchors" not in buffers(before.AnchorHead(4, 2)) and "anchors" in buffers(after.AnchorHead(4, 2))
    before, after = models("seed_examples")
    assert "weight" in buffers(after.Layer()) and "my_tensor" in buffers(after.BufferDemo())


def test_tl004_tensors_that_want_gradients_become_parameters(models):
    before, after = models("requires_grad_misuse")
    model = after.LearnedScale(4)
    assert {"gamma", "beta", "temperature", "offset", "bias"} <= parameters(model)
    with pytest.raises(TypeError):  # the unfixed model does not even build (require_grad=)
        before.LearnedScale(4)


def test_tl002_tl003_models_now_build(models):
    before, after = models("late_super")
    with pytest.raises(AttributeError, match="before Module.__init__"):
        before.GatedBlock(4)
    model = after.GatedBlock(4)
    assert "gate" in parameters(model) and "running_scale" in buffers(model)
    assert "norm.weight" in parameters(after.LegacyBlock(4))
    before, after = models("missing_super")
    with pytest.raises(AttributeError):
        before.Classifier(4, 2)
    assert "fc.weight" in parameters(after.Classifier(4, 2))
    assert {"conv.weight", "bn.weight"} <= parameters(after.ConvBNReLU(1, 2))


def test_tl006_in_place_initialisation_now_runs(models):
    before, after = models("inplace_init")
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        before.ScaledLinear(4, 3)
    model = after.ScaledLinear(4, 3)
    assert torch.all(model.head.bias == 0) and model.head.weight[0, 0] == 1.0
    assert torch.allclose(model.bias, torch.full((3,), 0.1))


def test_tl007_tl008_containers_are_registered(models):
    before, after = models("model_zoo")
    old, new = before.MixtureOfExperts(4, 2), after.MixtureOfExperts(4, 2)
    assert not any(name.startswith(("experts.", "task_heads.", "blocks.")) for name in parameters(old))
    names = parameters(new)
    assert any(n.startswith("experts.0.") for n in names) and any(n.startswith("blocks.1.") for n in names)
    assert isinstance(new.experts, torch.nn.ModuleList) and isinstance(new.blocks, torch.nn.ModuleList)
    # a dict filled later from `tasks`, whose default is a tuple of names: wrapped (unsafe)
    assert isinstance(new.task_heads, torch.nn.ModuleDict) and list(new.task_heads) == ["cls", "reg"]
    assert {"task_heads.cls.weight", "task_heads.reg.bias"} <= names


MIXTURE = """\
import torch
import torch.nn as nn


class GaussianMixture(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.means = [nn.Parameter(torch.randn(dim)) for _ in range(n)]
        self.log_vars = {"mu": nn.Parameter(torch.zeros(dim)), "sigma": nn.Parameter(torch.ones(dim))}
"""


def test_tl008_parameters_in_containers_are_registered(tmp_path):
    path = tmp_path / "mixture.py"
    path.write_text(MIXTURE)
    assert parameters(load(path, "mixture_before").GaussianMixture(3, 2)) == set()
    assert run_cli(str(path), "--fix", "--unsafe-fixes").returncode == 0
    model = load(path, "mixture_after").GaussianMixture(3, 2)
    assert parameters(model) == {f"means.{i}" for i in range(3)} | {"log_vars.mu", "log_vars.sigma"}
