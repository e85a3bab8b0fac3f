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

from torchlint.analysis import known, walk
from torchlint.analysis.project import ClassRef, External
from torchlint.analysis.arguments import argument_value, constructs_with, init_parameters, passed_kinds
from torchlint.analysis.names import attribute_key, identifier
from torchlint.analysis.tensors import Evaluator, Host, argument, dotted, literal_string
from torchlint.analysis.values import (
    REGISTERING,
    Kind,
    Value,
    element_of,
    join,
    mark_registered,
    registration_observers,
    unknown,
)

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
    # the Parameter written (the value itself, or the one it is a view of) and whether it
    # required grad at this point of the walk (a later `requires_grad = False` does not count)
    leaf: Optional[Value] = None
    leaf_requires_grad: bool = False
    via: Optional[cst.Call] = None  # the call of a module-level helper it happens in, if any


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


@dataclass(frozen=True)
class Branch:
    """A branching statement: ``kind`` "if" (arms: the if, each elif, then the else),
    "try" (the body, then each handler) or "match"; ``exhaustive`` when one arm always runs."""

    kind: str
    arms: int
    exhaustive: bool
    tests: tuple = ()  # for "if": the test of each arm that has one (the else has none)


@dataclass
class ConstructionFacts:
    events: list[Event] = field(default_factory=list)
    super_init: Optional[cst.Call] = None
    skipping_inits: list[cst.Call] = field(default_factory=list)  # `super(nn.Module, self).__init__()`
    touches_self: bool = False  # assigns or registers anything on self
    calls_unknown_self_methods: bool = False  # may init through an inherited helper
    methods_walked: set[str] = field(default_factory=set)  # __init__ and the helpers it reaches
    final_attrs: dict[str, Value] = field(default_factory=dict)
    paths: dict[int, tuple] = field(default_factory=dict)  # event seq -> branch path
    branches: dict[int, Branch] = field(default_factory=dict)  # branch id -> what branches there
    reads: dict[str, list[int]] = field(default_factory=dict)  # name -> seq of the last event before each read
    # id(value) -> (the value, the branch paths on which the walk registered it)
    registered_on: dict[int, tuple[Value, list[tuple]]] = field(default_factory=dict)

    def registered_on_path(self, value: Value, path: tuple) -> bool:
        """Is ``value`` registered on a run through ``path``? Registered only in a sibling
        arm of a branch on that path, it is not; registered where this walk cannot say
        (before it, by another walk), it is."""
        if not value.registered:
            return False
        record = self.registered_on.get(id(value))
        if record is None or record[0] is not value:
            return True
        return any(same_path(path, where) for where in record[1])

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

    def conditions_after(self, seq: int, later: list[Event]) -> list[tuple]:
        """For each of ``later``: the (branch id, arm) steps it sits in that event ``seq``
        is not in (``()`` when it runs whenever ``seq`` does)."""
        base = dict(self.paths.get(seq, ()))
        return [tuple(step for step in self.paths.get(e.seq, ()) if step[0] not in base) for e in later]

    def runs_on_every_path(self, seq: int, later: list[Event]) -> bool:
        """Does one of ``later`` run on every path after event ``seq``? (one of them outside
        any branch, or one in every arm of an if/else; an exception path is not judged)"""
        return self.covers(self.conditions_after(seq, later))

    def covers(self, steps: list[tuple]) -> bool:
        if not steps:
            return False
        if any(not s for s in steps):
            return True
        for branch in dict.fromkeys(s[0][0] for s in steps):
            info = self.branches.get(branch)
            if info is None or info.kind == "try":
                return True
            if info.exhaustive and all(self.covers([s[1:] for s in steps if s[0] == (branch, arm)])
                                       for arm in range(info.arms)):
                return True
        return False


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
            tests = [node.test]
            orelse = node.orelse
            while isinstance(orelse, cst.If):
                self.evaluator.eval(orelse.test)
                branches.append(orelse.body)
                tests.append(orelse.test)
                orelse = orelse.orelse
            self.evaluator.eval(node.test)
            self.branches(branches + ([orelse.body] if orelse is not None else []), exhaustive=orelse is not None,
                          kind="if", tests=tests, narrowed=self.narrowing(node.test, len(branches)))
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
                          tails={0: node.orelse.body if node.orelse else None}, kind="try")
            if node.finalbody is not None:
                self.walk(node.finalbody.body)
        elif isinstance(node, cst.With):
            self.with_statement(node)
        elif isinstance(node, cst.Match):
            self.evaluator.eval(node.subject)
            self.branches([case.body for case in node.cases], exhaustive=False, kind="match")
        # nested def / class: not run at this point

    def with_statement(self, node: cst.With) -> None:
        for item in node.items:
            value = self.evaluator.eval(item.item)
            if item.asname is not None:
                self.evaluator.bind_name_target(item.asname.name, value)
        self.walk(node.body)

    def narrowing(self, test: cst.BaseExpression, arms: int) -> dict:
        """``if isinstance(x, torch.Tensor): ... else: ...``: arm index -> {local: value}.
        In the arm where ``x`` is not a tensor, a local the walk took for one is unknown."""
        negated = False
        while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, negated = test.expression, not negated
        if not isinstance(test, cst.Call) or not test.args:
            return {}
        subject = test.args[0].value
        if not isinstance(subject, cst.Name) or subject.value not in self.evaluator.locals:
            return {}
        func = dotted(test.func)
        resolved = getattr(self.evaluator.ctx.resolve(test.func), "dotted", None)
        if func == ["isinstance"] and len(test.args) == 2:
            types = test.args[1].value
            names = [e.value for e in types.elements] if isinstance(types, cst.Tuple) else [types]
            current = self.evaluator.locals[subject.value]
            if current.kind is Kind.CONTAINER and current.items \
                    and not any((dotted(n) or [""])[-1] in _CONTAINER_TYPES for n in names):
                # `x: Block | Sequence[Block]`: where `isinstance(x, Block)` holds, x is the one Block
                return {arms if negated else 0: {subject.value: element_of(current)}}
            if not all(getattr(self.evaluator.ctx.resolve(n), "dotted", None) == "torch.Tensor" for n in names):
                return {}
        elif resolved != "torch.is_tensor":
            return {}
        current = self.evaluator.locals[subject.value]
        if current.kind is not Kind.TENSOR:
            return {}
        not_tensor = 0 if negated else arms  # the arm where the test says "not a tensor"
        return {not_tensor: {subject.value: unknown()}}

    def branches(self, bodies: list, exhaustive: bool, tails: Optional[dict] = None, kind: str = "if",
                 tests: Optional[list] = None, narrowed: Optional[dict] = None) -> None:
        """Walk alternative bodies from the same starting state, then merge."""
        start = self.snapshot()
        outcomes = []
        BlockWalker.branch_count += 1
        branch = BlockWalker.branch_count
        self.enter_branch(branch, Branch(kind, len(bodies), exhaustive, tuple(tests or ())))
        for index, body in enumerate(bodies):
            self.restore(start)
            self.evaluator.locals.update((narrowed or {}).get(index, {}))
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

    def enter_branch(self, branch: int, info: "Branch") -> None:
        """Hook: the walk reaches a branch statement (before its first arm)."""

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
        self.evaluator.locals = {n: join((s.get(n) for s in snapshots), tensor_wins=True) for n in names}

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


