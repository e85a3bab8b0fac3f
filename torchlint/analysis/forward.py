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
from torchlint.analysis.tensors import dotted, literal_string
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
    layers it constructs. A cheap look (which methods each calls, whether it constructs
    anything with parameters) comes first: when none of them does, there is nothing to
    report and the full scan, which follows where every value goes, is skipped."""
    if ENTRY not in info.methods:
        return {}
    construction = info.construction.methods_walked
    classes = {other.name: other for other in info.ctx.module_classes}
    reached = _reached(info, classes, construction, _Look)
    if not any(look.constructs for look in reached.values()):
        return {}
    return _reached(info, classes, construction, _Constructions)


def _reached(info: "ClassInfo", classes: dict, construction: set, scanner: type) -> dict:
    """``forward`` and the methods it reaches outside construction, each walked once with
    a ``scanner`` (which lists the methods it calls in ``self_calls``)."""
    reached: dict = {}
    stack = [ENTRY]
    while stack:
        name = stack.pop()
        if name in reached or name in construction:
            continue
        method = info.methods[name]
        params = method.params.params
        scan = scanner(info.ctx, classes, params[0].name.value if params else "self", info)
        scan.method_body = method.body
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
    scans = _per_call_scans(info)
    # `self.proj = self._make_proj(x)`: how callers use what a helper returns
    stored_results: dict[str, bool] = {}  # method -> some caller stores its result once (lazily)
    for caller, scan in scans.items():
        for method, stored, conditional in scan.self_call_sites:
            if stored and (conditional or caller != ENTRY):
                stored_results[method] = True
    assigned = {event.name for event in info.construction.assignments()}
    for name in scans:
        if _caches_result_on_self(info.methods[name], assigned):
            stored_results[name] = True
    for name, scan in scans.items():
        for call, what in scan.per_call(name, stored_results.get(name, False)):
            yield LayerBuilt(call, name, what)


def _caches_result_on_self(method: cst.FunctionDef, attributes: set) -> bool:
    """A decorator that names an attribute of the module (``@singleton("projector")``
    with ``self.projector = None`` in ``__init__``): it builds the result once and keeps
    it there, like a hand-written ``if self.projector is None:``."""
    for decorator in method.decorators:
        call = decorator.decorator
        if isinstance(call, cst.Call) and any(literal_string(arg.value) in attributes for arg in call.args):
            return True
    return False


# Calls that register their argument on the module they are called on.
_REGISTERING_METHODS = frozenset({"add_module", "register_module", "register_parameter", "register_buffer"})
# Methods of a registered container that register what they are given (ModuleList/ModuleDict/ParameterList).
_CONTAINER_STORES = frozenset({"append", "extend", "insert", "update", "add_module"})
_LOCAL_STORES = frozenset({"append", "extend", "insert", "update", "add"})
# Calls that make a fresh tensor (an `nn.Parameter` of one is a new, untrained weight).
_FRESH_TENSORS = frozenset(
    "torch." + name for name in """
    zeros ones empty full rand randn randint randperm arange linspace logspace eye tensor as_tensor
    from_numpy zeros_like ones_like empty_like full_like rand_like randn_like randint_like normal
    Tensor FloatTensor DoubleTensor HalfTensor LongTensor
    """.split()
)
_SELF, _LOCAL, _RETURN, _OPTIMIZER, _SELF_CALL = "self", "local", "return", "optimizer", "self-call"


class _Look(walk.Visitor):
    """The cheap first look at a per-call method: the methods of the class it calls (as
    ``_Constructions`` lists them, nested functions included) and whether it constructs
    anything with parameters outside nested functions (the only calls it could report)."""

    def __init__(self, ctx, classes: dict, self_name: str, owner: "ClassInfo"):
        self.ctx = ctx
        self.classes = classes
        self.self_name = self_name
        self.owner = owner
        self.self_calls: list[str] = []
        self.constructs = False
        self.nested = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.nested += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.nested -= 1

    visit_Lambda, leave_Lambda = visit_FunctionDef, leave_FunctionDef

    def visit_AnnAssign(self, node: cst.AnnAssign) -> Optional[bool]:
        if self.nested or node.value is None:
            return None
        walk.visit(node.value, self)  # the full scan walks only the value
        return False

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.owner.methods \
                and dotted(func.value) == [self.self_name]:
            self.self_calls.append(func.attr.value)
        if not self.nested and not self.constructs:
            self.constructs = parameterised_constructor(self.ctx, self.classes, self.owner, node) is not None


class _Constructions(walk.Visitor):
    """One per-call method: the parameterised constructions it makes and where each one
    goes: stored on ``self`` (an attribute, ``add_module``/``setattr``, a registered
    container's ``append`` or item), into a local (followed through later uses),
    returned, or handed to an optimizer made in the same method."""

    def __init__(self, ctx, classes: dict, self_name: str, owner: "ClassInfo"):
        self.ctx = ctx
        self.classes = classes
        self.self_name = self_name
        self.owner = owner
        self.conditions = 0  # depth of enclosing `if` statements that may be lazy set-up (`_settles`)
        self._settling: list[bool] = []
        self.method_body: Optional[cst.BaseSuite] = None  # the method walked (set by `_reached`)
        self._stores: Optional[_Stores] = None
        self._known: Optional[set[str]] = None
        self.guarded = False  # after `if <test of self>: return`: the rest runs conditionally
        self.context: list[tuple[str, Optional[str]]] = []  # where the expression being walked goes
        self.candidates: list[tuple[cst.Call, str, bool, tuple]] = []  # (call, shown, conditional, context)
        self.self_calls: list[str] = []  # methods of the class called, nested functions included
        self.self_call_sites: list[tuple[str, bool, bool]] = []  # (method, result stored on self, conditional)
        self.flows: dict[str, set[str]] = {}  # local -> the names its value is built from
        self.on_self: set[str] = set()  # names used in a value stored on self
        self.returned: set[str] = set()  # names used in a returned value
        self.optimized: set[str] = set()  # names used in the arguments of an optimizer
        self.local_values: dict[str, list] = {}  # local -> the expressions assigned to it so far
        self.nested = 0  # depth of nested functions and lambdas: not run by this call
        self._wrap_arguments: dict[int, tuple[bool, bool]] = {}  # Parameter call -> (reads self, fresh)

    # -- conditions --------------------------------------------------------------------

    def visit_If(self, node: cst.If) -> None:
        settles = _settles(node, self.self_name, self._method_stores, self._attributes())
        self._settling.append(settles)
        self.conditions += settles
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else node.body.body
        last = body[-1] if body else None
        if settles and isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Return) and _mentions(
                node.test, self.self_name):
            self.guarded = True  # `if self.built: return` guards what follows

    def leave_If(self, original_node: cst.If) -> None:
        self.conditions -= self._settling.pop()

    def _attributes(self) -> set[str]:
        """Names construction (of this class or a base) stores on ``self``."""
        if self._known is None:
            self._known = set(self.owner.construction.final_attrs) | self.owner.registered_anywhere
        return self._known

    def _method_stores(self) -> "_Stores":
        if self._stores is None:
            self._stores = _Stores(self.self_name)
            if self.method_body is not None:
                walk.visit(self.method_body, self._stores)
        return self._stores

    def _conditional(self) -> bool:
        return self.conditions > 0 or self.guarded

    # -- where values go ---------------------------------------------------------------

    def _target_context(self, target: cst.BaseExpression) -> Optional[tuple[str, Optional[str]]]:
        if isinstance(target, cst.Attribute) and dotted(target.value) == [self.self_name]:
            return (_SELF, None)
        if isinstance(target, cst.Subscript):  # `self.heads[k] = ...` (a ModuleDict), `table[k] = ...`
            base = dotted(target.value) or []
            if base[:1] == [self.self_name] and len(base) == 2:
                return (_SELF, None)
            if len(base) == 1:
                return (_LOCAL, base[0])
        if isinstance(target, cst.Name):
            return (_LOCAL, target.value)
        return None

    def visit_Assign(self, node: cst.Assign) -> Optional[bool]:
        if self.nested:
            return None
        contexts = [c for c in (self._target_context(t.target) for t in node.targets) if c]
        context = next((c for c in contexts if c[0] == _SELF), contexts[0] if contexts else None)
        self._walk_value(node.value, context)
        for target in node.targets:
            walk.visit(target.target, self)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> Optional[bool]:
        if self.nested or node.value is None:
            return None
        self._walk_value(node.value, self._target_context(node.target))
        return False

    def visit_For(self, node: cst.For) -> None:
        if self.nested:
            return
        for name in _names(node.target):  # `for p in self.parameters(): ... nn.Parameter(p)`
            self.flows.setdefault(name, set()).update(_names(node.iter))
            self.local_values.setdefault(name, []).append(node.iter)

    def visit_Return(self, node: cst.Return) -> Optional[bool]:
        if self.nested or node.value is None:
            return None
        self._walk_value(node.value, (_RETURN, None))
        return False

    def _walk_value(self, value: cst.BaseExpression, context) -> None:
        if context is not None:
            self.context.append(context)
        names = _names(value)
        if context is not None:
            kind, local = context
            if kind == _SELF:
                self.on_self |= names
            elif kind == _RETURN:
                self.returned |= names
            elif kind == _OPTIMIZER:
                self.optimized |= names
            elif kind == _LOCAL:
                self.flows.setdefault(local, set()).update(names)
                self.local_values.setdefault(local, []).append(value)
        walk.visit(value, self)
        if context is not None:
            self.context.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.nested += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.nested -= 1

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.nested += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.nested -= 1

    def visit_Call(self, node: cst.Call) -> Optional[bool]:
        func = node.func
        receiver = dotted(func.value) if isinstance(func, cst.Attribute) else None
        if receiver == [self.self_name] and func.attr.value in self.owner.methods:
            self.self_calls.append(func.attr.value)
            if not self.nested:
                stored = any(kind == _SELF for kind, _ in self.context)
                self.self_call_sites.append((func.attr.value, stored, self._conditional()))
        if self.nested:
            return None
        what = parameterised_constructor(self.ctx, self.classes, self.owner, node)
        if what is not None:
            self.candidates.append((node, what, self._conditional(), tuple(self.context)))
            if what.split(".")[-1] in ("Parameter", "UninitializedParameter") and node.args:
                self._wrap_arguments[id(node)] = self._origin(node.args[0].value, set())
        context = self._call_context(node, func, receiver)
        if context is None:
            return None
        walk.visit(func, self)
        for arg in node.args:
            self._walk_value(arg.value, context)
        return False

    def _call_context(self, node: cst.Call, func, receiver) -> Optional[tuple[str, Optional[str]]]:
        """Where the arguments of this call go, when the call stores or optimises them."""
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if receiver == [self.self_name] and method in _REGISTERING_METHODS:
                return (_SELF, None)
            if receiver and receiver[:1] == [self.self_name] and len(receiver) == 2 and method in _CONTAINER_STORES:
                return (_SELF, None)  # `self.layers.append(...)`: a registered container (TL007 otherwise)
            if receiver and len(receiver) == 1 and method in _LOCAL_STORES:
                return (_LOCAL, receiver[0])  # `layers.append(nn.Linear(...))`
        if isinstance(func, cst.Name) and func.value == "setattr" and node.args \
                and dotted(node.args[0].value) == [self.self_name]:
            return (_SELF, None)
        resolved = self.ctx.resolve(func)
        if isinstance(resolved, External) and resolved.dotted.startswith("torch.optim.") \
                and ".lr_scheduler." not in resolved.dotted:
            return (_OPTIMIZER, None)
        return None

    def _origin(self, value: cst.BaseExpression, seen: set) -> tuple[bool, bool]:
        """Does ``value`` (following the locals it reads, as assigned so far) read an
        attribute of ``self``, and does it make a fresh tensor? Computed only for the
        argument of an ``nn.Parameter(...)``: the walk of every assignment would cost
        more than the rule."""
        reads_self, fresh = _mentions(value, self.self_name), self._makes_fresh_tensor(value)
        for name in _names(value) - seen:
            seen.add(name)
            for assigned in list(self.local_values.get(name, ())):
                more = self._origin(assigned, seen)
                reads_self, fresh = reads_self or more[0], fresh or more[1]
        return reads_self, fresh

    def _makes_fresh_tensor(self, value: cst.BaseExpression) -> bool:
        fresh = _Fresh(self.ctx)
        walk.visit(value, fresh)
        return fresh.found

    # -- the verdict -------------------------------------------------------------------

    def _reaches(self, names: set[str], sink: set[str]) -> bool:
        """Does a value built from ``names`` flow (through locals) into ``sink``?"""
        seen: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in sink:
                return True
            stack.extend(local for local, sources in self.flows.items() if name in sources)
        return False

    def per_call(self, method: str, result_stored: bool = False) -> list[tuple[cst.Call, str]]:
        """Constructions rebuilt on every call. Not reported:
        - one stored on ``self`` (directly, through locals, or returned to a caller that
          stores it) under a condition (``if self.proj is None:``) or in a helper (whose
          caller decides when): lazy initialisation, a table extended on demand;
        - one whose parameters an optimizer made in the same method trains (a per-call
          training or explanation routine that builds, fits and returns);
        - ``nn.Parameter(existing)`` re-wrapping the module's own tensors (merging or
          unmerging adapter weights), not a fresh tensor."""
        found = []
        for call, what, conditional, context in self.candidates:
            kinds = [kind for kind, _ in context]
            local = next((name for kind, name in reversed(context) if kind == _LOCAL), None)
            names = {local} if local else set()
            stored = _SELF in kinds or self._reaches(names, self.on_self)
            returned = _RETURN in kinds or self._reaches(names, self.returned)
            if stored and (conditional or method != ENTRY):
                continue
            if returned and result_stored and not stored:
                continue
            if _OPTIMIZER in kinds or self._reaches(names, self.optimized):
                continue
            wrap = self._wrap_arguments.get(id(call))
            if wrap is not None and wrap[0] and not wrap[1]:
                continue
            found.append((call, what))
        return found

def parameterised_constructor(ctx, classes: dict, owner: "ClassInfo", node: cst.Call) -> Optional[str]:
    """How the constructor is written (``nn.Linear``) when ``node`` constructs something
    with parameters (a torch layer, an ``nn.Parameter``, a Module class owning parameters
    other than ``owner``); else None."""
    resolved = ctx.resolve(node.func)
    if isinstance(resolved, External):
        keywords = _keywords(ctx, node)
        if resolved.dotted in known.PARAMETER_CONSTRUCTORS or known.owns_parameters(resolved.dotted, keywords) \
                or known.namesake_owns_parameters(resolved.dotted, keywords) \
                or ctx.index.external_owns_parameters(resolved.dotted):
            return ctx.module.code_for_node(node.func)
    elif isinstance(resolved, ClassRef) and resolved.path == ctx.path:
        other = classes.get(resolved.name)
        if other is not None and other is not owner and class_owns_parameters(other, {owner.name}):
            return ctx.module.code_for_node(node.func)
    elif isinstance(resolved, ClassRef):  # a user Module of another file
        index = ctx.index
        if index.is_module_class(resolved) and index.class_owns_parameters(resolved):
            return ctx.module.code_for_node(node.func)
    return None


class _Fresh(walk.Visitor):
    """Finds a call that makes a fresh tensor (``torch.zeros(...)``)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.found = False

    def visit_Call(self, call: cst.Call) -> None:
        resolved = self.ctx.resolve(call.func)
        if isinstance(resolved, External) and resolved.dotted in _FRESH_TENSORS:
            self.found = True


