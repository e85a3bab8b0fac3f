"""TL007 module-in-plain-container

## What it does
Finds submodules kept in a plain Python `list`, `tuple`, `dict` or `set` stored on a
Module during construction: a literal or comprehension (`[nn.Linear(d, d) for _ in
range(n)]`), `list(...)`, a repetition (`[block] * n`), an `OrderedDict(...)`, or an
empty `[]`/`{}`/`[None] * n`/`OrderedDict()` later filled with `append`, `extend`,
`+=` or item assignment. A layer may be built by its class, by a `.to(device)` chain,
by a class picked from a module-level registry of Module classes
(`MODELS = {"a": BlockA, "b": BlockB}` ... `MODELS[name](d)`), by a helper of the file
that calls a lambda it is given (`map_values(lambda n: nn.Linear(d, n), sizes)`), by
`map` (`list(map(nn.LayerNorm, widths))`, `list(map(lambda w: Block(w), widths))`), by
a builder function of another module of the project whose every return builds a Module
(`def conv_stage(c): return nn.Sequential(nn.Conv2d(c, c, 3), ...)`), by a Module class
of an installed package (read from its source, never imported), by
`copy.deepcopy` of a Module (also of an `__init__` argument annotated as one), or by a
factory whose results the same file hands to `add_module` elsewhere
(`Catalog.get_model(...)`). An `__init__` argument annotated as a collection of a Module
class that creates parameters (`stages: Sequence[Stage]`, `heads: dict[str, nn.Linear]`,
`squeeze: Union[Squeeze, List[Squeeze]]` where `Squeeze` is an interface whose subclasses
in the file create parameters) stored as it is, or through a helper that lists its
argument (`self.squeezes = to_list(squeeze)`), is reported too: the Modules it hands over
are held by no one else.

A Module that grows after it is built is checked the same way: a method its user calls
later (`add_task`, `fit`, an `_initialize` the first `fit` calls) that builds such a
container (`self.components = [Gaussian(d) for _ in range(k)]`) or fills one that
`__init__` made (`self.heads = []` ... `self.heads.append(nn.Linear(d, n))`). Those
Modules must be built by the class's own code; methods `forward` reaches are TL009's.

## Why is this bad?
torch registers a submodule only when it is assigned directly to an attribute or held
by `nn.ModuleList` / `nn.ModuleDict` / `nn.Sequential`. Modules inside a plain list are
invisible to `parameters()` (so the optimizer never updates them), to `state_dict()`
(never saved), to `.to(device)` and to `.train()`/`.eval()`.

## Example
```python
class Encoder(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.layers = [nn.Linear(dim, dim) for _ in range(depth)]
```

## Fix
```python
        self.layers = nn.ModuleList([nn.Linear(dim, dim) for _ in range(depth)])
```
A container grown after construction has no automatic fix: make it a `nn.ModuleList()`
(or `nn.ModuleDict()`) where it is first stored; `append`, `extend` and item assignment
work on it unchanged. An optimizer made before the growth does not see the new
parameters: make it after, or add them with `add_param_group`.
A dict becomes `nn.ModuleDict`, whose keys must be strings without dots: int keys
(`{i: Head() for i in range(n)}`) become `str(i)`, in the dict and in every lookup
(`self.heads[str(k)]`); when the file reads the keys as ints, or nothing shows the keys
are names, there is no automatic fix and the help says why. A collection handed to
`__init__` (`stages: Sequence[Stage]`) becomes `nn.ModuleList(stages)` (with
`if stages is not None else None` when it may be None; a `Dict[str, Stage]` becomes
`nn.ModuleDict(...)`), and a list or dict a helper of the file returns is wrapped where
it is stored (`nn.ModuleList(build_each(...))`); a list of lists becomes a `nn.ModuleList`
of `nn.ModuleList`s, and a use of the list as a list (`[stem] + self.layers`) becomes
`list(self.layers)`.
Not reported: a list later wrapped under the same name
(`self.layers = nn.ModuleList(self.layers)`), a local list passed to
`nn.Sequential(*layers)` (but where one arm of an `if` chains the list,
`self.net = nn.Sequential(*layers)`, and another stores it as it is, `self.net = layers`,
the plain arm is reported: registering the layers on one path does not register them on
the other), a list that only aliases modules registered elsewhere
(`self.blocks = [self.block1, self.block2]`, or a comprehension over such a list), and
a list of layers without parameters (`[nn.ReLU(), nn.GELU()]`), a shallow
`copy.copy` of a registered Module (it shares the original's parameters), and a
collection argument whose item type is bare `nn.Module` or a class without parameters,
a container whose comment says it is kept out of the module tree on purpose (as for
TL001), copies a later method places on the `device` argument it is given
(`self.replicas = [copy.deepcopy(self.base).to(d) for d in devices]`: kept out of the
tree on purpose, as `DataParallel` does), and a class that lists or saves its children itself (it overrides
`state_dict`, `named_parameters`, `parameters`, `children`, `modules`, ... or registers
a state-dict hook).
"""

