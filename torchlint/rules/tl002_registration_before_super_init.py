"""TL002 registration-before-super-init

## What it does
Finds a Parameter, submodule or `nn.Buffer` assigned to `self`, or a call to
`self.register_buffer` / `register_parameter` / `add_module` / `register_module`,
that runs before `super().__init__()` (or `Base.__init__(self)`) in construction.
A submodule handed in as an `__init__` argument counts when its annotation says it
is a Module (`encoder: nn.Module`, a project Module class, `Optional[...]` of one)
or every call of the class in the same file passes a Module for it; an argument of
unknown type is treated as a plain value.

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
are not reported. So is `self.encoder = encoder` before the super call when nothing
says `encoder` is a Module: that is only reported when it is annotated as one or the
file's callers pass one (e.g. `AutoEncoder(Encoder(), Decoder())`).
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis import walk
from torchlint.analysis.construction import AttrAssign, RegisterCall
from torchlint.analysis.values import Kind
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import SAFE, UNSAFE, enclosing_statement, fix, insert_at, whole_lines
from torchlint.fixes.edits import first_row as first_row_of
from torchlint.rules.base import Finding, Rule

_WHAT = {Kind.PARAMETER: ("a Parameter", "parameters"), Kind.MODULE: ("a submodule", "module"),
         Kind.BUFFER: ("a buffer", "buffer")}
_CALL_WHAT = {"register_buffer": "buffer", "register_parameter": "parameter",
              "add_module": "module", "register_module": "module"}


class RegistrationBeforeSuperInit(Rule):
    code = "TL002"
    name = "registration-before-super-init"
    summary = "A Parameter/submodule/buffer registered before super().__init__() runs"
    fixable = True
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
                continue  # never initialised at all (TL003)
            first = None  # the fix (one move, above the first registration) goes on every finding of the class
            for event in facts.events:
                if isinstance(event, AttrAssign) and event.before_super and event.value.kind in _WHAT:
                    what, torch_word = _WHAT[event.value.kind]
                    if event.value.argument:
                        what += " (an `__init__` argument annotated as a Module, or that this file's callers pass a Module to)"
                    node = event.target
                    message = (f"`self.{event.name}` is {what} assigned before `super().__init__()`: torch raises "
                               f"`AttributeError: cannot assign {torch_word} before Module.__init__() call`")
                elif isinstance(event, RegisterCall) and event.before_super:
                    node = event.call
                    message = (f"`self.{event.method}(...)` runs before `super().__init__()`: torch raises "
                               f"`AttributeError` (cannot assign {_CALL_WHAT[event.method]} before Module.__init__() call)")
                else:
                    continue
                if info.custom_metaclass:  # asked only now: it reads the modules of every base class
                    break  # a metaclass initialises it
                if first is None:
                    first = (_move_super_fix(ctx, info, node),)
                help = "Move the `super().__init__()` call above it"
                if first[0] is None and _fed_by_registration(ctx, info, node):
                    help += (" (no fix: its arguments are computed from a registration that precedes it; compute "
                             "them from plain values first)")
                yield Finding(node, message, help, first[0])


def _move_super_fix(ctx, info, first_registration: cst.CSTNode) -> Optional[Fix]:
    """Move the ``super().__init__(...)`` line above the statement of ``__init__`` that
    holds the first registration (and the comments just above it). Not offered when a
    statement moved over assigns a name (or ``self`` attribute) the call's arguments use."""
    init = info.methods.get("__init__")
    if init is None or not isinstance(init.body, cst.IndentedBlock):
        return None
    statements = list(init.body.body)
    super_line = enclosing_statement(ctx, statements, info.construction.super_init)
    target = enclosing_statement(ctx, statements, first_registration)
    if super_line is None or target is None or not isinstance(super_line, cst.SimpleStatementLine):
        return None
    if len(super_line.body) != 1 or statements.index(target) >= statements.index(super_line):
        return None
    first_row, last_row, text = whole_lines(ctx, super_line)
    moved_over = statements[statements.index(target): statements.index(super_line)]
    deps = _dependencies(super_line, moved_over, info)
    if deps is None:
        return None  # a registration (or what it feeds) computes the call's arguments
    if not deps:
        edits = (insert_at(first_row_of(ctx, target), 1, text), _delete_lines(first_row, last_row))
        return fix(SAFE, "Move `super().__init__(...)` above the first registration", *edits)
    # Its arguments are computed between the first registration and the call: move those
    # statements up with it (in order). Unsafe: they now run before the registrations.
    moved_text = "".join(whole_lines(ctx, d)[2] for d in deps) + text
    edits = [insert_at(first_row_of(ctx, target), 1, moved_text), _delete_lines(first_row, last_row)]
    edits += [_delete_lines(*whole_lines(ctx, d)[:2]) for d in deps]
    return fix(UNSAFE, "Move `super().__init__(...)`, with the statements that compute its arguments, above the "
               "first registration (they then run before the registrations)", *edits)