def _names(node: cst.CSTNode) -> set[str]:
    """The plain names an expression reads (``self`` included)."""
    names = _Names()
    walk.visit(node, names)
    return names.found


class _Names(walk.Visitor):
    # at module level: the walk keeps its hook table on the visitor class
    def __init__(self):
        self.found: set[str] = set()

    def visit_Name(self, name: cst.Name) -> None:
        self.found.add(name.value)

    def visit_Attribute(self, attribute: cst.Attribute) -> bool:
        walk.visit(attribute.value, self)  # `a.weight` reads `a`, not a name `weight`
        return False

    def visit_Call(self, call: cst.Call) -> bool:
        # `layer(x)` uses the layer's output, not the layer: storing it stores no layer
        func = call.func
        if not isinstance(func, cst.Name) and not (isinstance(func, cst.Attribute) and func.attr.value == "forward"):
            walk.visit(func, self)
        for arg in call.args:
            walk.visit(arg.value, self)
        return False

    def visit_Lambda(self, lam) -> bool:
        return False


def _settles(node: cst.If, self_name: str, method_stores, attributes: set[str]) -> bool:
    """Could this ``if`` be lazy set-up, whose arms run once and settle the test
    (``if self.proj is None: self.proj = ...``, ``if key not in self.heads: ...``,
    ``if not self.built: self._build(x)``)? Not when the test reads attributes of
    ``self`` that the method never stores, while it calls no method of ``self`` nor
    ``setattr`` that could: ``if self.use_views: ... else: self.out = nn.Linear(...)``
    runs its arm on every call. A test that reads no attribute of ``self`` is given the
    benefit. ``method_stores()`` gives the method's ``_Stores``; ``attributes`` are the
    names construction stores (calling one calls a submodule, not a set-up method)."""
    tested = _Reads(self_name)
    walk.visit(node.test, tested)
    if not tested.names or "*" in tested.names:
        return True
    stores = method_stores()
    if stores.opaque or tested.names & stores.names:
        return True
    # a call of anything but an attribute the class stores (a submodule) may be a method that sets up
    return any(call not in stores.names and call not in attributes for call in stores.calls)


