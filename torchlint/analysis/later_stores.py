"""Tensors a Module stores after construction, in a method its user calls, that ``forward`` reads.

Estimator-style Modules compute state in a method the user calls once, after
construction: ``fit(X)`` stores a fitted basis, ``calibrate(loader)`` a scale,
``set_protected(idx)`` a mask. ``forward`` then reads it as state. Stored as a plain
tensor, it is a plain attribute like any other: not in ``state_dict()``, not moved by a
parent's ``.to(device)``. The construction walk cannot see it (the method runs later), and
the per-call walk of ``forward`` must not count it (``forward``'s own stores are captures).

A store is kept when all of these hold:

- the method is not construction (``__init__`` and what it calls), not ``forward`` or a
  method reached from it (calls of ``self.<method>``, properties read), not named as a
  value anywhere in the file (a hook or callback may run it per call), not a dunder, a property, a static
  method or one of ``nn.Module``'s own (``to``, ``_apply``, ``load_state_dict``, ...);
- the value is a tensor the method makes (a torch factory, an operation that returns a
  tensor), walked with the construction machinery from the state construction left, so
  names registered there are known; an argument stored as it is, or merely moved or
  copied, is data handed in, not state the Module computes;
- ``forward`` (or what it reaches) reads ``self.<name>`` and never stores it;
- the class and its bases never register the name, do not take over ``__setattr__``, and
  do not move or save it by hand; and construction does not already store a plain tensor
  under it that TL001 (or TL004, TL011) reports: one defect, one finding.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator, Optional

import libcst as cst

from torchlint.analysis import walk
from torchlint.analysis.attributes import unregistered_tensor_assignments
from torchlint.analysis.construction import BUFFER, MAYBE_BUFFER, MODULE, PARAM, AttrAssign, Construction, ConstructionFacts
from torchlint.analysis.names import identifier
from torchlint.analysis.tensors import dotted
from torchlint.analysis.values import Kind

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo

ENTRY = "forward"
# nn.Module's own methods, and state hooks: what they store is torch's business or restoring state.
_MODULE_METHODS = frozenset(
    {
        "to", "cuda", "cpu", "half", "float", "double", "bfloat16", "type", "_apply", "apply", "to_empty",
        "train", "eval", "requires_grad_", "zero_grad", "state_dict", "load_state_dict", "_save_to_state_dict",
        "_load_from_state_dict", "set_extra_state", "get_extra_state", "extra_repr", "share_memory",
        "register_buffer", "register_parameter", "add_module", "register_module",
    }
)
_SKIPPED_DECORATORS = frozenset({"property", "cached_property", "setter", "getter", "deleter", "staticmethod",
                                 "classmethod"})


def tensors_stored_after_construction(info: "ClassInfo") -> Iterator[tuple[str, AttrAssign]]:
    """(method name, the store) for each name, at its first such store in class order.
    Cheap questions first: most classes have no method outside construction and forward
    that stores anything on ``self``, and then no other method body is walked."""
    if ENTRY not in info.methods:
        return
    candidates = {name: method for name, method in candidate_methods(info).items() if _may_store_state(method)}
    if not candidates:
        return
    candidates = {name: method for name, method in candidates.items() if not _named_as_value(info, name)}
    if not candidates:
        return
    reached = reached_from_forward(info)
    candidates = {name: method for name, method in candidates.items() if name not in reached}
    if not candidates:
        return
    reads, stores, moved_by_hand = _forward_uses(reached)
    wanted = reads - stores - moved_by_hand - info.registered_anywhere - info.handled_by_hand
    if not wanted:
        return
    storing = [(name, method) for name, method in candidates.items() if _stores_any(method, wanted)]
    if not storing or info.overrides_setattr:
        return
    # a name construction already stores a plain tensor under is TL001's (TL004's, TL011's) finding
    reported: set[str] = {event.name for event in unregistered_tensor_assignments(info, prior_parameter=True)}
    for method_name, method in storing:
        for event in _walked_stores(info, method):
            name = event.name
            if name in reported or name not in wanted or event.value.kind is not Kind.TENSOR:
                continue
            if event.prior_state in (PARAM, BUFFER, MODULE, MAYBE_BUFFER) or event.value.complex:
                continue
            if event.value.moved is not None:
                continue  # `Parameter(t).cpu()`: the Parameter itself where nothing is copied (TL011's kind)
            if _handed_in(event, method) or _placed_by_caller(event, method):
                continue
            reported.add(name)
            yield method_name, event


def candidate_methods(info: "ClassInfo") -> dict[str, cst.FunctionDef]:
    """Methods defined in the class that are not construction, forward, dunders, properties,
    static methods or nn.Module's own."""
    construction = info.construction.methods_walked
    found: dict[str, cst.FunctionDef] = {}
    for statement in info.node.body.body:
        if not isinstance(statement, cst.FunctionDef):
            continue
        name = statement.name.value
        if name in construction or name == ENTRY or name in _MODULE_METHODS:
            continue
        if name.startswith("__") and name.endswith("__"):
            continue
        if any((dotted(d.decorator) or [""])[-1] in _SKIPPED_DECORATORS for d in statement.decorators):
            continue
        if statement.params.params:
            found.setdefault(name, statement)
    return found


