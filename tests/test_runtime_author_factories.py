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


def test_a_modular_templates_config_comes_from_the_generated_configuration_file():
    from conftest import FIXTURES as fixtures

    sys.path.insert(0, str(fixtures / "runtime"))
    try:
        import toy_family.configuration_toy as generated
        import toy_family.modular_toy as template
    finally:
        sys.path.remove(str(fixtures / "runtime"))
    with pytest.raises(TypeError):
        template.ToyConfig()  # the template's own config does not run as written
    real = realpath(template.__file__)
    builder = Builder(vars(template), lambda f: f == real, {}, {}, budget=60)
    for name in ("ToyBlock", "ToyModel"):  # annotated with the config; through config_class
        outcome = builder.build(getattr(template, name), f"toy_family.modular_toy:{name}")
        assert outcome.status == "built", outcome.reason
        assert outcome.how == "`config`: config `ToyConfig` (from configuration_toy.py) with its defaults"
    assert len(outcome.instance.blocks) == 2 and outcome.instance.embed.num_embeddings == 100
    from torchlint.runtime.synthesis import generated_twin

    assert generated_twin(template.ToyConfig) is generated.ToyConfig
    assert generated_twin(generated.ToyConfig) is None


def test_a_variant_that_forwards_everything_is_built_with_its_bases_signature(tmp_path):
    from test_runtime_build import build, load

    module, path = load("""
import torch.nn as nn


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0):
        super().__init__()
        assert dim % num_heads == 0
        self.qkv = nn.Linear(dim, 3 * dim)


class FusedAttention(Attention):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fused = True
""", tmp_path)
    fused = build(module, path, "FusedAttention")
    assert fused.log[0]["arguments"] == "no arguments"  # what the author wrote first: nothing to pass
    assert fused.log[0]["result"].startswith("TypeError: Attention.__init__() missing 2 required")
    assert (fused.status, fused.arguments) == ("built", "dim=32, num_heads=2")
    assert fused.instance.qkv.in_features == 32 and fused.instance.fused


def test_a_per_layer_list_left_at_none_gets_one_entry_per_layer(tmp_path):
    from test_runtime_build import build, load

    module, path = load("""
import torch.nn as nn


class Level(nn.Module):
    def __init__(self, dim: int, depth: int, drop_path_rates=None):
        super().__init__()
        assert len(drop_path_rates) == depth, "one drop path rate per block"
        self.blocks = nn.ModuleList(nn.Linear(dim, dim) for _ in range(depth))
""", tmp_path)
    level = build(module, path, "Level")
    assert (level.status, level.arguments) == ("built", "dim=64, depth=2; mended: drop_path_rates=[0.1, 0.1]")


def test_widths_grow_until_a_fixed_group_count_divides_them(tmp_path):
    from test_runtime_build import build, load

    module, path = load("""
import torch.nn as nn


class Bottleneck(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, stride: int = 1, bottle_ratio: float = 0.25):
        super().__init__()
        mid = int(out_chs * bottle_ratio)
        self.conv = nn.Conv2d(in_chs, mid, 1, stride=stride)
        self.norm = nn.GroupNorm(32, mid)
        self.out = nn.Conv2d(mid, out_chs, 1)
""", tmp_path)
    block = build(module, path, "Bottleneck")
    assert block.log[0]["result"] == "ValueError: num_channels (16) must be divisible by num_groups (32)"
    # the widths grow; the stride and the ratio stay
    assert (block.status, block.arguments) == ("built", "in_chs=64, out_chs=64; mended: in_chs=128, out_chs=128")
    assert block.instance.norm.num_channels == 32


def test_a_string_parameter_takes_a_value_the_constructor_compares_it_with(tmp_path):
    from test_runtime_build import build, load

    module, path = load("""
import torch.nn as nn


class PartialConv(nn.Module):
    def __init__(self, dim: int, mode: str):
        super().__init__()
        self.conv = nn.Conv2d(dim // 4, dim // 4, 3, padding=1)
        if mode == "slice":
            self.split = False
        elif mode in ("split", "split_cat"):
            self.split = True
        else:
            raise NotImplementedError(mode)
""", tmp_path)
    conv = build(module, path, "PartialConv")
    assert (conv.status, conv.arguments) == ("built", "dim=64, mode='slice'")
    from torchlint.runtime.synthesis import compared_strings

    assert compared_strings(module.PartialConv, "mode") == ("slice", "split", "split_cat")
