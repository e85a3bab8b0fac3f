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
from torchlint.analysis.construction import BlockWalker, parameter_values
from torchlint.analysis.tensors import Evaluator, Host
from torchlint.analysis.values import Kind, Value, join, unknown

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
    owner: Optional[str] = None  # the class whose method stores through its own `self` (None: another receiver)


@dataclass
class _Layout:
    sites: dict  # name -> [StoreSite]
    lines: dict  # id(small statement) -> (line, function)
    functions: dict  # id(function) -> the names it uses (every Name node but attributes', parameters included)
    bases: dict = None  # class name -> names of its bases written in the file (last dotted part)
    methods: dict = None  # id(function) -> (class name, self name) for a method defined in a class body
    class_methods: dict = None  # class name -> {method name: FunctionDef}


class _Stores(walk.Visitor):
    """Collects the layout (a module-level class: one defined per call would keep the
    syntax tree alive in a reference cycle until the collector runs)."""

    def __init__(self, layout: _Layout):
        self.layout = layout
        self.functions: list[cst.FunctionDef] = []
        self.lines: list[Line] = []
        self.scopes: list = []  # enclosing ClassDef / FunctionDef nodes

    def visit_ClassDef(self, node):
        bases = [arg.value for arg in node.bases]
        names = [b.attr.value if isinstance(b, cst.Attribute) else getattr(b, "value", None) for b in bases]
        self.layout.bases.setdefault(node.name.value, set()).update(n for n in names if isinstance(n, str))
        self.scopes.append(node)

    def leave_ClassDef(self, node):
        self.scopes.pop()

    def visit_FunctionDef(self, node):
        params = list(node.params.posonly_params) + list(node.params.params)
        if self.scopes and isinstance(self.scopes[-1], cst.ClassDef) and params and not any(
                isinstance(d.decorator, cst.Name) and d.decorator.value in ("staticmethod", "classmethod")
                for d in node.decorators):
            self.layout.methods[id(node)] = (self.scopes[-1].name.value, params[0].name.value)
            self.layout.class_methods.setdefault(self.scopes[-1].name.value, {}).setdefault(node.name.value, node)
        self.functions.append(node)
        self.scopes.append(node)
        self.layout.functions[id(node)] = set()

    def leave_FunctionDef(self, node):
        self.functions.pop()
        self.scopes.pop()

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
            owner, self_name = self.layout.methods.get(id(function), (None, None)) if function is not None \
                else (None, None)
            if not (isinstance(target.value, cst.Name) and target.value.value == self_name):
                owner = None
            self.layout.sites.setdefault(target.attr.value, []).append(
                StoreSite(target.attr.value, target, statement, value, unpacked, line, function, owner))
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
    layout = _Layout({}, {}, {}, {}, {}, {})
    walk.visit(ctx.module, _Stores(layout))
    ctx.__dict__["_store_layout"] = layout
    return layout


def store_sites(ctx: "FileContext", name: str) -> list[StoreSite]:
    """Every store of an attribute called ``name`` in the file, in source order."""
    return _layout(ctx).sites.get(name, [])


def related_classes(ctx: "FileContext", name: str) -> set[str]:
    """``name`` and the classes of the file it derives from or that derive from it (by
    the names written in their ``class`` lines): the classes whose methods' ``self`` may
    be an instance of ``name``."""
    bases = _layout(ctx).bases

    def ancestors(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for base in bases.get(todo.pop(), ()):
                if base not in seen:
                    seen.add(base)
                    todo.append(base)
        return seen

    up = ancestors(name)
    down = {other for other in bases if name in ancestors(other)}
    return {name} | up | down


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
    key = (id(site.function), site.name)
    if key not in memo:
        memo[key] = _walk_function(ctx, site.function, site.name).found
    return memo[key].get(id(site.target))


def _walk_function(ctx: "FileContext", function: cst.FunctionDef, name: str, depth: int = 0,
                   call: Optional[cst.Call] = None, args: Optional[list] = None) -> "_Recorder":
    """Walk ``function`` recording the value of every attribute store (``walker.found``)
    and what it returns (``walker.returns``); ``self.<name>`` reads as a tensor there (the
    buffer it would be: a tensor, or None, which fails any arithmetic) and ``self.m(...)``
    runs the class's method ``m`` (two calls deep at most)."""
    layout = _layout(ctx)
    owner, self_name = layout.methods.get(id(function), (None, None))
    params = list(function.params.posonly_params) + list(function.params.params)
    if self_name is not None:
        params = params[1:]
    host = _BufferHost(ctx, name, self_name, layout.class_methods.get(owner, {}) if owner else {}, depth)
    walker = _Recorder(Evaluator(ctx, host, parameter_values(ctx, function, params, call, args, modules=False)))
    walker.walk(function.body)
    return walker


class _Recorder(BlockWalker):
    """Walks a function in order, recording the value each attribute store gets."""

    def __init__(self, evaluator: Evaluator):
        super().__init__(evaluator)
        self.found: dict = {}

    def bind_target(self, target, value, statement):
        if isinstance(target, cst.Attribute):
            self.found[id(target)] = value
        super().bind_target(target, value, statement)

    def restore_merged(self, snapshots):
        # a name a number on one path and a tensor on another is no tensor here
        names = set().union(*snapshots)
        self.evaluator.locals = {n: join(s.get(n) for s in snapshots) for n in names}


class _BufferHost(Host):
    """``self.<name>`` is the buffer: a tensor; ``self.method(...)`` returns what the
    class's method returns."""

    def __init__(self, ctx: "FileContext", name: str, self_name: Optional[str], methods: dict, depth: int):
        self.ctx = ctx
        self.name = name
        self.self_name = self_name
        self.methods = methods
        self.depth = depth

    def self_attribute(self, attribute):
        return Value(Kind.TENSOR) if attribute == self.name else unknown()

    def self_call(self, method, call, evaluator):
        definition = self.methods.get(method)
        if definition is None or self.depth >= 2:
            return unknown()
        args = [evaluator.eval(arg.value) for arg in call.args]
        walker = _walk_function(self.ctx, definition, self.name, self.depth + 1, call, args)
        return join(walker.returns) if walker.returns else unknown()
