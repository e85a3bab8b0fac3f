"""Forms of real bugs torchlint used to miss (Module bases it did not know, moved
modules, tensors arriving through __init__, conditional wraps, conditional values and
dynamic factories), asserted through the codes reported on snippets."""

from __future__ import annotations

import pytest

from test_analysis import module

# -- Module bases ------------------------------------------------------------------------

KNOWN_BASES = [
    ("from torch.nn.modules.loss import _Loss\n", "_Loss"),
    ("from torch.nn.modules.loss import _WeightedLoss\n", "_WeightedLoss"),
    ("import torch.nn as nn\n", "nn.modules.conv._ConvNd"),
    ("from torch.nn.modules.batchnorm import _BatchNorm\n", "_BatchNorm"),
    ("from torch.nn.modules.batchnorm import _NormBase\n", "_NormBase"),
    ("from torch.nn.modules.rnn import RNNBase\n", "RNNBase"),
    ("from torch.nn.modules.rnn import RNNCellBase\n", "RNNCellBase"),
    ("from torch.nn.modules.dropout import _DropoutNd\n", "_DropoutNd"),
    ("from torch.nn.modules.instancenorm import _InstanceNorm\n", "_InstanceNorm"),
    ("from torch.nn.modules.pooling import _MaxPoolNd\n", "_MaxPoolNd"),
    ("from torch.nn.modules.pooling import _AvgPoolNd\n", "_AvgPoolNd"),
    ("import torch.nn.modules.module as mm\n", "mm.Module"),
    ("from fastai.torch_core import Module\n", "Module"),
    ("from fastai.basics import *\n", "Module"),
    ("from fastai.vision.all import *\n", "Module"),
    ("from lightning.pytorch import LightningModule\n", "LightningModule"),
    ("import lightning.pytorch as pl\n", "pl.LightningModule"),
    ("import pytorch_lightning as pl\n", "pl.LightningModule"),
    ("from torchmetrics import Metric\n", "Metric"),
    ("import torchmetrics\n", "torchmetrics.Metric"),
]


@pytest.mark.parametrize("header,base", KNOWN_BASES)
def test_known_module_bases(header, base, codes):
    assert codes(module("self.t = torch.zeros(3)", base=base, header="import torch\n" + header + "\n")) == ["TL001"]


def test_fastai_module_needs_no_super_init(codes):
    source = (
        "import torch\nfrom fastai.vision.all import *\n\n"
        "class M(Module):\n    def __init__(self, n):\n        self.lin = nn.Linear(n, n)\n"
        "        self.t = torch.zeros(n)\n"
    )
    assert codes(source) == ["TL001"]


def test_star_import_of_other_packages_binds_no_module(codes):
    source = module("self.t = torch.zeros(3)", base="Module", header="import torch\nfrom somelib.all import *\n\n")
    assert codes(source) == []


def test_configured_base_through_a_module_alias(tmp_path, codes):
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nmodule-bases = ["mypkg.layers.Base"]\n')
    header = "import torch\nimport mypkg.layers as L\n\n"
    assert codes(module("self.t = torch.zeros(3)", base="L.Base", header=header)) == ["TL001"]
    header = "import torch\nfrom mypkg.layers import Base\n\nclass Mid(Base):\n    pass\n\n"
    assert codes(module("self.t = torch.zeros(3)", base="Mid", header=header)) == ["TL001"]


def test_unconfigured_base_stays_unknown(codes):
    header = "import torch\nfrom mypkg.layers import Base\n\n"
    assert codes(module("self.t = torch.zeros(3)", base="Base", header=header)) == []


# -- Modules returned by their own methods ----------------------------------------------

MOVED_MODULES = [
    "self.layers = [nn.Linear(2, 2).to('cuda')]",
    "self.layers = [nn.Linear(2, 2).cuda().half()]",
    "self.layers = [nn.Linear(2, 2).cpu(), nn.Linear(2, 2).float(), nn.Linear(2, 2).double()]",
    "self.layers = [nn.Linear(2, 2).bfloat16()]",
    "self.layers = [nn.Linear(2, 2).eval()]",
    "self.layers = [nn.Linear(2, 2).train(False)]",
    "self.layers = [nn.Linear(2, 2).requires_grad_(False)]",
    "self.layers = [nn.Linear(2, 2).type(torch.float64)]",
    "self.layers = []\nself.layers.append(nn.Linear(2, 2).to(x))",
    "self.layers = []\nself.layers += [nn.Linear(2, 2).to(x)]",
    "self.layers = []\nfor _ in range(3):\n    self.layers = self.layers + [nn.Linear(2, 2).to(x)]",
    "self.layers = {'a': nn.Linear(2, 2).to(x)}",
]


@pytest.mark.parametrize("body", MOVED_MODULES)
def test_moved_module_in_plain_container(body, codes):
    assert codes(module(body)) == ["TL007"]


def test_moved_modules_registered_are_clean(codes):
    body = "self.layers = nn.ModuleList([nn.Linear(2, 2).to(x) for _ in range(2)])\nself.act = [nn.ReLU().to(x)]"
    assert codes(module(body)) == []
