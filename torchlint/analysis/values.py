"""Abstract values: what the linter knows about the object an expression produces."""

from __future__ import annotations

import enum
from typing import Iterable, Iterator, Optional

import libcst as cst


class Kind(enum.Enum):
    UNKNOWN = "unknown"
    NONE = "none"
    SCALAR = "scalar"  # numbers, strings, bools: never a tensor
    SELF = "self"
    TENSOR = "tensor"  # a plain torch.Tensor (not a Parameter)
    TENSOR_TUPLE = "tensor-tuple"  # torch.meshgrid(...), t.chunk(...)
    PARAMETER = "parameter"
    BUFFER = "buffer"  # nn.Buffer(...) or a registered buffer
    MODULE = "module"
    CONTAINER = "container"  # a Python list / tuple / dict / set
    ARRAY = "array"  # a NumPy array (np.zeros, np.array, ...): never a tensor


TENSOR_LIKE = frozenset({Kind.TENSOR, Kind.PARAMETER, Kind.BUFFER})
REGISTERING = frozenset({Kind.PARAMETER, Kind.BUFFER, Kind.MODULE})


class Value:
    """One abstract object. Values are shared by reference, so marking a local as
    registered (``self.add_module(name, layer)``) is seen through every list holding it."""

    __slots__ = ("kind", "node", "items", "container", "open", "registered", "requires_grad", "requires_grad_node",
                 "stateless", "aliases", "origin", "parts", "derived", "complex", "moved", "assumed", "argument", "adopted", "aliased", "leaf", "plain_when",
                 "function")

    def __init__(
        self,
        kind: Kind,
        node: Optional[cst.CSTNode] = None,
        items: Optional[list["Value"]] = None,
        container: str = "",
        open: bool = False,
    ):
        self.kind = kind
        self.node = node
        self.items = items if items is not None else []
        self.container = container  # "list" | "tuple" | "dict" | "set"
        self.open = open  # a container that may hold items we could not see
        self.registered = False  # this very object is registered on the module
        self.requires_grad = False
        self.requires_grad_node: Optional[cst.CSTNode] = None
        self.stateless = False  # a Module with no parameters, buffers or train/eval behaviour
        self.aliases: list["Value"] = []  # a loop variable stands for each item of what it iterates
        self.origin = None  # for a Module: the class that built it (project.External or project.ClassRef)
        self.parts: list["Value"] = []  # for a Module: the values passed to its constructor
        self.derived = False  # computed from parameters (a non-leaf that requires grad)
        self.complex = False  # a complex tensor (torch.polar, view_as_complex, a complex dtype) or 1j
        self.moved: Optional["Move"] = None  # the result of `.to()`/`.cuda()`/`.double()`... on a Parameter
        # the kind comes from a signature (``t: Tensor``), not from seeing the value made: a
        # Parameter is a `Tensor` too, so checks that a Parameter would pass stay silent
        self.assumed = False
        self.argument = False  # an `__init__` argument whose kind comes from its annotation or the callers
        self.adopted = False  # passed, as this object, to a child Module that registers it
        self.aliased = False  # this very object is registered on the module itself under another name
        self.leaf: Optional["Value"] = None  # the Parameter this is a view of that autograd tracks (`p[:, 4]`, `p.view(...)`)
        # `nn.Parameter(t) if learn else t`: a plain tensor on one arm only: (the test, plain when it is true)
        self.plain_when: Optional[tuple[cst.BaseExpression, bool]] = None
        # a lambda: (its node, the evaluator it was made in), so a call of it can be evaluated
        self.function: Optional[tuple[cst.Lambda, object]] = None

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        extra = f" items={self.items}" if self.kind is Kind.CONTAINER else ""
        return f"<{self.kind.value}{' registered' if self.registered else ''}{extra}>"

    @property
    def is_tensor_like(self) -> bool:
        return self.kind in TENSOR_LIKE

    def leaves(self) -> Iterator["Value"]:
        """The non-container values inside a (possibly nested) container."""
        stack = list(self.items)
        seen: set[int] = set()
        while stack:
            value = stack.pop()
            if id(value) in seen:
                continue
            seen.add(id(value))
            if value.kind is Kind.CONTAINER:
                stack.extend(value.items)
            else:
                yield value