_TENSOR_TYPES = frozenset(
    {"torch.Tensor", "torch.FloatTensor", "torch.DoubleTensor", "torch.HalfTensor", "torch.LongTensor",
     "torch.IntTensor", "torch.BoolTensor", "torch.ByteTensor", "torch.BFloat16Tensor"}
)
_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_UNION = frozenset({"typing.Union", "typing_extensions.Union"})


def _mentions_tensor(node: Optional[cst.BaseExpression]) -> bool:
    """Does the annotation name something ending in ``Tensor`` anywhere? (before resolving)"""
    if isinstance(node, cst.SimpleString):
        return "Tensor" in node.value
    if isinstance(node, (cst.Name, cst.Attribute)):
        return _leaf_name(node).endswith("Tensor")
    if isinstance(node, cst.BinaryOperation):
        return _mentions_tensor(node.left) or _mentions_tensor(node.right)
    if isinstance(node, cst.Subscript):
        return any(isinstance(e.slice, cst.Index) and _mentions_tensor(e.slice.value) for e in node.slice)
    return False


def _annotation_is(ctx: "FileContext", node: Optional[cst.BaseExpression], leaf, unions: bool) -> bool:
    """Does the annotation name a ``leaf`` type, or nothing: ``X``, ``Optional[X]``, ``X | None``,
    ``Union[X, None]`` (with ``unions``) or the same as a string? ``leaf(ctx, node)`` judges a
    name or attribute."""
    if isinstance(node, cst.SimpleString):
        text = literal_string(node)
        try:
            node = cst.parse_expression(text) if text else None
        except cst.ParserSyntaxError:
            return False
        return _annotation_is(ctx, node, leaf, unions)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        sides = [node.left, node.right]
        return any(_annotation_is(ctx, n, leaf, unions) for n in sides) and all(
            _annotation_is(ctx, n, leaf, unions) or _is_none(n) for n in sides)
    if isinstance(node, cst.Subscript):
        name = getattr(ctx.resolve(node.value), "dotted", None)
        elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        if name in _OPTIONAL and len(elements) == 1:
            return _annotation_is(ctx, elements[0], leaf, unions)
        if unions and name in _UNION and elements:
            return any(_annotation_is(ctx, n, leaf, unions) for n in elements) and all(
                _annotation_is(ctx, n, leaf, unions) or _is_none(n) for n in elements)
        return False
    if isinstance(node, (cst.Name, cst.Attribute)):
        return leaf(ctx, node)
    return False


