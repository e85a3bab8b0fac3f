"""Mending synthesised arguments from the error a build raised (runtime/repair.py):
each kind of error it reads, what it changes, and what it must leave alone."""

from __future__ import annotations

import pytest

from test_runtime_build import build, load

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

MENDABLE = """
import torch
from torch import nn


class AdapterConfig:
    def __init__(self):
        self.hidden_size = 32
        self.num_attention_heads = 12   # a size made up for a missing field must divide by it


class Adapter(nn.Module):
    def __init__(self, config: AdapterConfig):
        super().__init__()
        self.down = nn.Linear(config.hidden_size, config.adapter_dim)
        self.drop = nn.Dropout(config.adapter_dropout)


class Eager(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.proj = nn.Linear(config.hidden_size, config.hidden_size)


class Flash(Eager):
    pass


ATTENTION = {"eager": Eager, "flash": Flash}


class LayerConfig:
    def __init__(self):
        self.hidden_size = 32
        self.attn_implementation = None   # set by the model's top-level class in real use


class Layer(nn.Module):
    def __init__(self, config: LayerConfig):
        super().__init__()
        self.attention = ATTENTION[config.attn_implementation](config)


class Smoother(nn.Module):
    def __init__(self, channels: int, taps=None):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, taps, padding=taps // 2)


class WindowBlock(nn.Module):
    def __init__(self, dim, input_resolution, depth, drop_path):
        super().__init__()
        height, width = input_resolution
        self.norm = nn.LayerNorm(dim)
        self.scales = nn.ParameterList(nn.Parameter(torch.full((height * width,), drop_path[i]))
                                       for i in range(depth))


class StageConfig:
    def __init__(self):
        self.hidden_sizes = (8, 16, 32)


class Backbone(nn.Module):
    def __init__(self, config: StageConfig):
        super().__init__()
        widths = [config.hidden_sizes[0]] + config.hidden_sizes
        self.stages = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))


class RopeConfig:
    def __init__(self):
        self.max_position_embeddings = 16


class Rope(nn.Module):
    def __init__(self, dim, config=None):
        super().__init__()
        self.register_buffer("cos", torch.zeros(config.max_position_embeddings, dim), persistent=False)
        self.scale = nn.Parameter(torch.ones(dim * config.rope_factor))


class TableConfig:
    def __init__(self):
        self.vocab_size = None
        self.pad_token_id = None
        self.hidden_size = 32


class Table(nn.Module):
    def __init__(self, config: TableConfig):
        super().__init__()
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
"""


@pytest.mark.parametrize("name, arguments", [
    ("Adapter", "config=AdapterConfig(); mended: AdapterConfig.adapter_dim=192, AdapterConfig.adapter_dropout=0.1"),
    ("Layer", "config=LayerConfig(); mended: LayerConfig.attn_implementation='eager'"),
    ("Smoother", "channels=64; mended: taps=64"),
    ("WindowBlock", "dim=64, input_resolution=16, depth=2, drop_path=0.1; "  # a resolution is made up small
                    "mended: input_resolution=(16, 16), drop_path=[0.1, 0.1]"),  # one rate per layer
    ("Backbone", "config=StageConfig(); mended: StageConfig.hidden_sizes=[8, 16, 32]"),
    ("Rope", "dim=64; mended: config=RopeConfig(), RopeConfig.rope_factor=4"),
])
def test_a_build_is_mended_from_its_error(tmp_path, name, arguments):
    module, path = load(MENDABLE, tmp_path)
    outcome = build(module, path, name)
    assert outcome.status == "built", outcome.reason
    assert outcome.device == "meta"
    assert outcome.arguments == arguments


def test_mended_values_reach_the_instance(tmp_path):
    module, path = load(MENDABLE, tmp_path)
    adapter = build(module, path, "Adapter").instance
    assert adapter.down.out_features == 192 and adapter.drop.p == 0.1
    assert type(build(module, path, "Layer").instance.attention).__name__ == "Eager"
    block = build(module, path, "WindowBlock").instance
    assert len(block.scales) == 2 and block.scales[0].shape == (16 * 16,)


def test_among_several_nones_only_the_size_is_mended(tmp_path):
    # `vocab_size` and `pad_token_id` are both None; only the size made Embedding fail.
    # (The synthesiser's own later scheme fills None sizes too: mending comes after it.)
    module, path = load(MENDABLE, tmp_path)
    from torchlint.runtime.repair import Repairer

    config = module.TableConfig()
    repairer = Repairer(module.Table, {"config": config})
    with pytest.raises(TypeError) as raised, torch.device("meta"):
        module.Table(config)
    assert repairer.repair(raised.value)
    assert config.vocab_size == 128 and config.pad_token_id is None  # a vocabulary size
    assert repairer.changes == ["TableConfig.vocab_size=128"]
    assert isinstance(module.Table(config), module.Table)


LEFT_ALONE = """
import enum

import torch
from torch import nn

LIMIT = 4


class ItsOwnBug(nn.Module):
    def __init__(self, dim):
        super().__init__()
        sizes = LIMIT
        self.fc = nn.Linear(dim, sizes[0])


class Strict:
    __slots__ = ("width",)

    def __init__(self):
        self.width = 8


class NeedsDepth(nn.Module):
    def __init__(self, config: Strict):
        super().__init__()
        self.fc = nn.Linear(config.width, config.depth)


class Plain:
    def __init__(self):
        self.width = 8


class MendedThenStuck(nn.Module):
    def __init__(self, config: Plain):
        super().__init__()
        self.fc = nn.Linear(config.width, config.height)
        raise ValueError("needs a real checkpoint")


class Mode(enum.Enum):
    FAST = 1


class ByMode(nn.Module):
    def __init__(self, mode: Mode):
        super().__init__()
        self.fc = nn.Linear(8, mode.width)
"""


def test_values_the_code_made_itself_are_not_mended(tmp_path):
    module, path = load(LEFT_ALONE, tmp_path)
    outcome = build(module, path, "ItsOwnBug")
    assert outcome.status == "failed"
    assert outcome.reason.startswith("TypeError: 'int' object is not subscriptable [dim=64; meta]")
    assert "mended" not in outcome.reason
    assert module.LIMIT == 4


def test_an_object_that_refuses_the_field_is_given_up(tmp_path):
    module, path = load(LEFT_ALONE, tmp_path)
    outcome = build(module, path, "NeedsDepth")
    assert outcome.status == "failed"
    assert "'Strict' object has no attribute 'depth'" in outcome.reason


def test_an_enum_member_is_the_users_own_and_is_not_mended(tmp_path):
    module, path = load(LEFT_ALONE, tmp_path)
    outcome = build(module, path, "ByMode")
    assert outcome.status == "failed"
    assert "'Mode' object has no attribute 'width'" in outcome.reason
    assert not hasattr(module.Mode.FAST, "width")


def test_a_class_still_failing_after_mending_says_what_was_mended(tmp_path):
    module, path = load(LEFT_ALONE, tmp_path)
    outcome = build(module, path, "MendedThenStuck")
    assert outcome.status == "failed"
    assert outcome.reason.startswith(
        "ValueError: needs a real checkpoint [config=Plain(); mended: Plain.height=64; meta]"), outcome.reason
