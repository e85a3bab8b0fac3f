"""TL101 parameter-shape-mismatch

## What it does
Runtime rule (`--runtime`): after building the model, finds a standard layer
(`nn.Linear`, `nn.Bilinear`, `nn.Conv1d/2d/3d`, `nn.ConvTranspose1d/2d/3d`,
`nn.Embedding`, `nn.EmbeddingBag`, `nn.LayerNorm`, `nn.RMSNorm`, `nn.GroupNorm`,
`nn.BatchNorm1d/2d/3d`, `nn.InstanceNorm1d/2d/3d`, `nn.PReLU`) whose `weight` or
`bias` was replaced by a Parameter whose shape does not match the layer's
configuration. The finding points at the line that assigned the Parameter.

## Why is this bad?
The layer keeps its configuration (`in_features`, `out_features`, ...) but computes
with the new tensor: the first forward pass fails with a shape error, or, when the
shapes happen to broadcast, silently computes something else. Only the built model
shows it: the shapes depend on the constructor's arguments.

## Example
```python
class Net(nn.Module):
    def __init__(self, in_dim, hid, out_dim):
        super().__init__()
        self.linear1 = nn.Linear(in_dim, hid)
        self.linear2 = nn.Linear(hid, out_dim)
        self.linear2.weight = nn.Parameter(torch.zeros(in_dim, hid))  # expects (out_dim, hid)
```

## Fix
Give the Parameter the layer's shape, `(out_features, in_features)` for `nn.Linear`:
```python
        self.linear2.weight = nn.Parameter(torch.zeros(out_dim, hid))
```
"""

from __future__ import annotations

from typing import Iterator

from torchlint.rules.base import Finding, Rule


class ParameterShapeMismatch(Rule):
    code = "TL101"
    name = "parameter-shape-mismatch"
    summary = "A standard layer's weight/bias replaced by a Parameter of the wrong shape (runtime)"
    origin = "runtime"
    # Checked by the runtime checker's tests (tests/runtime), not by the static pass.
    VALID = (
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, in_dim=4, hid=8, out_dim=2):
        super().__init__()
        self.linear1 = nn.Linear(in_dim, hid)
        self.linear1.weight = nn.Parameter(torch.zeros(hid, in_dim))
        self.linear1.bias = nn.Parameter(torch.ones(hid))
""",
    )
    INVALID = (
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, in_dim=4, hid=8, out_dim=2):
        super().__init__()
        self.linear2 = nn.Linear(hid, out_dim)
        self.linear2.weight = nn.Parameter(torch.zeros(in_dim, hid))
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        return iter(())  # needs the built model: see torchlint/runtime/layers.py
