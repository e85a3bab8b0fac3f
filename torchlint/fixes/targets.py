"""Registering an attribute that is one of several targets of an assignment.

``self.cos, self.sin = tables(n)`` and ``self.n = n = t`` cannot become one
``register_buffer`` call. The reported target is taken out of the assignment and the
registration follows it:

- tuple unpacking: the target becomes a fresh local, registered right after
  (``cos, self.sin = tables(n)`` then ``self.register_buffer("cos", cos)``). The value
  is evaluated once and the targets are bound in the same order; the local's name is one
  the function does not use anywhere, so nothing it reads is shadowed;
- a chain: when another target is a plain name (``self.n = n = t``), the attribute's
  target is dropped and that name is registered (``n = t`` then
  ``self.register_buffer("n", n)``); otherwise (``self.a = self.b = t``) it becomes a
  fresh local like a tuple element.

Only the reported target changes; the others keep their stores.
"""

from __future__ import annotations

import builtins
import keyword
from typing import TYPE_CHECKING, Callable, Optional

import libcst as cst

from torchlint.analysis.stores import names_in, statement_place
from torchlint.diagnostics import Edit, Location
from torchlint.fixes.edits import indentation_of, insert_at, newline

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import FileContext


def split_target(ctx: "FileContext", event, registration: Callable[[str], str]) -> Optional[list[Edit]]:
    """Edits that take ``event.target`` out of its tuple or chained assignment and add
    ``registration(local)`` after the statement; None when the assignment is no such form
    (or a starred target: it stores a list)."""
    statement = event.statement
    if not isinstance(statement, cst.Assign) or not isinstance(event.target, cst.Attribute):
        return None
    line, function = statement_place(ctx, statement)
    if line is None or function is None:
        return None
    targets = [t.target for t in statement.targets]
    if len(targets) > 1 and any(t is event.target for t in targets):
        index = next(i for i, t in enumerate(targets) if t is event.target)
        names = [t.value for t in targets if isinstance(t, cst.Name)]
        bound = _bound_names(targets)
        reuse = next((n for n in names if bound.count(n) == 1), None)
        end = targets[index + 1] if index + 1 < len(targets) else statement.value
        if reuse is not None and not event.target.lpar and not end.lpar:  # `self.n = n = t` -> `n = t`
            start_at, end_at = ctx.position(event.target).start, ctx.position(end).start
            edits = [Edit("", Location(start_at.line, start_at.column + 1), Location(end_at.line, end_at.column + 1))]
            return edits + [_after(ctx, statement, line, registration(reuse))]
    elif len(targets) != 1 or not _unpacked(targets[0], event.target):
        return None
    local = fresh_name(ctx, function, event.name)
    if local is None:
        return None
    span = ctx.position(event.target)
    edits = [Edit(local, Location(span.start.line, span.start.column + 1), Location(span.end.line, span.end.column + 1))]
    return edits + [_after(ctx, statement, line, registration(local))]


def _bound_names(targets) -> list[str]:
    found: list[str] = []

    def add(node):
        if isinstance(node, cst.Name):
            found.append(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                add(element.value)
        elif isinstance(node, cst.StarredElement):
            add(node.value)

    for target in targets:
        add(target)
    return found


def _unpacked(target: cst.BaseExpression, wanted: cst.CSTNode) -> bool:
    """Is ``wanted`` an element (not a starred one) of the tuple or list ``target``,
    at any depth?"""
    if not isinstance(target, (cst.Tuple, cst.List)):
        return False
    for element in target.elements:
        if isinstance(element, cst.StarredElement):
            continue
        if element.value is wanted or _unpacked(element.value, wanted):
            return True
    return False


def fresh_name(ctx: "FileContext", function: cst.FunctionDef, attribute: str) -> Optional[str]:
    """A local name for ``self.<attribute>`` that ``function`` does not use anywhere (so
    binding it shadows nothing the function reads): the attribute's name without leading
    underscores (a ``__x`` local would be name-mangled), else with a suffix. None in a
    function that reads its locals as a whole (``locals()``, ``vars()``, ``exec``): a new
    local would show up there."""
    taken = names_in(ctx, function)
    if taken & {"locals", "vars", "exec", "eval"}:
        return None
    base = attribute.lstrip("_") or "buffer"
    candidates = [base, f"{base}_", f"{base}_buffer"] + [f"{base}_{i}" for i in range(2, 100)]
    for name in candidates:
        if name not in taken and not keyword.iskeyword(name) and not hasattr(builtins, name):
            return name
    return f"{base}_{id(function)}"  # pragma: no cover - a hundred names taken


def _after(ctx: "FileContext", statement: cst.BaseSmallStatement, line, text: str) -> Edit:
    """Insert ``text`` as the statement that runs right after ``statement``: on a line of
    its own below the statement's line when the statement ends it, else after it and a
    ``;`` (a one-line suite such as ``if x: a, self.b = f()``, or ``stmt; other``)."""
    if isinstance(line, cst.SimpleStatementLine) and line.body[-1] is statement:
        last = ctx.position(line).end.line
        return insert_at(last + 1, 1, indentation_of(ctx, line) + text + newline(ctx))
    end = ctx.position(statement).end
    return insert_at(end.line, end.column + 1, f"; {text}")
