"""TL011 moved-parameter

## What it does
Finds a Parameter passed through a tensor method that changes device or dtype
(`.to(...)`, `.cuda()`, `.cpu()`, `.half()`, `.float()`, `.double()`, `.bfloat16()`,
`.type(...)`) whose *result* is stored on the Module during construction (`__init__` and
the methods it calls): `self.w = nn.Parameter(t).to(device)`, also through a local
(`p = nn.Parameter(t); self.w = p.cuda()`), `self.scale = self.scale.double()` on a
Parameter of the module, and `self.register_parameter("w", nn.Parameter(t).cuda())`.

## Why is this bad?
These are tensor methods, not Module methods: on a Parameter they return a new, plain
tensor whenever they copy (another device or another dtype). `self.w` then holds a plain
tensor that is missing from `parameters()` and `state_dict()`: the optimizer never
trains it and checkpoints do not save it. Where the method copies nothing (on the CPU,
in the same dtype) it returns the Parameter itself, so the bug hides in CPU tests and
appears on the GPU. Stored back under the name of a registered Parameter
(`self.scale = self.scale.double()`), or given to `register_parameter`, the plain
tensor is refused: `TypeError: cannot assign ... as parameter`.

`nn.Linear(...).to(device)` and `.to()`/`.double()` on a submodule are fine (Module
methods return the Module), and so is `nn.ParameterList.append(nn.Parameter(t).to(dev))`
(the list wraps a plain tensor in a Parameter).

## Example
```python
class Scale(nn.Module):
    def __init__(self, dim, device):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim)).to(device)
```

## Fix
Move the call inside, so that the Parameter wraps the moved tensor (a safe fix):
```python
        self.gamma = nn.Parameter(torch.ones(dim).to(device))
        # or create it there: nn.Parameter(torch.ones(dim, device=device))
```
For a Parameter of the module (`self.scale = self.scale.double()`), create it in the
device and dtype it needs where it is made. `self.scale = nn.Parameter(self.scale.double())`
works but makes a new Parameter object: whatever holds the old one (a tied weight, a
hook, an optimizer) keeps the old one, so this fix is offered as unsafe.
"""

from __future__ import annotations

import re
from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis import known, walk
from torchlint.analysis.tensors import dotted
from torchlint.analysis.attributes import moved_parameters, single_assignment
from torchlint.analysis.construction import AttrAssign, RegisterCall
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import SAFE, UNSAFE, Imports, fix, replace, text_between
from torchlint.rules.base import Finding, Rule

# Expressions that take a method call without parentheses around them.
_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Tuple, cst.Dict, cst.ListComp,
          cst.SimpleString, cst.ConcatenatedString)


