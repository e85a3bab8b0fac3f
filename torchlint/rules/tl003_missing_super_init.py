"""TL003 missing-super-init

## What it does
Finds a Module class that defines `__init__`, assigns attributes or registers
anything on `self`, and never calls its base class's `__init__` in any form
(`super().__init__()`, `super(Cls, self).__init__()`, `Base.__init__(self)`),
neither directly nor through a method it calls. Also finds
`super(nn.Module, self).__init__()` in a Module class: naming `nn.Module` (or
`object`) starts the lookup *after* `nn.Module`, so only `object.__init__` runs.

## Why is this bad?
Without `nn.Module.__init__`, the instance has no `_parameters`, `_buffers` or
`_modules`: the first Parameter or submodule assignment raises
`AttributeError: cannot assign ... before Module.__init__() call`, and a model with
only plain attributes fails on first use
(`AttributeError: 'Net' object has no attribute '_parameters'`, or `_backward_hooks`).
`super(nn.Module, self).__init__()` looks like a base-class call but has the same
effect as no call at all.

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
(`super(Net, self).__init__()`, naming the class itself, is also right.)
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.project import External
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import SAFE, UNSAFE, first_row, fix, indentation_of, insert_at, newline, replace
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
        """
import torch.nn as nn

class Loss(nn.Module):
    def __init__(self, p):
        super(nn.Module, self).__init__()
        self.p = p
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for info in ctx.module_classes:
            init = info.methods.get("__init__")
            if init is None:
                continue
            facts = info.construction
            if facts.super_init is not None or not (facts.skipping_inits or facts.touches_self):
                continue  # nothing to report: the questions below (every base class's module) are not asked
            if info.custom_metaclass or info.initialised_explicitly:
                continue
            if facts.super_init is None and facts.skipping_inits:
                call = facts.skipping_inits[0]
                yield Finding(
                    init.name,
                    f"`super({_code(ctx, call.func.value.args[0].value)}, self).__init__()` starts the lookup after "
                    f"`nn.Module`, so `nn.Module.__init__` never runs for `{info.name}`: torch raises `AttributeError` "
                    "(cannot assign ... before Module.__init__() call, or no attribute '_backward_hooks') "
                    "at construction or first call",
                    "Call `super().__init__()` (or `super(ThisClass, self).__init__()`)",
                    _plain_super_fix(ctx, info, call),
                )
                continue
            if facts.super_init is None and facts.touches_self and not facts.calls_unknown_self_methods:
                yield Finding(
                    init.name,
                    f"`{info.name}.__init__` never calls `super().__init__()`: torch raises `AttributeError` "
                    "(cannot assign ... before Module.__init__() call, or no attribute '_parameters') "
                    "at construction or first use",
                    "Call `super().__init__()` as the first statement of `__init__`",
                    _insert_super_fix(ctx, info, init),
                )


# torch bases whose __init__ takes no required arguments
_NO_ARGUMENT_BASES = frozenset(
    "torch.nn." + name for name in ("Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict")
) | {"torch.nn.modules.module.Module"}


def _insert_super_fix(ctx, info, init: cst.FunctionDef) -> Optional[Fix]:
    """Insert ``super().__init__()`` first (after a docstring), or repair a
    ``super.__init__()`` written without parentheses. Safe when the base's ``__init__``
    needs no arguments (``nn.Module``); unsafe for a user base; not offered for a torch
    layer (``nn.Linear``), whose arguments only the author knows."""
    if not isinstance(init.body, cst.IndentedBlock) or not init.body.body:
        return None
    statements = list(init.body.body)
    for statement in statements:
        call = _super_without_parentheses(statement)
        if call is not None:
            return fix(SAFE, "Call `super()`: `super.__init__` is the builtin's own `__init__`",
                       replace(ctx, call.func, "super().__init__"))
    bases = [ctx.index.resolve(ctx.facts, parts) for parts in info.base_parts] if ctx.facts else []
    if any(isinstance(b, External) and b.dotted not in _NO_ARGUMENT_BASES for b in bases):
        return None
    first = statements[1] if _is_docstring(statements[0]) and len(statements) > 1 else statements[0]
    if _is_docstring(first):
        return None
    edit = insert_at(first_row(ctx, first), 1, f"{indentation_of(ctx, first)}super().__init__(){newline(ctx)}")
    if bases and all(isinstance(b, External) for b in bases):
        return fix(SAFE, "Call `super().__init__()` first", edit)
    return fix(UNSAFE, "Call `super().__init__()` first (the base class's `__init__` may need arguments)", edit)


def _code(ctx, node) -> str:
    return cst.Module([]).code_for_node(node)


def _plain_super_fix(ctx, info, call: cst.Call) -> Optional[Fix]:
    """``super(nn.Module, self)`` -> ``super()``: safe when every base is a torch class whose
    ``__init__`` needs no arguments; unsafe when the next ``__init__`` is a user or library
    base's, which may need arguments."""
    bases = [ctx.index.resolve(ctx.facts, parts) for parts in info.base_parts] if ctx.facts else []
    edit = replace(ctx, call.func.value, "super()")
    if bases and all(isinstance(b, External) and b.dotted in _NO_ARGUMENT_BASES for b in bases):
        return fix(SAFE, "Call `super().__init__()`", edit)
    return fix(UNSAFE, "Call `super().__init__()` (the base class's `__init__` may need arguments)", edit)


def _super_without_parentheses(statement) -> Optional[cst.Call]:
    if isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], cst.Expr):
        call = statement.body[0].value
        if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "__init__"
                and isinstance(call.func.value, cst.Name) and call.func.value.value == "super"):
            return call
    return None


def _is_docstring(statement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
