"""TL010 buffer-name-conflict

## What it does
Finds `register_buffer` / `register_parameter` / `add_module` calls that torch
rejects at construction:
- the name is already an attribute of the instance (assigned earlier in
  construction, even to `None`, or a class attribute or method);
- the name is a `@property` of the class whose getter returns at that point: torch
  asks `hasattr(self, name)`, which runs the getter. A getter that raises
  `AttributeError` there (it reads an attribute not set yet) lets torch register the
  tensor, and `self.x` falls back to it while the getter fails: that is not reported;
- a private name registered as written (`register_buffer("__x", t)`) in a class that
  uses `self.__x`, which Python turns into `_C__x`: the registered tensor is never
  reached (register `"_C__x"` or write `self.__x = nn.Buffer(t)`);
- the name is empty or contains a dot;
- the value has the wrong type: `register_buffer` given something that is not a
  tensor or `None` (a number, a list, tuple or dict, a NumPy array such as
  `np.zeros(n)`, directly, through a local or `self.x`, or through an `__init__`
  argument that every caller in the file passes a list to), `register_parameter` given a plain tensor instead of an
  `nn.Parameter`, `add_module` given something that is not a Module (a
  `functools.partial`, a function, a lambda, a list). `add_module` checks the type
  before the name, so that is reported as the `TypeError`, not as a name clash.

## Why is this bad?
torch raises `KeyError: "attribute 'x' already exists"` or a `TypeError` (`... is not
a Module subclass`) while the model is being built.

## Example
```python
class Attention(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.mask = None
        self.register_buffer("mask", torch.ones(size, size).tril())
```

## Fix
Register the name once, and do not assign it as a plain attribute first:
```python
        self.register_buffer("mask", torch.ones(size, size).tril())
```
For a property, register the tensor under another name (`_mask`) and let the property
return it. Keep a function or `functools.partial` as a plain attribute
(`self.act = partial(F.leaky_relu, negative_slope=0.2)`), or wrap it in a Module.
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis import known, walk
from torchlint.analysis.names import mangled_name
from torchlint.analysis.attributes import reported_as_moved
from torchlint.analysis.construction import BUFFER, MODULE, PARAM, PLAIN, AttrAssign, RegisterCall
from torchlint.analysis.project import External
from torchlint.analysis.tensors import argument, dotted
from torchlint.analysis.values import Kind
from torchlint.rules.base import Finding, Rule

# The state torch accepts a re-registration from, per method.
_SAME_STATE = {"register_buffer": BUFFER, "register_parameter": PARAM, "add_module": MODULE, "register_module": MODULE}
_DESCRIBE_STATE = {PLAIN: "a plain attribute", PARAM: "a parameter", BUFFER: "a buffer", MODULE: "a submodule"}
# Values each method rejects with a TypeError.
_BAD_VALUES = {
    "register_buffer": {Kind.SCALAR, Kind.CONTAINER, Kind.MODULE, Kind.ARRAY},
    "register_parameter": {Kind.TENSOR, Kind.BUFFER, Kind.SCALAR, Kind.CONTAINER, Kind.MODULE, Kind.ARRAY},
    "add_module": {Kind.TENSOR, Kind.PARAMETER, Kind.BUFFER, Kind.SCALAR, Kind.CONTAINER, Kind.ARRAY},
    "register_module": {Kind.TENSOR, Kind.PARAMETER, Kind.BUFFER, Kind.SCALAR, Kind.CONTAINER, Kind.ARRAY},
}
# torch's own words for the rejected type, where the value's type is known
_TORCH_REQUIRED = {"register_buffer": ("buffer", "torch Tensor or None required"),
                   "register_parameter": ("parameter", "torch.nn.Parameter or None required")}
_EXPECTED = {
    "register_buffer": "a tensor or None",
    "register_parameter": "an nn.Parameter or None",
    "add_module": "an nn.Module or None",
    "register_module": "an nn.Module or None",
}
class BufferNameConflict(Rule):
    code = "TL010"
    name = "buffer-name-conflict"
    summary = "register_buffer/register_parameter with a name already in use, or a value of the wrong type"
    VALID = (
        """
import torch
import torch.nn as nn

class Linear(nn.Module):
    def __init__(self, n, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n, n))
        if bias:
            self.bias = nn.Parameter(torch.empty(n))
        else:
            self.register_parameter("bias", None)
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))
        self.register_buffer("steps", torch.ones((), dtype=torch.long))
""",
    )
    INVALID = (
        """
import torch
import torch.nn as nn

