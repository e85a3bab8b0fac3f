"""TL009 layer-created-in-forward

## What it does
Finds a layer that owns parameters (`nn.Linear`, `nn.Conv*`, `nn.ConvTranspose*`,
`nn.Embedding`, `nn.LSTM`/`GRU`/`RNN`, `nn.MultiheadAttention`, norms with affine
weights, `nn.Bilinear`, ..., layers of other packages named exactly like one of
these (`zeta.nn.RMSNorm`), DGL's graph layers with weights (`dgl.nn.GraphConv`,
`Set2Set`, ...), classes of installed packages whose source shows they own parameters
(read, never imported), and the project's own Module classes that own
parameters, in this file or another) or an `nn.Parameter(...)` constructed inside
`forward`, or inside a method reached only from `forward`.

## Why is this bad?
The layer is rebuilt on every call with fresh random weights: whatever the optimizer
did to it is thrown away, nothing is ever learned, and it is missing from
`parameters()` and `state_dict()`. The model trains without errors and never improves.

## Example
```python
class Head(nn.Module):
    def forward(self, x):
        proj = nn.Linear(x.size(-1), 10)
        return proj(x)
```

## Fix
Create it once in `__init__` and only call it in `forward`:
```python
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, 10)

    def forward(self, x):
        return self.proj(x)
```
Only layers rebuilt on every call whose parameters nothing trains are reported. Not
reported:
- stateless layers (`nn.ReLU()`, `nn.Dropout(p)`, `nn.Identity()`, `nn.Softmax(dim)`,
  affine-free norms) and functional calls (`F.linear`);
- layers built once and registered: lazy set-up under a condition that the set-up
  settles (`if self.proj is None: self.proj = nn.Linear(...)`, `if not self.built: ...`,
  `if task not in self.heads: self.heads[task] = ...`); a condition on attributes that
  the method never changes (`if self.use_views: ... else: self.out = nn.Linear(...)`,
  `if self.training: ...`) runs its branch on every call and is reported; including inside containers
  (`self.blocks = nn.ModuleList(layers)`), through `add_module`/`setattr`, in a helper
  (`self._setup(x)`), or returned by a helper whose caller stores the result lazily or
  whose decorator caches it under an attribute of the module (`@once("projector")`);
- per-call training or explanation routines: a layer whose parameters an optimizer
  made in the same method trains (`torch.optim.SGD(surrogate.parameters())`);
- `nn.Parameter(...)` re-wrapping the module's own tensors (merging or unmerging
  adapter weights: `nn.Parameter(self.base.weight.data + delta)`), as opposed to a
  fresh tensor (`nn.Parameter(torch.ones(n))`);
- layers built in methods called from `__init__`.
"""

from __future__ import annotations

from typing import Iterator

from torchlint.analysis.forward import layers_built_per_call
from torchlint.rules.base import Finding, Rule


class LayerCreatedInForward(Rule):
    code = "TL009"
    name = "layer-created-in-forward"
    summary = "A layer with parameters (or nn.Parameter) constructed in forward: never trained"
    VALID = (
        """
import torch.nn as nn
import torch.nn.functional as F

class Head(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, 10)
        self.lazy = None
        self.blocks = self._make_blocks(dim)

    def _make_blocks(self, dim):
        return nn.Sequential(nn.Linear(dim, dim), nn.ReLU())

    def forward(self, x):
        if self.lazy is None:
            self.lazy = nn.Linear(x.size(-1), 10)
        x = nn.ReLU()(x)
        x = nn.Dropout(0.1)(x)
        x = nn.LayerNorm(x.size(-1), elementwise_affine=False)(x)
        return F.gelu(self.proj(x))
""",
    )
    INVALID = (
        """
import torch.nn as nn

class Head(nn.Module):
    def forward(self, x):
        proj = nn.Linear(x.size(-1), 10)
        return proj(x)
""",
        """
import torch
import torch.nn as nn

class Gate(nn.Module):
    def forward(self, x):
        return x * self._gate(x)

    def _gate(self, x):
        return nn.Parameter(torch.ones(x.size(-1)))
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for info in ctx.module_classes:
            for built in layers_built_per_call(info):
                where = "`forward`" if built.method == "forward" else f"`{built.method}` (reached only from `forward`)"
                yield Finding(
                    built.call,
                    f"`{built.what}(...)` is constructed in {where}: it is re-created with freshly initialised weights "
                    "on every call, so nothing it learns survives, and an optimizer built from `model.parameters()` "
                    "never sees it",
                    f"Create it once in `__init__` (`self.layer = {built.what}(...)`) and only call it in `forward`",
                )
