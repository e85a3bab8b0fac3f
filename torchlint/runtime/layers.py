"""TL101: the shapes a standard layer's weight and bias must have, from its configuration."""

from __future__ import annotations

from typing import Optional

from torch import nn


def expected_shapes(layer: nn.Module) -> Optional[dict[str, tuple[int, ...]]]:
    """Parameter/buffer name -> the shape the layer's own configuration implies, or None."""
    if isinstance(layer, nn.Linear):
        return {"weight": (layer.out_features, layer.in_features), "bias": (layer.out_features,)}
    if isinstance(layer, nn.Bilinear):
        return {"weight": (layer.out_features, layer.in1_features, layer.in2_features), "bias": (layer.out_features,)}
    if isinstance(layer, nn.modules.conv._ConvNd):
        groups = max(1, layer.groups)
        if layer.transposed:
            weight = (layer.in_channels, layer.out_channels // groups, *layer.kernel_size)
        else:
            weight = (layer.out_channels, layer.in_channels // groups, *layer.kernel_size)
        return {"weight": weight, "bias": (layer.out_channels,)}
    if isinstance(layer, (nn.Embedding, nn.EmbeddingBag)):
        return {"weight": (layer.num_embeddings, layer.embedding_dim)}
    if isinstance(layer, nn.LayerNorm) or isinstance(layer, getattr(nn, "RMSNorm", ())):
        shape = tuple(layer.normalized_shape)
        return {"weight": shape, "bias": shape}
    if isinstance(layer, nn.GroupNorm):
        return {"weight": (layer.num_channels,), "bias": (layer.num_channels,)}
    if isinstance(layer, nn.modules.batchnorm._NormBase):  # BatchNorm*d, InstanceNorm*d, SyncBatchNorm
        size = (layer.num_features,)
        return {"weight": size, "bias": size, "running_mean": size, "running_var": size}
    if isinstance(layer, nn.PReLU):
        return {"weight": (layer.num_parameters,)}
    return None


def mismatches(layer: nn.Module) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    """(name, actual shape, expected shape) for each weight/bias that does not fit."""
    try:
        expected = expected_shapes(layer)
    except (AttributeError, TypeError):  # a subclass that renamed its configuration
        return []
    if not expected:
        return []
    found = []
    for name, shape in expected.items():
        tensor = layer._parameters.get(name, layer._buffers.get(name))
        if tensor is None or isinstance(tensor, nn.parameter.UninitializedTensorMixin):
            continue
        actual = tuple(tensor.shape)
        if actual != tuple(shape):
            found.append((name, actual, tuple(shape)))
    return found


def describe(layer: nn.Module) -> str:
    try:
        config = layer.extra_repr()
    except Exception:
        config = ""
    return f"nn.{type(layer).__name__}({config})" if type(layer).__module__.startswith("torch.") \
        else f"{type(layer).__name__}({config})"
