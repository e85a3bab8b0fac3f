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


class _Stores(walk.Visitor):
    """Collects the file's attribute stores, the statement line and function of each
    assignment, and the names each function uses."""

    def __init__(self, layout: _Layout):
        self.layout = layout
        self.functions: list[cst.FunctionDef] = []
        self.lines: list[Line] = []

    def visit_FunctionDef(self, node):
        self.functions.append(node)
        self.layout.functions[id(node)] = set()

    def leave_FunctionDef(self, node):
        self.functions.pop()

    def visit_Name(self, node):
        for function in self.functions:
            self.layout.functions[id(function)].add(node.value)

    def visit_Attribute(self, node):
        walk.visit(node.value, self)  # `x.cos` reads no name `cos`
        return False

    def visit_SimpleStatementLine(self, node):
        self.lines.append(node)

    def leave_SimpleStatementLine(self, node):
        self.lines.pop()

    visit_SimpleStatementSuite = visit_SimpleStatementLine
    leave_SimpleStatementSuite = leave_SimpleStatementLine

    def _where(self, statement):
        where = (self.lines[-1] if self.lines else None, self.functions[-1] if self.functions else None)
        self.layout.lines[id(statement)] = where
        return where

    def _add(self, statement, target, value, unpacked):
        if isinstance(target, cst.Attribute):
            line, function = self._where(statement)
            self.layout.sites.setdefault(target.attr.value, []).append(
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


def _layout(ctx: "FileContext") -> _Layout:
    memo = ctx.__dict__.get("_store_layout")
    if memo is not None:
        return memo
    layout = _Layout({}, {}, {})
    walk.visit(ctx.module, _Stores(layout))
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
    from torchlint.analysis.construction import parameter_values
    from torchlint.analysis.tensors import Evaluator, Host

    params = list(function.params.posonly_params) + list(function.params.params)
    walker = _recorder_class()(Evaluator(ctx, Host(), parameter_values(ctx, function, params[1:], modules=False)))
    if isinstance(function.body, (cst.IndentedBlock, cst.SimpleStatementSuite)):
        walker.walk(function.body)
    return walker.found


_RECORDER = None


def _recorder_class():
    """A BlockWalker that records the value bound to each attribute target (made once:
    construction imports this module, so the subclass is made on first use)."""
    global _RECORDER
    if _RECORDER is None:
        from torchlint.analysis.construction import BlockWalker

        class Recorder(BlockWalker):
            def __init__(self, evaluator):
                super().__init__(evaluator)
                self.found: dict = {}

            def bind_target(self, target, value, statement):
                if isinstance(target, cst.Attribute):
                    self.found[id(target)] = value
                super().bind_target(target, value, statement)

        _RECORDER = Recorder
    return _RECORDER
