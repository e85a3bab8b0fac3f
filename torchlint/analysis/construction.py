"""What happens to ``self`` while a Module is constructed.

``Construction`` walks ``__init__`` statement by statement, inlining the class's own
methods that it calls (``self._build()``, ``self.reset_parameters()``): together they
are "construction". It records, in order, every assignment to ``self.<name>``, every
``register_*``/``add_module`` call, the ``super().__init__()`` call, and in-place
tensor operations, with the facts rules need: was ``super().__init__()`` already
called, what did the name hold before, is this under ``torch.no_grad()``.

Branches (``if``/``else``, ``try``/``except``, ``match``) are walked separately and
merged, so a name set on one branch and registered on the other is not a conflict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional, Union

import libcst as cst

from torchlint.analysis.tensors import Evaluator, Host, argument, dotted, literal_string
from torchlint.analysis.values import REGISTERING, Kind, Value, join, mark_registered, unknown

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo, FileContext

MAX_INLINE_DEPTH = 8

# What torch's Module.__setattr__ makes of a name, as far as we can tell.
PLAIN, PARAM, BUFFER, MODULE, UNCERTAIN = "plain", "parameter", "buffer", "module", "uncertain"
# A name that a ``register_buffer`` call with a computed name (``for k in names:
# self.register_buffer(k, None)``) may have registered earlier on this path.
MAYBE_BUFFER = "maybe-buffer"
_STATE_OF_KIND = {Kind.PARAMETER: PARAM, Kind.BUFFER: BUFFER, Kind.MODULE: MODULE}
_REGISTER_STATE = {
    "register_buffer": BUFFER,
    "register_parameter": PARAM,
    "add_module": MODULE,
    "register_module": MODULE,
}
_REGISTER_VALUE_KEYWORD = {
    "register_buffer": "tensor",
    "register_parameter": "param",
    "add_module": "module",
    "register_module": "module",
}
_NO_GRAD_CONTEXTS = frozenset({"torch.no_grad", "torch.inference_mode", "torch.set_grad_enabled", "torch.autograd.no_grad"})
# nn.Module methods that neither register anything nor run user construction code.
MODULE_API = frozenset(
    {
        "apply", "to", "cuda", "cpu", "half", "float", "double", "bfloat16", "train", "eval",
        "requires_grad_", "zero_grad", "parameters", "named_parameters", "buffers",
        "named_buffers", "children", "named_children", "modules", "named_modules",
        "state_dict", "load_state_dict", "register_forward_hook", "register_forward_pre_hook",
        "register_full_backward_hook", "register_backward_hook", "register_load_state_dict_post_hook",
        "register_state_dict_pre_hook", "_register_load_state_dict_pre_hook",
        "_register_state_dict_hook", "get_submodule", "get_parameter", "get_buffer", "type",
        "extra_repr", "share_memory", "to_empty", "set_extra_state", "get_extra_state",
    }
)


@dataclass
class AttrAssign:
    """``self.<name> = value`` (or ``setattr(self, "name", value)``)."""

    name: str
    value: Value
    target: cst.CSTNode
    before_super: bool
    prior_state: Optional[str]
    seq: int
    statement: Optional[cst.CSTNode] = None  # the Assign/AnnAssign (or setattr call) that assigns


@dataclass
class RegisterCall:
    """``self.register_buffer(name, value)`` and its kin."""

    method: str
    name: Optional[str]
    name_node: cst.CSTNode
    value: Optional[Value]
    call: cst.Call
    before_super: bool
    prior_state: Optional[str]
    seq: int


@dataclass
class InplaceOp:
    """An in-place operation on a tensor-like value (``t.uniform_()``, ``t += 1``, ``t[0] = 1``)."""

    value: Value
    node: cst.CSTNode
    operation: str
    under_no_grad: bool
    seq: int
    line: Optional[cst.SimpleStatementLine] = None  # the statement line it happens on


@dataclass
class AttrDelete:
    name: str
    seq: int


Path = tuple  # ((branch id, arm index), ...): which arm of each enclosing branch an event is in


def same_path(a: Path, b: Path) -> bool:
    """Can both events happen in one run (no branch sends them to different arms)?"""
    arms = dict(a)
    return all(arms.get(branch, arm) == arm for branch, arm in b)


Event = Union[AttrAssign, RegisterCall, InplaceOp, AttrDelete]


@dataclass
class ConstructionFacts:
    events: list[Event] = field(default_factory=list)
    super_init: Optional[cst.Call] = None
    touches_self: bool = False  # assigns or registers anything on self
    calls_unknown_self_methods: bool = False  # may init through an inherited helper
    methods_walked: set[str] = field(default_factory=set)  # __init__ and the helpers it reaches
    final_attrs: dict[str, Value] = field(default_factory=dict)
    paths: dict[int, tuple] = field(default_factory=dict)  # event seq -> branch path
    reads: dict[str, list[int]] = field(default_factory=dict)  # name -> seq of the last event before each read

    def read_after(self, seq: int, name: str) -> bool:
        """Is ``self.<name>`` read in construction after event ``seq``?"""
        return any(read >= seq for read in self.reads.get(name, ()))

    def assignments(self) -> list[AttrAssign]:
        return [e for e in self.events if isinstance(e, AttrAssign)]

    def registrations(self) -> list[RegisterCall]:
        return [e for e in self.events if isinstance(e, RegisterCall)]

    def later_events(self, seq: int, name: str) -> list[Event]:
        """Events on ``name`` that can run after event ``seq`` (not in a sibling arm)."""
        path = self.paths.get(seq, ())
        return [e for e in self.events
                if e.seq > seq and getattr(e, "name", None) == name and same_path(path, self.paths.get(e.seq, ()))]


@dataclass
class _State:
    """Per-path state that branches copy and merge."""

    attrs: dict[str, Value]
    attr_state: dict[str, str]
    super_called: bool = False
    # register_buffer was called with names we cannot read: each a pattern they match
    # (`f"harmonics_{j}"` -> "harmonics_.+"; ".*" when nothing is known)
    computed_buffers: tuple[str, ...] = ()

    def copy(self) -> "_State":
        return _State(dict(self.attrs), dict(self.attr_state), self.super_called, self.computed_buffers)


def _merge(states: list[_State]) -> _State:
    names = set().union(*(s.attrs for s in states))
    attrs = {n: join(s.attrs.get(n) for s in states) for n in names}
    state_names = set().union(*(s.attr_state for s in states))
    attr_state = {}
    for name in state_names:
        seen = {s.attr_state.get(name) for s in states}
        if seen == {BUFFER, MAYBE_BUFFER}:
            attr_state[name] = MAYBE_BUFFER  # `if hasattr(self, n): self.n = t` / `else: register_buffer(n, t)`
            continue
        attr_state[name] = seen.pop() if len(seen) == 1 else UNCERTAIN
    computed = tuple(dict.fromkeys(p for s in states for p in s.computed_buffers))
    return _State(attrs, attr_state, any(s.super_called for s in states), computed)


class BlockWalker:
    """Walks statements in order with one evaluator, collecting returned values."""

    def __init__(self, evaluator: Evaluator):
        self.evaluator = evaluator
        self.returns: list[Value] = []
        self.narrowed = {}

    def narrow(self, node: cst.If) -> None:
        """``if isinstance(w, nn.Parameter):`` -> in that arm (the other one under ``not``),
        ``w`` is a Parameter."""
        found = self.evaluator.narrowing(node.test)
        if found is not None:
            name, value, negated = found
            arm = node.body if not negated else (node.orelse.body if isinstance(node.orelse, cst.Else) else None)
            if arm is not None:
                self.narrowed[id(arm)] = (name, value)

    narrowed: dict = {}  # id(arm body) -> (local name, its value there); set per walker

    def walk(self, body: cst.BaseSuite) -> None:
        narrowed = self.narrowed.pop(id(body), None) if self.narrowed else None
        if narrowed is not None:
            self.evaluator.locals[narrowed[0]] = narrowed[1]
        if isinstance(body, cst.SimpleStatementSuite):  # `if flag: self.t = ...` on one line
            self.current_line = None
            for small in body.body:
                self.small_statement(small)
            return
        for statement in body.body:
            self.statement(statement)

    current_line: Optional[cst.SimpleStatementLine] = None
    branch_count = 0  # ids for branches, unique within the process

    def statement(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.SimpleStatementLine):
            self.current_line = node
            for small in node.body:
                self.small_statement(small)
        elif isinstance(node, cst.If):
            self.narrow(node)
            branches = [node.body]
            orelse = node.orelse
            while isinstance(orelse, cst.If):
                self.evaluator.eval(orelse.test)
                branches.append(orelse.body)
                orelse = orelse.orelse
            self.evaluator.eval(node.test)
            self.branches(branches + ([orelse.body] if orelse is not None else []), exhaustive=orelse is not None)
        elif isinstance(node, (cst.For,)):
            iterable = self.evaluator.eval(node.iter)
            self.evaluator.bind_loop_target(node.target, iterable)
            self.walk(node.body)
            if node.orelse is not None:
                self.walk(node.orelse.body)
        elif isinstance(node, cst.While):
            self.evaluator.eval(node.test)
            self.walk(node.body)
            if node.orelse is not None:
                self.walk(node.orelse.body)
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self.branches([node.body] + [h.body for h in node.handlers], exhaustive=True,
                          tails={0: node.orelse.body if node.orelse else None})
            if node.finalbody is not None:
                self.walk(node.finalbody.body)
        elif isinstance(node, cst.With):
            self.with_statement(node)
        elif isinstance(node, cst.Match):
            self.evaluator.eval(node.subject)
            self.branches([case.body for case in node.cases], exhaustive=False)
        # nested def / class: not run at this point

    def with_statement(self, node: cst.With) -> None:
        for item in node.items:
            value = self.evaluator.eval(item.item)
            if item.asname is not None:
                self.evaluator.bind_name_target(item.asname.name, value)
        self.walk(node.body)

    def branches(self, bodies: list, exhaustive: bool, tails: Optional[dict] = None) -> None:
        """Walk alternative bodies from the same starting state, then merge."""
        start = self.snapshot()
        outcomes = []
        BlockWalker.branch_count += 1
        branch = BlockWalker.branch_count
        for index, body in enumerate(bodies):
            self.restore(start)
            self.enter_arm(branch, index)
            self.walk(body)
            tail = (tails or {}).get(index)
            if tail is not None:
                self.walk(tail)
            outcomes.append(self.snapshot())
        self.leave_branch(branch)
        if not exhaustive:
            outcomes.append(start)
        self.restore_merged(outcomes)

    def enter_arm(self, branch: int, arm: int) -> None:
        """Hook: the walk enters arm ``arm`` of branch ``branch``."""

    def leave_branch(self, branch: int) -> None:
        """Hook: the walk leaves the branch."""

    def snapshot(self):
        return dict(self.evaluator.locals)

    def restore(self, snapshot) -> None:
        self.evaluator.locals = dict(snapshot)

    def restore_merged(self, snapshots: list) -> None:
        names = set().union(*snapshots)
        self.evaluator.locals = {n: join(s.get(n) for s in snapshots) for n in names}

    def small_statement(self, node: cst.BaseSmallStatement) -> None:
        evaluator = self.evaluator
        if isinstance(node, cst.Expr):
            evaluator.eval(node.value)
        elif isinstance(node, cst.Assign):
            value = evaluator.eval(node.value)
            for target in node.targets:
                self.bind_target(target.target, value, node)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.bind_target(node.target, evaluator.eval(node.value), node)
        elif isinstance(node, cst.AugAssign):
            self.aug_assign(node)
        elif isinstance(node, cst.Return):
            self.returns.append(evaluator.eval(node.value))
        elif isinstance(node, cst.Del):
            self.delete(node.target)

    def aug_assign(self, node: cst.AugAssign) -> None:
        target_value = self.evaluator.eval(node.target)
        value = self.evaluator.eval(node.value)
        if target_value.kind is Kind.CONTAINER and isinstance(node.operator, cst.AddAssign):
            if value.kind is Kind.CONTAINER:
                target_value.items.extend(value.items)
                target_value.open |= value.open
            else:
                target_value.open = True
        elif target_value.is_tensor_like:
            operator = cst.Module([]).code_for_node(node.operator).strip()
            self.evaluator.host.tensor_mutated(target_value, node, f"`{operator}`")

    def bind_target(self, target: cst.BaseExpression, value: Value, statement: cst.CSTNode) -> None:
        evaluator = self.evaluator
        if isinstance(target, cst.Name):
            evaluator.locals[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            from torchlint.analysis.tensors import unpack

            count = len(target.elements)
            for index, element in enumerate(target.elements):
                self.bind_target(element.value, unpack(value, index, count), statement)
        elif isinstance(target, cst.Subscript):
            container = evaluator.eval(target.value)
            if container.kind is Kind.CONTAINER:
                container.items.append(value)
            elif container.is_tensor_like:
                evaluator.host.tensor_mutated(container, target, "item assignment")
        elif isinstance(target, cst.Attribute):
            self.attribute_assign(target, value, statement)

    def attribute_assign(self, target: cst.Attribute, value: Value, statement: cst.CSTNode) -> None:
        receiver = self.evaluator.eval(target.value)
        if value.kind in REGISTERING and receiver.kind is Kind.MODULE:
            value.registered = True  # `self.fc.weight = nn.Parameter(...)`
        if target.attr.value == "requires_grad" and receiver.kind in (Kind.TENSOR, Kind.PARAMETER):
            source = statement.value if isinstance(statement, (cst.Assign, cst.AnnAssign)) else None
            if isinstance(source, cst.Name) and source.value in ("True", "False"):
                receiver.requires_grad = source.value == "True"
                receiver.requires_grad_node = statement

    def delete(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.delete(element.value)


class Construction(Host, BlockWalker):
    """The construction walk of one Module class (the Host for its evaluators)."""

    def __init__(self, ctx: "FileContext", info: "ClassInfo"):
        self.ctx = ctx
        self.info = info
        self.facts = ConstructionFacts()
        self.state = _State({}, {})
        self.stack: list[str] = []
        self.no_grad_depth = 0
        self.seq = 0
        self.path: list[tuple[int, int]] = []
        self.returns = []
        self.self_name = None
        self.evaluator: Optional[Evaluator] = None
        self.existing_in: dict[int, list[str]] = {}  # id(arm body) -> names that exist there
        self.narrowed = {}

    # -- driving --------------------------------------------------------------------------

    def run(self) -> ConstructionFacts:
        init = self.info.methods.get("__init__")
        if init is not None:
            self.walk_method(init)
        self.facts.final_attrs = self.state.attrs
        return self.facts

    def walk_method(self, method: cst.FunctionDef) -> Value:
        saved = (self.evaluator, self.returns, self.self_name, self.no_grad_depth, self.current_line)
        params = method.params.params or method.params.posonly_params
        self.self_name = params[0].name.value if params else None
        self.evaluator = Evaluator(self.ctx, self, {})
        self.returns = []
        if any(self._is_no_grad(d.decorator) for d in method.decorators):
            self.no_grad_depth += 1
        self.stack.append(method.name.value)
        self.facts.methods_walked.add(method.name.value)
        try:
            self.walk(method.body)
            result = join(self.returns)
        finally:
            self.stack.pop()
            self.evaluator, self.returns, self.self_name, self.no_grad_depth, self.current_line = saved
        return result

    def _next(self) -> int:
        self.seq += 1
        self.facts.paths[self.seq] = tuple(self.path)
        return self.seq

    # -- branches -------------------------------------------------------------------------

    def snapshot(self):
        return super().snapshot(), self.state.copy()

    def restore(self, snapshot) -> None:
        super().restore(snapshot[0])
        self.state = snapshot[1].copy()

    def enter_arm(self, branch: int, arm: int) -> None:
        if self.path and self.path[-1][0] == branch:
            self.path[-1] = (branch, arm)
        else:
            self.path.append((branch, arm))

    def leave_branch(self, branch: int) -> None:
        if self.path and self.path[-1][0] == branch:
            self.path.pop()

    def restore_merged(self, snapshots: list) -> None:
        super().restore_merged([s[0] for s in snapshots])
        self.state = _merge([s[1] for s in snapshots])

    def statement(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.If):
            names, negated = self._existing_names(node.test)
            arm = node.body if not negated else (node.orelse.body if isinstance(node.orelse, cst.Else) else None)
            if names and arm is not None:
                self.existing_in[id(arm)] = names
        super().statement(node)

    def walk(self, body: cst.BaseSuite) -> None:
        # in the arm where `hasattr(self, "n")` holds, a name the class registers somewhere may
        # already be a buffer (registered by an earlier call): a store there may go into _buffers
        for name in self.existing_in.pop(id(body), ()):
            if self.state.attr_state.get(name) is None and name in self.info.registered_anywhere:
                self.state.attr_state[name] = MAYBE_BUFFER
        super().walk(body)

    def _existing_names(self, test: cst.BaseExpression) -> tuple[list[str], bool]:
        """``hasattr(self, "n")`` (or ``"n" in self._buffers``) -> (["n"], False); under ``not``, True."""
        negated = False
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, negated = test.expression, True
        if isinstance(test, cst.Call) and dotted(test.func) == ["hasattr"] and len(test.args) == 2 \
                and dotted(test.args[0].value) == [self.self_name]:
            name = literal_string(test.args[1].value)
            return ([name] if name else []), negated
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 \
                and dotted(test.comparisons[0].comparator) == [self.self_name, "_buffers"]:
            operator = test.comparisons[0].operator
            name = literal_string(test.left)
            if name and isinstance(operator, (cst.In, cst.NotIn)):
                return [name], negated != isinstance(operator, cst.NotIn)
        return [], False

    def with_statement(self, node: cst.With) -> None:
        no_grad = any(self._is_no_grad(item.item) for item in node.items)
        self.no_grad_depth += no_grad
        try:
            super().with_statement(node)
        finally:
            self.no_grad_depth -= no_grad

    def _is_no_grad(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Call):
            resolved = self.ctx.resolve(node.func)
            name = getattr(resolved, "dotted", None)
            if name == "torch.set_grad_enabled":
                flag = argument(node, 0, "mode")
                return isinstance(flag, cst.Name) and flag.value == "False"
            return name in _NO_GRAD_CONTEXTS
        return getattr(self.ctx.resolve(node), "dotted", None) in _NO_GRAD_CONTEXTS

    # -- what happens to self -------------------------------------------------------------

    def self_attribute(self, name: str) -> Value:
        self.facts.reads.setdefault(name, []).append(self.seq)
        return self.state.attrs.get(name) or unknown()

    def attribute_assign(self, target: cst.Attribute, value: Value, statement: cst.CSTNode) -> None:
        receiver = target.value
        if isinstance(receiver, cst.Name) and receiver.value == self.self_name and receiver.value not in self.evaluator.locals:
            self.assign_self(target.attr.value, value, target, statement)
        else:
            super().attribute_assign(target, value, statement)

    def assign_self(self, name: str, value: Value, target: cst.CSTNode, statement: Optional[cst.CSTNode] = None) -> None:
        self.facts.touches_self = True
        prior = self.state.attr_state.get(name)
        if prior is None and any(re.fullmatch(p, name) for p in self.state.computed_buffers):
            prior = MAYBE_BUFFER
        self.facts.events.append(
            AttrAssign(name, value, target, not self.state.super_called, prior, self._next(), statement)
        )
        if value.kind in REGISTERING:
            value.registered = True
            self.state.attr_state[name] = _STATE_OF_KIND[value.kind]
        elif prior in (PARAM, BUFFER, MODULE, MAYBE_BUFFER) and value.kind in (Kind.TENSOR, Kind.NONE, Kind.UNKNOWN):
            pass  # torch keeps the name registered (a tensor or None goes into _buffers/_parameters)
        else:
            self.state.attr_state[name] = UNCERTAIN if value.kind is Kind.UNKNOWN else PLAIN
        self.state.attrs[name] = value

    def delete(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Attribute) and dotted(target.value) == [self.self_name]:
            name = target.attr.value
            self.state.attr_state.pop(name, None)
            self.state.attrs.pop(name, None)
            self.facts.events.append(AttrDelete(name, self._next()))
        else:
            super().delete(target)

    def self_call(self, method: str, call: cst.Call, evaluator: Evaluator) -> Value:
        if method in _REGISTER_STATE:
            self.register(method, call, evaluator)
            return Value(Kind.NONE, call)
        for arg in call.args:
            evaluator.eval(arg.value)
        definition = self.info.methods.get(method)
        if definition is not None:
            if method in self.stack or len(self.stack) >= MAX_INLINE_DEPTH:
                return unknown()
            return self.walk_method(definition)
        if method not in MODULE_API:
            self.facts.calls_unknown_self_methods = True
        return unknown()

    def register(self, method: str, call: cst.Call, evaluator: Evaluator) -> None:
        self.facts.touches_self = True
        name_node = argument(call, 0, "name")
        value_node = argument(call, 1, _REGISTER_VALUE_KEYWORD[method])
        name = literal_string(name_node)
        value = evaluator.eval(value_node) if value_node is not None else None
        prior = self.state.attr_state.get(name) if name is not None else None
        self.facts.events.append(
            RegisterCall(method, name, name_node or call, value, call, not self.state.super_called, prior, self._next())
        )
        if value is not None:
            mark_registered(value)
            if method in ("register_buffer", "register_parameter"):
                value.aliased = True  # this very object is saved and moved under `name`
        names = [name] if name is not None else _possible_names(name_node, evaluator)
        for each in names or ():
            self.state.attr_state[each] = _REGISTER_STATE[method]
            registered = Value(Kind.BUFFER if method == "register_buffer" else (value.kind if value else Kind.UNKNOWN), call)
            registered.registered = True
            self.state.attrs[each] = registered
        if names is None and method == "register_buffer":
            # a later `self.<name> = t` with a name it may have registered may go into _buffers
            pattern = name_pattern(name_node)
            if pattern not in self.state.computed_buffers:
                self.state.computed_buffers += (pattern,)

    def init_call(self, call: cst.Call) -> None:
        if not self.state.super_called:
            self.state.super_called = True
        if self.facts.super_init is None:
            self.facts.super_init = call

    def setattr_call(self, call: cst.Call, evaluator: Evaluator) -> None:
        args = [arg.value for arg in call.args]
        if len(args) != 3 or not (isinstance(args[0], cst.Name) and args[0].value == self.self_name):
            return
        value = evaluator.eval(args[2])
        name = literal_string(args[1])
        if name is not None:
            self.assign_self(name, value, call, call)
        else:
            self.facts.touches_self = True
            if value.kind in REGISTERING:
                mark_registered(value)

    def tensor_mutated(self, value: Value, node: cst.CSTNode, method: str) -> None:
        self.facts.events.append(
            InplaceOp(value, node, method, self.no_grad_depth > 0, self._next(), self.current_line)
        )


def _possible_names(node: Optional[cst.BaseExpression], evaluator: Evaluator) -> Optional[list[str]]:
    """The names a computed registration name can take: the strings of a literal list or
    tuple that the loop variable iterates (``for k in ("mean", "std")``), else None."""
    if not isinstance(node, cst.Name):
        return None
    value = evaluator.eval(node)
    candidates = value.aliases or [value]
    names = [literal_string(v.node) if isinstance(v.node, cst.SimpleString) else None for v in candidates]
    return names if names and all(n is not None for n in names) else None


def name_pattern(node: Optional[cst.BaseExpression]) -> str:
    """A regular expression every value of a computed name matches: its literal parts
    (``f"harmonics_{j}"`` -> ``harmonics_.+``, ``"w" + str(i)`` -> ``w.*``), else ``.*``."""
    if isinstance(node, cst.FormattedString):
        parts = [re.escape(p.value) if isinstance(p, cst.FormattedStringText) else ".*" for p in node.parts]
        return "".join(parts) or ".*"
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return name_pattern(node.left) + name_pattern(node.right)
    text = literal_string(node) if isinstance(node, cst.SimpleString) else None
    return re.escape(text) if text is not None else ".*"
