"""What runs on every call: ``forward`` and the methods reached only from it.

Layers constructed there are rebuilt, with fresh random weights, on each call. The
exception is hand-written lazy initialisation: ``self.proj = nn.Linear(...)`` under an
``if`` that tests ``self.proj`` (``if self.proj is None:``), which runs once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Optional

import libcst as cst

from torchlint.analysis import known
from torchlint.analysis.construction import AttrAssign, RegisterCall
from torchlint.analysis.project import ClassRef, External
from torchlint.analysis.tensors import dotted
from torchlint.analysis.values import Kind

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo

ENTRY = "forward"


@dataclass
class LayerBuilt:
    call: cst.Call
    method: str
    what: str  # how the constructor is written, e.g. "nn.Linear"


def per_call_methods(info: "ClassInfo") -> list[str]:
    """``forward`` and the methods reached from it but not from construction."""
    if ENTRY not in info.methods:
        return []
    construction = info.construction.methods_walked
    reached, stack = [], [ENTRY]
    while stack:
        name = stack.pop()
        if name in reached or name in construction:
            continue
        reached.append(name)
        stack.extend(_self_calls(info, info.methods[name]))
    return reached


def _self_calls(info: "ClassInfo", method: cst.FunctionDef) -> list[str]:
    params = method.params.params
    self_name = params[0].name.value if params else "self"
    found: list[str] = []

    class Calls(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if isinstance(func, cst.Attribute) and dotted(func.value) == [self_name] and func.attr.value in info.methods:
                found.append(func.attr.value)

    method.body.visit(Calls())
    return found


def class_owns_parameters(info: "ClassInfo") -> bool:
    """A Module class of this file whose construction creates parameters or stateful layers."""
    for event in info.construction.events:
        if isinstance(event, AttrAssign):
            if event.value.kind is Kind.PARAMETER or (event.value.kind is Kind.MODULE and not event.value.stateless):
                return True
        elif isinstance(event, RegisterCall) and event.method in ("register_parameter", "add_module", "register_module"):
            if event.value is not None and event.value.kind in (Kind.PARAMETER, Kind.MODULE) and not event.value.stateless:
                return True
    return False


def layers_built_per_call(info: "ClassInfo") -> Iterator[LayerBuilt]:
    ctx = info.ctx
    classes = {other.name: other for other in ctx.module_classes}
    for name in per_call_methods(info):
        method = info.methods[name]
        params = method.params.params
        self_name = params[0].name.value if params else "self"
        collector = _Constructions(ctx, classes, self_name, info)
        method.body.visit(collector)
        for call, what in collector.found:
            yield LayerBuilt(call, name, what)


class _Constructions(cst.CSTVisitor):
    def __init__(self, ctx, classes: dict, self_name: str, owner: "ClassInfo"):
        self.ctx = ctx
        self.classes = classes
        self.self_name = self_name
        self.owner = owner
        self.tests: list[str] = []  # source of the enclosing `if` tests
        self.assigned_to: dict[int, str] = {}  # call id -> self attribute it is assigned to
        self.found: list[tuple[cst.Call, str]] = []

    def visit_If(self, node: cst.If) -> None:
        self.tests.append(self.ctx.module.code_for_node(node.test))

    def leave_If(self, original_node: cst.If) -> None:
        self.tests.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call):
            for target in node.targets:
                if isinstance(target.target, cst.Attribute) and dotted(target.target.value) == [self.self_name]:
                    self.assigned_to[id(node.value)] = target.target.attr.value

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested function is not run by this call

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> None:
        what = self._parameterised_constructor(node)
        if what is None:
            return
        attribute = self.assigned_to.get(id(node))
        if attribute is not None and any(attribute in test for test in self.tests):
            return  # lazy initialisation: built once, then registered
        self.found.append((node, what))

    def _parameterised_constructor(self, node: cst.Call) -> Optional[str]:
        resolved = self.ctx.resolve(node.func)
        shown = self.ctx.module.code_for_node(node.func)
        if isinstance(resolved, External):
            if resolved.dotted in known.PARAMETER_CONSTRUCTORS:
                return shown
            keywords = {a.keyword.value: self.ctx.module.code_for_node(a.value) for a in node.args if a.keyword}
            if known.owns_parameters(resolved.dotted, keywords):
                return shown
        elif isinstance(resolved, ClassRef) and resolved.path == self.ctx.path:
            other = self.classes.get(resolved.name)
            if other is not None and other is not self.owner and class_owns_parameters(other):
                return shown
        return None
