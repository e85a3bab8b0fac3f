"""Module base classes torchlint knows by name, outside ``torch.nn``'s public names.

A class deriving from one of these is an ``nn.Module``, so every rule checks it. The
table holds torch's own internal bases (``torch.nn.modules.loss._Loss`` ...) and the
Module bases of widely used libraries, each under the import paths users write.
Users add their own with ``module-bases = [...]`` in ``[tool.torchlint]``.
"""

from __future__ import annotations

# torch's internal bases: private names under torch.nn.modules that user layers subclass
# (custom losses, convolutions, norms, dropouts, pools, paddings).
TORCH_PRIVATE_BASES = frozenset(
    f"torch.nn.modules.{name}"
    for name in """
    batchnorm._BatchNorm batchnorm._NormBase batchnorm._LazyNormBase
    conv._ConvNd conv._ConvTransposeNd conv._ConvTransposeMixin
    dropout._DropoutNd instancenorm._InstanceNorm
    loss._Loss loss._WeightedLoss
    padding._CircularPadNd padding._ConstantPadNd padding._ReflectionPadNd padding._ReplicationPadNd
    pooling._AdaptiveAvgPoolNd pooling._AdaptiveMaxPoolNd pooling._AvgPoolNd pooling._LPPoolNd
    pooling._MaxPoolNd pooling._MaxUnpoolNd
    """.split()
)

THIRD_PARTY_MODULE_BASES = frozenset(
    {
        # Lightning (the `lightning` package and the older `pytorch_lightning`)
        "lightning.LightningModule",
        "lightning.pytorch.LightningModule",
        "lightning.pytorch.core.LightningModule",
        "lightning.pytorch.core.module.LightningModule",
        "pytorch_lightning.LightningModule",
        "pytorch_lightning.core.LightningModule",
        "pytorch_lightning.core.module.LightningModule",
        "pytorch_lightning.core.lightning.LightningModule",
        # torchmetrics' Metric (a Module whose states follow .to())
        "torchmetrics.Metric",
        "torchmetrics.metric.Metric",
        "lightning.pytorch.metrics.Metric",
        "pytorch_lightning.metrics.Metric",
        "pytorch_lightning.metrics.metric.Metric",
        # transformers, diffusers, timm, torchvision model bases
        "transformers.PreTrainedModel",
        "transformers.modeling_utils.PreTrainedModel",
        "diffusers.ModelMixin",
        "diffusers.models.modeling_utils.ModelMixin",
        "timm.models.vision_transformer.VisionTransformer",
        "timm.models.resnet.ResNet",
        "torchvision.models.resnet.ResNet",
        "torchvision.models.ResNet",
        "torchvision.models.vision_transformer.VisionTransformer",
        "torchvision.models.VisionTransformer",
        # PyTorch Geometric: the base of every message-passing layer users write, and of aggregations
        "torch_geometric.nn.MessagePassing",
        "torch_geometric.nn.conv.MessagePassing",
        "torch_geometric.nn.conv.message_passing.MessagePassing",
        "torch_geometric.nn.aggr.Aggregation",
        "torch_geometric.nn.aggr.base.Aggregation",
        "torch.jit.ScriptModule",
        "torch.jit.RecursiveScriptModule",
        # OpenMMLab: mmcv 1.x's and mmengine's BaseModule (and their Sequential/ModuleList),
        # the base of every mmdet/mmseg/mmpose/mmselfsup model
        "mmcv.runner.BaseModule",
        "mmcv.runner.base_module.BaseModule",
        "mmcv.runner.Sequential",
        "mmcv.runner.base_module.Sequential",
        "mmcv.runner.ModuleList",
        "mmcv.runner.base_module.ModuleList",
        "mmcv.runner.ModuleDict",
        "mmcv.runner.base_module.ModuleDict",
        "mmengine.model.BaseModule",
        "mmengine.model.base_module.BaseModule",
        "mmengine.model.BaseModel",
        "mmengine.model.base_model.BaseModel",
        "mmengine.model.base_model.base_model.BaseModel",
        "mmengine.model.Sequential",
        "mmengine.model.base_module.Sequential",
        "mmengine.model.ModuleList",
        "mmengine.model.base_module.ModuleList",
        "mmengine.model.ModuleDict",
        "mmengine.model.base_module.ModuleDict",
    }
) | TORCH_PRIVATE_BASES
# fastai's ``Module`` (``fastai.torch_core.Module`` and its re-exports) is matched by
# ``is_fastai_module``: its metaclass runs nn.Module.__init__ before the subclass's.


def is_fastai_module(dotted: str) -> bool:
    """fastai's ``Module``, re-exported by most of fastai's modules (``fastai.vision.all``)."""
    return dotted.startswith("fastai.") and dotted.endswith(".Module")


def is_self_initialising(dotted: str) -> bool:
    """Does this base's own machinery (a metaclass) run nn.Module.__init__ before the
    subclass's ``__init__``? Then a subclass that never calls super().__init__() is correct."""
    return is_fastai_module(dotted)


# Names a star import of a package we cannot read binds, when they are Module bases:
# ``from fastai.vision.all import *`` makes ``Module`` fastai's Module.
STAR_EXPORTED_BASES = {
    "fastai": {"Module": "fastai.torch_core.Module"},
}


def star_exported_base(star_module: str, name: str) -> str | None:
    """The Module base ``name`` is bound to by ``from <star_module> import *``, if known."""
    top = star_module.split(".")[0]
    return STAR_EXPORTED_BASES.get(top, {}).get(name)


# Functions that import torch for a library and return the modules, bound by a tuple
# assignment at module level: RLlib's ``torch, nn = try_import_torch()`` binds ``nn`` to
# ``torch.nn`` just as ``import torch.nn as nn`` would.
IMPORT_SHIMS = {
    "try_import_torch": ("torch", "torch.nn"),
}
