"""TL006 inplace-init-outside-no-grad

## What it does
Finds an in-place operation on a Parameter during construction (`__init__` and the
methods it calls): `self.weight.uniform_(-a, a)`, `normal_`, `fill_`, `zero_`,
`copy_`, `clamp_`, `mul_`, `self.weight += ...`, `self.weight[0] = ...`, including
the parameters of submodules (`self.fc.bias.zero_()`) and views of a Parameter
(`b = conv.bias.view(n, -1); b[:, 4] += c`, `p[0].fill_(1)`, `p.t().mul_(2)`; not
`p.data.view(...)` or `p.detach()`), also inside a function of the same file that
construction hands a Parameter to (`fill_table(n, d, self.pos.weight)`), when it is not under
`with torch.no_grad():` / `torch.inference_mode()` or in a method decorated with
`@torch.no_grad()`, and not done through `.data` or `nn.init.*`.

## Why is this bad?
A Parameter is a leaf tensor that requires grad; autograd forbids modifying it in
place while recording: torch raises `RuntimeError: a leaf Variable that requires grad
is being used in an in-place operation.` and the model cannot be built.

## Example
```python
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.fc.bias.zero_()
```

## Fix
```python
        nn.init.zeros_(self.fc.bias)
        # or
        with torch.no_grad():
            self.fc.bias.zero_()
```
Custom initialisation under `torch.no_grad()` (what the `torch.nn.init` functions do
themselves) and `param.data` edits are correct and not reported. Whether the Parameter
requires grad is judged where the write runs: a `requires_grad = False` after the
write (or only in a branch, `if freeze: ...`) does not stop the error.
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.construction import InplaceOp
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import SAFE, Imports, code, fix, indentation_of, newline, replace
from torchlint.rules.base import Finding, Rule


class InplaceInitOutsideNoGrad(Rule):
    code = "TL006"
    name = "inplace-init-outside-no-grad"
    summary = "An in-place op on a Parameter in __init__ outside torch.no_grad(): a RuntimeError"
    fixable = True
    VALID = (
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.scale = nn.Parameter(torch.ones(8))
        nn.init.zeros_(self.fc.bias)
        with torch.no_grad():
            self.fc.weight.uniform_(-0.1, 0.1)
            self.scale *= 2
        self.scale.data.fill_(1.0)
        self.frozen = nn.Parameter(torch.ones(1), requires_grad=False)
        self.frozen.fill_(0.0)
        self._init()

    @torch.no_grad()
    def _init(self):
        self.scale.normal_()
""",
    )
    INVALID = (
        """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.fc.bias.zero_()
""",
        """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.empty(3, 3))
        self.reset_parameters()

    def reset_parameters(self):
        self.w.uniform_(-1, 1)
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        lines_done = set()  # per file: a helper several classes hand Parameters to is one finding
        for info in ctx.module_classes:
            for event in info.construction.events:
                if not isinstance(event, InplaceOp) or event.under_no_grad:
                    continue
                if event.leaf is None or not event.leaf_requires_grad:
                    continue  # not a Parameter (or a view of one), or it did not require grad at this point
                if id(event.line) in lines_done:
                    continue  # one finding (and one fix) per statement
                lines_done.add(id(event.line))
                target = _described(ctx, event)
                if event.leaf is not event.value:
                    source = ctx.module.code_for_node(event.leaf.node) if event.leaf.node is not None else "a parameter"
                    what, leaf = f"`{target}` (a view of the parameter `{source}`)", "a view of a leaf Variable"
                else:
                    what, leaf = f"the parameter `{target}`", "a leaf Variable"
                if event.via is not None:
                    row = ctx.position(event.via).start.line
                    given = ctx.module.code_for_node(event.leaf.node) if event.leaf.node is not None else "a parameter"
                    what += f", which the call at line {row} passes in (`{given}`),"
                yield Finding(
                    event.node,
                    f"In-place {event.operation} on {what} outside `torch.no_grad()`: torch raises "
                    f"`RuntimeError: {leaf} that requires grad is being used in an in-place operation.` "
                    "while the model is built",
                    "Use `nn.init.*`, or wrap the statement in `with torch.no_grad():`",
                    _no_grad_fix(ctx, event),
                )


def _no_grad_fix(ctx, event: InplaceOp) -> Optional[Fix]:
    """Wrap the one-line statement in ``with torch.no_grad():``."""
    line = event.line
    if line is None or len(line.body) != 1:
        return None
    statement = line.body[0]
    text = code(ctx, statement)
    if "\n" in text or "\r" in text:
        return None  # multi-line statements are left to the user
    spelling = Imports(ctx).torch()
    if spelling is None:
        return None
    torch, imports = spelling
    indent = indentation_of(ctx, statement)
    wrapped = f"with {torch}.no_grad():{newline(ctx)}{indent}{ctx.module.default_indent}{text}"
    return fix(SAFE, "Wrap it in `with torch.no_grad():`", replace(ctx, statement, wrapped), *imports)


def _described(ctx, event: InplaceOp) -> str:
    node = event.node
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return ctx.module.code_for_node(node.func.value)
    if isinstance(node, cst.AugAssign):
        return ctx.module.code_for_node(node.target)
    if isinstance(node, cst.Subscript):
        return ctx.module.code_for_node(node.value)
    return ctx.module.code_for_node(event.value.node) if event.value.node is not None else "parameter"
