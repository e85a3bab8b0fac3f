"""TL003 missing-super-init

## What it does
Finds a Module class that defines `__init__`, assigns attributes or registers
anything on `self`, and never calls its base class's `__init__` in any form
(`super().__init__()`, `super(Cls, self).__init__()`, `Base.__init__(self)`),
neither directly nor through a method it calls.

## Why is this bad?
Without `nn.Module.__init__`, the instance has no `_parameters`, `_buffers` or
`_modules`: the first Parameter or submodule assignment raises
`AttributeError: cannot assign ... before Module.__init__() call`, and a model with
only plain attributes fails on first use
(`AttributeError: 'Net' object has no attribute '_parameters'`, or `_backward_hooks`).

## Example
```python
class Net(nn.Module):
    def __init__(self, dim):
        self.fc = nn.Linear(dim, dim)
```

## Fix
```python
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
```
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.project import External
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import SAFE, UNSAFE, fix, indentation_of, insert_at, newline
from torchlint.rules.base import Finding, Rule


class MissingSuperInit(Rule):
    code = "TL003"
    name = "missing-super-init"
    summary = "A Module __init__ that never calls super().__init__()"
    fixable = True
    VALID = (
        """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, dim):
        super(Net, self).__init__()
        self.fc = nn.Linear(dim, dim)

class Other(nn.Module):
    def __init__(self):
        nn.Module.__init__(self)
        self.fc = nn.Linear(2, 2)

class Built(nn.Module):
    def __init__(self):
        self._setup()

    def _setup(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
""",
    )
    INVALID = (
        """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, dim):
        self.fc = nn.Linear(dim, dim)
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for info in ctx.module_classes:
            init = info.methods.get("__init__")
            if init is None or info.custom_metaclass or info.initialised_explicitly:
                continue
            facts = info.construction
            if facts.super_init is None and facts.touches_self and not facts.calls_unknown_self_methods:
                yield Finding(
                    init.name,
                    f"`{info.name}.__init__` never calls `super().__init__()`: torch raises `AttributeError` "
                    "(cannot assign ... before Module.__init__() call, or no attribute '_parameters') "
                    "at construction or first use",
                    "Call `super().__init__()` as the first statement of `__init__`",
                    _insert_super_fix(ctx, info, init),
                )


_MODULE = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module"})


def _insert_super_fix(ctx, info, init: cst.FunctionDef) -> Optional[Fix]:
    """Insert ``super().__init__()`` first (after a docstring). Safe when the base is
    ``nn.Module`` itself, whose ``__init__`` needs no arguments; otherwise unsafe."""
    if not isinstance(init.body, cst.IndentedBlock) or not init.body.body:
        return None
    statements = list(init.body.body)
    first = statements[0]
    if _is_docstring(first) and len(statements) > 1:
        first = statements[1]
    elif _is_docstring(first):
        return None
    row = ctx.position(first).start.line
    edit = insert_at(row, 1, f"{indentation_of(ctx, first)}super().__init__(){newline(ctx)}")
    bases = [ctx.index.resolve(ctx.facts, parts) for parts in info.base_parts] if ctx.facts else []
    if bases and all(isinstance(b, External) and b.dotted in _MODULE for b in bases):
        return fix(SAFE, "Call `super().__init__()` first", edit)
    return fix(UNSAFE, "Call `super().__init__()` first (the base class's `__init__` may need arguments)", edit)


def _is_docstring(statement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