def method_self_name(method: cst.FunctionDef) -> Optional[str]:
    params = method.params.params
    return params[0].name.value if params else None


def self_attribute(node: cst.CSTNode, self_name: str) -> Optional[str]:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == self_name:
        return identifier(node.attr.value)
    return None


def _properties(info: "ClassInfo") -> dict[str, cst.FunctionDef]:
    getters = {}
    for statement in info.node.body.body:
        if isinstance(statement, cst.FunctionDef) and any(
                (dotted(d.decorator) or [""])[-1] in ("property", "cached_property") for d in statement.decorators):
            getters[statement.name.value] = statement
    return getters


def reached_from_forward(info: "ClassInfo") -> dict[str, cst.FunctionDef]:
    """``forward`` and the methods and property getters it reaches through ``self``."""
    properties = _properties(info)
    reached: dict[str, cst.FunctionDef] = {}
    stack = [(ENTRY, info.methods[ENTRY])]
    while stack:
        name, method = stack.pop()
        if name in reached:
            continue
        reached[name] = method
        self_name = method_self_name(method)
        if self_name is None:
            continue
        for node in walk.nodes(method.body):
            attribute = self_attribute(node, self_name)
            if attribute is None:
                continue
            if attribute in properties and attribute not in reached:
                stack.append((attribute, properties[attribute]))
            elif attribute in info.methods and attribute not in reached:
                stack.append((attribute, info.methods[attribute]))
    return reached


def _forward_uses(reached: dict[str, cst.FunctionDef]) -> tuple[set[str], set[str], set[str]]:
    """Names ``forward`` (with what it reaches) reads and stores on ``self``, and the names
    it reads only to move them by hand (``self.noise[t].to(x.device)``): the author places
    that tensor on every call."""
    reads: set[str] = set()
    stores: set[str] = set()
    moved: dict[str, bool] = {}
    for method in reached.values():
        self_name = method_self_name(method)
        if self_name is None:
            continue
        targets: set[int] = set()
        moved_reads = _moved_receivers(method, self_name)
        for node in walk.nodes(method.body):
            for target in _store_targets(node):
                name = self_attribute(target, self_name)
                if name is not None:
                    stores.add(name)
                    targets.add(id(target))
            if isinstance(node, cst.AugAssign):
                targets.discard(id(node.target))  # `self.n += 1` reads it too
            name = self_attribute(node, self_name)
            if name is not None and id(node) not in targets:
                reads.add(name)
                moved[name] = moved.get(name, True) and id(node) in moved_reads
    return reads, stores, {name for name, always in moved.items() if always}


_MOVE_METHODS = frozenset({"to", "cuda", "cpu", "type_as"})