class Move:
    """How a tensor came from a Parameter through a device/dtype method: ``nn.Parameter(t).to(device)``,
    ``self.scale.double()``. Such a method returns the Parameter itself when it copies nothing (CPU, same
    dtype) and a new plain tensor otherwise."""

    __slots__ = ("method", "call", "source", "fresh")

    def __init__(self, method: str, call: cst.Call, source: Value, fresh: bool):
        self.method = method  # the first moving method of the chain: "to", "cuda", "double", ...
        self.call = call  # the outermost moving call seen so far
        self.source = source  # the Parameter value
        self.fresh = fresh  # the Parameter was not registered yet when it was moved (`nn.Parameter(t).cuda()`)


UNKNOWN = Value(Kind.UNKNOWN)


def unknown() -> Value:
    return Value(Kind.UNKNOWN)


# What a plain tensor on one path may meet on another and still be reported: a value we
# cannot see (an argument), nothing, or a number.
_TENSOR_JOINS = frozenset({Kind.TENSOR, Kind.UNKNOWN, Kind.NONE, Kind.SCALAR})


def join(values: Iterable[Optional[Value]], tensor_wins: bool = False) -> Value:
    """The value of a name bound on several paths (if/else, several returns).

    ``None`` on one path does not hide a tensor on another: ``t if c else None``
    stores a tensor whenever it stores anything. With ``tensor_wins``, a plain tensor on
    one path is the answer whenever the other paths hold nothing registered (a value of
    unknown type, a number): ``tau if isinstance(tau, Tensor) else torch.tensor(tau)``
    stores a plain tensor on at least one path.
    """
    values = list(values)
    if tensor_wins:
        present = [v for v in values if v is not None]
        tensors = [v for v in present if v.kind is Kind.TENSOR]
        if tensors and all(v.kind in _TENSOR_JOINS for v in present):
            return join(tensors)
    result: Optional[Value] = None
    for value in values:
        if value is None or value is result:
            continue
        if result is None or result.kind is Kind.NONE:
            result = value
        elif value.kind is Kind.NONE:
            continue
        elif value.kind is not result.kind:
            # of no one kind; registering it (`nn.Sequential(*self.x)`) still registers
            # whatever each path held
            mixed = unknown()
            mixed.aliases = [v for v in values if v is not None and v.kind is not Kind.NONE]
            return mixed
    return result if result is not None else unknown()


def element_of(container: Value, node: Optional[cst.CSTNode] = None) -> Value:
    """The loop variable of ``for x in container``: it stands for every item."""
    if container.kind is not Kind.CONTAINER or not container.items:
        return unknown()
    if len(container.items) == 1 and not container.open:
        return container.items[0]
    joined = join(container.items) if not container.open else unknown()
    element = Value(joined.kind, node, items=list(joined.items), container=joined.container)
    element.aliases = list(container.items)
    # `[m for m in [self.a, self.b]]`: every item it may be is registered already
    element.registered = not container.open and all(item.registered for item in container.items
                                                    if item.kind is not Kind.NONE)
    return element


# Who is told when a value becomes registered: the construction walk in progress (innermost
# last) records on which branch path it happened, so that a list registered in one arm of an
# `if` is still plain in the other (``nn.Sequential(*layers)`` / ``self.x = layers``).
registration_observers: list = []


def mark_registered(value: Value) -> None:
    """``value`` (and whatever it holds) is now owned by a registered container."""
    value.registered = True
    if registration_observers:
        registration_observers[-1](value)
    for alias in value.aliases:
        if not alias.registered:
            mark_registered(alias)
    if value.kind is Kind.CONTAINER:
        for leaf in value.leaves():
            if not leaf.registered:
                mark_registered(leaf)
