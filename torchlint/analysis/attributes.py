"""Tensor attributes stored on a Module during construction that torch does not register.

Shared by TL001 (a plain tensor) and TL004 (a plain tensor that asks for gradients):
the filtering below is what makes a plain-tensor assignment a real problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, Optional

import libcst as cst

from torchlint.analysis.construction import BUFFER, MODULE, PARAM, AttrAssign, AttrDelete, RegisterCall
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
        if event.value.kind is not Kind.TENSOR or event.prior_state in (PARAM, BUFFER, MODULE):
            continue  # torch keeps an already registered name registered
        name = event.name
        if name in info.handled_by_hand:
            continue
        if name in info.registered_anywhere and name not in registered_in_construction:
            continue
        registering = [later for later in facts.later_events(event.seq, name) if _registers_or_deletes(later)]
        if facts.runs_on_every_path(event.seq, registering):
            continue
        yield event


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