class _Stores(walk.Visitor):
    """Attributes of ``self`` stored (``self.x = ...``, ``self.x[k] = ...``, ``self.x += ...``)
    or possibly stored (``opaque``: a method of ``self`` called, ``setattr``/``add_module``)."""

    def __init__(self, self_name: str):
        self.self_name = self_name
        self.names: set[str] = set()
        self.calls: set[str] = set()  # `self.<name>(...)`: a method (may store anything) or a submodule
        self.opaque = False

    def _target(self, target: cst.BaseExpression) -> None:
        while isinstance(target, cst.Subscript):
            target = target.value
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == self.self_name:
            self.names.add(target.attr.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._target(element.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._target(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name) and func.value in ("setattr", "delattr", "exec"):
            self.opaque = True
        elif isinstance(func, cst.Attribute):
            owner = func.value
            while isinstance(owner, (cst.Attribute, cst.Subscript)):
                owner = owner.value
            if isinstance(owner, cst.Name) and owner.value == self.self_name:
                if isinstance(func.value, cst.Name):
                    self.calls.add(func.attr.value)
                else:
                    self._target(func.value)  # `self.heads.append(...)`, `self.cache.update(...)`


def _mentions(node: cst.CSTNode, self_name: str) -> bool:
    """Does the expression read an attribute of ``self``?"""
    reads = _Reads(self_name)
    walk.visit(node, reads)
    return reads.found


class _Reads(walk.Visitor):
    def __init__(self, self_name: str):
        self.self_name = self_name
        self.found = False
        self.names: set[str] = set()  # the attributes read (``hasattr(self, "x")`` reads ``x``)

    def visit_Attribute(self, attribute: cst.Attribute) -> None:
        if isinstance(attribute.value, cst.Name) and attribute.value.value == self.self_name:
            self.found = True
            self.names.add(attribute.attr.value)

    def visit_Call(self, call: cst.Call) -> None:
        if isinstance(call.func, cst.Name) and call.func.value in ("hasattr", "getattr") and len(call.args) >= 2 \
                and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == self.self_name:
            name = literal_string(call.args[1].value)
            self.found = True
            self.names.add(name if name is not None else "*")


def _keywords(ctx, call: cst.Call) -> dict[str, str]:
    """Keyword arguments as written: name -> source text."""
    return {a.keyword.value: ctx.module.code_for_node(a.value) for a in call.args if a.keyword}
