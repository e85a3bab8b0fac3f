"""Plain containers of submodules (or Parameters) filled after construction.

A Module that grows after it is built: ``add_task(n)`` appends a head to ``self.heads``
(made ``[]`` in ``__init__``), ``fit(X)`` builds ``self.components = [Gaussian(), ...]``.
The container is as plain as one built in ``__init__``: the Modules in it are invisible
to ``parameters()``, ``state_dict()`` and ``.to(device)``. The construction walk cannot
see these methods run; this walks them, one after another, from the state construction
left, so a list made in ``__init__`` and filled later is the same list. Only methods that
call a class, ``deepcopy`` or a method of ``self`` are walked; Modules a walked method
returns are left alone (its caller may register them).

Walked: methods defined in the class that are not construction, not ``forward`` or what
it reaches (a per-call build is TL009's), not dunders, properties, static methods or
``nn.Module``'s own (``to``, ``_apply``, ``load_state_dict``, ...). Left alone, as in
construction: Modules handed in as arguments (they may be owned elsewhere), Modules
without parameters, a container the method wraps or registers afterwards, a class that
manages its module tree itself, a comment that says so; and Modules the method places
on its own ``device`` argument (``replicate(devices)``: copies kept out of the tree on
purpose, as ``DataParallel`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from torchlint.analysis import walk
from torchlint.analysis.construction import AttrAssign, Construction, ConstructionFacts
from torchlint.analysis.containers import unregistered_containers
from torchlint.analysis.intent import manages_module_tree
from torchlint.analysis.later_stores import (
    ENTRY,
    candidate_methods,
    method_self_name,
    reached_from_forward,
    self_attribute,
)
from torchlint.analysis.values import Kind, Value

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo

_FILLING_METHODS = frozenset({"append", "extend", "insert", "update", "setdefault"})


@dataclass
class LaterFill:
    method: str  # the method that fills it
    event: AttrAssign  # the container's store: construction's (``self.heads = []``) or the method's
    made_in_construction: bool

    def advice(self, list_wrapper: str, dict_wrapper: str) -> str:
        wrapper = dict_wrapper if self.event.value.container == "dict" else list_wrapper
        where = "in `__init__`" if self.made_in_construction else f"in `{self.method}()`"
        return (f"Store it as `{wrapper}(...)` {where}: it is filled with the same `append`/`extend`/item "
                "assignment and registers what it holds (an optimizer made before the call does not see the new "
                "parameters: make it after, or `add_param_group`)")


def containers_filled_after_construction(info: "ClassInfo", kind: Kind) -> Iterator[LaterFill]:
    """Each plain container that holds a ``kind`` only once a method called after
    construction has run. One finding a name: the first such method in class order."""
    methods = [(name, method) for name, method in _walked_methods(info).items()
               if _fills_self(method) and _builds(method) and not _places_on_its_device(method)]
    if not methods or manages_module_tree(info):
        return
    seen = {event.name for event in unregistered_containers(info, info.construction, kind)}  # TL007/TL008's own
    walker = _LaterWalk(info.ctx, info)
    construction = walker.run()  # once: the methods are walked one after another, as a user may call them
    for method_name, method in methods:
        walker.facts = ConstructionFacts()
        walker.given_back = set()
        walker.walk_method(method)  # from the state construction left: its lists are the same objects
        later = walker.facts
        rebound = {event.name for event in later.assignments() if _rebinds(event)}
        filled = [event for event in unregistered_containers(info, construction, kind) if event.name not in rebound]
        made = [(event, True) for event in filled] + [(event, False) for event in unregistered_containers(info, later, kind)]
        for event, in_construction in made:
            if event.name not in seen and _built_by_the_class(info, event, kind, walker.given_back):
                seen.add(event.name)
                yield LaterFill(method_name, event, in_construction)


class _LaterWalk(Construction):
    """The construction walk, noting what each method it walks returns."""

    given_back: set[int] = set()

    def walk_method(self, method: cst.FunctionDef, *args, **kwargs) -> Value:
        result = super().walk_method(method, *args, **kwargs)
        self.given_back = self.given_back | {id(result), *(id(v) for v in result.aliases),
                                             *(id(v) for v in result.leaves())}
        return result


def _built_by_the_class(info: "ClassInfo", event: AttrAssign, kind: Kind, given_back: set[int]) -> bool:
    """Is an unregistered item built by the class's own code, and kept by this walk alone?
    After construction the walk knows less of where a Module came from (a helper of the file
    that builds a list, then several methods that hand its items on): one built elsewhere may
    be registered there; and one a method also returns, its caller may register
    (``module.add_module(name, self._wrap(name, child))`` with ``_wrap`` keeping an index)."""
    inside = {id(node) for node in walk.nodes(info.node)}
    return any(leaf.kind is kind and not leaf.registered and not leaf.stateless and not leaf.assumed
               and id(leaf.node) in inside and id(leaf) not in given_back for leaf in event.value.leaves())


def _walked_methods(info: "ClassInfo") -> dict[str, cst.FunctionDef]:
    methods = candidate_methods(info)
    if not methods or ENTRY not in info.methods:
        return methods
    reached = reached_from_forward(info)
    return {name: method for name, method in methods.items() if name not in reached}


def _fills_self(method: cst.FunctionDef) -> bool:
    """Does the method store something it calls for on ``self`` or fill a ``self.<x>``
    container (``self.x.append(...)``, ``self.x[k] = ...``)? A cheap look before any walk."""
    name = method_self_name(method)
    if name is None:
        return False
    for node in walk.nodes(method.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value in _FILLING_METHODS and self_attribute(node.func.value, name) is not None:
            return True
        if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)) and node.value is not None:
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                root = target.value if isinstance(target, cst.Subscript) else target
                if self_attribute(root, name) is not None and _has_call(node.value):
                    return True
    return False


def _builds(method: cst.FunctionDef) -> bool:
    """Does the method call a class (a capitalised name: ``nn.Linear(...)``, ``Head(...)``),
    ``deepcopy`` or a method of ``self`` (which may)? A cheap look before any walk."""
    name = method_self_name(method)
    for node in walk.nodes(method.body):
        if isinstance(node, cst.Call):
            func = node.func
            last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            if last[:1].isupper() or last == "deepcopy" or self_attribute(func, name) is not None:
                return True
    return False


def _has_call(value: cst.BaseExpression) -> bool:
    return any(isinstance(node, cst.Call) for node in walk.nodes(value))


def _rebinds(event: AttrAssign) -> bool:
    """A store that is not itself a plain container (``self.x = nn.ModuleList(self.x)``)."""
    return event.value.kind not in (Kind.NONE, Kind.CONTAINER)


def _places_on_its_device(method: cst.FunctionDef) -> bool:
    """Does the method take a device argument and use it? Copies made per device
    (``replicate(devices)``) are kept out of the module tree on purpose."""
    params = method.params
    devices = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)
               if "device" in p.name.value}
    return bool(devices) and any(isinstance(node, cst.Name) and node.value in devices
                                 for node in walk.nodes(method.body))
