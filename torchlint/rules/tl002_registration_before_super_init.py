"""TL002 registration-before-super-init

## What it does
Finds a Parameter, submodule or `nn.Buffer` assigned to `self`, or a call to
`self.register_buffer` / `register_parameter` / `add_module` / `register_module`,
that runs before `super().__init__()` (or `Base.__init__(self)`) in construction.

## Why is this bad?
`nn.Module.__init__` creates the `_parameters`, `_buffers` and `_modules`
dictionaries that registration writes into. Before it runs, torch raises
`AttributeError: cannot assign parameters before Module.__init__() call` (or
`... module before ...`), so the model cannot even be built.

## Example
```python
class Net(nn.Module):
    def __init__(self, dim):
        self.dim = dim                  # fine: a plain value
        self.fc = nn.Linear(dim, dim)   # AttributeError
        super().__init__()
```

## Fix
Call `super().__init__()` first:
```python
    def __init__(self, dim):
        super().__init__()
        self.dim = dim
        self.fc = nn.Linear(dim, dim)
```
Plain ints, strings and config values assigned before the super call are fine and
are not reported.
"""

from __future__ import annotations

from typing import Iterator

from torchlint.analysis.construction import AttrAssign, RegisterCall
from torchlint.analysis.values import Kind
from torchlint.rules.base import Finding, Rule

_WHAT = {Kind.PARAMETER: ("a Parameter", "parameters"), Kind.MODULE: ("a submodule", "module"),
         Kind.BUFFER: ("a buffer", "buffer")}
_CALL_WHAT = {"register_buffer": "buffer", "register_parameter": "parameter",
              "add_module": "module", "register_module": "module"}


class RegistrationBeforeSuperInit(Rule):
    code = "TL002"
    name = "registration-before-super-init"
    summary = "A Parameter/submodule/buffer registered before super().__init__() runs"
    VALID = (
        """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, dim):
        self.dim = dim
        self.config = {"dim": dim}
        super().__init__()
        self.fc = nn.Linear(dim, dim)
""",
    )
    INVALID = (
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, dim):
        self.fc = nn.Linear(dim, dim)
        super().__init__()
""",
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        self.register_buffer("mask", torch.ones(3))
        nn.Module.__init__(self)
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for info in ctx.module_classes:
            facts = info.construction
            if facts.super_init is None:
                continue  # never initialised at all: TL003
            for event in facts.events:
                if isinstance(event, AttrAssign) and event.before_super and event.value.kind in _WHAT:
                    what, torch_word = _WHAT[event.value.kind]
                    yield Finding(
                        event.target,
                        f"`self.{event.name}` is {what} assigned before `super().__init__()`: torch raises "
                        f"`AttributeError: cannot assign {torch_word} before Module.__init__() call`",
                        "Move the `super().__init__()` call above it",
                    )
                elif isinstance(event, RegisterCall) and event.before_super:
                    yield Finding(
                        event.call,
                        f"`self.{event.method}(...)` runs before `super().__init__()`: torch raises "
                        f"`AttributeError` (cannot assign {_CALL_WHAT[event.method]} before Module.__init__() call)",
                        "Move the `super().__init__()` call above it",
                    )
