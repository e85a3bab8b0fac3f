"""What an ``__init__`` argument holds, when the file can tell.

A Module's ``__init__`` arguments are values of unknown type to the construction walk.
The file's own calls of its classes can say more. They are found in one walk of the file
(``class_calls``), made only when a question below first needs it, and serve both:

- ``passed_kinds``: a tensor or a Module that some call passes directly
  (``Table(torch.ones(3))``, ``AutoEncoder(Encoder(8), Decoder(8))``); the construction
  walk starts ``__init__`` with that argument holding one (``parameter_values``);
- ``argument_value``: for the other arguments, the parameter's annotation
  (``encoder: nn.Module``, a project Module class, ``Optional[...]`` of one, is a
  submodule) or what every caller agrees on: ``Layer(..., storage)`` where every call of
  the class in the file passes a list literal (directly, or a local bound to one in the
  calling function) is a list; every caller passing a Module construction is a Module.

An argument nobody in the file passes, or that callers pass values of different or unknown
kinds, stays unknown: silence is the default.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

import libcst as cst

from torchlint.analysis import walk
from torchlint.analysis.project import ClassRef
from torchlint.analysis.tensors import Evaluator, Host, dotted
from torchlint.analysis.values import Kind, Value, unknown

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo, FileContext

# Kinds a caller's value may give an argument (others stay unknown here).
_TRUSTED = frozenset({Kind.CONTAINER, Kind.MODULE, Kind.ARRAY})


def init_parameters(init: cst.FunctionDef) -> list[cst.Param]:
    """``__init__``'s parameters after ``self``, positional first."""
    params = list(init.params.posonly_params) + list(init.params.params)
    return params[1:] + list(init.params.kwonly_params)


def argument_value(ctx: "FileContext", info: "ClassInfo", name: str, node: cst.CSTNode) -> Value:
    """The value of ``__init__``'s argument ``name`` of class ``info`` (unknown if unsure)."""
    cache = ctx.__dict__.setdefault("_argument_values", {})
    key = (info.name, id(info.node), name)
    if key not in cache:
        cache[key] = _argument_kind(ctx, info, name)
    kind, container = cache[key]
    if kind is None:
        return unknown()
    value = Value(kind, node, container=container, open=True)
    value.argument = True
    # a Module handed in may be the parent or a sibling (a back-reference): as in
    # parameter_values, a container holding it is not judged
    value.assumed = kind is Kind.MODULE
    return value


def _argument_kind(ctx: "FileContext", info: "ClassInfo", name: str) -> tuple[Optional[Kind], str]:
    init = info.methods.get("__init__")
    if init is None or not _kinds_matter(ctx, info, init):
        return None, ""
    params = init_parameters(init)
    param = next((p for p in params if p.name.value == name), None)
    if param is None:
        return None, ""
    if param.annotation is not None and _annotated_module(ctx, param.annotation.annotation):
        return (None, "") if constructs_with(init, name) else (Kind.MODULE, "")
    if param.annotation is not None:
        return None, ""  # annotated with something else: the annotation is the author's word
    positional = [p.name.value for p in list(init.params.posonly_params) + list(init.params.params)][1:]
    index = positional.index(name) if name in positional else None
    kinds = set()
    for call, function in _calls_of(ctx, info):
        if any(arg.star for arg in call.args):
            return None, ""
        passed = None
        for position, arg in enumerate(call.args):
            if (arg.keyword is not None and arg.keyword.value == name) or (arg.keyword is None and position == index):
                passed = arg.value
        if passed is None:
            continue  # the default: not the caller's value
        kinds.add(_kind_of(ctx, passed, function))
    if len(kinds) == 1:
        kind, container = next(iter(kinds))
        if kind in _TRUSTED:
            return kind, container
    return None, ""


