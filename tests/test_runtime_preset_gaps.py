"""What a network's presets fill in and a layer's defaults leave open: per-stage sizes left
as empty tuples (made up in the later argument sets), a head count beyond a per-head
kernel list (it shrinks to the list's length), a list of widths we made, read further
than it goes (it grows), a dataclass of layer factories annotated on a parameter left at
None (built with its defaults; its None factory mended with nn.Identity), an assertion
between sizes (the size we pass satisfies it), a norm layer that must be given, layer
factories passed on through ``**kwargs`` as None (the layer's own defaults), a depthwise
width, and a window and grid partition asserted to be one size."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import FIXTURES

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from torchlint.runtime.instantiate import Builder, realpath  # noqa: E402


NAMES = ("Pyramid", "PerHeadKernels", "ThreeScales", "AttendBlock", "Windowed", "Mixers", "NormedQuery",
         "PassThroughStage", "DepthwiseMixer", "PartitionAttention")


@pytest.fixture(scope="module")
def built():
    path = FIXTURES / "runtime" / "preset_gaps.py"
    spec = importlib.util.spec_from_file_location("_preset_gaps", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    real = realpath(str(path))
    builder = Builder(vars(module), lambda f: f == real, {}, {}, budget=60)
    yield module, {name: builder.build(getattr(module, name), f"_preset_gaps:{name}")
                   for name in NAMES}
    sys.modules.pop(spec.name, None)


def test_empty_per_stage_sizes_are_made_up_after_the_defaults(built):
    _, outcomes = built
    pyramid = outcomes["Pyramid"]
    assert pyramid.status == "built"
    assert pyramid.log[0]["arguments"] == "no arguments"
    assert pyramid.log[0]["result"] == "IndexError: tuple index out of range"
    assert pyramid.arguments == "widths=(32, 32), depths=(1, 1)"
    assert [len(stage) for stage in pyramid.instance.stages] == [1, 1]


def test_a_head_count_past_the_per_head_list_shrinks_to_its_length(built):
    _, outcomes = built
    heads = outcomes["PerHeadKernels"]
    assert heads.status == "built"
    assert heads.arguments == "dim=64; mended: heads=4"
    assert [conv.kernel_size for conv in heads.instance.convs] == [(3,), (5,), (3,), (5,)]


def test_a_list_we_made_grows_to_the_index_read(built):
    _, outcomes = built
    scales = outcomes["ThreeScales"]
    assert scales.status == "built"
    assert scales.arguments == "widths=[64, 32]; mended: widths=[64, 32, 32]"
    assert tuple(scales.instance.up.weight.shape) == (32, 32)


def test_an_annotated_dataclass_left_at_none_is_built_with_its_defaults(built):
    module, outcomes = built
    block = outcomes["AttendBlock"]
    assert block.status == "built"
    assert block.arguments == "channels=64; mended: parts=Parts(), Parts.attend=Identity"
    assert isinstance(block.instance.conv, torch.nn.Conv2d) and isinstance(block.instance.attend, torch.nn.Identity)
    assert module.Parts().attend is None  # the class's own default is untouched


def test_a_default_list_of_the_class_is_not_grown(tmp_path):
    from test_runtime_build import build, load

    module, path = load("""
import torch.nn as nn


class FixedTable(nn.Module):
    def __init__(self, width: int, sizes=(4, 8)):
        super().__init__()
        self.last = nn.Linear(width, sizes[2])
""", tmp_path)
    outcome = build(module, path, "FixedTable")
    assert outcome.status == "failed"
    assert all("mended" not in entry["arguments"] for entry in outcome.log)


@pytest.mark.parametrize("name, arguments", [
    ("Windowed", "dim=64; mended: window=2"),             # assert window != 1, beside the default 1
    ("Mixers", "dim=64, depth=2, num_mixers=2; mended: depth=6"),  # assert depth >= 3 * num_mixers
    ("NormedQuery", "dim=64; mended: norm_layer=Identity"),  # assert norm_layer is not None
    ("DepthwiseMixer", "in_chans=64; mended: in_chans=192"),  # Conv2d(in, 96, groups=96)
    ("PartitionAttention", "dim=32, cfg=PartitionCfg(window_size=4, grid_size=32); "
                           "mended: PartitionCfg.window_size=32"),  # assert cfg.window_size == cfg.grid_size
])
def test_constraints_between_sizes_are_met(built, name, arguments):
    _, outcomes = built
    outcome = outcomes[name]
    assert (outcome.status, outcome.arguments) == ("built", arguments)


def test_layer_factories_passed_on_as_none_get_the_layers_own_defaults(built):
    _, outcomes = built
    stage = outcomes["PassThroughStage"]
    assert stage.status == "built"
    assert stage.arguments == "in_chs=64, out_chs=64; mended: norm_layer=BatchNorm2d, act_layer=ReLU"
    assert isinstance(stage.instance.unit.norm, torch.nn.BatchNorm2d)


def test_a_none_the_user_passes_on_is_not_replaced(tmp_path):
    from test_runtime_build import build, load

    module, path = load("""
import torch.nn as nn


class Unit(nn.Module):
    def __init__(self, width: int, norm_layer=nn.BatchNorm1d):
        super().__init__()
        self.norm = norm_layer(width)


class Wrapper(nn.Module):
    def __init__(self, width: int, norm_layer=None):  # a named parameter: the user's None
        super().__init__()
        self.unit = Unit(width, norm_layer=norm_layer)
""", tmp_path)
    outcome = build(module, path, "Wrapper")
    assert all("BatchNorm1d" not in entry["arguments"] for entry in outcome.log)
