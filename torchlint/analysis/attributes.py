"""Tensor attributes stored on a Module during construction that torch does not register.

Shared by TL001 (a plain tensor) and TL004 (a plain tensor that asks for gradients):
the filtering below is what makes a plain-tensor assignment a real problem.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator, Optional, Union

import libcst as cst

from torchlint.analysis.construction import (
    BUFFER, MAYBE_BUFFER, MODULE, PARAM, PLAIN, UNCERTAIN, AttrAssign, AttrDelete, InplaceOp, RegisterCall,
)
from torchlint.analysis.tensors import CONVERTING_METHODS, dotted
from torchlint.analysis.usage import DUMMY, EMPTY, placeholder_size
from torchlint.analysis.values import REGISTERING, Kind

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo


def unregistered_tensor_assignments(info: "ClassInfo", prior_parameter: bool = False) -> Iterator[AttrAssign]:
    """``self.x = <plain tensor>`` in construction that stays a plain attribute.
    ``prior_parameter``: also a store to a name that already holds a Parameter (torch then
    refuses a plain tensor with ``TypeError``)."""
    facts = info.construction
    # Registrations inside construction are judged precisely (order, branches) below;
    # the name-based set covers the ones elsewhere (other methods, base classes).
    registered_in_construction = {
        e.name for e in facts.events
        if isinstance(e, RegisterCall) or (isinstance(e, AttrAssign) and e.value.kind in REGISTERING)
    }
    for event in facts.assignments():
        if event.value.kind is not Kind.TENSOR or event.prior_state in (BUFFER, MODULE, MAYBE_BUFFER):
            continue  # torch keeps an already registered name registered
        if event.prior_state == PARAM and not prior_parameter:
            continue  # torch keeps an already registered name registered
        if info.overrides_setattr:  # asked only now: it reads the modules of every base class
            return
        if any(re.fullmatch(pattern, event.name) for pattern in info.base_computed_buffers):
            continue  # a base class registered buffers under names we cannot read: this may be one
        name = event.name
        if name in info.handled_by_hand:
            continue
        if name in info.registered_anywhere and name not in registered_in_construction \
                and not (prior_parameter and event.value.moved is not None and event.value.moved.fresh
                         and name not in info.registered_by_bases):
            # registered in another method or a base class: it may be a buffer by now. A
            # Parameter made here and moved stays plain after construction whatever a later
            # method of the class registers (TL011)
            continue
        registering = [later for later in facts.later_events(event.seq, name) if _registers_or_deletes(later)]
        if facts.runs_on_every_path(event.seq, registering):
            continue
        if _never_state(info, event) or _adopted(info, event) or _registered_alias(info, event):
            continue
        yield event


def moved_parameters(info: "ClassInfo") -> Iterator[Union[AttrAssign, RegisterCall]]:
    """TL011: a Parameter passed through ``.to()``/``.cuda()``/``.double()``... and the result
    stored on ``self`` or given to ``register_parameter``, in construction:
    ``self.w = nn.Parameter(t).to(device)`` (a Parameter made here, not registered yet),
    ``self.scale = self.scale.double()`` (the module's own Parameter, stored back under its name),
    ``self.register_parameter("w", nn.Parameter(t).cuda())``. The result is a plain tensor
    whenever the method copies. A Parameter of the module stored under *another* name is a
    derived copy (TL001's business), and ``ParameterList.append``/``register_buffer`` keep it."""
    for event in unregistered_tensor_assignments(info, prior_parameter=True):
        move = event.value.moved
        if move is None:
            continue
        if move.fresh and event.prior_state in (None, PARAM, UNCERTAIN, PLAIN):
            yield event
        elif event.prior_state == PARAM and _reads_own_attribute(move, event.name):
            yield event
    for event in info.construction.registrations():
        value = event.value
        if event.method == "register_parameter" and value is not None and value.moved is not None and value.moved.fresh:
            yield event


def reported_as_moved(info: "ClassInfo") -> set[int]:
    """The event numbers TL011 reports (TL001 and TL010 leave them alone)."""
    return {event.seq for event in moved_parameters(info)}


def copies_always(move) -> bool:
    """``.double()``, ``.half()``, ``.bfloat16()``, ``.cuda()`` on a default-dtype CPU Parameter:
    a new tensor in the build torchlint reasons about; ``.to()``/``.cpu()``/``.float()`` may
    return the Parameter itself."""
    return move.method in CONVERTING_METHODS


def _reads_own_attribute(move, name: str) -> bool:
    """``self.scale.double()`` stored back into ``self.scale``."""
    call = move.call
    while isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
        receiver = call.func.value
        parts = dotted(receiver)
        if parts is not None:
            return len(parts) == 2 and parts[1] == name
        call = receiver
    return False


def registered_only_when(info: "ClassInfo", event: AttrAssign) -> Optional[str]:
    """For a reported assignment that a later branch wraps or registers: when the tensor
    stays plain (``"when `learn` is false"``); None when nothing later registers it."""
    facts = info.construction
    registering = [later for later in facts.later_events(event.seq, event.name) if _registers_or_deletes(later)]
    steps = [s for s in facts.conditions_after(event.seq, registering) if s]
    if not steps:
        return None
    branch = steps[0][0][0]
    found = facts.branches.get(branch)
    if found is None:
        return None
    if found.kind == "match":
        return "when no `case` that registers it matches"
    uncovered = [arm for arm in range(found.arms)
                 if not facts.covers([s[1:] for s in steps if s[0] == (branch, arm)])]
    tests = [_condition_text(info, test) for test in found.tests]
    arm = uncovered[0] if uncovered else found.arms  # found.arms: no arm runs (an `if` without `else`)
    if arm < len(tests):
        return f"when `{tests[arm]}` is true" if arm == 0 else f"when `{tests[arm]}` holds"
    if len(tests) == 1:
        return f"when `{tests[0]}` is false"
    return "when none of its conditions holds"


def _condition_text(info: "ClassInfo", node: cst.CSTNode) -> str:
    text = " ".join(info.ctx.source_of(node).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _never_state(info: "ClassInfo", event: AttrAssign) -> bool:
    """A placeholder: the class replaces it outside construction and never accumulates into
    it. An empty one holds nothing to save or move (writing into it in place writes nothing);
    one of any other size must also never be read as state (every store replaces it before a
    read, or it is only compared as a cache key, by identity, or by shape when it is a dummy
    no real input could match). Construction may read an empty or dummy one (to derive a
    first value from it) but no larger one."""
    use = info.attribute_usage.get(event.name)
    if use is None or not use.replaced or use.accumulated or use.carried or _written_in_construction(info, event):
        return False
    size = placeholder_size(event.value.node)
    if size is None and info.construction.read_after(event.seq, event.name):
        return False
    if size == EMPTY:
        return True
    return not use.written and not use.state_read and (not use.keyed_read or size == DUMMY)


def _adopted(info: "ClassInfo", event: AttrAssign) -> bool:
    """Also handed, as this object, to a child that registers it as passed (``nn.CrossEntropyLoss(weight=t)``):
    saved and moved through the child, unless the parent accumulates into its alias."""
    if not event.value.adopted:
        return False
    use = info.attribute_usage.get(event.name)
    return not (use is not None and (use.accumulated or use.written)) and not _written_in_construction(info, event)


def _registered_alias(info: "ClassInfo", event: AttrAssign) -> bool:
    """This very tensor is also registered on the module under another name (``self.scale_cpu = t;
    self.register_buffer("scale", t)``) and the alias is never used outside construction: it is
    saved and moved under the registered name (a view or ``nn.Parameter(t)`` is a new object)."""
    if not event.value.aliased:
        return False
    if any(_registers_or_deletes(later) for later in info.construction.later_events(event.seq, event.name)):
        return False  # wrapped under its own name later (perhaps only in a branch): not an alias
    use = info.attribute_usage.get(event.name)
    return (use is None or not (use.accumulated or use.state_read or use.keyed_read)) \
        and not _written_in_construction(info, event)


def _written_in_construction(info: "ClassInfo", event: AttrAssign) -> bool:
    return any(isinstance(e, InplaceOp) and e.value is event.value and e.seq > event.seq
               for e in info.construction.events)


def single_assignment(event: AttrAssign) -> Optional[cst.BaseSmallStatement]:
    """The ``self.x = value`` statement of an assignment event, when it is one plain
    assignment that a fix may rewrite (not ``a = self.x = ...``, not tuple unpacking)."""
    statement = event.statement
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1 and statement.targets[0].target is event.target:
        return statement
    if isinstance(statement, cst.AnnAssign) and statement.value is not None and statement.target is event.target:
        return statement
    return None


def _registers_or_deletes(event) -> bool:
    if isinstance(event, (RegisterCall, AttrDelete)):
        return True
    return isinstance(event, AttrAssign) and event.value.kind in REGISTERING
