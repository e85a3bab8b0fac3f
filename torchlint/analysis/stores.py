"""Where a file stores attributes, and what each store puts there.

A fix that registers ``self.x`` as a buffer is right only if every other store of ``x``
puts a tensor or None there (``Module.__setattr__`` raises ``TypeError`` for anything
else once ``x`` is a buffer). :func:`store_sites` lists every ``<anything>.x = value``
of a file with the statement line and the function it sits in; :func:`stored_value`
evaluates one store with the locals of its function at that point (``h = x.detach()``
then ``self.h = h`` stores a tensor when ``x`` is one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

import libcst as cst

from torchlint.analysis import walk
from torchlint.analysis.values import Value

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import FileContext

Line = Union[cst.SimpleStatementLine, cst.SimpleStatementSuite]


@dataclass
class StoreSite:
    """``<receiver>.<name> = value`` (also a target of tuple unpacking or a chain, an
    annotated or augmented assignment)."""

    name: str
    target: cst.Attribute
    statement: cst.BaseSmallStatement
    value: Optional[cst.BaseExpression]  # the expression stored as a whole (None: unpacked, augmented)
    unpacked: bool
    line: Optional[Line]
    function: Optional[cst.FunctionDef]


@dataclass
class _Layout:
    sites: dict  # name -> [StoreSite]
    lines: dict  # id(small statement) -> (line, function)
    functions: dict  # id(function) -> the names it uses (every Name node but attributes', parameters included)


def _layout(ctx: "FileContext") -> _Layout:
    memo = ctx.__dict__.get("_store_layout")
    if memo is not None:
        return memo
    layout = _Layout({}, {}, {})
    functions: list[cst.FunctionDef] = []
    lines: list[Line] = []

    class Stores(walk.Visitor):
        def visit_FunctionDef(self, node):
            functions.append(node)
            layout.functions[id(node)] = set()

        def leave_FunctionDef(self, node):
            functions.pop()

        def visit_Name(self, node):
            for function in functions:
                layout.functions[id(function)].add(node.value)

        def visit_Attribute(self, node):
            walk.visit(node.value, self)  # `x.cos` reads no name `cos`
            return False

        def visit_SimpleStatementLine(self, node):
            lines.append(node)

        def leave_SimpleStatementLine(self, node):
            lines.pop()

        visit_SimpleStatementSuite = visit_SimpleStatementLine
        leave_SimpleStatementSuite = leave_SimpleStatementLine

        def _where(self, statement):
            where = (lines[-1] if lines else None, functions[-1] if functions else None)
            layout.lines[id(statement)] = where
            return where

        def _add(self, statement, target, value, unpacked):
            if isinstance(target, cst.Attribute):
                line, function = self._where(statement)
                layout.sites.setdefault(target.attr.value, []).append(
                    StoreSite(target.attr.value, target, statement, value, unpacked, line, function))
            elif isinstance(target, (cst.Tuple, cst.List)):
                for element in target.elements:
                    self._add(statement, element.value, None, True)
            elif isinstance(target, cst.StarredElement):
                self._add(statement, target.value, None, True)

        def visit_Assign(self, node):
            self._where(node)
            for target in node.targets:
                self._add(node, target.target, node.value, False)

        def visit_AnnAssign(self, node):
            self._where(node)
            self._add(node, node.target, node.value, False)

        def visit_AugAssign(self, node):
            self._where(node)
            self._add(node, node.target, None, False)

    walk.visit(ctx.module, Stores())
    ctx.__dict__["_store_layout"] = layout
    return layout


def store_sites(ctx: "FileContext", name: str) -> list[StoreSite]:
    """Every store of an attribute called ``name`` in the file, in source order."""
    return _layout(ctx).sites.get(name, [])


def statement_place(ctx: "FileContext", statement: cst.BaseSmallStatement) -> tuple[Optional[Line], Optional[cst.FunctionDef]]:
    """The statement line (or one-line suite) an assignment sits on, and its function."""
    return _layout(ctx).lines.get(id(statement), (None, None))


def names_in(ctx: "FileContext", function: cst.FunctionDef) -> set[str]:
    """Every name the function (nested functions included) reads, binds or declares."""
    return _layout(ctx).functions.get(id(function), set())


def stored_value(ctx: "FileContext", site: StoreSite) -> Optional[Value]:
    """What ``site`` stores, evaluated with the locals of its function up to that point
    (its arguments known from their annotations or defaults only); None when the store is
    outside a function or the walk does not reach it."""
    if site.function is None:
        return None
    memo = ctx.__dict__.setdefault("_stored_values", {})
    key = id(site.function)
    if key not in memo:
        memo[key] = _walk_function(ctx, site.function)
    return memo[key].get(id(site.target))


def _walk_function(ctx: "FileContext", function: cst.FunctionDef) -> dict:
    from torchlint.analysis.construction import BlockWalker, parameter_values
    from torchlint.analysis.tensors import Evaluator, Host

    params = list(function.params.posonly_params) + list(function.params.params)
    found: dict = {}

    class Recorder(BlockWalker):
        def bind_target(self, target, value, statement):
            if isinstance(target, cst.Attribute):
                found[id(target)] = value
            super().bind_target(target, value, statement)

    walker = Recorder(Evaluator(ctx, Host(), parameter_values(ctx, function, params[1:], modules=False)))
    if not isinstance(function.body, cst.IndentedBlock) and not isinstance(function.body, cst.SimpleStatementSuite):
        return found
    walker.walk(function.body)
    return found
