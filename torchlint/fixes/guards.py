"""When a fix that registers an attribute would break the program, it is not offered.

``self.x = t`` -> ``register_buffer("x", t)`` (or ``nn.Parameter``) is wrong when
torch would refuse the name (a class attribute, a Module method, a name already set),
when other code stores a non-tensor under that name later (``m.grid = [...]``: a
buffer only takes tensors or None), and, for a non-persistent buffer, in
``torch.jit.ScriptModule`` subclasses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from torchlint.analysis import known, walk
from torchlint.analysis.construction import AttrAssign, AttrDelete, RegisterCall
from torchlint.analysis.project import External
from torchlint.analysis.stores import related_classes, store_sites, stored_value
from torchlint.analysis.tensors import Evaluator, Host
from torchlint.analysis.values import REGISTERING, Kind

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo, FileContext

_TENSOR_OR_NONE = frozenset({Kind.TENSOR, Kind.NONE, Kind.BUFFER, Kind.PARAMETER})


def _moved_by_hand(value, name: str) -> bool:
    """``self.x = self.x.to(x.device)`` (also ``self.x[:n].float()``): the attribute itself,
    passed through tensor methods that return a tensor, stored back. It stays a tensor (and
    a buffer stays a buffer): the classic symptom of the bug, not a reason to refuse."""
    import libcst as cst

    moved = False
    while True:
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            method = value.func.attr.value
            if method in known.NON_TENSOR_METHODS or method.startswith("_") or method.endswith("_"):
                return False
            value, moved = value.func.value, True
        elif isinstance(value, cst.Subscript):
            value = value.value
        elif isinstance(value, cst.Attribute):
            return moved and value.attr.value == name and isinstance(value.value, cst.Name) and value.value.value == "self"
        else:
            return False


def _arms(value) -> list:
    """The values a conditional expression may take (nested ones flattened)."""
    if isinstance(value, cst.IfExp):
        return _arms(value.body) + _arms(value.orelse)
    return [value]


def _detached(value) -> bool:
    """``x.detach()``: only a tensor has that method (a Module, a NumPy array, a number
    have none), and it returns a tensor."""
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "detach"


def can_register(ctx: "FileContext", info: "ClassInfo", event: AttrAssign, buffer: bool = False,
                 persistent: bool = False) -> bool:
    """May the fix register ``event``'s attribute (as a buffer with ``buffer``, else as a
    Parameter)? A buffer's other stores are judged with their function's locals (a
    Parameter name also refuses plain tensors, so that judgement stays coarse there).
    With ``persistent`` the buffer is a persistent one, which a ``torch.jit.ScriptModule``
    takes too."""
    if event.prior_state is not None:
        return False  # torch: KeyError "attribute ... already exists"
    return name_can_hold_buffer(ctx, info, event.name, event.target, with_locals=buffer, persistent=persistent)


def name_can_hold_buffer(ctx: "FileContext", info: "ClassInfo", name: str, registered_target=None,
                         with_locals: bool = False, persistent: bool = False) -> bool:
    """Could ``name`` be a buffer for the class's whole life: a name torch accepts, in a
    class that takes non-persistent buffers (any buffer, with ``persistent``), and every
    store of it (other than ``registered_target``, the one the fix turns into the
    registration) a tensor or None?"""
    if not _name_accepted(ctx, info, name, persistent):
        return False
    return non_tensor_store(ctx, name, registered_target, with_locals, info.name if with_locals else None) is None


def is_script_module(ctx: "FileContext", info: "ClassInfo") -> bool:
    """Does the class derive from ``torch.jit.ScriptModule`` (directly, by its bases' names)?
    Its buffers must be persistent: it raises ``RuntimeError: ScriptModule does not
    support non-persistent buffers``."""
    return bool(ctx.facts) and any(
        isinstance(base, External) and base.dotted.startswith("torch.jit.")
        for base in (ctx.index.resolve(ctx.facts, parts) for parts in info.base_parts))


def _name_accepted(ctx: "FileContext", info: "ClassInfo", name: str, persistent: bool = False) -> bool:
    if name in info.class_attributes or name in known.MODULE_ATTRIBUTES:
        return False  # torch: KeyError "attribute ... already exists"
    if not persistent and is_script_module(ctx, info):
        return False  # ScriptModule: no non-persistent buffers
    return True


def unseen_blockers(ctx: "FileContext", info: "ClassInfo", event: AttrAssign) -> list:
    """When the only thing that keeps ``event``'s attribute from being a buffer is other
    stores of values nothing says are tensors (:func:`unseen_stores`), those stores; else
    empty. A fix registering it anyway is unsafe and must name them."""
    if event.prior_state is not None or not _name_accepted(ctx, info, event.name):
        return []
    return unseen_stores(ctx, event.name, event.target, info.name)


def non_tensor_store(ctx: "FileContext", name: str, registered_target=None, with_locals: bool = False,
                     owner: "str | None" = None):
    """The first store of ``name`` in the file (other than ``registered_target``) that may
    put something other than a tensor or None there (``Module.__setattr__`` raises
    ``TypeError`` on a buffer's name then), as a :class:`StoreSite`; None when there is none.
    With ``with_locals``, a store whose value alone says nothing is evaluated with the
    locals of its function (``h = x.detach(); self.h = h``), and an augmented assignment
    (``self.n += 1``: the tensor's own operator) keeps a tensor a tensor. With ``owner``
    (a class name), a store through ``self`` in a method of a class unrelated to it (not
    the class, a base or a subclass in the file) is another object's attribute."""
    for site, _ in _blocking_stores(ctx, name, registered_target, with_locals, owner):
        return site
    return None


def unseen_stores(ctx: "FileContext", name: str, registered_target=None, owner: "str | None" = None) -> list:
    """The stores of ``name`` that block a buffer only because what they store cannot be
    seen (an argument of unknown type, the result of an imported function, a store to
    another object), in source order; empty when there is none or when one of the
    blocking stores is known not to be a tensor (a number, a list, a Module, a value
    checked with ``isinstance`` in its function: ``if isinstance(fc, float): self.fc = fc``)."""
    sites = []
    for site, unseen in _blocking_stores(ctx, name, registered_target, True, owner):
        if not unseen:
            return []
        sites.append(site)
    return sites


def _blocking_stores(ctx, name, registered_target, with_locals, owner):
    """``(site, unseen)`` for each store that may put a non-tensor under ``name``; ``unseen``
    when nothing says what the value is."""
    related = related_classes(ctx, owner) if owner is not None else None
    evaluator = Evaluator(ctx, Host())
    # what the construction walk already evaluated in place (locals included)
    known_tensors = {id(e.target) for other in ctx.module_classes
                     for e in other.construction.assignments() if e.name == name and e.value.kind in _TENSOR_OR_NONE}
    for site in store_sites(ctx, name):
        if site.target is registered_target or id(site.target) in known_tensors:
            continue
        if with_locals and isinstance(site.statement, cst.AugAssign):
            continue
        if related is not None and site.owner is not None and site.owner not in related:
            continue
        value = site.value
        if with_locals and isinstance(value, cst.IfExp):
            # `t if c else 0`: a tensor on one arm only is no tensor store (each arm must be one)
            kinds = []
            for arm in _arms(value):
                kind = evaluator.eval(arm).kind
                kinds.append(Kind.TENSOR if kind in _TENSOR_OR_NONE or _moved_by_hand(arm, name) or _detached(arm)
                             else kind)
            if all(kind is Kind.TENSOR for kind in kinds):
                continue
            yield site, all(kind in (Kind.TENSOR, Kind.UNKNOWN) for kind in kinds) and not _type_checked(site)
            continue
        seen = evaluator.eval(value).kind if value is not None else Kind.UNKNOWN
        if value is not None and (seen in _TENSOR_OR_NONE or _moved_by_hand(value, name)):
            continue
        stored = None
        if with_locals:
            stored = stored_value(ctx, site)
            if (stored is not None and stored.kind in _TENSOR_OR_NONE) or _detached(value):
                continue
        unseen = seen is Kind.UNKNOWN and value is not None and (stored is None or _unseen(stored))
        yield site, unseen and not _type_checked(site)  # some code stores a non-tensor (or something unknown) there


def _unseen(value, depth: int = 0) -> bool:
    """Is ``value`` of unknown kind, with no path known to hold a non-tensor (``h = 0``
    on one path and a tensor on another is a number sometimes, not an unknown)?"""
    if value.kind is not Kind.UNKNOWN:
        return value.kind in _TENSOR_OR_NONE and depth > 0
    return depth < 4 and all(_unseen(alias, depth + 1) for alias in value.aliases or ())


def _type_checked(site) -> bool:
    """Does the function of ``site`` ask ``isinstance``/``type`` of a name its value reads
    (``if isinstance(fc, float): self.fc = fc``)? Then the value may well be no tensor."""
    if site.function is None:
        return False
    checks = _TypeChecks()
    walk.visit(site.function, checks)
    return bool((_names_read(site.value) & checks.names) - {"self", "cls"})  # `isinstance(self.m, X)` asks of m


class _Names(walk.Visitor):
    """Names an expression reads (not attribute names: ``a.b`` reads ``a``). Module-level
    classes: the walker keeps its plans on the visitor class."""

    def __init__(self):
        self.names: set = set()

    def visit_Name(self, name: cst.Name) -> None:
        self.names.add(name.value)

    def visit_Attribute(self, attribute: cst.Attribute) -> bool:
        walk.visit(attribute.value, self)
        return False


class _TypeChecks(walk.Visitor):
    """Names whose type a function asks: ``isinstance(x, ...)``, ``type(x)``."""

    def __init__(self):
        self.names: set = set()

    def visit_Call(self, call: cst.Call) -> None:
        if isinstance(call.func, cst.Name) and call.func.value in ("isinstance", "type") and call.args:
            self.names |= _names_read(call.args[0].value)


def _names_read(node) -> set:
    if node is None:
        return set()
    names = _Names()
    walk.visit(node, names)
    return names.names


def first_set_to_none(info: "ClassInfo", event: AttrAssign):
    """``self.pe = None`` earlier in construction, the only store of the name before this
    one (``self.pe = None; self.extend_pe(n)`` with ``extend_pe`` storing the tensor):
    registering None there makes every later store of a tensor go into the buffer. The
    earlier event, or None."""
    from torchlint.analysis.attributes import single_assignment

    earlier = [e for e in info.construction.assignments() if e.name == event.name and e.seq < event.seq]
    if not earlier or any(isinstance(e, RegisterCall) and e.name == event.name for e in info.construction.events):
        return None
    first = earlier[0]
    if any(not _moved_by_hand(getattr(e.statement, "value", None), event.name) for e in earlier[1:]):
        return None  # only `self.pe = self.pe.to(x.device)` may come between: it stays a tensor (or None)
    if first.value.kind is not Kind.NONE or first.before_super or single_assignment(first) is None:
        return None
    if info.construction.paths.get(first.seq):
        return None  # inside a branch: it may not run
    return first


def may_be_registered_elsewhere(info: "ClassInfo", name: str, store: "AttrAssign | None" = None) -> bool:
    """Could ``name`` be a registered buffer when this store runs: registered by another
    method of the class or a base class, or covered by a registration under a computed
    name (``for k in names: self.register_buffer(k, None)``)? A store to a buffer lands in
    ``_buffers`` and is saved: registering it again, non-persistent, would silently drop
    it from ``state_dict()``. A name seen registered only as a Parameter or submodule (on
    another branch) is not a buffer. A computed name does not cover ``name`` when it is a
    loop variable over literal names that do not include it, or (given ``store``, a first
    store of the name that is a statement of ``__init__`` itself) when it is registered
    only after that store: torch raises ``KeyError: "attribute ... already exists"``
    registering a name that holds a plain attribute, so in a program that runs the
    registration never took that name."""
    events = info.construction.events
    if any(isinstance(e, RegisterCall) and e.name is None and e.method == "register_buffer"
           and name.startswith(_literal_prefix(e.name_node)) and name in _computed_names(info, e, name)
           and not _registered_after(info, e, store) for e in events):
        return True
    if name not in info.registered_anywhere:
        return False
    kinds = set()
    for event in events:
        if isinstance(event, RegisterCall) and event.name == name:
            kinds.add(Kind.BUFFER if event.method == "register_buffer" else Kind.MODULE)
        elif isinstance(event, AttrAssign) and event.name == name and event.value.kind in REGISTERING:
            kinds.add(event.value.kind)
    return not kinds or Kind.BUFFER in kinds


def _computed_names(info: "ClassInfo", registration: RegisterCall, name: str):
    """The names a computed registration may take: for ``for k in ("mean", "var"):
    self.register_buffer(k, ...)`` (the loop in the class, ``k`` not rebound in its body)
    those literals; else a set that holds any name (``{name}``)."""
    node = registration.name_node
    if not isinstance(node, cst.Name):
        return {name}
    call = registration.call
    loops: list[cst.For] = []

    class Loops(walk.Visitor):
        def __init__(self):
            self.stack: list[cst.For] = []

        def visit_For(self, loop):
            self.stack.append(loop)

        def leave_For(self, loop):
            self.stack.pop()

        def visit_Call(self, found):
            if found is call:
                loops.extend(self.stack)

    walk.visit(info.node, Loops())
    for loop in reversed(loops):  # the innermost loop binding the name decides
        if isinstance(loop.target, cst.Name) and loop.target.value == node.value:
            if not isinstance(loop.iter, (cst.Tuple, cst.List)) or _binds(loop.body, node.value):
                return {name}
            values = [e.value for e in loop.iter.elements]
            if not values or not all(isinstance(v, cst.SimpleString) and isinstance(v.evaluated_value, str)
                                     for v in values):
                return {name}
            return {v.evaluated_value for v in values}
        if _binds(loop.target, node.value):
            return {name}
    return {name}


def _binds(node, name: str) -> bool:
    """Does ``node`` bind ``name`` (an assignment, augmented or annotated, a loop or
    ``with`` target, a walrus)?"""
    found = False

    class Binds(walk.Visitor):
        def visit_Name(self, n):
            nonlocal found
            found = found or n.value == name

        def visit_Attribute(self, n):
            return False

        def visit_Subscript(self, n):
            return False

    class Targets(walk.Visitor):
        def visit_AssignTarget(self, t):
            walk.visit(t.target, Binds())

        def visit_AugAssign(self, t):
            walk.visit(t.target, Binds())

        def visit_AnnAssign(self, t):
            walk.visit(t.target, Binds())

        def visit_For(self, t):
            walk.visit(t.target, Binds())

        def visit_AsName(self, t):
            walk.visit(t.name, Binds())

        def visit_NamedExpr(self, t):
            walk.visit(t.target, Binds())

        def visit_CompFor(self, t):
            walk.visit(t.target, Binds())

    # a Name as the whole node (a loop target)
    if isinstance(node, (cst.Name, cst.Tuple, cst.List, cst.StarredElement)):
        walk.visit(node, Binds())
        return found
    walk.visit(node, Targets())
    return found


def _registered_after(info: "ClassInfo", registration: RegisterCall, store) -> bool:
    """Does the computed ``registration`` run only after ``store`` (the first store of its
    name, a statement of ``__init__`` itself, never deleted in between)? Then a
    registration under the stored name would have raised ``KeyError`` in the original."""
    if store is None or store.prior_state is not None or store.before_super or registration.seq <= store.seq:
        return False
    if info.construction.paths.get(store.seq):
        return False
    init = info.methods.get("__init__")
    if init is None or not isinstance(init.body, cst.IndentedBlock) or store.statement is None:
        return False
    if not any(_contains(statement, store.target) and isinstance(statement, cst.SimpleStatementLine)
               for statement in init.body.body):
        return False  # in a loop, a `with`, a helper: it may run again after the registration
    if any(isinstance(e, AttrDelete) and e.name == store.name for e in info.construction.events):
        return False
    source = info.ctx.source_of(info.node)
    if any(word in source for word in ("__dict__", "vars(", "delattr", "__delattr__")):
        return False  # `self.__dict__.pop(name)`, `delattr(self, name)` free the name again
    return True


def _contains(outer, inner) -> bool:
    found = False

    class Find(walk.Visitor):
        def visit_Attribute(self, node):
            nonlocal found
            found = found or node is inner

    walk.visit(outer, Find())
    return found


def _literal_prefix(node) -> str:
    """The fixed start of a computed name: ``f"harmonics_{j}"`` and ``"h_" + str(j)`` start
    with ``harmonics_`` / ``h_``; a bare variable has none (it may be any name)."""
    import libcst as cst

    if isinstance(node, cst.FormattedString):
        prefix = ""
        for part in node.parts:
            if not isinstance(part, cst.FormattedStringText):
                break
            prefix += part.value
        return prefix
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _literal_prefix(node.left)
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else ""
    return ""