def is_tensor_annotation(ctx: "FileContext", node: Optional[cst.BaseExpression]) -> bool:
    """``Tensor``, ``torch.Tensor``, ``Optional[Tensor]``, ``Tensor | None``,
    ``Union[Tensor, None]`` or the same as a string: the argument is a plain tensor
    (or nothing)."""
    return _mentions_tensor(node) and _annotation_is(ctx, node, _is_tensor_type, unions=True)


def _is_tensor_type(ctx: "FileContext", node: cst.BaseExpression) -> bool:
    if not _leaf_name(node).endswith("Tensor"):
        return False  # no resolving for `int`, `Dict`, ...: every torch tensor type ends so
    return getattr(ctx.resolve(node), "dotted", None) in _TENSOR_TYPES


def _leaf_name(node: cst.BaseExpression) -> str:
    return node.attr.value if isinstance(node, cst.Attribute) else getattr(node, "value", "")


# Annotation names that are never Module classes (checked before resolving anything).
_NOT_MODULE_TYPES = frozenset(
    """Any Callable Sequence Iterable Iterator Mapping MutableMapping Dict List Tuple Set FrozenSet
    Type Literal Union Optional Generator Awaitable Hashable Sized Collection Path PathLike Enum
    Namespace Tensor Device DictConfig ListConfig""".split()
)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def parameter_values(ctx: "FileContext", function: cst.FunctionDef, params: list[cst.Param],
                     call: Optional[cst.Call] = None, arg_values: Optional[list[Value]] = None,
                     passed: Optional[dict] = None, modules: bool = True) -> dict[str, Value]:
    """What the parameters of a walked method hold: the caller's argument values when the
    call is seen (``self._build(t)``); for ``__init__``, a tensor or Module where the file's
    own code passes one (``passed``: position after ``self`` or keyword -> kind); else what
    the signature says: a tensor annotation
    (``t: Tensor``, ``Optional[Tensor]``, ``"Tensor"``) or a tensor default. Anything else
    is unknown (an unannotated argument is not assumed to be a tensor)."""
    given: dict[str, Value] = {}
    passed = passed or {}
    if call is not None and arg_values is not None:
        positional = [v for a, v in zip(call.args, arg_values) if a.keyword is None and not a.star]
        if any(a.star for a in call.args):
            positional = []  # `*args`: positions unknown
        for param, value in zip(params, positional):
            given[param.name.value] = value
        for arg, value in zip(call.args, arg_values):
            if arg.keyword is not None:
                given[arg.keyword.value] = value
    for position, param in enumerate([*params, *function.params.kwonly_params]):
        kind = passed.get(param.name.value) or (passed.get(position) if position < len(params) else None)
        if kind is not None:  # the file's own code passes a tensor (or a Module) here
            seen = Value(kind, param.name)
            seen.assumed = kind is Kind.TENSOR  # another caller may pass a Parameter, or something else
            given.setdefault(param.name.value, seen)
    values: dict[str, Value] = {}
    for param in [*params, *function.params.kwonly_params]:
        name = param.name.value
        # an argument the caller passes is what it is (a Parameter is a `Tensor` too:
        # `self.weight = self._init(self.weight)` with `def _init(w: Tensor)`)
        if name not in given and modules and param.annotation is not None \
                and is_module_annotation(ctx, param.annotation.annotation) and constructs_with(function, name):
            continue  # `block: BaseModule` called as `block(inplanes, planes)`: a class, not an instance
        value = given[name] if name in given else _declared_value(ctx, param, modules)
        if value is not None and (value.kind is not Kind.UNKNOWN or value.origin is not None
                                  or value.function is not None):
            values[name] = value
    star = function.params.star_arg
    if isinstance(star, cst.Param) and star.name.value not in given and star.annotation is not None \
            and is_module_annotation(ctx, star.annotation.annotation):
        # `*modules: nn.Module`: a tuple of Modules handed over to be held (not a back-reference)
        values[star.name.value] = Value(Kind.CONTAINER, star.name, [Value(Kind.MODULE, star.name)], "tuple")
    return values