def constructs_with(function: cst.FunctionDef, name: str) -> bool:
    """Does ``function`` call its argument ``name`` with keyword arguments or several
    positional ones (``block(inplanes, planes, stride=2)``)? Then the argument is a class
    or a factory, whatever its annotation says (``block: BaseModule`` for a block class),
    not a Module instance (whose call would take the input)."""
    class Calls(walk.Visitor):
        found = False

        def visit_Call(self, call: cst.Call) -> None:
            if isinstance(call.func, cst.Name) and call.func.value == name \
                    and (len(call.args) > 1 or any(arg.keyword is not None for arg in call.args)):
                self.found = True

    calls = Calls()
    walk.visit(function.body, calls)
    return calls.found


def _kinds_matter(ctx: "FileContext", info: "ClassInfo", init: cst.FunctionDef) -> bool:
    """Only a store before the super call (TL002) or a registration (TL010) asks what an
    argument holds: a class with neither skips the caller walk (speed)."""
    from torchlint.analysis.construction import _starts_with_init_call

    cache = ctx.__dict__.setdefault("_argument_kinds_matter", {})
    key = (info.name, id(info.node))
    if key not in cache:
        own = ctx.indexed_facts(info)
        cache[key] = not _starts_with_init_call(init) or own is None or bool(own.registered_names) \
            or own.computed_buffer_names
    return cache[key]


def _annotated_module(ctx: "FileContext", annotation: cst.BaseExpression) -> bool:
    """``nn.Module``, a Module class, ``Optional[<one>]`` or ``<one> | None`` (the one test
    construction also uses; imported here, since construction imports this module)."""
    from torchlint.analysis.construction import is_module_annotation

    return is_module_annotation(ctx, annotation)


def _calls_of(ctx: "FileContext", info: "ClassInfo") -> list[tuple[cst.Call, Optional[cst.FunctionDef]]]:
    """Calls in the file that construct the class, with the function each is in."""
    if ctx.source.count(f"{info.name}(") <= ctx.source.count(f"class {info.name}("):
        return []  # never called in this file (the common case): no walk
    own = ClassRef(ctx.path, info.name)
    return [(call, function) for call, function in class_calls(ctx).get(info.name, ())
            if ctx.resolve(call.func) == own]


def class_calls(ctx: "FileContext") -> dict[str, list[tuple[cst.Call, Optional[cst.FunctionDef]]]]:
    """Every call in the file of a name one of its classes has (``Layer(...)``,
    ``blocks.Layer(...)``), by that name, in source order, each with the function it is
    in: the one walk of the file that both questions about arguments share, made when
    one of them first needs it."""
    return _class_calls(ctx).found


def _class_calls(ctx: "FileContext") -> "_ClassCalls":
    collector = ctx.__dict__.get("_class_calls")
    if collector is None:
        collector = ctx.__dict__["_class_calls"] = _ClassCalls({info.name for info in ctx.classes})
        walk.visit(ctx.module, collector)
    return collector


class _ClassCalls(walk.Visitor):
    def __init__(self, names: set[str]):
        self.names = names
        self.found: dict[str, list] = {}
        self.ordered: list[cst.Call] = []  # all of them, in source order
        self.functions: list[cst.FunctionDef] = []

    def visit_FunctionDef(self, node):
        self.functions.append(node)

    def leave_FunctionDef(self, node):
        self.functions.pop()

    def visit_Call(self, node):
        func = node.func
        name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None
        if name in self.names and dotted(func):
            self.found.setdefault(name, []).append((node, self.functions[-1] if self.functions else None))
            self.ordered.append(node)


def passed_kinds(ctx: "FileContext", name: str) -> Optional[dict]:
    """The arguments the file's own code passes a tensor or a Module to when it calls the
    Module class ``name`` directly: {position (after ``self``) or keyword: kind}. Only what a
    call shows (``Table(torch.ones(3))``, ``AutoEncoder(Encoder(8), Decoder(8))``); the
    calls are looked at only when a line calls one of the file's Module classes with such
    an argument."""
    passed = ctx.__dict__.get("_passed_kinds")
    if passed is None:
        passed = ctx.__dict__["_passed_kinds"] = _passed_kinds(ctx)
    return passed.get(name)