class MovedParameter(Rule):
    code = "TL011"
    name = "moved-parameter"
    summary = "A Parameter passed through .to()/.cuda()/.double()... and the (plain tensor) result stored on the Module"
    fixable = True
    VALID = (
        """
import torch
import torch.nn as nn

class Scale(nn.Module):
    def __init__(self, dim, device):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim).to(device))
        self.beta = nn.Parameter(torch.zeros(dim, device=device))
        self.proj = nn.Linear(dim, dim).to(device)
        self.proj = self.proj.double()
        self.extra = nn.ParameterList()
        self.extra.append(nn.Parameter(torch.ones(dim)).to(device))
""",
    )
    INVALID = (
        """
import torch
import torch.nn as nn

class Scale(nn.Module):
    def __init__(self, dim, device):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim)).to(device)
""",
        """
import torch
from torch import nn

class Temperature(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))
        self.scale = self.scale.double()
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for info in ctx.module_classes:
            for event in moved_parameters(info):
                move = event.value.moved
                method = f"`.{move.method}(...)`" if move.method in ("to", "type") else f"`.{move.method}()`"
                consequence = _consequence(move.method, method)
                moved_fix = _move_inside_fix(ctx, event, move)
                inside = _insidetext_between(ctx, move)
                if isinstance(event, RegisterCall):
                    yield Finding(
                        event.call,
                        f"`self.register_parameter` is given the result of {method} on a Parameter: {consequence}, "
                        "and then `register_parameter` raises `TypeError` (a plain tensor is not a Parameter)",
                        f"Move the call inside: `{inside}`" if inside else
                        "Move the call inside `nn.Parameter(...)` where the Parameter is made",
                        moved_fix,
                    )
                elif move.fresh:
                    yield Finding(
                        event.target,
                        f"`self.{event.name}` stores the result of {method} on a new Parameter: {consequence}. As a "
                        f"plain tensor `self.{event.name}` is missing from `parameters()` and `state_dict()`: never "
                        "trained, never saved",
                        f"Move the call inside: `{inside}`" if inside else
                        "Move the call inside `nn.Parameter(...)` where the Parameter is made "
                        "(or create the tensor there with `device=`/`dtype=`)",
                        moved_fix,
                    )
                else:
                    yield Finding(
                        event.target,
                        f"`self.{event.name}` is a Parameter replaced by the result of its own {method}: {consequence}, "
                        f"and torch refuses a plain tensor for a parameter name (`TypeError: cannot assign ... as "
                        f"parameter '{event.name}'`)",
                        f"Create `self.{event.name}` in the device and dtype it needs where it is made; "
                        f"`self.{event.name} = nn.Parameter(...)` around the call works but is a new Parameter "
                        "object: whatever holds the old one (a tied weight, a hook, an optimizer) keeps the old one",
                        _rewrap_fix(ctx, event, move),
                    )


def _consequence(name: str, method: str) -> str:
    if name in ("half", "double", "bfloat16"):
        return (f"{method} of a Parameter returns a new plain tensor whenever it changes the dtype (from the "
                "default float32 it always does)")
    return (f"{method} of a Parameter returns a new plain tensor whenever it copies (another device or dtype); on "
            "the CPU in the same dtype it returns the Parameter itself, so CPU tests pass")


def _parameter_call(ctx, move) -> Optional[cst.Call]:
    """The ``nn.Parameter(t, ...)`` call the move starts from, when it is written right there."""
    node = move.source.node
    if not isinstance(node, cst.Call) or not node.args or node.args[0].keyword is not None or node.args[0].star:
        return None
    resolved = ctx.resolve(node.func)
    if getattr(resolved, "dotted", None) not in known.PARAMETER_CONSTRUCTORS:
        return None
    # the chain must start right at that call: `nn.Parameter(t).to(d)[.half()]`
    call = move.call
    while isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
        if call.func.value is node:
            return node
        call = call.func.value
    return None


def _inside(ctx, move) -> Optional[str]:
    """``nn.Parameter(X, ...).to(d).half()`` -> ``nn.Parameter(X.to(d).half(), ...)``, spliced from
    the original text so that comments and multi-line layout are kept."""
    parameter = _parameter_call(ctx, move)
    if parameter is None:
        return None
    value = parameter.args[0].value
    outer, arg, chain = ctx.position(parameter), ctx.position(value), ctx.position(move.call)
    moved = text_between(ctx, arg.start, arg.end)
    head, tail = text_between(ctx, outer.start, arg.start), text_between(ctx, arg.end, outer.end)
    if value.lpar:  # `nn.Parameter((a + b))`: the span leaves out the parentheses; keep them round it
        closing = re.match(r"(\s*\))" + "{%d}" % len(value.rpar), tail)
        if closing is None:
            return None
        moved, tail = moved + closing.group(0), tail[closing.end():]
    elif not isinstance(value, _ATOMS):
        moved = f"({moved})"
    return head + moved + text_between(ctx, outer.end, chain.end) + tail


def _insidetext_between(ctx, move) -> Optional[str]:
    text = _inside(ctx, move)
    return text if text is not None and "\n" not in text and "\r" not in text and len(text) <= 100 else None


def _move_inside_fix(ctx, event, move) -> Optional[Fix]:
    """``nn.Parameter(t).to(device)`` -> ``nn.Parameter(t.to(device))``. Safe: where the
    original worked (nothing copied) the model registers the same Parameter."""
    if isinstance(event, AttrAssign) and event.before_super:
        return None
    new = _inside(ctx, move)
    if new is None:
        return _through_local_fix(ctx, move)
    return fix(SAFE, "Move the call inside `nn.Parameter(...)` (where the move copied, the weight is back in `state_dict()`)",
               replace(ctx, move.call, new))


def _through_local_fix(ctx, move) -> Optional[Fix]:
    """``p = nn.Parameter(t)`` ... ``self.w = p.cuda()`` -> ``p = nn.Parameter(t.cuda())`` ...
    ``self.w = p``, when ``p`` is used nowhere else in the method and the call's arguments
    are not (re)assigned in it (so they mean the same at the earlier line)."""
    chain_start = move.call
    while isinstance(chain_start.func.value, cst.Call):
        chain_start = chain_start.func.value
    local = chain_start.func.value
    parameter = move.source.node
    if not isinstance(local, cst.Name) or not isinstance(parameter, cst.Call) or not parameter.args or \
            parameter.args[0].keyword is not None or parameter.args[0].star:
        return None
    if getattr(ctx.resolve(parameter.func), "dotted", None) not in known.PARAMETER_CONSTRUCTORS:
        return None
    method = _enclosing_function(ctx, move.call)
    if method is None:
        return None
    uses, assigned, definitions = _names_in(method, local.value, parameter)
    if uses != 2 or definitions != 1:
        return None  # `p` is read elsewhere too: moving the call would change what that sees
    used_by_chain = _names_used(move.call) - {local.value}
    if used_by_chain & assigned:
        return None
    value = parameter.args[0].value
    outer, arg = ctx.position(parameter), ctx.position(value)
    moved = text_between(ctx, arg.start, arg.end)
    if value.lpar:
        return None
    if not isinstance(value, _ATOMS):
        moved = f"({moved})"
    chain = text_between(ctx, ctx.position(local).end, ctx.position(move.call).end)
    definition = text_between(ctx, outer.start, arg.start) + moved + chain + text_between(ctx, arg.end, outer.end)
    return fix(SAFE, f"Move the call inside `nn.Parameter(...)` where `{local.value}` is made",
               replace(ctx, parameter, definition), replace(ctx, move.call, local.value))


def _enclosing_function(ctx, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
    inner = ctx.position(node)
    for info in ctx.module_classes:
        for method in info.methods.values():
            outer = ctx.position(method)
            if (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and \
                    (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column):
                return method
    return None


def _names_in(method: cst.FunctionDef, local: str, parameter: cst.Call) -> tuple[int, set[str], int]:
    """How often ``local`` appears, the names (and ``self.x``) assigned in the method, and
    how many times ``local`` is assigned (once: ``local = <the Parameter call>``)."""
    uses = 0
    assigned: set[str] = set()
    definitions = 0

    def target(node):
        nonlocal definitions
        if isinstance(node, cst.Name):
            assigned.add(node.value)
        elif isinstance(node, cst.Attribute):
            assigned.add(code_of_dotted(node))
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                target(element.value)

    class Names(walk.Visitor):
        def visit_Name(self, node):
            nonlocal uses
            if node.value == local:
                uses += 1

        def visit_Assign(self, node):
            nonlocal definitions
            for t in node.targets:
                target(t.target)
                if isinstance(t.target, cst.Name) and t.target.value == local:
                    definitions += 1 if node.value is parameter and len(node.targets) == 1 else 2

        def visit_AugAssign(self, node):
            target(node.target)

        def visit_AnnAssign(self, node):
            target(node.target)

        def visit_For(self, node):
            target(node.target)

        def visit_NamedExpr(self, node):
            target(node.target)

        def visit_WithItem(self, node):
            if node.asname is not None:
                target(node.asname.name)

    walk.visit(method.body, Names())
    return uses, assigned, definitions


def code_of_dotted(node: cst.BaseExpression) -> str:
    parts = dotted(node)
    return ".".join(parts) if parts else ""


def _names_used(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class Used(walk.Visitor):
        def visit_Name(self, n):
            found.add(n.value)

        def visit_Attribute(self, n):
            parts = dotted(n)
            if parts:
                found.add(".".join(parts))

    walk.visit(node, Used())
    return found


def _rewrap_fix(ctx, event: AttrAssign, move) -> Optional[Fix]:
    """``self.scale = self.scale.double()`` -> ``self.scale = nn.Parameter(self.scale.double())``.
    Unsafe: a new Parameter object replaces the old one."""
    statement = single_assignment(event)
    if statement is None or statement.value is not move.call or event.before_super:
        return None
    spelling = Imports(ctx).nn()
    if spelling is None:
        return None
    nn, imports = spelling
    flag = "" if move.source.requires_grad else ", requires_grad=False"
    new = f"{nn}.Parameter({ctx.source_of(move.call)}{flag})"
    return fix(UNSAFE, "Wrap the result in a new `nn.Parameter` (a new object: what held the old one keeps it)",
               replace(ctx, move.call, new), *imports)