def is_module_annotation(ctx: "FileContext", node: Optional[cst.BaseExpression]) -> bool:
    """``nn.Module``, ``nn.Linear``, a project Module class, ``Optional[...]`` of one, or
    the same as a string."""
    return _annotation_is(ctx, node, _is_module_type, unions=False)


def _is_module_type(ctx: "FileContext", node: cst.BaseExpression) -> bool:
    leaf = _leaf_name(node)
    if not leaf[:1].isupper() or leaf in _NOT_MODULE_TYPES or leaf.endswith("Tensor"):
        return False  # `int`, `str`, `torch.device`, typing names: not Modules
    parts = dotted(node)
    if parts is None:
        return False
    memo = ctx.__dict__.setdefault("_module_annotations", {})
    key = tuple(parts)
    if key not in memo:
        resolved = ctx.resolve(node)
        if isinstance(resolved, External):
            memo[key] = known.is_module_base(resolved.dotted, ctx.index.extra_module_bases)
        else:
            memo[key] = isinstance(resolved, ClassRef) and ctx.index.is_module_class(resolved)
    return memo[key]


def _passes_through(setter: cst.FunctionDef) -> bool:
    """Does the setter only store its value as it is (``self._models = models``)? Then a
    container given to the property is reported at the property assignment
    (``self.models = []``), where the later ``self.models.append(...)`` calls fill it."""
    params = list(setter.params.params)
    if len(params) != 2 or not isinstance(setter.body, cst.IndentedBlock):
        return False
    for statement in setter.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
                continue  # the docstring
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1
                    and dotted(small.targets[0].target) is not None
                    and dotted(small.targets[0].target)[0] == params[0].name.value
                    and isinstance(small.value, cst.Name) and small.value.value == params[1].name.value):
                return False
    return True


_CONTAINER_TYPES = frozenset({"list", "tuple", "dict", "set", "frozenset", "Sequence", "MutableSequence", "Iterable",
                              "Collection", "Mapping", "MutableMapping", "List", "Tuple", "Dict", "Set"})


def _methods_base_init_calls(info: "ClassInfo") -> list[str]:
    """The methods this class defines that the ``__init__`` it inherits from a base class of
    the same file calls on ``self`` (the nearest base up the chain that has one)."""
    seen: set[str] = {info.name}
    base = _same_file_base(info, seen)
    while base is not None and "__init__" not in base.methods:
        base = _same_file_base(base, seen)
    if base is None:
        return []
    init = base.methods["__init__"]
    params = list(init.params.posonly_params) + list(init.params.params)
    if not params:
        return []
    self_name = params[0].name.value
    found: list[str] = []
    for node in walk.nodes(init.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                and isinstance(node.func.value, cst.Name) and node.func.value.value == self_name:
            name = node.func.attr.value
            if name in info.methods and name != "__init__" and name not in found:
                found.append(name)
    return found


def _same_file_base(info: "ClassInfo", seen: set[str]) -> Optional["ClassInfo"]:
    for parts in info.base_parts:
        if len(parts) == 1 and parts[0] not in seen:
            base = info.ctx.class_info(parts[0])
            if base is not None:
                seen.add(base.name)
                return base
    return None


def _starts_with_init_call(method: cst.FunctionDef) -> bool:
    """Is the first statement (after a docstring) a ``super().__init__(...)`` /
    ``Base.__init__(self, ...)`` call? Then nothing is stored before it."""
    body = method.body.body if isinstance(method.body, cst.IndentedBlock) else []
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine) or not statement.body:
            return False
        small = statement.body[0]
        if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
            continue  # the docstring
        return isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) \
            and isinstance(small.value.func, cst.Attribute) and small.value.func.attr.value == "__init__"
    return False


