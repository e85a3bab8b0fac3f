"""Model-zoo construction paths: a network built through the preset function its author
wrote for it (``def small(pretrained=False, **kwargs) -> Net``), and a layer factory left
at None by a class whose parent always passes one, mended with ``nn.Identity``."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import FIXTURES

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from torchlint.runtime.instantiate import Builder, realpath  # noqa: E402
from torchlint.runtime.synthesis import module_factories  # noqa: E402


@pytest.fixture(scope="module")
def fixture_module():
    path = FIXTURES / "runtime" / "author_factories.py"
    spec = importlib.util.spec_from_file_location("_author_factories", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module, realpath(str(path))
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def built(fixture_module):
    module, real = fixture_module
    builder = Builder(vars(module), lambda f: f == real, {}, {}, budget=60)
    return {name: builder.build(getattr(module, name), f"_author_factories:{name}")
            for name in ("LayeredNet", "Stage")}


def test_the_preset_functions_annotated_with_the_class_small_first(fixture_module):
    module, _ = fixture_module
    # layered_net_from_checkpoint needs an argument; make_stage is not LayeredNet's
    assert [label for label, _ in module_factories(module.LayeredNet, vars(module))] == [
        "layered_net_tiny()", "layered_net_large()"]


def test_a_network_built_by_its_preset(built):
    net = built["LayeredNet"]
    assert (net.status, net.how, net.arguments) == (
        "built", "the module's factory layered_net_tiny()", "factory layered_net_tiny()")
    assert net.device == "meta" and net.attempts == 1
    assert [type(m).__name__ for m in net.instance.stages] == ["Conv2d", "Stage", "Conv2d", "Stage"]
    assert isinstance(net.instance.stages[1].norm, torch.nn.BatchNorm2d)  # the network's own norm layer


def test_a_factory_returning_another_type_is_no_build_and_a_none_layer_factory_is_mended(built):
    stage = built["Stage"]
    assert stage.status == "built"
    assert stage.log[0]["how"] == "the module's factory make_stage()"
    assert stage.log[0]["result"] == "TypeError: the factory returned Sequential, not Stage"
    assert stage.arguments == "width=64, blocks=2; mended: norm_layer=Identity"
    assert stage.how == "synthesised arguments, mended from the error"
    assert isinstance(stage.instance.norm, torch.nn.Identity) and len(stage.instance.convs) == 2


def test_a_none_that_is_not_ours_is_not_mended(tmp_path):
    from test_runtime_build import build, load

    module, path = load("""
import torch.nn as nn

make_norm = None  # a module-level switch the user left off: their bug, not an argument we made up


class Head(nn.Module):
    def __init__(self, width: int, act_layer=nn.ReLU):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.act = act_layer()
        self.norm = make_norm(width)
""", tmp_path)
    outcome = build(module, path, "Head")
    assert outcome.status == "failed"
    assert outcome.reason.startswith("TypeError: 'NoneType' object is not callable [width=64; meta]")


PARTS = """
from dataclasses import dataclass
from typing import Optional, Tuple

import torch.nn as nn


class Tower(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, block_num: int, layer_per_block: int, mlp_ratio: float):
        super().__init__()
        hidden = in_chs * mlp_ratio
        self.blocks = nn.ModuleList(
            nn.Sequential(*(nn.Linear(in_chs, hidden) for _ in range(layer_per_block))) for _ in range(block_num))
        self.out = nn.Linear(hidden, out_chs)


@dataclass
class WindowCfg:
    heads: int = 2
    window_size: Optional[Tuple[int, int]] = None   # the network fills it in from its image size


class WindowAttention(nn.Module):
    def __init__(self, dim: int, cfg: WindowCfg = WindowCfg()):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.table = nn.Embedding(cfg.window_size * cfg.window_size, cfg.heads)
"""


def test_counts_named_by_a_suffix_stay_small_and_a_ratio_is_an_int(tmp_path):
    from test_runtime_build import build, load

    module, path = load(PARTS, tmp_path)
    tower = build(module, path, "Tower")
    # `block_num`/`layer_per_block` are counts (a size there builds 96 blocks); an int ratio keeps sizes ints
    assert (tower.status, tower.arguments) == (
        "built", "in_chs=64, out_chs=64, block_num=2, layer_per_block=2, mlp_ratio=4")


def test_a_default_config_with_sizes_the_network_fills_in(tmp_path):
    from test_runtime_build import build, load

    module, path = load(PARTS, tmp_path)
    attention = build(module, path, "WindowAttention")
    assert attention.log[0]["result"].startswith("TypeError: unsupported operand type(s) for *")
    assert (attention.status, attention.arguments) == ("built", "dim=32, cfg=WindowCfg(window_size=4)")
    assert module.WindowCfg().window_size is None  # the author's default object is left alone
