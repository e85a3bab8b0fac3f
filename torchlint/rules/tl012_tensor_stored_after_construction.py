"""TL012 tensor-stored-after-construction

## What it does
Finds a plain tensor that a Module computes in a method its user calls after
construction (`fit`, `calibrate`, `set_...`, not `__init__`, not `forward` or anything
`forward` reaches) and stores on `self`, when `forward` reads that attribute as state and
the class never registers the name: `def fit(self, X): ...; self.basis = u.T`, then
`forward` projects onto `self.basis`. The value must be a tensor the method makes (a torch
factory, an operation returning a tensor); an argument stored as it is (`self.x = x`,
`self.x = x.to(device)`) is data handed in and is not reported. Names the class moves or
saves itself (`_apply`, `state_dict` overrides) and comments saying the attribute is kept
out of the module on purpose are respected, as for TL001.

## Why is this bad?
Fitted state is state: `nn.Module.__setattr__` registers only Parameters, buffers and
submodules, so a plain tensor stored in `fit()` is missing from `state_dict()` (a saved
model loses what it learnt in `fit`, and loading gives an unfitted model) and is not moved
by the `.to(device)` / `.cuda()` of the model that holds it; `forward` then meets a CPU
tensor on the GPU. A `to()` override on the class itself does not help: a parent's
`.to()` reaches children through `_apply`, not through their `to()`.

## Example
```python
class PODBlock(nn.Module):
    def __init__(self, rank):
        super().__init__()
        self.rank = rank
        self._basis = None

    def fit(self, X):
        u, _, _ = torch.svd_lowrank(X.T, q=self.rank)
        self._basis = u.T

    def forward(self, X):
        return X @ self._basis.T
```

## Fix
Register the name as a buffer in `__init__`, where it is first set: a tensor stored under
a registered buffer's name later goes into the buffer, so it is saved and moved.
```python
        self.register_buffer("_basis", None)   # in place of self._basis = None
        # persistent=False keeps it out of checkpoints but still moves it
```
A new instance then needs the attribute fitted (or given a tensor of the fitted shape)
before `load_state_dict` restores it. There is no automatic fix.
"""

from __future__ import annotations

from typing import Iterator

from torchlint.analysis.construction import AttrAssign
from torchlint.analysis.intent import manages_module_tree, said_unregistered
from torchlint.analysis.later_stores import tensors_stored_after_construction
from torchlint.analysis.values import Kind
from torchlint.rules.base import Finding, Rule


class TensorStoredAfterConstruction(Rule):
    code = "TL012"
    name = "tensor-stored-after-construction"
    summary = "a plain tensor stored in fit()/calibrate()/set_*() that forward reads: not saved, not moved"

    VALID = (
        """
import torch
import torch.nn as nn

class Whitening(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))

    def fit(self, X):
        self.mean = torch.mean(X, dim=0)

    def forward(self, x):
        return x - self.mean
""",
        """
import torch
import torch.nn as nn

class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)
        self.last = None

    def set_input(self, x: torch.Tensor):
        self.last = x.to("cpu")

    def forward(self, x):
        self.seen = torch.zeros(3)
        return self.proj(x)
""",
    )
    INVALID = (
        """
import torch
import torch.nn as nn

class ProtectedDistance(nn.Module):
    def __init__(self):
        super().__init__()
        self.protected = None

    def fit(self, indices, n):
        self.protected = torch.ones(n)
        self.protected[indices] = 0.0

    def forward(self, x, y):
        return torch.cdist(x * self.protected, y * self.protected)
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for info in ctx.module_classes:
            found = list(tensors_stored_after_construction(info))
            if not found or manages_module_tree(info):
                continue
            for method, event in found:
                if said_unregistered(ctx, event):
                    continue
                yield Finding(
                    event.target,
                    f"`self.{event.name}` is set to a plain tensor in `{method}()`, after construction, and "
                    "`forward` reads it: it is not a buffer, so it is missing from `state_dict()` (a saved model "
                    "loses it) and the `.to(device)` of the model that holds it does not move it",
                    _advice(info, event),
                )


def _advice(info, event: AttrAssign) -> str:
    name = event.name
    registered = f"_{info.name.lstrip('_')}{name}" if name.startswith("__") and not name.endswith("__") else name
    first = next((e for e in info.construction.assignments() if e.name == name), None)
    register = f'self.register_buffer("{registered}", None)'
    if first is None:
        where = f"add `{register}` to `__init__` (after `super().__init__()`)"
    elif first.value.kind is Kind.NONE:
        where = f"write `{register}` in `__init__` in place of `self.{name} = None`"
    else:
        where = (f'register it where `__init__` first sets it, `self.register_buffer("{registered}", <that value>)` '
                 f"in place of `self.{name} = ...`")
    return (f"Register the name as a buffer: {where}; a tensor later stored under a buffer's name goes into the "
            "buffer, so it is saved and moved with the model (`persistent=False` keeps it out of checkpoints). "
            "A new instance needs it fitted before `load_state_dict` restores it")