# Annotations of collections whose items are the subscript's (last) type argument.
_SEQUENCE_TYPES = frozenset(
    f"{module}.{name}" for module in ("typing", "collections.abc")
    for name in ("List", "Sequence", "MutableSequence", "Iterable", "Collection", "Tuple"))
_MAPPING_TYPES = frozenset(
    f"{module}.{name}" for module in ("typing", "collections.abc") for name in ("Dict", "Mapping", "MutableMapping"))
_BUILTIN_COLLECTIONS = {"list": "list", "tuple": "tuple", "dict": "dict"}


def module_container_annotation(ctx: "FileContext", node: Optional[cst.BaseExpression],
                                interfaces: bool = False) -> str:
    """``List[Block]``, ``Sequence[nn.Linear]``, ``dict[str, Block]``, ``Optional[...]`` of
    one, or the same as a string, where the item class creates parameters: the container
    kind (``"list"``, ``"tuple"``, ``"dict"``) of the Modules the argument hands over, else
    ``""``. Items of a bare ``nn.Module`` type are not judged (they may own nothing)."""
    if isinstance(node, cst.SimpleString):
        text = literal_string(node)
        try:
            return module_container_annotation(ctx, cst.parse_expression(text)) if text else ""
        except cst.ParserSyntaxError:
            return ""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        sides = [side for side in (node.left, node.right) if not _is_none(side)]
        return module_container_annotation(ctx, sides[0], interfaces) if len(sides) == 1 else \
            _union_container(ctx, sides)
    if not isinstance(node, cst.Subscript):
        return ""
    elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
    if not elements:
        return ""
    name = getattr(ctx.resolve(node.value), "dotted", None)
    if name is None and isinstance(node.value, cst.Name):
        name = _BUILTIN_COLLECTIONS.get(node.value.value)
    if name in _OPTIONAL and len(elements) == 1:
        return module_container_annotation(ctx, elements[0])
    if name in _UNION:
        return _union_container(ctx, [e for e in elements if not _is_none(e)])
    if name in _MAPPING_TYPES or name == "dict":
        container, items = "dict", elements[-1:]
    elif name in _SEQUENCE_TYPES or name in ("list", "tuple"):
        container = "tuple" if name in ("tuple", "typing.Tuple") else "list"
        items = [e for e in elements if not (isinstance(e, cst.Ellipsis))]
    else:
        return ""
    if not items or not all(_owns_parameters_type(ctx, item, interfaces) for item in items):
        return ""
    return container


def _union_container(ctx: "FileContext", elements: list[cst.BaseExpression]) -> str:
    """``Union[Block, List[Block]]`` / ``Block | list[Block]``: one Module or several
    (normalised into a list later). Only there may ``Block`` be an interface whose subclasses
    own the parameters: a lone ``dict[str, Decoder]`` of an abstract class may be a wrong
    annotation of something else."""
    one = any(isinstance(e, (cst.Name, cst.Attribute)) and _is_module_type(ctx, e) for e in elements)
    kinds = {module_container_annotation(ctx, element, interfaces=one) for element in elements} - {""}
    return kinds.pop() if len(kinds) == 1 else ""


