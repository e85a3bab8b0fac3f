"""TL010 buffer-name-conflict

## What it does
Finds `register_buffer` / `register_parameter` / `add_module` calls that torch
rejects at construction:
- the name is already an attribute of the instance (assigned earlier in
  construction, even to `None`, or a class attribute or method);
- the name is empty or contains a dot;
- the value has the wrong type: `register_buffer` given something that is not a
  tensor or `None`, `register_parameter` given a plain tensor instead of an
  `nn.Parameter`, `add_module` given something that is not a Module.

## Why is this bad?
torch raises `KeyError: "attribute 'x' already exists"` or a `TypeError` while the
model is being built.

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
"""

from __future__ import annotations

from typing import Iterator, Optional

from torchlint.analysis import known
from torchlint.analysis.construction import BUFFER, MODULE, PARAM, PLAIN, RegisterCall
from torchlint.analysis.values import Kind
from torchlint.rules.base import Finding, Rule

# The state torch accepts a re-registration from, per method.
_SAME_STATE = {"register_buffer": BUFFER, "register_parameter": PARAM, "add_module": MODULE, "register_module": MODULE}
_DESCRIBE_STATE = {PLAIN: "a plain attribute", PARAM: "a parameter", BUFFER: "a buffer", MODULE: "a submodule"}
# Values each method rejects with a TypeError.
_BAD_VALUES = {
    "register_buffer": {Kind.SCALAR, Kind.CONTAINER, Kind.MODULE},
    "register_parameter": {Kind.TENSOR, Kind.BUFFER, Kind.SCALAR, Kind.CONTAINER, Kind.MODULE},
    "add_module": {Kind.TENSOR, Kind.PARAMETER, Kind.BUFFER, Kind.SCALAR, Kind.CONTAINER},
    "register_module": {Kind.TENSOR, Kind.PARAMETER, Kind.BUFFER, Kind.SCALAR, Kind.CONTAINER},
}
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
            for event in info.construction.registrations():
                problem = _name_problem(event, info.class_attributes)
                if problem:
                    yield Finding(event.name_node, *problem)
                problem = _value_problem(event)
                if problem:
                    yield Finding(event.call, *problem)


def _name_problem(event: RegisterCall, class_attributes: set[str]) -> Optional[tuple[str, str]]:
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
    prior = event.prior_state
    if prior is None and (name in class_attributes or name in known.MODULE_ATTRIBUTES):
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


def _value_problem(event: RegisterCall) -> Optional[tuple[str, str]]:
    value = event.value
    if value is None or value.kind not in _BAD_VALUES[event.method]:
        return None
    if value.assumed and value.kind is Kind.TENSOR:
        return None  # an argument annotated `Tensor` may well be a Parameter
    shown = {Kind.TENSOR: "a plain tensor", Kind.BUFFER: "a plain tensor", Kind.PARAMETER: "a Parameter",
             Kind.SCALAR: "a Python scalar", Kind.CONTAINER: "a Python container", Kind.MODULE: "a Module"}[value.kind]
    fix = {"register_parameter": "Wrap the value in `nn.Parameter(...)`",
           "register_buffer": "Pass a tensor, e.g. `torch.tensor(value)`"}.get(event.method, "Pass an nn.Module")
    return (
        f"{shown[0].upper()}{shown[1:]} is passed to `self.{event.method}`, which needs {_EXPECTED[event.method]}: "
        "torch raises `TypeError` at construction",
        fix,
    )
