"""TL004 requires-grad-plain-tensor

## What it does
Finds a plain tensor stored on a Module during construction that asks for gradients:
made with `requires_grad=True` (`torch.randn(3, 3, requires_grad=True)`,
`Variable(t, requires_grad=True)`), or given `.requires_grad = True` /
`.requires_grad_()` before or after it is stored.

## Why is this bad?
It looks trainable, and autograd does compute its gradient, but it is not a
Parameter: it is missing from `model.parameters()`, so an optimizer built from them
never updates it. It is also missing from `state_dict()` and is not moved by
`.to(device)`. Setting `requires_grad = True` on a plain tensor does not make it a
parameter: only an `nn.Parameter` (or `register_parameter`) is registered as one, as
torch's documentation of `torch.nn.Module.register_parameter` and `torch.nn.Parameter`
describes.

## Example
```python
class Scale(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gamma = torch.ones(dim, requires_grad=True)
```

## Fix
```python
        self.gamma = nn.Parameter(torch.ones(dim))   # requires grad by default
```
This finding replaces TL001 on the same statement. On a line that runs before
`super().__init__()`, `nn.Parameter` raises `cannot assign parameters before
Module.__init__() call`: keep the tensor in a local and wrap it after the super call.
A tensor given to an optimizer and then moved (`self.t = self.t.to(device)`) is a copy
the optimizer never sees: create the Parameter on its device where it is first made,
`nn.Parameter(torch.zeros(1, device=device))`, and drop the moving line.
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.attributes import single_assignment, unregistered_tensor_assignments
from torchlint.analysis.construction import AttrAssign
from torchlint.analysis.values import Kind
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import UNSAFE, Imports, code, fix, replace
from torchlint.fixes.buffers import after_super
from torchlint.fixes.guards import can_register
from torchlint.rules.base import Finding, Rule


class RequiresGradPlainTensor(Rule):
    code = "TL004"
    name = "requires-grad-plain-tensor"
    summary = "A plain tensor with requires_grad=True stored on a Module: the optimizer never sees it"
    fixable = True
    VALID = (
        """
import torch
import torch.nn as nn

class Scale(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))
        self.frozen = nn.Parameter(torch.ones(dim), requires_grad=False)
        self.gamma.requires_grad_(False)

    def forward(self, x):
        probe = torch.zeros(1, requires_grad=True)
        return x * self.gamma + probe
""",
    )
    INVALID = (
        """
import torch
import torch.nn as nn