def _moved_receivers(method: cst.FunctionDef, self_name: str) -> set[int]:
    """``self.<x>`` nodes at the root of a ``.to(...)``/``.cuda()`` chain
    (``self.x.to(d)``, ``self.x[i][t].to(d)``)."""
    found: set[int] = set()

    def roots(expression: cst.BaseExpression) -> None:
        if self_attribute(expression, self_name) is not None:
            found.add(id(expression))
        elif isinstance(expression, (cst.Subscript, cst.Attribute)):
            roots(expression.value)
        elif isinstance(expression, cst.Call):
            roots(expression.func)
        elif isinstance(expression, cst.IfExp):  # `(self.a[t] if c else self.b).to(d)`
            roots(expression.body)
            roots(expression.orelse)

    for node in walk.nodes(method.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _MOVE_METHODS:
            roots(node.func.value)
    return found


def _store_targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    if isinstance(node, cst.Assign):
        found = []
        for target in node.targets:
            found.extend(_unpacked(target.target))
        return found
    if isinstance(node, (cst.AnnAssign, cst.AugAssign)):
        return [node.target]
    return []


def _unpacked(target: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(target, (cst.Tuple, cst.List)):
        return [leaf for element in target.elements for leaf in _unpacked(element.value)]
    return [target]


def _named_as_value(info: "ClassInfo", name: str) -> bool:
    """Is the method named anywhere in the file other than where it is called or defined
    (``register_forward_hook(self._hook)``, ``partial(self.step, ...)``)? It may then run
    on every call. A look at the text: cheaper than a walk, and only ever more cautious."""
    return re.search(rf"\.{re.escape(name)}\b(?!\s*\()", info.ctx.source) is not None


def _may_store_state(method: cst.FunctionDef) -> bool:
    """Does the method store on ``self`` something it computes (not an argument as it is,
    not a literal), or call another method of the class, which may?"""
    self_name = method_self_name(method)
    if self_name is None:
        return False
    params = _parameter_names(method)
    for node in walk.nodes(method.body):
        if isinstance(node, cst.Call) and self_attribute(node.func, self_name) is not None:
            return True  # `self._refit(data)`: the walk follows it
        if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
            value = node.value
            if (isinstance(value, cst.Name) and (value.value in params or value.value in ("None", "True", "False"))) \
                    or isinstance(value, (cst.BaseNumber, cst.BaseString)):
                continue
            if any(self_attribute(target, self_name) is not None for target in _store_targets(node)):
                return True
    return False


def _parameter_names(method: cst.FunctionDef) -> set[str]:
    params = method.params
    return {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}


def _stores_any(method: cst.FunctionDef, names: set[str]) -> bool:
    """Does the method store ``self.<name>`` for a name of ``names``?"""
    self_name = method_self_name(method)
    return self_name is not None and any(
        self_attribute(target, self_name) in names
        for node in walk.nodes(method.body) if not isinstance(node, cst.AugAssign)
        for target in _store_targets(node)
    )


def _walked_stores(info: "ClassInfo", method: cst.FunctionDef) -> list[AttrAssign]:
    """The method's stores on ``self`` (and those of the class's methods it calls), each with
    the value the construction machinery gives it, starting from the state construction left."""
    walker = Construction(info.ctx, info)
    walker.run()
    walker.facts = ConstructionFacts()
    walker.walk_method(method)
    return walker.facts.assignments()


def _handed_in(event: AttrAssign, method: cst.FunctionDef) -> bool:
    """``self.x = x`` / ``self.x = x.to(device)`` / ``self.x = x.clone()``: an argument of the
    method stored as it is (moved or copied): data handed in, not state the Module computes."""
    statement = event.statement
    value = None
    if isinstance(statement, cst.Assign):
        value = statement.value
    elif isinstance(statement, cst.AnnAssign):
        value = statement.value
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
            value.func.attr.value in _COPYING_METHODS:
        value = value.func.value
    if not isinstance(value, cst.Name):
        return False
    params = method.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    return value.value in names


def _placed_by_caller(event: AttrAssign, method: cst.FunctionDef) -> bool:
    """The tensor is made with the method's ``device`` argument (``set_kv_cache(batch,
    device)`` -> ``build_mask_cache(n, device)``): the caller chooses where it lives."""
    params = method.params
    devices = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)
               if "device" in p.name.value}
    statement = event.statement
    value = getattr(statement, "value", None)
    if not devices or value is None:
        return False
    return any(isinstance(node, cst.Name) and node.value in devices for node in walk.nodes(value))


_COPYING_METHODS = frozenset({"to", "cuda", "cpu", "clone", "detach", "contiguous", "float", "double", "half",
                              "bfloat16", "type", "type_as"})
