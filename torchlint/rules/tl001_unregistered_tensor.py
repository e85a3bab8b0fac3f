"""TL001 unregistered-tensor

## What it does
Finds a plain tensor stored on a Module during construction (`__init__`, the
methods it calls, the class's property setters it runs by assigning the property, and the
class's overrides of methods that the `__init__` it inherits from a base class of the file
calls: `_set_cos_sin_cache` overridden by a scaled rotary embedding):
`self.x = torch.zeros(...)`, followed through local variables,
arithmetic, indexing, tensor methods (`.float()`, `.to(...)`, `.unsqueeze(0)`), the
project's own functions that return a tensor (annotated or not, given tensor arguments
or not), conditional values that are a tensor on at least one path
(`tau if isinstance(tau, torch.Tensor) else torch.tensor(tau)`) and torch factories
reached dynamically (`getattr(torch, f"{name}_window")(n)`, `window_fn=torch.hann_window`,
`getattr(torch, window)(n)` with `window="hann_window"` as the argument's default), and
static or class methods of the project's classes annotated to return a tensor
(`Layout.offsets(sizes)` with `def offsets(sizes) -> torch.LongTensor`). Helpers of
another module are read too: one that converts its argument as `torch.as_tensor` does
(`cast_as_tensor(x)`: it gives back a tensor as it is, or makes one with `torch.tensor(x)`)
gives a tensor, and a check that hands back what it was given (`check(x, "x", ndim=1)`:
every return is the argument or None) gives the argument's own value.
An argument of `__init__` counts as a tensor when it is annotated `Tensor`,
`torch.Tensor`, `Optional[Tensor]` (or the same as a string), has a tensor default, or
the file's own code passes it a tensor; an argument of unknown type is not reported.
A tensor wrapped in `nn.Parameter` or registered only inside a branch
(`if learn: self.beta = nn.Parameter(self.beta)`), or on one arm of a conditional
expression (`self.beta = nn.Parameter(b) if learn else b`), stays plain on the other
path: it is reported, saying on which path.

## Why is this bad?
`nn.Module.__setattr__` registers only Parameters, buffers and submodules. A plain
tensor attribute is missing from `parameters()`, `buffers()` and `state_dict()`: it is
never trained, never saved in a checkpoint, and is not moved by `.to(device)`,
`.cuda()` or `.half()`, so the model fails (or silently computes in the wrong dtype)
as soon as it leaves the CPU. Moving it by hand in `forward` is the classic symptom.

## Example
```python
class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=5000):
        super().__init__()
        pe = torch.zeros(max_len, d_model)
        self.pe = pe.unsqueeze(0)
```

## Fix
Register it as a buffer (state that is saved and moved but not trained):
```python
        self.register_buffer("pe", pe.unsqueeze(0))
        # or, for a cache that should stay out of checkpoints:
        self.register_buffer("pe", pe.unsqueeze(0), persistent=False)
```
or make it an `nn.Parameter(...)` if it should be learned. On torch >= 2.5,
`self.pe = nn.Buffer(pe.unsqueeze(0))` is equivalent to `register_buffer`; the
`buffer-style` setting picks the form the help and the fix use (unset: the form the file
already uses). On a line that runs before `super().__init__()`, registering raises
`cannot assign buffer before Module.__init__() call`: keep the tensor in a local and
register it after the super call. When the attribute is first set to None and the tensor
is stored later (`self.pe = None; self.extend_pe(n)`), register None where it is first
set (`self.register_buffer("pe", None)`): later stores of a tensor go into the buffer.
A private `self.__x` inside `class C` is the attribute
`_C__x`: register it as `register_buffer("_C__x", t)` or write `self.__x = nn.Buffer(t)`.
One target of several is unpacked into a local and registered right after:
`cos, self.k = f()` then `self.register_buffer("cos", cos)`; `self.n = n = t` becomes
`n = t` then `self.register_buffer("n", n)`. A tensor that arrives as an argument
(`def __init__(self, w: Tensor)`) is registered the same way, but check the callers: one
passing an `nn.Parameter` would get a buffer that is no longer trained; likewise check
other code that stores a value of unseen type under the name (an argument, an imported
function's result): anything but a tensor or None raises `TypeError` there once it is a
buffer. On one arm of a conditional expression, store each path on its own:
`if learn: self.beta = nn.Parameter(b)` / `else: self.register_buffer("beta", b)`.
A name set (or registered) on some arms of an `if` only, with a path that sets nothing,
is registered holding None right before that `if`
(`self.register_buffer("cov", None, persistent=False)`): every path's tensor then goes
into the buffer, a registration in an arm keeps its own form, and a path that sets
nothing holds None, which no checkpoint saves.

Tensors cached outside construction (an RNN's last hidden state set in `forward`) are
not reported: state kept between calls, outside the model's saved and trained state,
is what plain tensor attributes are for.

Not reported either, since torch does save or move them, or there is nothing to save:
a store to a name already registered as a buffer (`register_buffer("D", None)` first,
also under a computed name it may match, or in a base class); the same tensor object
handed to a child that registers it as passed (`nn.CrossEntropyLoss(weight=w)`, your
own Module whose `__init__` registers that argument), unless the class accumulates into
it; the same object registered under another name and never used outside construction;
a placeholder the class replaces outside construction and never reads as state (an
empty one, even if written into in place, which writes nothing; or one only compared as
a cache key before being replaced, directly, with `torch.equal`, or through a function
of the file that returns whether its arguments match); a tensor the class moves or saves
itself in an `_apply` or state-dict override (an override of `to()`, `cuda()` or `half()`
does not count: a parent model's `.to(device)` reaches its children through `_apply`,
never through their own `to()`); a tensor whose comment (on its line, in the comment
block right above it, or a few lines above naming it) says it is kept out on purpose
(`# scratch space: intentionally not a buffer, so it is not saved`); a comment that flags
a problem (`TODO`, `FIXME`, "should be registered") does not count.

A complex tensor (`torch.polar`, `torch.view_as_complex`, a complex `dtype=`) is
reported with different advice and no autofix: as a buffer, `model.to(torch.bfloat16)`
casts it to that real dtype and drops its imaginary part. Keep real buffers (the cos
and sin parts, or `torch.view_as_real(t)`) and build the complex tensor in `forward`,
or move it yourself in an `_apply` override.
"""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.attributes import (
    copies_always, registered_only_when, reported_as_moved, single_assignment, unregistered_tensor_assignments,
)
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import (
    SAFE, UNSAFE, Imports, code, enclosing_statement, first_row, fix, indentation_of, insert_at, newline, replace,
)
from torchlint.fixes.buffers import (
    NN_BUFFER, buffer_style, move_below_super, register_after_super, register_buffer_help, stored_name,
)
from torchlint.fixes.targets import split_target
from torchlint.analysis.construction import AttrAssign
from torchlint.analysis.stores import statement_place
from torchlint.analysis.known import MODULE_ATTRIBUTES
from torchlint.analysis.values import REGISTERING, Kind
from torchlint.fixes.guards import (
    is_script_module, can_register, first_set_to_none, may_be_registered_elsewhere, name_can_hold_buffer, non_tensor_store,
    unseen_blockers,
)
from torchlint.analysis.intent import said_unregistered
from torchlint.rules.base import Finding, Rule