def _passed_kinds(ctx: "FileContext") -> dict[str, dict]:
    names = {info.name for info in ctx.module_classes}
    source = ctx.source
    if not any(name + "(" in source for name in names):
        return {}
    torch_names = [n for n, t in (ctx.facts.imports.items() if ctx.facts else ()) if t.dotted.split(".")[0] == "torch"]
    makers = re.compile(r"\b[A-Z]\w*\(" + "".join(r"|\b%s\b" % re.escape(n) for n in torch_names))
    for match in re.finditer(r"(?<!class )\b(?:%s)\(" % "|".join(map(re.escape, names)), source):
        end = source.find("\n", match.end())
        if makers.search(source, match.end(), end if end >= 0 else len(source)):
            break
    else:
        return {}  # no line calls one of the classes with torch or a class call among its arguments
    found: dict[str, dict] = {}
    for call in _class_calls(ctx).ordered:
        if not (isinstance(call.func, cst.Name) and call.func.value in names):
            continue
        evaluator = Evaluator(ctx, Host())
        positional = 0
        for arg in call.args:
            if arg.star:
                break
            value = evaluator.eval(arg.value)
            key = arg.keyword.value if arg.keyword is not None else positional
            positional += arg.keyword is None
            if value.kind in (Kind.TENSOR, Kind.MODULE):
                kinds = found.setdefault(call.func.value, {})
                kinds[key] = value.kind if kinds.get(key, value.kind) is value.kind else Kind.UNKNOWN
    return found


def _kind_of(ctx: "FileContext", node: cst.BaseExpression, function: Optional[cst.FunctionDef],
             follow: bool = True) -> tuple[Optional[Kind], str]:
    if isinstance(node, cst.Name) and follow:
        bound = _bindings(function, node.value) if function is not None else None
        if not bound:
            return None, ""
        kinds = {_kind_of(ctx, value, function, follow=False) for value in bound}
        return next(iter(kinds)) if len(kinds) == 1 else (None, "")
    if isinstance(node, cst.Name):
        return None, ""
    value = Evaluator(ctx, Host(), {}).eval(node)
    if value.kind in _TRUSTED:
        return value.kind, value.container
    return None, ""


def _bindings(function: cst.FunctionDef, name: str) -> Optional[list[cst.BaseExpression]]:
    """Every value ``name = <value>`` binds in ``function`` (None if also bound otherwise:
    a parameter, a loop target, an augmented assignment, ...)."""
    if any(p.name.value == name for p in _all_params(function)):
        return None
    values: list[cst.BaseExpression] = []
    other = False

    class Finder(walk.Visitor):
        def visit_FunctionDef(self, node):
            return node is function  # nested functions have their own names

        def visit_Assign(self, node):
            nonlocal other
            for target in node.targets:
                if isinstance(target.target, cst.Name) and target.target.value == name:
                    if len(node.targets) == 1:
                        values.append(node.value)
                    else:
                        other = True
                elif _binds(target.target, name):
                    other = True

        def visit_AugAssign(self, node):
            nonlocal other
            if isinstance(node.target, cst.Name) and node.target.value == name:
                other = True

        def visit_AnnAssign(self, node):
            if isinstance(node.target, cst.Name) and node.target.value == name:
                if node.value is None:
                    return
                values.append(node.value)

        def visit_For(self, node):
            nonlocal other
            if _binds(node.target, name):
                other = True

        def visit_NamedExpr(self, node):
            nonlocal other
            if _binds(node.target, name):
                other = True

        def visit_WithItem(self, node):
            nonlocal other
            if node.asname is not None and _binds(node.asname.name, name):
                other = True

    walk.visit(function, Finder())
    return None if other else values


def _binds(target: cst.BaseExpression, name: str) -> bool:
    if isinstance(target, cst.Name):
        return target.value == name
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_binds(e.value, name) for e in target.elements)
    if isinstance(target, cst.StarredElement):
        return _binds(target.value, name)
    return False


def _all_params(function: cst.FunctionDef) -> list[cst.Param]:
    p = function.params
    params = list(p.posonly_params) + list(p.params) + list(p.kwonly_params)
    if isinstance(p.star_arg, cst.Param):
        params.append(p.star_arg)
    if p.star_kwarg is not None:
        params.append(p.star_kwarg)
    return params
