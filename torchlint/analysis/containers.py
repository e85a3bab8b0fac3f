"""Plain Python containers (list/tuple/dict/set) stored on a Module.

Shared by the rules about submodules and Parameters kept in plain containers: a
container is a problem only when it holds objects that are registered nowhere else
and the attribute is not rebound or registered later in construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from torchlint.analysis.construction import AttrAssign, AttrDelete, ConstructionFacts, RegisterCall
from torchlint.analysis.intent import manages_module_tree, said_unregistered
from torchlint.analysis.values import Kind

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo

_CONTAINERS = frozenset({"list", "tuple", "dict", "set"})


def plain_containers_holding(info: "ClassInfo", kind: Kind) -> Iterator[AttrAssign]:
    """Assignments ``self.x = <container>`` in construction whose container holds an
    unregistered ``kind`` (unless the author says it is kept out of the module tree on
    purpose, or the class manages its module tree itself)."""
    found = list(unregistered_containers(info, info.construction, kind))
    if found and not manages_module_tree(info):
        yield from found


def unregistered_containers(info: "ClassInfo", facts: ConstructionFacts, kind: Kind) -> Iterator[AttrAssign]:
    """The stores of ``facts`` (a walk of construction, or of a method run later) whose plain
    container holds an unregistered ``kind`` and is not rebound or registered later in that
    walk, unless a comment says it is kept out of the module tree on purpose."""
    for event in facts.assignments():
        value = event.value
        path = facts.paths.get(event.seq, ())
        if value.kind is not Kind.CONTAINER or value.container not in _CONTAINERS \
                or facts.registered_on_path(value, path):
            continue
        # a Module that arrives through an annotated argument may be owned elsewhere (a
        # back-reference to a parent kept deliberately out of `_modules`): not judged
        if not any(_holds(leaf, kind) and not facts.registered_on_path(leaf, path) and not leaf.stateless
                   and not leaf.assumed for leaf in value.leaves()):
            continue
        if any(_replaces(later, value) for later in facts.later_events(event.seq, event.name)):
            continue
        if said_unregistered(info.ctx, event):
            continue  # asked last: it reads comments
        yield event


def _holds(leaf, kind: Kind) -> bool:
    """Is this item a ``kind``? A Parameter moved before it was registered
    (``nn.Parameter(t).to(device)``) is one too: the method returns the Parameter itself
    or a plain copy, and in a plain container neither is registered."""
    if leaf.kind is kind:
        return True
    return kind is Kind.PARAMETER and leaf.moved is not None and leaf.moved.fresh


def _replaces(event, container) -> bool:
    """Does this later event rebind or register the attribute (e.g. wrap it in nn.ModuleList)?"""
    if isinstance(event, (RegisterCall, AttrDelete)):
        return True
    return (
        isinstance(event, AttrAssign)
        and event.value is not container
        and event.value.kind not in (Kind.NONE, Kind.CONTAINER)
    )


def describe(container: str) -> str:
    return {"dict": "dict", "tuple": "tuple", "set": "set"}.get(container, "list")
