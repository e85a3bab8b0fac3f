"""Tensor attributes stored on a Module during construction that torch does not register.

Shared by TL001 (a plain tensor) and TL004 (a plain tensor that asks for gradients):
the filtering below is what makes a plain-tensor assignment a real problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, Optional

import libcst as cst

from torchlint.analysis.construction import BUFFER, MAYBE_BUFFER, MODULE, PARAM, AttrAssign, AttrDelete, RegisterCall
from torchlint.analysis.values import REGISTERING, Kind

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo


def unregistered_tensor_assignments(info: "ClassInfo") -> Iterator[AttrAssign]:
    """``self.x = <plain tensor>`` in construction that stays a plain attribute."""
    if info.overrides_setattr:
        return
    facts = info.construction
    # Registrations inside construction are judged precisely (order, branches) below;
    # the name-based set covers the ones elsewhere (other methods, base classes).
    registered_in_construction = {
        e.name for e in facts.events
        if isinstance(e, RegisterCall) or (isinstance(e, AttrAssign) and e.value.kind in REGISTERING)
    }
    for event in facts.assignments():
        if event.value.kind is not Kind.TENSOR or event.prior_state in (PARAM, BUFFER, MODULE, MAYBE_BUFFER):
            continue  # torch keeps an already registered name registered
        if info.base_registers_computed_buffers:
            continue  # a base class registered buffers under names we cannot read: this may be one
        name = event.name
        if name in info.handled_by_hand:
            continue
        if name in info.registered_anywhere and name not in registered_in_construction:
            continue
        if any(_registers_or_deletes(later) for later in facts.later_events(event.seq, name)):
            continue
        yield event


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