class Attention(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.mask = None
        self.register_buffer("mask", torch.ones(size, size).tril())
""",
        """
import torch.nn as nn

class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("count", 0)
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for info in ctx.module_classes:
            moved = reported_as_moved(info)
            for event in info.construction.registrations():
                not_a_module = _not_a_module(ctx, info, event)
                if not_a_module:
                    # add_module checks the value's type before the name: a TypeError, not a clash
                    yield Finding(event.call, *not_a_module)
                    continue
                problem = _name_problem(info, event)
                if problem:
                    yield Finding(event.name_node, *problem)
                problem = _value_problem(event) if event.seq not in moved else None  # TL011's
                if problem:
                    yield Finding(event.call, *problem)


def _name_problem(info, event: RegisterCall) -> Optional[tuple[str, str]]:
    name = event.name
    if name is None:
        return None
    what = "buffer" if event.method == "register_buffer" else "parameter" if event.method == "register_parameter" else "module"
    if not name or "." in name:
        return (
            f"`{name!r}` is not a valid {what} name: `self.{event.method}` raises `KeyError` "
            "(names must be non-empty and contain no '.')",
            "Use a name without dots",
        )
    mangled = mangled_name(info.name, name)
    if mangled and _reads_self_attribute(info, name):
        return (
            f"`self.{event.method}(\"{name}\", ...)` registers `{name}`, but inside `{info.name}` `self.{name}` is "
            f"the attribute `{mangled}` (Python mangles private names), so it never reaches what was registered",
            f"Register it as `\"{mangled}\"`" + (f", or write `self.{name} = nn.Buffer(...)`"
                                                    if event.method == "register_buffer" else ""),
        )
    prior = event.prior_state
    if prior is None and name in _property_getters(info):
        return _property_problem(info, event)
    if prior is None and (name in info.class_attributes or name in known.MODULE_ATTRIBUTES):
        described = "a class attribute or method"
    elif prior in _DESCRIBE_STATE and prior != _SAME_STATE[event.method]:
        described = f"already {_DESCRIBE_STATE[prior]}"
    else:
        return None
    return (
        f"`{name}` is {described} of the module: `self.{event.method}(\"{name}\", ...)` raises "
        f"`KeyError: \"attribute '{name}' already exists\"`",
        f"Register `{name}` once and do not assign `self.{name}` before registering it",
    )


def _property_getters(info) -> dict[str, cst.FunctionDef]:
    """The getters of the class's own properties (``@property``, ``@cached_property``)."""
    getters = {}
    for statement in info.node.body.body if isinstance(info.node.body, cst.IndentedBlock) else ():
        if isinstance(statement, cst.FunctionDef) and statement.name.value not in getters:
            for decorator in statement.decorators:
                parts = dotted(decorator.decorator) or []
                if parts and parts[-1] in ("property", "cached_property"):
                    getters[statement.name.value] = statement
    return getters


def _property_problem(info, event: RegisterCall) -> Optional[tuple[str, str]]:
    """torch asks ``hasattr(self, name)``, which runs the getter. If the getter returns, the
    registration raises ``KeyError``. If it raises ``AttributeError`` (it reads an attribute
    not set yet), torch registers the tensor and ``self.<name>`` falls back to it while the
    getter keeps failing: a deliberate pattern, not reported."""
    name = event.name
    getter = _property_getters(info)[name]
    set_before = {e.name for e in info.construction.events
                  if e.seq < event.seq and isinstance(e, (AttrAssign, RegisterCall)) and e.name}
    self_name = getter.params.params[0].name.value if getter.params.params else "self"
    for read in _self_reads(getter, self_name):
        if read not in set_before and read not in info.class_attributes and read not in known.MODULE_ATTRIBUTES:
            return None  # the getter raises AttributeError here: torch registers the tensor
    what = "buffer" if event.method == "register_buffer" else "parameter" if event.method == "register_parameter" else "module"
    return (
        f"`{name}` is a property of `{info.name}`: `self.{event.method}(\"{name}\", ...)` asks `hasattr(self, "
        f"\"{name}\")`, which runs the getter; it returns, so torch raises `KeyError: \"attribute '{name}' already "
        "exists\"`",
        f"Register the {what} under another name (e.g. `_{name}`) and let the property return it",
    )


def _reads_self_attribute(info, name: str) -> bool:
    """Does some method of the class read ``self.<name>``?"""
    return any(name in _self_reads(method, method.params.params[0].name.value)
               for method in info.methods.values() if method.params.params)


def _self_reads(function: cst.FunctionDef, self_name: str) -> set[str]:
    reads: set[str] = set()

    class Reads(walk.Visitor):
        def visit_Attribute(self, node):
            if isinstance(node.value, cst.Name) and node.value.value == self_name:
                reads.add(node.attr.value)

    walk.visit(function.body, Reads())
    return reads


_MODULE_METHODS = frozenset({"add_module", "register_module"})


def _not_a_module(ctx, info, event: RegisterCall) -> Optional[tuple[str, str]]:
    """``add_module(name, value)`` with a value that is certainly not a Module (a
    ``functools.partial``, a function, a lambda): torch raises ``TypeError: ... is not a
    Module subclass`` before it looks at the name."""
    if event.method not in _MODULE_METHODS:
        return None
    node = argument(event.call, 1, "module")
    if isinstance(node, cst.Attribute) and dotted(node.value) == [_self_name(info)]:
        # `self.add_module("act", self.act)`: what was stored there last
        stored = [e for e in info.construction.assignments() if e.seq < event.seq and e.name == node.attr.value]
        statement = stored[-1].statement if stored else None
        node = getattr(statement, "value", None) if isinstance(statement, (cst.Assign, cst.AnnAssign)) else None
    shown = _callable_kind(ctx, node)
    if shown is None:
        return None
    return (
        f"{shown} is passed to `self.{event.method}`, which only takes an `nn.Module` (or None): torch raises "
        f"`TypeError: {'functools.partial' if 'partial' in shown else '...'} is not a Module subclass` at construction",
        "Keep it as a plain attribute (`self.name = fn`), or wrap the computation in an `nn.Module`",
    )


def _self_name(info) -> str:
    init = info.methods.get("__init__")
    params = init.params.params if init is not None else ()
    return params[0].name.value if params else "self"


def _callable_kind(ctx, node) -> Optional[str]:
    if isinstance(node, cst.Lambda):
        return "A lambda"
    if isinstance(node, cst.Call):
        resolved = ctx.resolve(node.func)
        if isinstance(resolved, External) and resolved.dotted == "functools.partial":
            return "`functools.partial`"
        return None
    if isinstance(node, (cst.Name, cst.Attribute)):
        if isinstance(node, cst.Name) and node.value in ctx.functions:
            return "A function"
        resolved = ctx.resolve(node)
        if isinstance(resolved, External) and resolved.dotted.startswith(_FUNCTION_MODULES):
            return "A function"
    return None


# Modules whose members used as values here are functions, not Module classes.
_FUNCTION_MODULES = ("torch.nn.functional.", "math.", "operator.")


def _value_problem(event: RegisterCall) -> Optional[tuple[str, str]]:
    value = event.value
    if value is None or value.kind not in _BAD_VALUES[event.method]:
        return None
    if value.assumed and value.kind is Kind.TENSOR:
        return None  # an argument annotated `Tensor` may well be a Parameter
    shown = {Kind.TENSOR: "a plain tensor", Kind.BUFFER: "a plain tensor", Kind.PARAMETER: "a Parameter",
             Kind.SCALAR: "a Python scalar", Kind.CONTAINER: "a Python container", Kind.MODULE: "a Module",
             Kind.ARRAY: "a NumPy array"}[value.kind]
    type_name = "numpy.ndarray" if value.kind is Kind.ARRAY else value.container if value.kind is Kind.CONTAINER else ""
    if type_name:
        shown = f"a Python {type_name}" if value.kind is Kind.CONTAINER else shown
    if value.argument:
        shown += " (what this file's callers pass for this `__init__` argument)"
    fix = {"register_parameter": "Wrap the value in `nn.Parameter(...)`",
           "register_buffer": "Pass a tensor, e.g. `torch.tensor(value)`"}.get(event.method, "Pass an nn.Module")
    if value.kind is Kind.ARRAY and event.method == "register_buffer":
        fix = "Pass a tensor: `torch.from_numpy(array)` or `torch.tensor(array)`"
    elif value.kind is Kind.CONTAINER and event.method == "register_buffer":
        fix = "Register each tensor as its own buffer, or `torch.stack(...)` them into one; keep a plain list as a plain attribute"
    error = "`TypeError` at construction"
    if type_name and event.method in _TORCH_REQUIRED and event.name is not None:
        what, required = _TORCH_REQUIRED[event.method]
        error = f"`TypeError: cannot assign '{type_name}' object to {what} '{event.name}' ({required})` at construction"
    return (
        f"{shown[0].upper()}{shown[1:]} is passed to `self.{event.method}`, which needs {_EXPECTED[event.method]}: "
        f"torch raises {error}",
        fix,
    )