class Scale(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gamma = torch.ones(dim, requires_grad=True)
""",
        """
import torch
import torch.nn as nn

class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.Tensor([1.0, 2.0])
        self.weight.requires_grad = True
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for info in ctx.module_classes:
            for event in unregistered_tensor_assignments(info):
                if not event.value.requires_grad or event.value.derived:
                    continue  # computed from parameters: TL001 (no explicit requires_grad)
                later = _later_plain_stores(ctx, info, event)
                use = info.attribute_usage.get(event.name)
                replaced = use is not None and use.replaced  # `self.x = <new tensor>` in forward
                yield Finding(
                    event.target,
                    f"`self.{event.name}` is a plain tensor with `requires_grad=True`: it looks trainable but is "
                    "not a Parameter, so the optimizer built from `model.parameters()` never updates it (and it "
                    "is not saved or moved by `.to(device)`)",
                    _help(ctx, info, event, later, replaced),
                    _on_device_fix(ctx, info, event, replaced) if later or _moves_itself(ctx, event)
                    else None if replaced else _parameter_fix(ctx, info, event),
                )


def _help(ctx, info, event, later: list[int], replaced: bool = False) -> str:
    name = event.name
    if _moves_itself(ctx, event):
        # `self.t = self.t.to(device)`: a copy, made after an optimizer may have taken the original
        return (f"Create it on its device where it is first made, as `self.{name} = nn.Parameter(torch.tensor(..., "
                "device=device))`, and drop this line: `.to()` returns a new tensor when it moves or casts (an "
                f"optimizer given the original never sees it), and once `self.{name}` is a Parameter, assigning a "
                "plain tensor to it raises `TypeError`")
    advice = after_super(info, event, "parameters",
                         f"make it a parameter: `self.{name} = nn.Parameter(...)` (requires grad by default)",
                         f"Make it a parameter: `self.{name} = nn.Parameter(...)` (requires grad by default)")
    if later:
        lines = ", ".join(str(row) for row in later)
        advice += (f"; line{'s' if len(later) > 1 else ''} {lines} then store{'' if len(later) > 1 else 's'} a "
                   f"plain tensor in `self.{name}`, which raises `TypeError` once it is a Parameter: create it here "
                   "as it should end up (its device, dtype and shape) instead of replacing it later")
    elif replaced:
        advice += (f"; the class also stores a new tensor in `self.{name}` outside construction (a hand-written "
                   "update), which raises `TypeError` once it is a Parameter: update it in place under "
                   f"`torch.no_grad()` (`self.{name}.copy_(...)`), or let an optimizer update it")
    return advice


def _later_plain_stores(ctx, info, event) -> list[int]:
    """Rows of later construction stores of a plain tensor under the same name."""
    rows = []
    for later in info.construction.later_events(event.seq, event.name):
        if isinstance(later, AttrAssign) and later.value.kind is Kind.TENSOR:
            rows.append(ctx.position(later.target).start.line)
    return rows


def _moves_itself(ctx, event) -> bool:
    """``self.t = self.t.to(...)`` (or ``.cuda()``/``.cpu()``/``.type(...)``)."""
    value = getattr(event.statement, "value", None)
    return (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
            and value.func.attr.value in ("to", "cuda", "cpu", "type", "double", "float", "half")
            and isinstance(value.func.value, cst.Attribute) and value.func.value.attr.value == event.name
            and isinstance(value.func.value.value, cst.Name) and value.func.value.value.value == "self")


def _on_device_fix(ctx, info, event, replaced: bool) -> Optional[Fix]:
    """``self.t = torch.zeros(1, requires_grad=True)`` ... ``self.t = self.t.to(device)``
    (an optimizer may take the tensor in between): create the Parameter on its device where
    it is first made, ``nn.Parameter(torch.zeros(1, device=device))``, and drop the moving
    line, so what the optimizer holds is what is trained. Offered on both findings (the
    same edits); None unless the first store is a call with ``requires_grad=`` and no
    ``device=``, the move is the only later store, ``.to(<a device>)`` or ``.cuda()``, on
    a line of its own."""
    if replaced or event.before_super:
        return None
    stores = [e for e in info.construction.events if getattr(e, "name", None) == event.name]
    if len(stores) != 2 or not all(isinstance(e, AttrAssign) for e in stores) or event not in stores:
        return None
    first, move = stores
    made, moved = single_assignment(first), single_assignment(move)
    if not isinstance(made, cst.Assign) or not isinstance(moved, cst.Assign) or first.prior_state is not None:
        return None
    if info.construction.paths.get(first.seq) or info.construction.paths.get(move.seq):
        return None  # both on the main path: the move always follows the creation
    device = _device_of_move(ctx, move)
    call = made.value
    if device is None or not isinstance(call, cst.Call) or "#" in ctx.source_of(call) or any(
            arg.keyword is not None and arg.keyword.value == "device" for arg in call.args) or not any(
            arg.keyword is not None and arg.keyword.value == "requires_grad" for arg in call.args):
        return None
    from torchlint.analysis.stores import statement_place
    from torchlint.diagnostics import Edit, Location
    from torchlint.fixes.edits import whole_lines, without_keyword

    line, _ = statement_place(ctx, moved)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 or line.trailing_whitespace.comment:
        return None
    text = without_keyword(ctx, call, "requires_grad")
    if text is None or not text.endswith(")"):
        return None
    inner = text[:-1].rstrip()
    separator = "" if inner.endswith("(") else " " if inner.endswith(",") else ", "
    spelling = Imports(ctx).nn()
    if spelling is None:
        return None
    nn, imports = spelling
    start, last, _ = whole_lines(ctx, line)
    row = ctx.position(move.target).start.line
    return fix(UNSAFE, f"Make it an `nn.Parameter` created on its device and drop line {row}'s move (what the "
                       "optimizer holds is then what is trained; changes the set of trained parameters)",
               replace(ctx, call, f"{nn}.Parameter({inner}{separator}device={device}))"),
               Edit("", Location(start, 1), Location(last + 1, 1)), *imports)


def _device_of_move(ctx, move) -> Optional[str]:
    """``self.t.to(device)`` -> ``device`` (a name or attribute that says device, or a
    device string), ``self.t.cuda()`` -> ``"cuda"``; None for anything else (a dtype)."""
    value = getattr(move.statement, "value", None)
    if not _moves_itself(ctx, move) or not isinstance(value, cst.Call):
        return None
    method = value.func.attr.value
    if method == "cuda" and not value.args:
        return '"cuda"'
    if method != "to" or len(value.args) != 1 or value.args[0].keyword is not None or value.args[0].star:
        return None
    arg = value.args[0].value
    if isinstance(arg, cst.SimpleString) and isinstance(arg.evaluated_value, str) and \
            arg.evaluated_value.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta"):
        return ctx.source_of(arg)
    last = arg.attr.value if isinstance(arg, cst.Attribute) else arg.value if isinstance(arg, cst.Name) else ""
    return ctx.source_of(arg) if "device" in last.lower() else None


def _parameter_fix(ctx, info, event) -> Optional[Fix]:
    """Wrap the value in ``nn.Parameter(...)``, dropping a now-redundant
    ``requires_grad=True``. Unsafe: it changes what the optimizer trains."""
    statement = single_assignment(event)
    if statement is None or not can_register(ctx, info, event):
        return None
    if event.before_super and (info.custom_metaclass or not isinstance(statement, cst.Assign)):
        return None
    value = statement.value
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
            value.func.attr.value == "requires_grad_" and not value.lpar and (
                not value.args or (len(value.args) == 1 and isinstance(value.args[0].value, cst.Name)
                                   and value.args[0].value.value == "True")):
        value = value.func.value  # `t.requires_grad_()`: a Parameter requires grad already
    text = ctx.source_of(value)
    if isinstance(value, cst.Call):
        from torchlint.fixes.edits import without_keyword

        text = without_keyword(ctx, value, "requires_grad") or text
    spelling = Imports(ctx).nn()
    if spelling is None:
        return None
    nn, imports = spelling
    new = f"{nn}.Parameter({text})"
    if event.before_super:
        # torch refuses a Parameter before `Module.__init__`: the wrapped line moves below the super call
        from torchlint.fixes.buffers import move_below_super

        moved = move_below_super(ctx, info, statement, f"{code(ctx, event.target)} = {new}")
        if moved is None:
            return None
        return fix(UNSAFE, "Make it an `nn.Parameter` after `super().__init__()` (changes the set of trained "
                   "parameters)", *moved[0], *imports)
    return fix(UNSAFE, "Make it an `nn.Parameter` (changes the set of trained parameters)",
               replace(ctx, statement.value, new), *imports)
