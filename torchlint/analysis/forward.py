"""What runs on every call: ``forward`` and the methods reached only from it.

Layers constructed there are rebuilt, with fresh random weights, on each call. The
exception is hand-written lazy initialisation: ``self.proj = nn.Linear(...)`` under an
``if`` that tests ``self.proj`` (``if self.proj is None:``), which runs once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Optional

import libcst as cst

from torchlint.analysis import known, walk
from torchlint.analysis.construction import AttrAssign, RegisterCall
from torchlint.analysis.project import ClassRef, External
from torchlint.analysis.tensors import dotted
from torchlint.analysis.values import Kind, Value

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo

ENTRY = "forward"


@dataclass
class LayerBuilt:
    call: cst.Call
    method: str
    what: str  # how the constructor is written, e.g. "nn.Linear"


def _per_call_scans(info: "ClassInfo") -> dict[str, "_Constructions"]:
    """``forward`` and the methods reached from it but not from construction (depth
    first, in call order), each walked once: the calls of other methods it makes and the
    layers it constructs."""
    if ENTRY not in info.methods:
        return {}
    construction = info.construction.methods_walked
    classes = {other.name: other for other in info.ctx.module_classes}
    reached: dict[str, _Constructions] = {}
    stack = [ENTRY]
    while stack:
        name = stack.pop()
        if name in reached or name in construction:
            continue
        method = info.methods[name]
        params = method.params.params
        scan = _Constructions(info.ctx, classes, params[0].name.value if params else "self", info)
        walk.visit(method.body, scan)
        reached[name] = scan
        stack.extend(scan.self_calls)
    return reached


def class_owns_parameters(info: "ClassInfo", seen: Optional[set] = None) -> bool:
    """A Module class of this file whose construction creates parameters."""
    seen = seen if seen is not None else set()
    if info.name in seen:
        return False
    seen.add(info.name)
    for event in info.construction.events:
        value = event.value if isinstance(event, (AttrAssign, RegisterCall)) else None
        if value is not None and value_owns_parameters(info.ctx, value, seen):
            return True
    return False


def value_owns_parameters(ctx, value: Value, seen: Optional[set] = None) -> bool:
    """Is this value a Parameter, or a Module that owns parameters (a stateful loss
    with a weight buffer does not)?"""
    if value.kind is Kind.PARAMETER:
        return True
    if value.kind is Kind.CONTAINER:
        return any(value_owns_parameters(ctx, leaf, seen) for leaf in value.leaves())
    if value.kind is not Kind.MODULE or value.stateless:
        return False
    origin = value.origin
    if isinstance(origin, External):
        if origin.dotted.split(".")[-1] in known.CONTAINER_MODULES:
            return any(value_owns_parameters(ctx, part, seen) for part in value.parts)
        call = value.node
        return known.owns_parameters(origin.dotted, _keywords(ctx, call) if isinstance(call, cst.Call) else {})
    if isinstance(origin, ClassRef) and origin.path == ctx.path:
        other = next((c for c in ctx.module_classes if c.name == origin.name), None)
        return other is not None and class_owns_parameters(other, seen)
    return False


def layers_built_per_call(info: "ClassInfo") -> Iterator[LayerBuilt]:
    for name, scan in _per_call_scans(info).items():
        for call, what in scan.per_call(name):
            yield LayerBuilt(call, name, what)


class _Constructions(walk.Visitor):
    def __init__(self, ctx, classes: dict, self_name: str, owner: "ClassInfo"):
        self.ctx = ctx
        self.classes = classes
        self.self_name = self_name
        self.owner = owner
        self.conditions = 0  # depth of enclosing `if` statements
        self.stored_on_self: set[int] = set()  # calls whose result is assigned to self.<attr>
        self.local_of: dict[int, str] = {}  # call id -> local name it is assigned to
        self.locals_on_self: set[str] = set()  # locals later assigned to self.<attr>
        self.candidates: list[tuple[cst.Call, str, bool]] = []  # (call, shown, under an `if`)
        self.self_calls: list[str] = []  # methods of the class called, nested functions included
        self.nested = 0  # depth of nested functions and lambdas: not run by this call

    def visit_If(self, node: cst.If) -> None:
        self.conditions += 1

    def leave_If(self, original_node: cst.If) -> None:
        self.conditions -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.nested:
            return
        for target in node.targets:
            on_self = isinstance(target.target, cst.Attribute) and dotted(target.target.value) == [self.self_name]
            if on_self and isinstance(node.value, cst.Call):
                self.stored_on_self.add(id(node.value))
            elif on_self and isinstance(node.value, cst.Name):
                self.locals_on_self.add(node.value.value)
            elif isinstance(target.target, cst.Name) and isinstance(node.value, cst.Call):
                self.local_of[id(node.value)] = target.target.value

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.nested += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.nested -= 1

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.nested += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.nested -= 1

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and dotted(func.value) == [self.self_name] \
                and func.attr.value in self.owner.methods:
            self.self_calls.append(func.attr.value)
        if self.nested:
            return
        what = self._parameterised_constructor(node)
        if what is not None:
            self.candidates.append((node, what, self.conditions > 0))

    def per_call(self, method: str) -> list[tuple[cst.Call, str]]:
        """Constructions rebuilt on every call. One stored on ``self`` under a condition
        (``if self.proj is None:``) or in a helper (whose caller decides when) is a
        one-time, stateful update: lazy initialisation or a table extended on demand."""
        found = []
        for call, what, conditional in self.candidates:
            stored = id(call) in self.stored_on_self or self.local_of.get(id(call)) in self.locals_on_self
            if stored and (conditional or method != ENTRY):
                continue
            found.append((call, what))
        return found

    def _parameterised_constructor(self, node: cst.Call) -> Optional[str]:
        resolved = self.ctx.resolve(node.func)
        if isinstance(resolved, External):
            if resolved.dotted in known.PARAMETER_CONSTRUCTORS or (
                    resolved.dotted.startswith("torch.nn.") and known.owns_parameters(resolved.dotted, _keywords(self.ctx, node))):
                return self.ctx.module.code_for_node(node.func)
        elif isinstance(resolved, ClassRef) and resolved.path == self.ctx.path:
            other = self.classes.get(resolved.name)
            if other is not None and other is not self.owner and class_owns_parameters(other, {self.owner.name}):
                return self.ctx.module.code_for_node(node.func)
        elif isinstance(resolved, ClassRef):  # a user Module of another file
            index = self.ctx.index
            if index.is_module_class(resolved) and index.class_owns_parameters(resolved):
                return self.ctx.module.code_for_node(node.func)
        return None


def _keywords(ctx, call: cst.Call) -> dict[str, str]:
    """Keyword arguments as written: name -> source text."""
    return {a.keyword.value: ctx.module.code_for_node(a.value) for a in call.args if a.keyword}