from __future__ import annotations

from typing import Iterator

from torchlint.analysis.containers import describe, plain_containers_holding
from torchlint.analysis.later_containers import containers_filled_after_construction
from torchlint.analysis.values import Kind
from torchlint.fixes.buffers import after_super
from torchlint.fixes.containers import with_refusal, wrap_container_fix
from torchlint.rules.base import Finding, Rule


class ModuleInPlainContainer(Rule):
    code = "TL007"
    name = "module-in-plain-container"
    fixable = True
    summary = "Submodules kept in a plain list/tuple/dict instead of nn.ModuleList/ModuleDict"
    VALID = (
        """
import torch.nn as nn

class Encoder(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        layers = [nn.Linear(dim, dim) for _ in range(depth)]
        self.net = nn.Sequential(*layers)
        self.blocks = nn.ModuleList([nn.Linear(dim, dim) for _ in range(depth)])
        self.first_and_last = [self.blocks[0], self.blocks[-1]]
        self.heads = []
        for _ in range(2):
            self.heads.append(nn.Linear(dim, 1))
        self.heads = nn.ModuleList(self.heads)
""",
    )
    INVALID = (
        """
import torch.nn as nn

class Encoder(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.layers = [nn.Linear(dim, dim) for _ in range(depth)]
""",
        """
import torch.nn as nn

class Heads(nn.Module):
    def __init__(self, names):
        super().__init__()
        self.heads = {}
        for name in names:
            self.heads[name] = nn.Linear(8, 1)
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for info in ctx.module_classes:
            for event in plain_containers_holding(info, Kind.MODULE):
                container = describe(event.value.container)
                wrapper = "nn.ModuleDict" if container == "dict" else "nn.ModuleList"
                wrap = wrap_container_fix(ctx, event, "ModuleList", "ModuleDict", info)
                yield Finding(
                    event.target,
                    f"`self.{event.name}` keeps submodules in a plain {container}: their parameters are "
                    "invisible to `parameters()`, the optimizer, `state_dict()` and `.to(device)`",
                    with_refusal(ctx, event, "ModuleList", "ModuleDict", wrap, after_super(
                        info, event, "module", f"store it as `{wrapper}(...)`",
                        f"Use `{wrapper}(...)` instead of a plain {container}")),
                    wrap,
                )
            for fill in containers_filled_after_construction(info, Kind.MODULE):
                yield Finding(
                    fill.event.target,
                    f"`self.{fill.event.name}` keeps submodules in a plain {describe(fill.event.value.container)}, filled "
                    f"in `{fill.method}()` after construction: their parameters are invisible to `parameters()`, the optimizer, `state_dict()` and `.to(device)`",
                    fill.advice("nn.ModuleList", "nn.ModuleDict"),
                )
