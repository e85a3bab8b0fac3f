"""Tensor attributes stored on a Module during construction that torch does not register.

Shared by TL001 (a plain tensor) and TL004 (a plain tensor that asks for gradients):
the filtering below is what makes a plain-tensor assignment a real problem.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator, Optional

import libcst as cst

from torchlint.analysis.construction import (
    BUFFER, MAYBE_BUFFER, MODULE, PARAM, AttrAssign, AttrDelete, InplaceOp, RegisterCall,
)
from torchlint.analysis.usage import DUMMY, EMPTY, placeholder_size
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
        if any(re.fullmatch(pattern, event.name) for pattern in info.base_computed_buffers):
            continue  # a base class registered buffers under names we cannot read: this may be one
        name = event.name
        if name in info.handled_by_hand:
            continue
        if name in info.registered_anywhere and name not in registered_in_construction:
            continue
        if any(_registers_or_deletes(later) for later in facts.later_events(event.seq, name)):
            continue
        if _never_state(info, event) or _adopted(info, event) or _registered_alias(info, event):
            continue
        yield event


def _never_state(info: "ClassInfo", event: AttrAssign) -> bool:
    """A placeholder: the class replaces it outside construction and never accumulates into
    it. An empty one holds nothing to save or move; one of any other size must also never be
    read as state (every store replaces it before a read, or it is only compared as a cache
    key, by identity, or by shape when it is a dummy no real input could match)."""
    use = info.attribute_usage.get(event.name)
    if use is None or not use.replaced or use.accumulated or use.carried or _written_in_construction(info, event) \
            or info.construction.read_after(event.seq, event.name):
        return False
    size = placeholder_size(event.value.node)
    return size == EMPTY or (not use.state_read and (not use.keyed_read or size == DUMMY))


def _adopted(info: "ClassInfo", event: AttrAssign) -> bool:
    """Also handed, as this object, to a child that registers it as passed (``nn.CrossEntropyLoss(weight=t)``):
    saved and moved through the child, unless the parent accumulates into its alias."""
    if not event.value.adopted:
        return False
    use = info.attribute_usage.get(event.name)
    return not (use is not None and use.accumulated) and not _written_in_construction(info, event)


def _registered_alias(info: "ClassInfo", event: AttrAssign) -> bool:
    """This very tensor is also registered on the module under another name (``self.scale_cpu = t;
    self.register_buffer("scale", t)``) and the alias is never used outside construction: it is
    saved and moved under the registered name (a view or ``nn.Parameter(t)`` is a new object)."""
    if not event.value.aliased:
        return False
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