class UnregisteredTensor(Rule):
    code = "TL001"
    name = "unregistered-tensor"
    summary = "A plain tensor stored on a Module in __init__ (not a Parameter or buffer)"
    fixable = True
    VALID = (
        """
import torch
from torch import nn

class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=5000):
        super().__init__()
        pe = torch.zeros(max_len, d_model)
        self.register_buffer("pe", pe.unsqueeze(0))
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        self.last = x.detach()          # a cache set outside construction is fine
        return x + self.pe[:, : x.size(1)]
""",
        """
import torch
import torch.nn as nn

class Head(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.device = torch.device("cpu")
        self.n = torch.zeros(3).numel()
        self.mask = None
""",
    )
    INVALID = (
        """
import torch
import torch.nn as nn

class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.Tensor([1.0, 2.0])
""",
        """
from torch import nn, arange

class Rotary(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.inv_freq = 1.0 / (10000 ** (arange(0, dim, 2).float() / dim))
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for info in ctx.module_classes:
            moved = reported_as_moved(info)
            for event in unregistered_tensor_assignments(info):
                if event.value.requires_grad and not event.value.derived:
                    continue  # TL004 reports it, more specifically
                if event.seq in moved or (event.value.moved is not None and not copies_always(event.value.moved)):
                    continue  # TL011 reports it; a `.to()` that may return the Parameter itself is no plain tensor
                if said_unregistered(ctx, event):
                    continue  # the author's comment says it is kept out of state_dict() on purpose
                only_when = registered_only_when(info, event)
                condition = only_when or _plain_arm(ctx, event)
                if condition is not None:
                    yield Finding(
                        event.target,
                        f"`self.{event.name}` stays a plain tensor {condition}: it is wrapped or registered only "
                        "inside a branch, so on that path it is missing from `parameters()` and `state_dict()`, "
                        "is never saved, and is not moved by `.to(device)`",
                        f"Keep the tensor in a local and register it on every path, e.g. "
                        f'`self.{event.name} = nn.Parameter(t)` / `else: self.register_buffer("{event.name}", t)` '
                        "(registering a name that already holds a plain tensor raises KeyError)",
                        _wrapped_later_fix(ctx, info, event) if only_when else _plain_arm_fix(ctx, info, event),
                    )
                    continue
                if event.value.complex:
                    yield _complex_finding(event)
                    continue
                registration = _register_fix(ctx, info, event)
                advice = register_buffer_help(ctx, info, event)
                if registration is None:
                    reason = _refusal(ctx, info, event)
                    advice += f" (no automatic fix: {reason})" if reason else ""
                yield Finding(
                    event.target,
                    f"`self.{event.name}` holds a plain tensor, not a parameter or buffer: it is missing from "
                    "`parameters()` and `state_dict()`, is never trained or saved, and is not moved by "
                    "`.to(device)`",
                    advice,
                    registration,
                )


def _plain_arm(ctx, event) -> Optional[str]:
    """``self.s = nn.Parameter(t) if learn else t``: when the stored tensor is plain."""
    if event.value.plain_when is None:
        return None
    test, on_true = event.value.plain_when
    text = " ".join(ctx.source_of(test).split())
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"when `{text}` is {'true' if on_true else 'false'}"


def _wrapped_later_fix(ctx, info, event) -> Optional[Fix]:
    """``self.a = t`` then ``if learn: self.a = nn.Parameter(self.a)``: register ``t`` as a
    non-persistent buffer where it is stored. Assigning a Parameter to a buffer's name
    takes it out of the buffers (``Module.__setattr__``), so the wrapping path still ends
    with the Parameter and its checkpoint keys; the other path gets a buffer that is moved
    with the model and kept out of checkpoints. Only when every later registration of the
    name is such an assignment of a Parameter."""
    if event.prior_state is not None:
        return None
    later = info.construction.later_events(event.seq, event.name)
    registering = [e for e in later if not isinstance(e, AttrAssign) or e.value.kind in REGISTERING]
    if not registering or any(not isinstance(e, AttrAssign) or e.value.kind is not Kind.PARAMETER
                              for e in registering):
        return None
    found = _register_fix(ctx, info, event)
    if found is None:
        return None
    return Fix(found.applicability, found.message + "; where it is then wrapped in `nn.Parameter`, the Parameter "
               "takes the buffer's place", found.edits)


def _plain_arm_fix(ctx, info, event) -> Optional[Fix]:
    """``self.s = nn.Parameter(t) if learn else t`` -> an ``if``/``else`` that stores the
    Parameter on one path and registers the plain tensor as a buffer on the other
    (non-persistent: the checkpoints of that path keep their keys)."""
    statement = single_assignment(event)
    if not isinstance(statement, cst.Assign) or not isinstance(statement.value, cst.IfExp):
        return None
    value = statement.value
    test, on_true = event.value.plain_when
    if value.test is not test or isinstance(value.body, cst.IfExp) or isinstance(value.orelse, cst.IfExp):
        return None
    line, _ = statement_place(ctx, statement)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 or event.before_super:
        return None
    if event.prior_state is not None or not name_can_hold_buffer(ctx, info, event.name, event.target, True) \
            or may_be_registered_elsewhere(info, event.name):
        return None
    parts = [ctx.source_of(node) for node in (value.test, value.body, value.orelse)]
    if ctx.source_of(value).count("#") != sum(part.count("#") for part in parts):
        return None  # a comment between the arms would be lost
    persistent = bool(ctx.settings and ctx.settings.unsafe_fixes)
    registration = _registration(ctx, info, event, "" if persistent else ", persistent=False")
    if registration is None:
        return None
    new, imports = registration
    target = code(ctx, event.target)
    test_text, body, orelse = parts
    arms = (new(body), f"{target} = {orelse}") if on_true else (f"{target} = {body}", new(orelse))
    indent = indentation_of(ctx, line)
    unit = "\t" if indent.startswith("\t") else "    "
    nl = newline(ctx)
    text = f"if {test_text}:{nl}{indent}{unit}{arms[0]}{nl}{indent}else:{nl}{indent}{unit}{arms[1]}"
    return _buffer_fix(persistent, True, " on the path where it stays plain (an `if`/`else` instead of the "
                       "conditional expression)", [replace(ctx, statement, text), *imports], event)


def _complex_finding(event) -> Finding:
    """A complex tensor: a buffer is no plain fix (``model.to(torch.bfloat16)`` casts a
    complex buffer to that real dtype and drops the imaginary part), so no autofix."""
    return Finding(
        event.target,
        f"`self.{event.name}` holds a plain complex tensor, not a buffer: it is missing from `state_dict()` and "
        "is not moved by `.to(device)`",
        "Keep real buffers (e.g. the cos and sin parts, or `torch.view_as_real(t)`) and build the complex tensor "
        "in `forward`, or move it yourself in an `_apply` override: as a buffer, `model.to(<real dtype>)` (e.g. "
        "`torch.bfloat16`) would cast it to that real dtype and drop its imaginary part",
    )


def _register_none_fix(ctx, info, event) -> Optional[Fix]:
    """``self.pe = None`` first, the tensor stored later (``self.extend_pe(n)``): register
    None where it is first set; the later stores then go into the buffer, unchanged."""
    first = first_set_to_none(info, event)
    if first is None or buffer_style(ctx) == NN_BUFFER or may_be_registered_elsewhere(info, event.name) \
            or info.custom_metaclass or not name_can_hold_buffer(ctx, info, event.name):
        return None
    persistent = bool(ctx.settings and ctx.settings.unsafe_fixes)
    extra = "" if persistent else ", persistent=False"
    statement = single_assignment(first)
    name = stored_name(info, event.name)
    new = f'{code(ctx, first.target.value)}.register_buffer("{name}", None{extra})'
    where = f" where it is first set to None (line {ctx.position(first.target).start.line}): later stores go into it"
    return _buffer_fix(persistent, True, where, [replace(ctx, statement, new)])


def _register_fix(ctx, info, event) -> Optional[Fix]:
    """``self.x = t`` -> ``self.register_buffer("x", t, persistent=False)`` (or
    ``self.x = nn.Buffer(t, persistent=False)``, as the buffer style says): safe, since it
    leaves checkpoints alone; the persistent form (with ``--unsafe-fixes``) adds a
    ``state_dict`` key that checkpoints saved before it lack. A name that is, or may
    become, a registered buffer elsewhere gets no fix: re-registering it non-persistent
    would silently drop it from ``state_dict()``. A target of tuple unpacking or of a
    chain (``self.a, self.b = f()``, ``self.n = n = t``) becomes a local registered right
    after the statement."""
    statement = single_assignment(event)
    if statement is not None and not event.value.derived and not event.value.assumed and event.prior_state is not None:
        none_fix = _register_none_fix(ctx, info, event)
        if none_fix is not None:
            return none_fix
    if event.prior_state is not None and not event.value.derived:
        return _register_first_stores(ctx, info, event)
    if event.value.derived:
        return None  # computed from parameters: a buffer would keep it stale (it belongs in forward)
    unseen = []
    script = is_script_module(ctx, info)  # only persistent buffers there
    if not can_register(ctx, info, event, buffer=True, persistent=script):
        # a name torch would refuse, or a store of a non-tensor; stores of values nothing
        # says are tensors (an argument, an imported function's result) leave an unsafe fix
        unseen = [] if script else unseen_blockers(ctx, info, event)
        if not unseen:
            return None
    if may_be_registered_elsewhere(info, event.name, event):
        return None
    if script and (buffer_style(ctx) == NN_BUFFER or statement is None or event.before_super):
        return None
    if event.before_super and isinstance(event.target, cst.Call):
        return None
    early = event.before_super and not info.custom_metaclass
    caveat = _stores_caveat(ctx, event, unseen)
    if event.before_super and info.custom_metaclass:
        caveat += METACLASS_CAVEAT
    if statement is None and not isinstance(event.target, cst.Attribute):
        return None  # `setattr(self, "t", ...)`
    persistent = bool(ctx.settings and ctx.settings.unsafe_fixes) or script
    extra = "" if persistent else ", persistent=False"
    if script:
        caveat += ("; persistent, since a `torch.jit.ScriptModule` takes no non-persistent buffers (`RuntimeError`)"
                   + ("; the value is taken out of its `torch.jit.Attribute`" if _jit_attribute(ctx, statement.value)
                      else ""))
    registration = _registration(ctx, info, event, extra)
    if registration is None:
        return None
    register, imports = registration
    if statement is None:  # one target of several
        if event.before_super:
            return None
        edits = split_target(ctx, event, lambda local: register(local))
        return None if edits is None else _buffer_fix(persistent, True, "", [*edits, *imports], event, caveat)
    value = _jit_attribute(ctx, statement.value) if script else None
    new = register(ctx.source_of(value if value is not None else statement.value))
    edits = [replace(ctx, statement, new)]
    safe = True
    where = ""
    if early:  # torch refuses registrations there: register after the super call
        moved = move_below_super(ctx, info, statement, new)
        if moved is not None:
            edits, safe = list(moved[0]), moved[1]
            where = " after `super().__init__()`"
        else:  # code in between reads it: the line stays, the value is registered after the call
            taken = register_after_super(ctx, info, statement, stored_name(info, event.name), register)
            if taken is None:
                return None
            edits, safe = list(taken[0]), taken[1]
            where = (" after `super().__init__()`, taking over the plain attribute this line sets (the line "
                     f"stays: code before the super call reads `self.{event.name}`)")
    return _buffer_fix(persistent, safe, where, [*edits, *imports], event, caveat)


def _jit_attribute(ctx, value):
    """``torch.jit.Attribute(t, torch.Tensor)``: the tensor ``t`` it declares; else None."""
    if isinstance(value, cst.Call) and len(value.args) == 2 and value.args[0].keyword is None and \
            getattr(ctx.resolve(value.func), "dotted", None) == "torch.jit.Attribute":
        return value.args[0].value
    return None


# A class whose metaclass may run `nn.Module.__init__` before `__init__` (fastai's `Module`
# does): registering in place is right then, and raises otherwise.
METACLASS_CAVEAT = ("; this line runs before any `super().__init__()`, and the class is assumed to be initialised "
                    "by its metaclass before `__init__` runs (as fastai's `Module` is): if it is not, registering here "
                    "raises "
                    "`AttributeError: cannot assign ... before Module.__init__() call`")


def _stores_caveat(ctx, event, sites) -> str:
    """The warning of a fix registering a name that other code stores values of unseen
    type under: which lines, and what happens if one is no tensor."""
    if not sites:
        return ""
    lines = sorted({ctx.position(site.target).start.line for site in sites})
    first = " ".join(ctx.source_of(sites[0].value).split())
    first = first if len(first) <= 40 else first[:37] + "..."
    where = (f"line {lines[0]} stores `{first}`" if len(lines) == 1 else
             f"lines {', '.join(map(str, lines))} store values (e.g. `{first}`)")
    return (f"; {where} under `{event.name}`, assumed to be a tensor or None: anything else raises `TypeError` "
            "there once it is a buffer")


def _register_first_stores(ctx, info, event) -> Optional[Fix]:
    """The registration of the first store(s) of ``event``'s name (:func:`_first_tensor_stores`)
    as one fix; unsafe when one of them stores a value of unseen type, and then it says so."""
    firsts = _first_tensor_stores(info, event)
    if not firsts:
        return _register_before_branch(ctx, info, event)
    fixes, caveats = [], []
    for first in firsts:
        found = _register_fix(ctx, info, first)
        if found is None:
            return None
        fixes.append(found)
        if first.value.kind is not Kind.TENSOR:
            text = " ".join(ctx.source_of(first.statement.value).split())
            text = text if len(text) <= 40 else text[:37] + "..."
            caveats.append(f"; line {ctx.position(first.target).start.line} first stores `{text}` under "
                           f"`{event.name}`, assumed to be a plain tensor or None: a non-tensor there raises "
                           "`TypeError`, an `nn.Parameter` would become a buffer that is no longer trained")
    if len(fixes) == 1 and not caveats:
        return fixes[0]
    edits = list(dict.fromkeys(edit for found in fixes for edit in found.edits))  # one shared import once
    safe = not caveats and all(found.applicability == SAFE for found in fixes)
    where = "" if len(fixes) == 1 else f" where it is first set on each path (lines " \
        f"{', '.join(str(ctx.position(first.target).start.line) for first in firsts)})"
    message = fixes[0].message.replace("Register it as a", f"Register it{where} as a", 1) + "".join(caveats)
    return fix(SAFE if safe else UNSAFE, message, *edits)


def _register_before_branch(ctx, info, event) -> Optional[Fix]:
    """``if isinstance(t, ndarray): self.x = torch.from_numpy(t)`` / ``elif ...: self.x = t``
    with a path that stores nothing (no ``else``), or ``if track:
    self.register_buffer("x", None)`` before ``self.x = torch.eye(n)``: the name is
    registered on some paths only. Registering ``None`` under it (non-persistent) right
    before that ``if`` makes it a buffer on every path: each later tensor store goes into
    the buffer, a registration in an arm re-registers it in the arm's own form (so that
    path's checkpoints are unchanged), and on the path that stores nothing it holds None,
    which no state_dict saves. Only for an ``if`` that is a statement of ``__init__``
    itself (not in a loop or a helper, where it would run again and reset the buffer),
    after ``super().__init__()``, whose arms hold every earlier store of the name (plain
    tensors or buffer registrations under the literal name), and in a file that never
    asks for the attribute by its name (``hasattr(self, "x")``, ``getattr(self, "x",
    None)`` would now find it on the path that stores nothing)."""
    from torchlint.analysis.construction import RegisterCall

    earlier = [e for e in info.construction.events if getattr(e, "name", None) == event.name and e.seq < event.seq]
    if not earlier or event.value.kind is not Kind.TENSOR or event.before_super:
        return None
    for e in earlier:
        if isinstance(e, RegisterCall):
            if e.method != "register_buffer" or e.before_super:
                return None
        elif not isinstance(e, AttrAssign) or e.value.kind is not Kind.TENSOR or e.before_super or \
                e.value.derived or e.value.complex or e.value.requires_grad or e.value.moved is not None:
            return None
    paths = info.construction.paths
    arms = [paths.get(e.seq) or () for e in earlier]
    if any(not arm for arm in arms) or len({arm[0][0] for arm in arms}) != 1:
        return None  # a store on the main path, or in different branches
    branch = info.construction.branches.get(arms[0][0][0])
    if branch is None or branch.kind != "if":
        return None
    init = info.methods.get("__init__")
    if init is None or not isinstance(init.body, cst.IndentedBlock):
        return None
    statement = enclosing_statement(ctx, init.body.body, _node_of(earlier[0]))
    if not isinstance(statement, cst.If) or \
            any(enclosing_statement(ctx, [statement], _node_of(e)) is None for e in earlier):
        return None  # the `if` is not a statement of `__init__` itself
    super_call = info.construction.super_init
    if super_call is None or ctx.position(super_call).start.line >= ctx.position(statement).start.line:
        return None
    name = stored_name(info, event.name)
    if _asks_by_name(ctx, name):
        return None  # `hasattr(self, "x")` and kin: the name would now be there on every path
    if not name_can_hold_buffer(ctx, info, event.name, event.target, with_locals=True) or \
            _registered_beyond(ctx, info, event.name, earlier):
        return None
    receiver = code(ctx, event.target.value)
    registration = f'{receiver}.register_buffer("{name}", None, persistent=False)'
    edit = insert_at(first_row(ctx, statement), 1, indentation_of(ctx, statement) + registration + newline(ctx))
    lines = ", ".join(str(ctx.position(_node_of(e)).start.line) for e in earlier)
    return fix(SAFE, f"Register it as a non-persistent buffer holding None before the `if` of line "
               f"{ctx.position(statement).start.line} (it is set or registered there on some paths only: lines {lines}; "
               "each path's stores then go into the buffer, and a path that stores nothing keeps None)", edit)


def _asks_by_name(ctx, name: str) -> bool:
    """Does the file ask for an attribute ``name`` by its string: ``hasattr(x, "name")``,
    ``getattr``/``setattr``/``delattr``, ``"name" in x`` (``vars(self)``, ``__dict__``),
    ``x.__dict__["name"]``?"""
    from torchlint.analysis import walk

    def spells(node) -> bool:
        return isinstance(node, (cst.SimpleString, cst.ConcatenatedString)) and node.evaluated_value == name

    found = False

    class Asks(walk.Visitor):
        def visit_Call(self, node):
            nonlocal found
            if isinstance(node.func, cst.Name) and node.func.value in ("hasattr", "getattr", "setattr", "delattr") \
                    and any(spells(arg.value) for arg in node.args):
                found = True

        def visit_Comparison(self, node):
            nonlocal found
            if spells(node.left) and any(isinstance(c.operator, (cst.In, cst.NotIn)) for c in node.comparisons):
                found = True

        def visit_Subscript(self, node):
            nonlocal found
            if isinstance(node.value, cst.Attribute) and node.value.attr.value == "__dict__" and \
                    any(isinstance(e.slice, cst.Index) and spells(e.slice.value) for e in node.slice):
                found = True

    walk.visit(ctx.module, Asks())
    return found


def _registered_beyond(ctx, info, name: str, earlier: list) -> bool:
    """Could ``name`` be registered by something other than the registrations among
    ``earlier`` (which the fix accounts for): another registration in construction (under
    the name or a computed one), a base class, or a method construction does not run?"""
    from torchlint.analysis.construction import RegisterCall

    ours = [e for e in earlier if isinstance(e, RegisterCall)]
    if not ours:
        return may_be_registered_elsewhere(info, name)
    if any(isinstance(e, RegisterCall) and e not in ours and (e.name == name or e.name is None)
           for e in info.construction.events):
        return True
    if any(name in facts.registered_names for facts in info.index_facts[1:]) or info.base_computed_buffers:
        return True
    walked = info.construction.methods_walked
    return any("register_" in ctx.source_of(method) or "add_module" in ctx.source_of(method)
               for method_name, method in info.methods.items() if method_name not in walked)


def _first_tensor_stores(info, event) -> list:
    """``self.x = torch.zeros(n)`` ... ``self.x = self.x * 2``: every store of the name
    before this one is a plain tensor, and either the first is on the main path of
    construction (so it runs before this one, in a branch or not) or each is the first on
    its own arm of one ``if`` that covers every path (``if isinstance(t, ndarray): self.x =
    torch.from_numpy(t)`` / ``else: self.x = t``); registering those makes the later
    stores (tensors) go into the buffer. A first store on the main path may also be a
    value of unseen type (an argument: the fix is then unsafe). The events, or empty."""
    earlier = [e for e in info.construction.events if getattr(e, "name", None) == event.name and e.seq < event.seq]
    if not earlier or event.value.kind is not Kind.TENSOR or any(not isinstance(e, AttrAssign) for e in earlier):
        return []
    if any(e.value.derived or e.value.complex or e.value.requires_grad or e.value.moved is not None for e in earlier):
        return []
    paths = info.construction.paths
    first = earlier[0]
    if first.prior_state is None and not paths.get(first.seq):
        unseen_first = first.value.kind is Kind.UNKNOWN and single_assignment(first) is not None and \
            not any(alias.kind not in (Kind.TENSOR, Kind.NONE, Kind.UNKNOWN) for alias in first.value.aliases)
        if all(e.value.kind is Kind.TENSOR for e in earlier[1:]) and (first.value.kind is Kind.TENSOR or unseen_first):
            return [first]
        return []
    # each the first store on its own arm of one `if`, directly in it
    arms = [paths.get(e.seq) or () for e in earlier]
    if any(e.prior_state is not None or e.value.kind is not Kind.TENSOR or len(arm) != 1 for e, arm in zip(earlier, arms)):
        return []
    branches = {arm[0][0] for arm in arms}
    if len(branches) != 1 or len({arm[0] for arm in arms}) != len(arms):
        return []
    found = info.construction.branches.get(next(iter(branches)))
    if found is None or found.kind != "if":
        return []
    if not (found.exhaustive and len(arms) == found.arms):
        return []  # a path with no first store would leave this one plain (and reported)
    return earlier


def _refusal(ctx, info, event) -> Optional[str]:
    """Why ``event`` gets no registration fix, for the help text."""
    name = event.name
    if event.value.derived:
        return "it is computed from parameters, so a buffer would keep a stale copy: compute it in `forward`"
    if event.prior_state is not None:
        earlier = [e for e in info.construction.events if getattr(e, "name", None) == name and e.seq < event.seq]
        where = f" (line {ctx.position(_node_of(earlier[0])).start.line})" if earlier else ""
        if any(not isinstance(e, AttrAssign) for e in earlier):
            return (f"`self.{name}` is registered before{where} on some path only, and which form fits (persistent "
                    "or not) is yours to choose: register it on every path before it is set")
        if earlier and all(isinstance(e, AttrAssign) and e.value.kind is Kind.TENSOR for e in earlier):
            first = earlier[0]
            if first.prior_state is None and not info.construction.paths.get(first.seq):
                return (f"`self.{name}` is first set{where} to {_not_a_plain_buffer(first.value)}, and registering a "
                        "name that is already set raises KeyError: decide there what it should be")
            return (f"`self.{name}` is first set{where} on a path that may not run, and registering a name that is "
                    "already set raises KeyError: register it where it is first set on every path")
        return (f"`self.{name}` is set before{where} to something that is not always a plain tensor here, and "
                "registering a name that is already set raises KeyError: register it where it is first set")
    if name in info.class_attributes or name in MODULE_ATTRIBUTES:
        return f"`{name}` is already a class or `nn.Module` attribute (registering it raises KeyError)"
    store = non_tensor_store(ctx, name, event.target, with_locals=True, owner=info.name)
    if store is not None:
        line = ctx.position(store.target).start.line
        return (f"line {line} stores something under `{name}` that may not be a tensor or None, which a buffer "
                "refuses with TypeError")
    if not name_can_hold_buffer(ctx, info, name, event.target, with_locals=True):
        return "a `torch.jit.ScriptModule` takes no non-persistent buffers"
    if may_be_registered_elsewhere(info, name, event):
        return ("it may already be a registered buffer here (registered elsewhere, under a computed name or by a "
                "base class), and registering it again non-persistent would drop it from `state_dict()`")
    if event.before_super:
        return ("it runs before `super().__init__()` and cannot move below it (code in between reads it or calls "
                "a method of `self`, or the class initialises through a metaclass)")
    if not isinstance(event.target, cst.Attribute):
        return "it is stored by `setattr(...)`: write `self.register_buffer(name, value)` there instead"
    if single_assignment(event) is None:
        return "its assignment cannot be split (a starred target, or a function that reads `locals()`)"
    return None


def _not_a_plain_buffer(value) -> str:
    """What makes a tensor's first store no plain buffer to register (see _first_tensor_store)."""
    if value.requires_grad:
        return "a tensor that requires grad (a trainable weight: an `nn.Parameter` there)"
    if value.derived:
        return "a tensor computed from parameters (a stale copy if kept)"
    if value.moved is not None:
        return "the result of a device or dtype move of a Parameter"
    if value.complex:
        return "a complex tensor"
    return "a tensor held otherwise"


def _node_of(event):
    return event.target if isinstance(event, AttrAssign) else getattr(event, "call", None) or event.name_node


def _registration(ctx, info, event, extra: str):
    """The registration of ``event``'s attribute as a function of the registered value's
    text, and the imports it needs; None when ``nn`` cannot be spelled here."""
    if buffer_style(ctx) == NN_BUFFER:
        spelling = Imports(ctx).nn()
        if spelling is None:
            return None
        nn, imports = spelling
        target = code(ctx, event.target)  # name mangling applies as before
        return (lambda value: f"{target} = {nn}.Buffer({value}{extra})"), imports
    receiver = code(ctx, event.target.value)
    name = stored_name(info, event.name)  # `self.__x` in class C reads `_C__x`
    return (lambda value: f'{receiver}.register_buffer("{name}", {value}{extra})'), []


def _buffer_fix(persistent: bool, safe: bool, where: str, edits: list, event=None, stores: str = "") -> Fix:
    """The registration fix: persistent (unsafe: checkpoints saved before lack the key) or
    non-persistent (safe when ``safe``: nothing a checkpoint holds changes). A value that
    arrives from a caller (an argument annotated ``Tensor``, with a tensor default, or
    given a tensor by the file's own calls) is only assumed to be a plain tensor: a
    caller passing an ``nn.Parameter`` would now get a buffer (no longer trained), one
    passing a number or a list a ``TypeError``; that fix is unsafe and says so, as is one
    registering a name that other code stores values of unseen type under (``stores``)."""
    caveat = stores
    if stores:
        safe = False  # other stores of unseen values, or a metaclass assumed to initialise the Module
    if event is not None and event.value.assumed:
        safe = False
        caveat += (f"; `{event.name}` is assumed to be a plain tensor from the arguments: a caller passing an "
                  "`nn.Parameter` would now get a buffer that is no longer trained, one passing a non-tensor a "
                  "`TypeError`")
    if persistent:
        message = (f"Register it as a buffer{where} (saved in `state_dict()`: checkpoints saved before this change "
                   f"lack the key; load them with `strict=False`){caveat}")
        return fix(UNSAFE, message, *edits)
    return fix(SAFE if safe else UNSAFE,
               f"Register it as a non-persistent buffer{where} (moved by `.to()`, kept out of checkpoints){caveat}",
               *edits)
