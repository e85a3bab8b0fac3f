"""A number OF scales or rates is a count: synthesised as a small int, never a float."""

import pytest

pytestmark = pytest.mark.torch
pytest.importorskip("torch")

SOURCE = '''
import torch.nn as nn


class PerScaleConvs(nn.Module):
    def __init__(self, channels, n_scales, num_rates=2):
        super().__init__()
        convs = [None] * n_scales
        for i in range(n_scales):
            convs[i] = nn.Conv2d(channels, channels, 3, padding=1)
        self.convs = nn.ModuleList(convs)
        self.rates = nn.ModuleList(nn.Dropout(0.1) for _ in range(num_rates))


class Scaled(nn.Module):
    def __init__(self, dim, scale):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.scale = scale
'''


def test_a_number_of_scales_is_an_int_and_a_scale_a_float(tmp_path):
    from test_runtime_build import build, load

    module, path = load(SOURCE, tmp_path)
    convs = build(module, path, "PerScaleConvs")
    assert convs.status == "built"
    assert "n_scales=2," in convs.arguments + ","
    scaled = build(module, path, "Scaled")
    assert scaled.status == "built" and "scale=" in scaled.arguments and "scale=2" not in scaled.arguments