def _owns_parameters_type(ctx: "FileContext", node: cst.BaseExpression, interfaces: bool = False) -> bool:
    """Is this annotation a Module class whose construction creates parameters, or (with
    ``interfaces``) a base class of this file's whose subclasses here do (``class
    Bottleneck(nn.Module)``, an interface, with ``class Variational(Bottleneck)`` holding a
    Conv1d)?"""
    if not isinstance(node, (cst.Name, cst.Attribute)) or not _is_module_type(ctx, node):
        return False
    resolved = ctx.resolve(node)
    if isinstance(resolved, External):
        return ctx.index.creates_parameters(resolved, {})
    if not isinstance(resolved, ClassRef):
        return False
    if ctx.index.class_owns_parameters(resolved):
        return True
    return interfaces and resolved.path == ctx.path and any(
        other.name != resolved.name and ctx.index.class_owns_parameters(other.ref)
        and any(ctx.resolve(base.value) == resolved for base in other.node.bases)
        for other in ctx.module_classes)


def _declared_value(ctx: "FileContext", param: cst.Param, modules: bool = True) -> Optional[Value]:
    if param.annotation is not None:
        container = module_container_annotation(ctx, param.annotation.annotation)
        if container:  # `blocks: List[Block]`: Modules handed over to be held
            item = Value(Kind.MODULE, param.name)
            item.argument = True
            value = Value(Kind.CONTAINER, param.name, [item], container, open=True)
            value.argument = True
            return value
    if param.annotation is not None and is_tensor_annotation(ctx, param.annotation.annotation):
        value = Value(Kind.TENSOR, param.name)
        value.assumed = True
        return value
    if modules and param.annotation is not None and is_module_annotation(ctx, param.annotation.annotation):
        value = Value(Kind.MODULE, param.name)
        value.assumed = True
        return value
    if param.default is not None and not isinstance(param.default, (cst.Name, cst.SimpleString, cst.Integer)):
        default = Evaluator(ctx, Host()).eval(param.default)
        if default.kind is Kind.TENSOR:
            value = Value(Kind.TENSOR, param.name)
            value.assumed = True  # a caller may pass a Parameter, or something else
            return value
        if default.kind is Kind.UNKNOWN and default.origin is not None:
            return default  # a torch factory as the default: `window_fn=torch.hann_window`
    return None


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
        self.arguments = frozenset()
        self.via: Optional[cst.Call] = None
        self.current_line = None
        self.existing_in: dict[int, list[str]] = {}  # id(arm body) -> names that exist there
        self.narrowed = {}

    # -- driving --------------------------------------------------------------------------

    def run(self) -> ConstructionFacts:
        init = self.info.methods.get("__init__")
        if init is not None:
            self.walk_method(init)
        elif self.info.methods:
            # the inherited __init__ runs this class's overrides of the methods it calls
            self.state.super_called = True
            self._walk_overrides_run_by_base_init()
        self.facts.final_attrs = self.state.attrs
        return self.facts

    def function_call(self, name: str, call: cst.Call, args: list[Value]) -> None:
        """Follow a module-level helper of this file that construction hands a Parameter to
        (``fill_table(n, d, self.pos.weight)``): its in-place writes are construction's."""
        function = self.ctx.functions.get(name)
        if function is None or name in self.stack or len(self.stack) >= MAX_INLINE_DEPTH:
            return
        if any(arg.star for arg in call.args) or function.params.star_arg is not None \
                and isinstance(function.params.star_arg, cst.Param):
            return
        params = list(function.params.posonly_params) + list(function.params.params)
        bindings: dict[str, Value] = {}
        for index, (arg, value) in enumerate(zip(call.args, args)):
            if arg.keyword is not None:
                bindings[arg.keyword.value] = value
            elif index < len(params):
                bindings[params[index].name.value] = value
        saved, self.via = self.via, self.via or call
        try:
            self.walk_method(function, bindings=bindings)
        finally:
            self.via = saved

    def walk_method(self, method: cst.FunctionDef, call: Optional[cst.Call] = None,
                    arg_values: Optional[list[Value]] = None,
                    bindings: Optional[dict[str, Value]] = None) -> Value:
        """Walk a method of the class (``call``/``arg_values``: how construction calls it), or,
        with ``bindings``, a module-level helper construction hands values to."""
        saved = (self.evaluator, self.returns, self.self_name, self.no_grad_depth, self.current_line, self.arguments)
        params = list(method.params.posonly_params) + list(method.params.params)
        static = any(dotted(d.decorator) in (["staticmethod"], ["classmethod"]) for d in method.decorators)
        self.self_name = params[0].name.value if params and not static and bindings is None else None
        # `__init__`'s own arguments (a helper's arguments are whatever `__init__` passes it)
        self.arguments = (frozenset(p.name.value for p in init_parameters(method))
                          if not self.stack and method.name.value == "__init__" else frozenset())
        self.evaluator = Evaluator(self.ctx, self, {})
        if bindings is None and not (call is not None and arg_values):  # defaults apply: no caller's values
            self.evaluator.string_defaults = {
                p.name.value: p.default for p in [*params, *method.params.kwonly_params]
                if isinstance(p.default, cst.SimpleString)
            }
        if bindings is not None:
            self.evaluator.locals = dict(bindings)
        else:
            passed = passed_kinds(self.ctx, self.info.name) if call is None and method.name.value == "__init__" \
                else None
            self.evaluator.locals = parameter_values(self.ctx, method, params[0 if static else 1:], call, arg_values,
                                                     passed=passed, modules=not _starts_with_init_call(method))
        self.returns = []
        if any(self._is_no_grad(d.decorator) for d in method.decorators):
            self.no_grad_depth += 1
        self.stack.append(method.name.value)
        if bindings is None:
            self.facts.methods_walked.add(method.name.value)
        outermost = len(self.stack) == 1
        if outermost:
            registration_observers.append(self._registered)
        try:
            self.walk(method.body)
            result = join(self.returns, tensor_wins=True)
        finally:
            if outermost:
                registration_observers.pop()
            self.stack.pop()
            self.evaluator, self.returns, self.self_name, self.no_grad_depth, self.current_line, self.arguments = saved
        return result

    def _registered(self, value: Value) -> None:
        self.facts.registered_on.setdefault(id(value), (value, []))[1].append(tuple(self.path))

    def argument(self, name: str, node: cst.Name) -> Value:
        return argument_value(self.ctx, self.info, name, node)

    def module_argument(self, name: str) -> bool:
        init = self.info.methods.get("__init__")
        if name not in self.arguments or init is None:
            return False
        param = next((p for p in init_parameters(init) if p.name.value == name), None)
        return param is not None and param.annotation is not None \
            and is_module_annotation(self.ctx, param.annotation.annotation) and not constructs_with(init, name)

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

    def enter_branch(self, branch: int, info: Branch) -> None:
        self.facts.branches[branch] = info

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
            arms = [node.body] if not negated else []
            orelse = node.orelse if negated else None
            while isinstance(orelse, cst.If):  # `if not hasattr(...): ... elif ...:` the names exist in every elif
                arms.append(orelse.body)
                orelse = orelse.orelse
            if isinstance(orelse, cst.Else):
                arms.append(orelse.body)
            for arm in arms if names else ():
                self.existing_in[id(arm)] = names
        super().statement(node)

    def walk(self, body: cst.BaseSuite) -> None:
        # in the arm where `hasattr(self, "n")` holds, a name the class registers somewhere may
        # already be a buffer (registered by an earlier call): a store there may go into _buffers
        names = self.existing_in.pop(id(body), ())
        if names and all(self._never_set(name) and name in self.info.registered_anywhere for name in names):
            # `hasattr(self, "cos")` holds only on a later call, when the class has registered
            # `cos`: this walk never runs the arm, and a later call stores into buffers
            return
        for name in names:
            if self.state.attr_state.get(name) is None and name in self.info.registered_anywhere:
                self.state.attr_state[name] = MAYBE_BUFFER
        super().walk(body)

    def _never_set(self, name: str) -> bool:
        """Has nothing set ``self.<name>`` so far: not this walk, not a class attribute, not a
        base class's registration?"""
        return not (name in self.state.attr_state or name in self.state.attrs or name in self.info.class_attributes
                    or name in self.info.registered_by_bases)

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
        name = identifier(name)
        self.facts.reads.setdefault(name, []).append(self.seq)
        return self.state.attrs.get(name) or unknown()

    def attribute_assign(self, target: cst.Attribute, value: Value, statement: cst.CSTNode) -> None:
        receiver = target.value
        if isinstance(receiver, cst.Name) and receiver.value == self.self_name and receiver.value not in self.evaluator.locals:
            setter = self._property_setters().get(target.attr.value)
            if setter is not None and value.kind is Kind.CONTAINER and _passes_through(setter):
                setter = None  # `self.models = []` stored as it is: the plain list is this assignment's
            if setter is not None and setter.name.value not in self.stack and len(self.stack) < MAX_INLINE_DEPTH:
                # `self.knots = knots` runs the class's `@knots.setter`: what it stores is construction's
                self.walk_method(setter, cst.Call(func=target.attr, args=[cst.Arg(value=target.attr)]), [value])
                return
            self.assign_self(identifier(target.attr.value), value, target, statement)
        else:
            super().attribute_assign(target, value, statement)

    def _property_setters(self) -> dict[str, cst.FunctionDef]:
        """The class's own ``@<name>.setter`` methods, by property name."""
        setters = self.__dict__.get("_setters")
        if setters is None:
            setters = self.__dict__["_setters"] = {}
            for statement in self.info.node.body.body:
                if isinstance(statement, cst.FunctionDef):
                    for decorator in statement.decorators:
                        parts = dotted(decorator.decorator)
                        if parts and len(parts) == 2 and parts[1] == "setter" and parts[0] == statement.name.value:
                            setters[parts[0]] = statement
        return setters

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
            name = identifier(target.attr.value)
            self.state.attr_state.pop(name, None)
            self.state.attrs.pop(name, None)
            self.facts.events.append(AttrDelete(name, self._next()))
        else:
            super().delete(target)

    def self_call(self, method: str, call: cst.Call, evaluator: Evaluator) -> Value:
        if method in _REGISTER_STATE:
            self.register(method, call, evaluator)
            return Value(Kind.NONE, call)
        values = [evaluator.eval(arg.value) for arg in call.args]
        definition = self.info.methods.get(method)
        if definition is not None:
            if method in self.stack or len(self.stack) >= MAX_INLINE_DEPTH:
                return unknown()
            return self.walk_method(definition, call, values)
        if method not in MODULE_API:
            self.facts.calls_unknown_self_methods = True
        return unknown()

    def register(self, method: str, call: cst.Call, evaluator: Evaluator) -> None:
        self.facts.touches_self = True
        name_node = argument(call, 0, "name")
        value_node = argument(call, 1, _REGISTER_VALUE_KEYWORD[method])
        name = literal_string(name_node)
        value = evaluator.eval(value_node) if value_node is not None else None
        key = attribute_key(self.info.name, name) if name is not None else None  # "_C__x" is self.__x
        prior = self.state.attr_state.get(key) if key is not None else None
        self.facts.events.append(
            RegisterCall(method, name, name_node or call, value, call, not self.state.super_called, prior, self._next())
        )
        if value is not None:
            mark_registered(value)
            if method in ("register_buffer", "register_parameter"):
                value.aliased = True  # this very object is saved and moved under `name`
        if key is not None:
            names = [key]
        else:
            possible = _possible_names(name_node, evaluator)
            names = [attribute_key(self.info.name, each) for each in possible] if possible is not None else None
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

    def init_call(self, call: cst.Call, skips_module_init: bool = False) -> None:
        if skips_module_init:
            # `super(nn.Module, self).__init__()` runs object.__init__: TL003 reports it. Later
            # assignments are not also "before super" (one mistake, one finding).
            self.facts.skipping_inits.append(call)
            self.state.super_called = True
            return
        if not self.state.super_called:
            self.state.super_called = True
        if self.facts.super_init is None:
            self.facts.super_init = call
            self._walk_overrides_run_by_base_init()

    def _walk_overrides_run_by_base_init(self) -> None:
        """A base class of this file whose ``__init__`` calls ``self._set_cache(...)`` runs
        this class's override when it is constructed (a template method): the override's
        stores are this class's construction."""
        for name in _methods_base_init_calls(self.info):
            if name not in self.stack and len(self.stack) < MAX_INLINE_DEPTH:
                self.walk_method(self.info.methods[name])

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
        leaf = value if value.kind is Kind.PARAMETER else value.leaf
        self.facts.events.append(
            InplaceOp(value, node, method, self.no_grad_depth > 0, self._next(), self.current_line,
                      leaf, leaf is not None and leaf.requires_grad, self.via)
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