def _fed_by_registration(ctx, info, registration: cst.CSTNode) -> bool:
    init = info.methods.get("__init__")
    if init is None or not isinstance(init.body, cst.IndentedBlock):
        return False
    statements = list(init.body.body)
    super_line = enclosing_statement(ctx, statements, info.construction.super_init)
    target = enclosing_statement(ctx, statements, registration)
    if super_line is None or target is None or statements.index(target) >= statements.index(super_line):
        return False
    return _dependencies(super_line, statements[statements.index(target): statements.index(super_line)], info) is None


def _dependencies(super_line, moved_over: list, info) -> Optional[list]:
    """The statements of ``moved_over`` that compute the super call's arguments (directly or
    through each other), in order, when they can move above the others unchanged: they
    register nothing, read nothing the others assign (``self.x`` included), and assign
    nothing the others read. None when that is not so."""
    needed = _names(super_line, assigned=False)
    deps = []
    for statement in reversed(moved_over):
        if _names(statement, assigned=True) & needed:
            deps.append(statement)
            needed |= _names(statement, assigned=False)
    if not deps:
        return []
    deps.reverse()
    others = [s for s in moved_over if not any(s is d for d in deps)]
    others_assign = set().union(*(_names(s, assigned=True) for s in others)) if others else set()
    others_use = set().union(*(_names(s, assigned=False) for s in others)) if others else set()
    for statement in deps:
        if not isinstance(statement, cst.SimpleStatementLine) or _registers(statement):
            return None
        if _names(statement, assigned=False) & others_assign or _names(statement, assigned=True) & others_use:
            return None
    return deps


def _registers(statement) -> bool:
    """Does the statement touch ``self`` beyond reading plain values (an assignment to a
    ``self`` attribute, a ``self.register_*``/``add_module`` call)?"""
    assigned = _names(statement, assigned=True)
    used = _names(statement, assigned=False)
    return any(name.startswith("self.") for name in assigned) or \
        any(name in used for name in ("self.register_buffer", "self.register_parameter", "self.add_module",
                                      "self.register_module"))


def _delete_lines(first_row: int, last_row: int):
    from torchlint.diagnostics import Edit, Location

    return Edit("", Location(first_row, 1), Location(last_row + 1, 1))


def _names(node: cst.CSTNode, assigned: bool) -> set[str]:
    """Names (and ``self.<attr>`` as ``"self.attr"``) a statement assigns, or uses."""
    found: set[str] = set()

    class Collector(walk.Visitor):
        def _target(self, target):
            if isinstance(target, cst.Name):
                found.add(target.value)
            elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                found.add(f"{target.value.value}.{target.attr.value}")
            elif isinstance(target, (cst.Tuple, cst.List)):
                for element in target.elements:
                    self._target(element.value)

        def visit_Assign(self, n):
            if assigned:
                for t in n.targets:
                    self._target(t.target)

        def visit_AugAssign(self, n):
            if assigned:
                self._target(n.target)

        def visit_AnnAssign(self, n):
            if assigned:
                self._target(n.target)

        def visit_For(self, n):
            if assigned:
                self._target(n.target)

        def visit_NamedExpr(self, n):
            if assigned:
                self._target(n.target)

        def visit_Name(self, n):
            if not assigned:
                found.add(n.value)

        def visit_Attribute(self, n):
            if not assigned and isinstance(n.value, cst.Name):
                found.add(f"{n.value.value}.{n.attr.value}")

    walk.visit(node, Collector())
    return found
