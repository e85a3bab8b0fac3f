"""TL008 parameter-in-plain-container

## What it does
Finds `nn.Parameter` objects kept in a plain Python `list`, `tuple`, `dict` or `set`
stored on a Module during construction (literal, comprehension, or an empty container
later filled with `append`/`extend`/item assignment), also when each was moved first
(`nn.Parameter(t).to(device)`: the Parameter itself or a plain copy, registered neither way).
As for TL007, a container a method called after construction builds or fills
(`self.weights.append(nn.Parameter(...))` in `add_task`) is reported too, with no
automatic fix: make it a `nn.ParameterList()` where it is first stored.

## Why is this bad?
Only Parameters assigned directly to an attribute, or held by `nn.ParameterList` /
`nn.ParameterDict`, are registered. Parameters in a plain list are missing from
`parameters()` (the optimizer never updates them), from `state_dict()` and are not
moved by `.to(device)`.

## Example
```python
class Mixture(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.centers = [nn.Parameter(torch.randn(dim)) for _ in range(n)]
```

## Fix
```python
        self.centers = nn.ParameterList([nn.Parameter(torch.randn(dim)) for _ in range(n)])
```
A dict becomes `nn.ParameterDict`, whose keys must be strings without dots: int keys
become `str(i)`, in the dict and in every lookup (`self.scales[str(k)]`). A container of
containers (`self.rel[r] = {"w": nn.Parameter(...)}`) becomes a `nn.ModuleDict`/`nn.ModuleList`
of `nn.ParameterDict`/`nn.ParameterList`. Where the file uses the list as a list
(`torch.cat(self.experts)`, `self.a + self.b`, `==`), the use becomes `list(self.experts)`:
a `ParameterList` is no list there; an `isinstance` check against a container type, or
such a use of a dict, gets no automatic fix and the help says why.
Not reported, as for TL007: a container whose comment says it is kept out of the module
tree on purpose, and a class that lists or saves its parameters itself.
"""

from __future__ import annotations

from typing import Iterator

from torchlint.analysis.containers import describe, plain_containers_holding
from torchlint.analysis.later_containers import containers_filled_after_construction
from torchlint.analysis.values import Kind
from torchlint.fixes.buffers import after_super
from torchlint.fixes.containers import with_refusal, wrap_container_fix
from torchlint.rules.base import Finding, Rule


class ParameterInPlainContainer(Rule):
    code = "TL008"
    name = "parameter-in-plain-container"
    fixable = True
    summary = "Parameters kept in a plain list/tuple/dict instead of nn.ParameterList/ParameterDict"
    VALID = (
        """
import torch
import torch.nn as nn

class Mixture(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.centers = nn.ParameterList([nn.Parameter(torch.randn(dim)) for _ in range(n)])
        self.scale = nn.Parameter(torch.ones(1))
        self.groups = [self.scale]
""",
    )
    INVALID = (
        """
import torch
import torch.nn as nn

class Mixture(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.centers = [nn.Parameter(torch.randn(dim)) for _ in range(n)]
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for info in ctx.module_classes:
            for event in plain_containers_holding(info, Kind.PARAMETER):
                container = describe(event.value.container)
                wrapper = "nn.ParameterDict" if container == "dict" else "nn.ParameterList"
                wrap = wrap_container_fix(ctx, event, "ParameterList", "ParameterDict", info)
                yield Finding(
                    event.target,
                    f"`self.{event.name}` keeps Parameters in a plain {container}: they are missing from "
                    "`parameters()` and `state_dict()`, so the optimizer never updates them",
                    with_refusal(ctx, event, "ParameterList", "ParameterDict", wrap, after_super(
                        info, event, "module", f"store it as `{wrapper}(...)`",
                        f"Use `{wrapper}(...)` instead of a plain {container}")),
                    wrap,
                )
            for fill in containers_filled_after_construction(info, Kind.PARAMETER):
                yield Finding(
                    fill.event.target,
                    f"`self.{fill.event.name}` keeps Parameters in a plain {describe(fill.event.value.container)}, filled "
                    f"in `{fill.method}()` after construction: they are missing from `parameters()` and `state_dict()`, so the optimizer never updates them",
                    fill.advice("nn.ParameterList", "nn.ParameterDict"),
                )
