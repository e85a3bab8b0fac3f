"""The fix shared by TL007 and TL008: wrap a plain container in its registering twin
(``nn.ModuleList``/``nn.ModuleDict``, ``nn.ParameterList``/``nn.ParameterDict``).

The forms handled are the ones people write: a literal or a comprehension
(``[Block(d) for _ in range(n)]``, ``{f"h{i}": Head() for i in range(n)}``), and a list
started empty (or with items) and grown by ``.append``/``.extend``/``.insert``/``+=``,
with items that may be wrapped in ``.to(device)``/``.cuda()``. The first assignment is
wrapped and the growing calls are kept (the wrappers support them); a concatenation
``self.x = self.x + [Layer()]`` is rewritten to ``self.x.append(Layer())`` (or
``.extend(...)``), since the wrapper's ``+`` would build a new container.

Unsafe: the wrapped objects become registered, which adds ``state_dict`` keys
(``layers.0.weight``) that checkpoints saved before the fix lack.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from torchlint.analysis import walk
from torchlint.analysis.attributes import single_assignment
from torchlint.analysis.construction import MODULE_API, AttrAssign
from torchlint.analysis.known import MODULE_ATTRIBUTES
from torchlint.analysis.values import Kind, Value
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import UNSAFE, Imports, code, fix, insert_at, replace, text_between

# What code may call on the attribute once it is wrapped (besides nn.Module's methods).
_COMMON = frozenset({"__len__", "__iter__", "__getitem__", "index", "count"})
_METHODS = {
    "ModuleList": frozenset({"append", "extend", "insert", "pop"}) | _COMMON,
    "ParameterList": frozenset({"append", "extend"}) | _COMMON,
    "ModuleDict": frozenset({"keys", "values", "items", "update", "pop", "clear", "__getitem__", "__contains__"}),
    "ParameterDict": frozenset({"keys", "values", "items", "update", "pop", "clear", "setdefault", "get", "copy",
                                "__getitem__", "__contains__"}),
}
_ITEM_KIND = {"ModuleList": Kind.MODULE, "ParameterList": Kind.PARAMETER}


def wrap_container_fix(ctx, event: AttrAssign, list_wrapper: str, dict_wrapper: str, info=None) -> Optional[Fix]:
    """The wrap of ``event``'s container, or None. A store before ``super().__init__()``
    (``info``: its class) moves below the super call, wrapped, when nothing in between
    reads it (torch refuses a submodule before ``Module.__init__``)."""
    if event.before_super and (info is None or single_assignment(event) is None):
        return None
    in_place = event.before_super and info.custom_metaclass  # the metaclass may initialise the Module first
    stores = _stores(ctx, event.name, event.target)
    if stores is None:
        return None  # stored in a way the wrap could be undone or break
    first, concatenations, others = stores
    if others and (concatenations or not all(_other_store_fits(ctx, event, first, other) for other in others)):
        return None
    value = first.value
    container = _container_of(value)
    if container is None and isinstance(value, cst.Name) and event.value.container in ("list", "tuple") and \
            first is single_assignment(event):
        container = "list"  # `blocks = []; blocks.append(...); self.blocks = blocks`
    handed_in = _argument_collection(ctx, first, event.value)
    returned_keys: Optional[list[str]] = None  # a dict a helper returns: the arguments its keys come from
    if handed_in is not None:
        container = handed_in.container
    elif container is None and isinstance(value, cst.Call) and not event.value.open:
        # `self.heads = build_heads(...)`: a container a helper (or a call like `sorted`) returns
        if event.value.container in ("list", "tuple"):
            container = "list"
        elif event.value.container == "dict":
            returned_keys = _returned_dict_keys(ctx, value)
            container = "dict" if returned_keys is not None else None
    if container is None or event.value.container not in ("list", "tuple", "dict", "") or \
            (container == "dict") != (event.value.container == "dict"):
        return None
    if concatenations and container == "dict":
        return None
    wrapper = dict_wrapper if container == "dict" else list_wrapper
    if handed_in is not None:
        if list_wrapper != "ModuleList" or not handed_in.fits(event.value):
            return None  # collections of Modules only: the annotation is all we know of the items
        if _called_directly(ctx, event.name):
            return None  # `self.stages(x)`: the callers may pass a callable container (`nn.Sequential`)
    nested: Optional[list] = None  # the inner containers' nodes, each with its wrapper
    if handed_in is None and not _only(event.value, _ITEM_KIND[list_wrapper]):
        # `[[Block(d), Block(d)] for _ in range(n)]`, `self.x[k] = {"w": nn.Parameter(...)}`:
        # Module wrappers outside, the item kind's wrappers inside
        nested = _nested(ctx, event, first, list_wrapper, dict_wrapper)
        if nested is None:
            return None  # the wrapper would reject (or silently change) some of the contents
        wrapper = "ModuleDict" if container == "dict" else "ModuleList"
    argument_keys: list[str] = []
    int_keys: Optional[list] = None
    if handed_in is not None:
        if container == "dict":
            argument_keys = [handed_in.name]  # `Dict[str, Block]`: string keys, as the callers pass them
    elif returned_keys is not None:
        argument_keys = returned_keys
    elif container == "dict" and not (_keys_are_names(value) or _filled_with_names(ctx, event.name, value)):
        argument_keys = _keys_from_arguments(ctx, event.name, value)
        if not argument_keys:
            int_keys = None if (others or concatenations) else _int_keys(ctx, event.name, first, value)
            if int_keys is None:
                return None
    if _calls_on(ctx, event.name, event.target) - _METHODS[wrapper] - MODULE_API:
        return None  # e.g. `.reverse()`: a list method the wrapper does not have
    skip = {id(statement.value) for statement in concatenations}  # rewritten to `.append(...)`
    as_lists = _breaking_uses(ctx, event.name, event.target, wrapper, skip,
                              {inner for _, inner in nested} if nested else set())
    if not all(how for _, how in as_lists):
        return None  # `isinstance(self.x, list)`, `torch.stack(self.x)` of a dict: no wrapper does that
    spelling = Imports(ctx).nn()
    if spelling is None:
        return None
    nn, imports = spelling
    empty = (isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements) or (
        isinstance(value, cst.Call) and not value.args and (code(ctx, value.func) in ("list", "dict", "tuple")
                                                             or _ordered_dict(value))
    )
    contents = ctx.source_of(value)
    inner_edits = []
    if nested:
        whole = ctx.position(value)
        inside = [(node, inner) for node, inner in nested if _inside(ctx.position(node), whole)]
        if inside and int_keys is not None and isinstance(value, cst.DictComp):
            return None  # two splices into one comprehension: not worth the risk
        contents = _spliced(ctx, value, [(node, _wrapped(ctx, nn, inner, node)) for node, inner in inside])
        inner_edits = [replace(ctx, node, _wrapped(ctx, nn, inner, node)) for node, inner in nested
                       if (node, inner) not in inside]
    if isinstance(value, cst.Tuple):
        contents = f"[{contents}]"  # the tuple's elements, without its parentheses: one argument
    new = f"{nn}.{wrapper}()" if empty else f"{nn}.{wrapper}({contents})"
    if handed_in is not None and handed_in.may_be_none:
        new = f"{new} if {contents} is not None else None"  # None stays None (`if self.heads is None` checks)
    if int_keys is not None and isinstance(value, cst.DictComp):  # `{str(i): ...}` inside the wrapped text
        key, whole = ctx.position(value.key), ctx.position(value)
        contents = (text_between(ctx, whole.start, key.start) + f"str({ctx.source_of(value.key)})"
                    + text_between(ctx, key.end, whole.end))
        new = f"{nn}.{wrapper}({contents})"
    edits = [replace(ctx, value, new), *inner_edits]
    for use, _ in as_lists:  # `torch.cat(self.experts)` -> `torch.cat(list(self.experts))`
        span = ctx.position(use)
        edits += [insert_at(span.start.line, span.start.column + 1, "list("),
                  insert_at(span.end.line, span.end.column + 1, ")")]
    for node in int_keys or ():
        text = ctx.source_of(node)
        edits.append(replace(ctx, node, f'"{int(text)}"' if isinstance(node, cst.Integer) and text.isdigit()
                             else f"str({text})"))
    for statement in concatenations:
        edits.append(_as_append(ctx, statement))
    where = ""
    if in_place:
        from torchlint.rules.tl001_unregistered_tensor import METACLASS_CAVEAT

        where = METACLASS_CAVEAT.replace("registering here", "wrapping here", 1)
    elif event.before_super:
        from torchlint.fixes.buffers import move_below_super

        statement = single_assignment(event)
        if statement is not first or concatenations or others or inner_edits or as_lists or \
                not isinstance(statement, cst.Assign):
            return None
        moved = move_below_super(ctx, info, statement, f"{code(ctx, event.target)} = {new}")
        if moved is None:
            return None
        edits, where = list(moved[0]), " after `super().__init__()`"
    return fix(
        UNSAFE,
        f"Wrap it in `{nn}.{wrapper}`{'' if in_place else where} (registers the contents: adds `state_dict` keys "
        "older checkpoints lack)" + _others_note(ctx, event, first, others) + (where if in_place else "")
        + (handed_in.note(wrapper) if handed_in is not None else _argument_keys_note(argument_keys, wrapper))
        + (_int_keys_note(event.name) if int_keys is not None else "")
        + (_nested_note(nn, nested, list_wrapper) if nested else "")
        + _as_lists_note(ctx, event.name, as_lists),
        *edits,
        *imports,
    )


def _int_keys_note(name: str) -> str:
    return (f"; its int keys become strings (`str(k)`: a registering dict takes only names), and every lookup "
            f"`self.{name}[k]` in the file becomes `self.{name}[str(k)]`: code elsewhere indexing it with an int, "
            "or here with a key that is not an int (`1.0`, `True`), no longer finds its entry (`KeyError`)")


def _int_keys(ctx, name: str, first: cst.Assign, value: cst.BaseExpression,
              why: Optional[list] = None) -> Optional[list]:
    """A dict keyed by ints (``{i: Head() for i in range(n)}``, or ``{}`` filled by
    ``self.x[i] = Head()`` with ``i`` from ``range``/``enumerate``): the key nodes to turn
    into ``str(...)`` so that a ``ModuleDict``/``ParameterDict`` takes them — the fill
    keys and every lookup ``self.x[k]`` in the file. None unless every use of the
    attribute in the file is such a subscript through ``self`` (in this class, a base or a
    subclass), ``len(self.x)`` or ``self.x.values()``: anything that shows the keys
    (``.keys()``, ``.items()``, iteration, ``in``) or hands the dict on would see strings."""
    home = _enclosing_class(ctx, first.targets[0].target)
    keys: list = []
    if isinstance(value, cst.DictComp):
        ints, _ = _loop_names(value.for_in)
        if not _int_like(value.key, ints):
            return None
    elif not (isinstance(value, cst.Dict) and not value.elements or
              isinstance(value, cst.Call) and not value.args and code(ctx, value.func) == "dict"):
        return None
    handled = {id(first.targets[0].target)}
    ok = True
    blocked = why if why is not None else []
    fills = 0
    classes: list[cst.ClassDef] = []
    loops: list[cst.For] = []

    def ours(attribute: cst.Attribute) -> bool:
        receiver = attribute.value
        return isinstance(receiver, cst.Name) and receiver.value == "self" and home is not None and \
            bool(classes) and (classes[-1] is home or _related(ctx, home, classes[-1]))

    def subscript_key(node: cst.Subscript):
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        return node.slice[0].slice.value

    class Uses(walk.Visitor):
        def visit_ClassDef(self, node):
            classes.append(node)

        def leave_ClassDef(self, node):
            classes.pop()

        def visit_For(self, node):
            loops.append(node)

        def leave_For(self, node):
            loops.pop()

        def visit_Assign(self, node):
            nonlocal ok, fills
            for target in node.targets:
                sub = target.target
                if isinstance(sub, cst.Subscript) and isinstance(sub.value, cst.Attribute) and \
                        sub.value.attr.value == name and ours(sub.value):
                    ints: set = set()
                    for loop in loops:
                        ints |= _loop_names(cst.CompFor(target=loop.target, iter=loop.iter))[0]
                    key = subscript_key(sub)
                    if key is None or not _int_like(key, ints):
                        ok = False  # a store under a key that may not be an int
                        blocked.append(node)
                    fills += 1

        def visit_Subscript(self, node):
            nonlocal ok
            if isinstance(node.value, cst.Attribute) and node.value.attr.value == name and ours(node.value):
                key = subscript_key(node)
                if key is None:
                    ok = False
                    blocked.append(node)
                    return
                handled.add(id(node.value))
                if not (isinstance(key, cst.Call) and isinstance(key.func, cst.Name) and key.func.value == "str"):
                    keys.append(key)

        def visit_Call(self, node):
            func = node.func
            if isinstance(func, cst.Name) and func.value == "len" and len(node.args) == 1 and \
                    isinstance(node.args[0].value, cst.Attribute) and node.args[0].value.attr.value == name and \
                    ours(node.args[0].value):
                handled.add(id(node.args[0].value))
            elif isinstance(func, cst.Attribute) and func.attr.value == "values" and not node.args and \
                    isinstance(func.value, cst.Attribute) and func.value.attr.value == name and ours(func.value):
                handled.add(id(func.value))

        def visit_Attribute(self, node):
            nonlocal ok
            if node.attr.value == name and id(node) not in handled:
                ok = False
                blocked.append(node)

    walk.visit(ctx.module, Uses())
    if not ok or (not fills and not isinstance(value, cst.DictComp)):
        return None
    return keys


def _argument_keys_note(arguments: list[str], wrapper: str) -> str:
    """The caveat of a dict whose keys the callers choose."""
    if not arguments:
        return ""
    names = ", ".join(f"`{a}`" for a in arguments)
    return (f"; its keys come from {names} (names by default), as the callers pass them: a key that is not a string "
            "raises `TypeError`, "
            f"one that is empty, contains `.` or names an attribute of `{wrapper}` (`keys`, `training`, ...) raises "
            "`KeyError` at construction")


def _kind_of_store(ctx, store: cst.Assign) -> Kind:
    """What ``store`` puts in the attribute: as construction saw it (locals included), else
    by its value alone."""
    from torchlint.analysis.tensors import Evaluator, Host

    target = store.targets[0].target
    for info in ctx.module_classes:
        for event in info.construction.assignments():
            if event.target is target:
                return event.value.kind
    return Evaluator(ctx, Host()).eval(store.value).kind


def _other_store_fits(ctx, event: AttrAssign, first: cst.Assign, other: cst.Assign) -> bool:
    """May ``other`` (another store of the name) stay as it is once ``first`` is wrapped? A
    Module or None fits the wrapper's slot in ``_modules`` wherever it runs; anything else
    only on another arm of the same ``if`` (``Module.__setattr__`` raises ``TypeError``
    assigning a non-Module to a name that holds a submodule)."""
    if _kind_of_store(ctx, other) in (Kind.MODULE, Kind.NONE):
        return True
    return _exclusive(ctx, first, other)


def _exclusive(ctx, a: cst.CSTNode, b: cst.CSTNode) -> bool:
    """Are ``a`` and ``b`` on different arms of one ``if`` statement (never both run)?"""
    found = []
    finder = _Arms(ctx, ctx.position(a), ctx.position(b), found)
    walk.visit(ctx.module, finder)
    return bool(found)


class _Arms(walk.Visitor):
    def __init__(self, ctx, a, b, found):
        self.ctx, self.a, self.b, self.found = ctx, a, b, found

    def visit_If(self, node: cst.If) -> None:
        if node.orelse is None:
            return
        body, orelse = self.ctx.position(node.body), self.ctx.position(node.orelse)
        if (_inside(self.a, body) and _inside(self.b, orelse)) or (_inside(self.b, body) and _inside(self.a, orelse)):
            self.found.append(node)


def _inside(inner, outer) -> bool:
    return (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and \
        (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column)


def _others_note(ctx, event, first, others) -> str:
    """Other stores left as they are: where, and why that is fine."""
    plain = [o for o in others if _kind_of_store(ctx, o) not in (Kind.MODULE, Kind.NONE)]
    if not plain:
        return ""
    lines = ", ".join(str(ctx.position(o).start.line) for o in plain)
    if len(plain) == 1:
        return f"; the store on line {lines}, on another branch, stays as written"
    return f"; the stores on lines {lines}, on other branches, stay as written"


def _container_of(value: cst.BaseExpression) -> Optional[str]:
    """What the first assignment builds: ``list`` (a list/tuple literal or comprehension,
    ``list(...)``), ``dict`` (a dict literal or comprehension, ``dict()``), else None."""
    if isinstance(value, (cst.List, cst.Tuple, cst.ListComp)):
        return "list"
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply) and \
            isinstance(value.left, cst.List):
        return "list"  # `[block] * n`, `[None] * n` (filled by index later)
    if isinstance(value, (cst.Dict, cst.DictComp)):
        return "dict"
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        if value.func.value in ("list", "tuple"):
            return "list"
        if value.func.value == "dict" and not value.args:
            return "dict"
    if _ordered_dict(value):
        return "dict"  # `OrderedDict()`, `OrderedDict([("a", m), ...])`: the wrapper keeps the order
    return None


def _ordered_dict(value: cst.BaseExpression) -> bool:
    """``OrderedDict()`` or ``OrderedDict([(key, item), ...])`` (also ``collections.OrderedDict``)."""
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    named = (isinstance(func, cst.Name) and func.value == "OrderedDict") or (
        isinstance(func, cst.Attribute) and func.attr.value == "OrderedDict" and isinstance(func.value, cst.Name)
        and func.value.value == "collections")
    return named and (not value.args or len(value.args) == 1 and value.args[0].keyword is None and not value.args[0].star
                      and _pairs(value.args[0].value) is not None)


def _pairs(node: cst.BaseExpression):
    """The ``(key, item)`` tuples of a literal list or tuple of pairs; None otherwise."""
    if not isinstance(node, (cst.List, cst.Tuple)):
        return None
    pairs = []
    for element in node.elements:
        pair = element.value
        if isinstance(element, cst.StarredElement) or not isinstance(pair, cst.Tuple) or len(pair.elements) != 2 or \
                any(isinstance(e, cst.StarredElement) for e in pair.elements):
            return None
        pairs.append((pair.elements[0].value, pair.elements[1].value))
    return pairs


def _stores(ctx, name: str, where: cst.CSTNode):
    """Every store to ``<x>.<name>`` in the file: exactly one plain first assignment,
    plus ``self.<name> += ...`` (kept: the wrappers support it) and
    ``self.<name> = self.<name> + [...]`` (rewritten to ``.append``/``.extend``). None when
    anything else stores it (another value, a tuple target, a chained assignment).
    ``self.<name>`` stored in another class of the file that is neither a base nor a
    subclass of this one (by name) is another object's attribute and does not count."""
    firsts: list[cst.Assign] = []
    concatenations: list[cst.Assign] = []
    unknown = False
    classes: list[cst.ClassDef] = []
    home = _enclosing_class(ctx, where)

    def counts(target) -> bool:
        if not _names(target, name):
            return False
        if home is None or not classes or classes[-1] is home or not isinstance(target, cst.Attribute) or \
                not (isinstance(target.value, cst.Name) and target.value.value == "self"):
            return True
        return _related(ctx, home, classes[-1])

    class Stores(walk.Visitor):
        def visit_ClassDef(self, node):
            classes.append(node)

        def leave_ClassDef(self, node):
            classes.pop()

        def visit_Assign(self, node):
            nonlocal unknown
            for target in node.targets:
                if counts(target.target):
                    if len(node.targets) != 1 or not isinstance(target.target, cst.Attribute):
                        unknown = True
                    elif _is_concatenation(node.value, target.target):
                        concatenations.append(node)
                    else:
                        firsts.append(node)

        def visit_AnnAssign(self, node):
            nonlocal unknown
            if counts(node.target):
                unknown = True  # rare; left alone

        def visit_AugAssign(self, node):
            nonlocal unknown
            if counts(node.target) and not isinstance(node.operator, cst.AddAssign):
                unknown = True

    walk.visit(ctx.module, Stores())
    if unknown or not firsts:
        return None
    mine = [store for store in firsts if store.targets[0].target is where]
    if len(firsts) > 1 and len(mine) != 1:
        return None
    first = mine[0] if mine else firsts[0]
    return first, concatenations, [store for store in firsts if store is not first]


def _calls_on(ctx, name: str, where: cst.CSTNode) -> set[str]:
    """The methods called on ``<x>.<name>`` in the file (``self.layers.reverse()``,
    ``model.layers.sort()``), as the wrapper would have to answer them. A call through
    ``self`` in a class of the file that is neither the class of ``where``, a base nor a
    subclass of it (by name, through any number of ``class`` lines) is another object's
    attribute and does not count; any other receiver (``model.layers``, ``self.net.layers``,
    ``self`` outside a class) may be this object and counts."""
    home = _enclosing_class(ctx, where)
    methods: set[str] = set()
    classes: list[cst.ClassDef] = []

    class Calls(walk.Visitor):
        def visit_ClassDef(self, node):
            classes.append(node)

        def leave_ClassDef(self, node):
            classes.pop()

        def visit_Call(self, node):
            func = node.func
            if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Attribute) and
                    func.value.attr.value == name):
                return
            receiver = func.value.value
            if home is not None and classes and classes[-1] is not home and \
                    isinstance(receiver, cst.Name) and receiver.value == "self" and not _related(ctx, home, classes[-1]):
                return  # another class's own attribute of that name
            methods.add(func.attr.value)

    walk.visit(ctx.module, Calls())
    return methods


def _enclosing_class(ctx, node: cst.CSTNode) -> Optional[cst.ClassDef]:
    inner = ctx.position(node)
    found = None

    class Classes(walk.Visitor):
        def visit_ClassDef(self, cls):
            nonlocal found
            outer = ctx.position(cls)
            if (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and \
                    (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column):
                found = cls  # the innermost wins: visited last

    walk.visit(ctx.module, Classes())
    return found


def _related(ctx, a: cst.ClassDef, b: cst.ClassDef) -> bool:
    """Does one class derive from the other in the file (by the names in their ``class``
    lines, through any number of steps)? The same object may then hold both's attributes."""
    from torchlint.analysis.stores import related_classes

    return b.name.value in related_classes(ctx, a.name.value)


def _names(target: cst.BaseExpression, name: str) -> bool:
    if isinstance(target, cst.Attribute):
        return target.attr.value == name
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_names(element.value, name) for element in target.elements)
    return False


def _is_concatenation(value: cst.BaseExpression, target: cst.Attribute) -> bool:
    """``self.x + [...]`` (or ``self.x + other``) assigned back to ``self.x``."""
    return isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add) and \
        isinstance(value.left, cst.Attribute) and value.left.deep_equals(target) and not value.lpar


def _as_append(ctx, statement: cst.Assign):
    """``self.x = self.x + [a]`` -> ``self.x.append(a)``; ``+ [a, b]`` or ``+ other`` -> ``.extend(...)``."""
    target = ctx.source_of(statement.targets[0].target)
    right = statement.value.right
    if isinstance(right, cst.List) and len(right.elements) == 1 and not isinstance(right.elements[0], cst.StarredElement):
        return replace(ctx, statement, f"{target}.append({ctx.source_of(right.elements[0].value)})")
    return replace(ctx, statement, f"{target}.extend({ctx.source_of(right)})")


def _only(container: Value, kind: Kind) -> bool:
    """Every item is a ``kind`` (no nested lists, no functions or plain tensors; a Module
    container also takes None), and there is at least one (a moved Parameter counts). ``nn.ParameterList`` also takes a Parameter moved before it was
    registered (``nn.Parameter(t).to(device)``: it wraps the copy in a trainable Parameter
    again), unless it was frozen, which the new Parameter would not be."""
    def held(item: Value) -> bool:
        return item.kind is kind or kind is Kind.PARAMETER and _moved_trainable(item)

    if container.open or not any(held(item) for item in container.items):
        return False
    return all(held(item)
               # ModuleList/ModuleDict hold None in a slot (`[None] * n` filled by index later)
               or kind is Kind.MODULE and item.kind is Kind.NONE for item in container.items)


def _moved_trainable(item: Value) -> bool:
    move = item.moved
    if move is None or not move.fresh:
        return False
    source = move.source.node
    return not (isinstance(source, cst.Call) and any(
        arg.keyword is not None and arg.keyword.value == "requires_grad" for arg in source.args)
        or isinstance(source, cst.Call) and len([a for a in source.args if a.keyword is None]) > 1)


def _keys_are_names(value: cst.BaseExpression, arguments: Optional[set] = None, used: Optional[set] = None) -> bool:
    """ModuleDict/ParameterDict keys must be strings without dots: string literals, or in a
    comprehension a key built from a string and loop indices (`f"h{i}"`, `str(i)` with
    `i` from `range(...)` or `enumerate(...)`) or a loop over a literal list of names (or,
    with ``arguments``, over one of them: see :func:`_loop_names`)."""
    if isinstance(value, cst.Dict):
        return all(
            isinstance(element, cst.DictElement) and _dotless_literal(element.key) for element in value.elements
        ) and bool(value.elements)
    if isinstance(value, cst.DictComp):
        ints, names = _loop_names(value.for_in, arguments, used)
        return _string_key(value.key, ints, names)
    if _ordered_dict(value) and value.args:
        pairs = _pairs(value.args[0].value)
        return bool(pairs) and all(_dotless_literal(key) for key, _ in pairs)
    return False  # `{}` or `dict()` filled later: keys we cannot see


def _filled_with_names(ctx, name: str, value: cst.BaseExpression, lenient: bool = False,
                       used: Optional[set] = None) -> bool:
    """``self.x = {}`` filled by ``self.x[key] = ...`` where every key is a dotless string:
    a literal, or built from loop indices and literals (``for i in range(n)``,
    ``for k in ("a", "b")``). ``update``/``setdefault`` (keys unseen) refuse."""
    empty = (isinstance(value, cst.Dict) and not value.elements) or (
        isinstance(value, cst.Call) and not value.args and (isinstance(value.func, cst.Name) or _ordered_dict(value)))
    if not empty or _calls_on(ctx, name, value) & {"update", "setdefault"}:
        return False
    keys = _fill_keys(ctx, name, lenient, used)
    return bool(keys) and all(index is not None and _string_key(index, ints, names) for index, ints, names in keys)


# Names a ModuleDict/ParameterDict already has: a key equal to one raises KeyError
# ("attribute ... already exists"), as does a key starting with "_" that names an internal.
_DICT_ATTRIBUTES = MODULE_ATTRIBUTES | frozenset(
    {"keys", "items", "values", "update", "pop", "clear", "setdefault", "get", "copy", "fromkeys", "popitem"})


def _unchanged_arguments(function: cst.FunctionDef) -> set[str]:
    """The function's arguments whose default is a literal list or tuple of names a
    registering dict takes as keys (``tasks=("cls", "box")``: what the callers are meant
    to pass) and that its body never rebinds."""
    from torchlint.fixes.guards import _binds

    params = function.params
    names = set()
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        default = param.default
        if isinstance(default, (cst.Tuple, cst.List)) and default.elements and \
                all(_dotless_literal(e.value) for e in default.elements) and not _binds(function.body, param.name.value):
            names.add(param.name.value)
    return names


def _enclosing_function(ctx, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
    inner = ctx.position(node)
    found = None

    class Functions(walk.Visitor):
        def visit_FunctionDef(self, function):
            nonlocal found
            outer = ctx.position(function)
            if (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and \
                    (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column):
                found = function  # the innermost wins: visited last

    walk.visit(ctx.module, Functions())
    return found


def _keys_from_arguments(ctx, name: str, value: cst.BaseExpression) -> list[str]:
    """The arguments the dict's keys come from, when each key is a loop variable over an
    argument whose default is a literal tuple of names (:func:`_unchanged_arguments`:
    ``{t: Head() for t in tasks}``, ``for t in tasks: self.heads[t] = Head()``), possibly
    mixed with the forms :func:`_keys_are_names` and :func:`_filled_with_names` accept;
    empty otherwise. The keys are then whatever the callers pass (the default says names)."""
    used: set = set()
    if isinstance(value, cst.DictComp):
        function = _enclosing_function(ctx, value)
        if function is None or not _keys_are_names(value, _unchanged_arguments(function), used):
            return []
    elif not _filled_with_names(ctx, name, value, lenient=True, used=used):
        return []
    return sorted(used)


def _dotless_literal(node: cst.BaseExpression) -> bool:
    """A string literal the registering dicts take as a key: not empty, no dot, not one of
    their attribute names."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        text = node.evaluated_value
        return isinstance(text, str) and bool(text) and "." not in text and text not in _DICT_ATTRIBUTES and \
            not text.startswith("_")
    return False


def _loop_names(comp: Optional[cst.CompFor], arguments: Optional[set] = None,
                used: Optional[set] = None) -> tuple[set[str], set[str]]:
    """Loop variables that are ints (``range``, ``enumerate``'s index) and names bound to
    dotless string literals (``for k in ("a", "b")``). With ``arguments`` (names of the
    function's arguments it never rebinds), a loop directly over one of them
    (``for task in tasks``) binds a name too, and the argument goes into ``used``."""
    ints: set[str] = set()
    names: set[str] = set()
    while comp is not None:
        target, iterable = comp.target, comp.iter
        if arguments and isinstance(iterable, cst.Name) and iterable.value in arguments and \
                isinstance(target, cst.Name):
            names.add(target.value)
            if used is not None:
                used.add(iterable.value)
            comp = comp.inner_for_in
            continue
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name):
            if iterable.func.value == "range" and isinstance(target, cst.Name):
                ints.add(target.value)
            elif iterable.func.value == "enumerate" and isinstance(target, cst.Tuple) and target.elements and \
                    isinstance(target.elements[0].value, cst.Name):
                ints.add(target.elements[0].value.value)
        elif isinstance(iterable, (cst.List, cst.Tuple)) and isinstance(target, cst.Name) and iterable.elements and \
                all(_dotless_literal(e.value) for e in iterable.elements):
            names.add(target.value)
        comp = comp.inner_for_in
    return ints, names


def _int_like(node: cst.BaseExpression, ints: set[str]) -> bool:
    if isinstance(node, cst.Integer):
        return True
    if isinstance(node, cst.Name):
        return node.value in ints
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply,
                                                                           cst.FloorDivide, cst.Modulo)):
        return _int_like(node.left, ints) and _int_like(node.right, ints)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "len":
        return True
    return False


def _string_key(node: cst.BaseExpression, ints: set[str], names: set[str]) -> bool:
    if _dotless_literal(node):
        return True
    if isinstance(node, cst.Name):
        return node.value in names
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "str" and \
            len(node.args) == 1:
        return _int_like(node.args[0].value, ints) or _string_key(node.args[0].value, ints, names)
    if isinstance(node, cst.FormattedString):
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                if "." in part.value:
                    return False
            elif isinstance(part, cst.FormattedStringExpression):
                if part.format_spec or not (_int_like(part.expression, ints) or
                                            _string_key(part.expression, ints, names)):
                    return False
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _string_key(node.left, ints, names) and _string_key(node.right, ints, names)
    return False


# -- collections handed to __init__ ---------------------------------------------------------

_EMPTY_LITERALS = ("[]", "()", "{}", "list()", "tuple()", "dict()")


class _HandedIn:
    """A collection of Modules an argument hands over (``stages: Sequence[Stage]``) stored
    as ``p``, ``list(p)``, ``tuple(p)``, ``dict(p)`` or ``p or []``: what to wrap it in."""

    def __init__(self, name: str, container: str, may_be_none: bool):
        self.name = name
        self.container = container  # "list" or "dict"
        self.may_be_none = may_be_none  # `Optional[...]`/`... | None`/`= None`, stored as it is

    def fits(self, value: Value) -> bool:
        """Is the stored value what the annotation says (Modules, and nothing seen besides)?"""
        return bool(value.items) and all(item.kind is Kind.MODULE for item in value.items)

    def note(self, wrapper: str) -> str:
        what = "mapping" if self.container == "dict" else "iterable"
        text = f"; `{self.name}` may be any {what} of Modules the callers pass (the wrapper copies it: later " \
               "changes to the caller's collection are not seen)"
        if self.may_be_none:
            text += ", and None stays None"
        if self.container == "dict":
            text += (f"; its keys are the callers' (`str`, as annotated): one that is empty, contains `.` or names "
                     f"an attribute of `{wrapper}` (`keys`, `training`, ...) raises `KeyError` at construction")
        return text


def _argument_collection(ctx, first: cst.Assign, stored: Value) -> Optional[_HandedIn]:
    """The argument of the enclosing function ``first`` stores, when its annotation says it
    hands over a collection of Modules that create parameters (``List[Block]``,
    ``Sequence[nn.Linear]``, ``tuple[Stage, ...]``, ``Dict[str, Head]``, ``Optional`` of one)
    and ``first`` stores it as it is, copied (``list(p)``, ``tuple(p)``, ``dict(p)``) or with
    an empty default (``p or []``). A dict needs ``str`` keys in the annotation."""
    if not stored.open or stored.container not in ("list", "tuple", "dict"):
        return None
    from torchlint.analysis.construction import module_container_annotation

    value = first.value
    copied = False
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("list", "tuple", "dict") \
            and len(value.args) == 1 and value.args[0].keyword is None and not value.args[0].star:
        copied, value = True, value.args[0].value
    elif isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or) and \
            code(ctx, value.right).replace(" ", "") in _EMPTY_LITERALS:
        copied, value = True, value.left
    if not isinstance(value, cst.Name) or value.lpar:
        return None
    function = _enclosing_function(ctx, first)
    if function is None:
        return None
    params = function.params
    param = next((p for p in (*params.posonly_params, *params.params, *params.kwonly_params)
                  if p.name.value == value.value), None)
    if param is None or param.annotation is None:
        return None
    from torchlint.fixes.guards import _binds

    if _binds(function.body, param.name.value):
        return None  # rebound: the stored value may be something else
    annotation = _unquoted(param.annotation.annotation)
    container = module_container_annotation(ctx, annotation) if annotation is not None else ""
    if not container or (container == "dict") != (stored.container == "dict"):
        return None
    if container == "dict" and not _str_keyed(ctx, annotation):
        return None
    if isinstance(first.value, cst.Call) and first.value.func.value == "dict" and container != "dict":
        return None
    may_be_none = not copied and (_allows_none(ctx, annotation) or
                                  isinstance(param.default, cst.Name) and param.default.value == "None")
    return _HandedIn(value.value, "dict" if container == "dict" else "list", may_be_none)


def _unquoted(node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """An annotation, parsed out of its quotes (``"List[Block]"``)."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        text = node.evaluated_value
        if not isinstance(text, str):
            return None
        try:
            return cst.parse_expression(text)
        except cst.ParserSyntaxError:
            return None
    return node


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _typing_name(ctx, node: cst.BaseExpression) -> str:
    resolved = getattr(ctx.resolve(node), "dotted", None)
    if resolved:
        return resolved.rsplit(".", 1)[-1]
    return node.value if isinstance(node, cst.Name) else ""


def _allows_none(ctx, node: cst.BaseExpression) -> bool:
    """``Optional[X]``, ``Union[X, None]``, ``X | None``."""
    node = _unquoted(node)
    if node is None:
        return True  # unreadable: assume the worst
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return _is_none(node.left) or _is_none(node.right) or _allows_none(ctx, node.left) or \
            _allows_none(ctx, node.right)
    if isinstance(node, cst.Subscript):
        name = _typing_name(ctx, node.value)
        if name == "Optional":
            return True
        if name == "Union":
            return any(isinstance(e.slice, cst.Index) and (_is_none(e.slice.value) or _allows_none(ctx, e.slice.value))
                       for e in node.slice)
    return False


def _str_keyed(ctx, node: cst.BaseExpression) -> bool:
    """Does the mapping annotation (possibly ``Optional``/``| None``) say its keys are ``str``?"""
    node = _unquoted(node)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        sides = [side for side in (node.left, node.right) if not _is_none(side)]
        return len(sides) == 1 and _str_keyed(ctx, sides[0])
    if not isinstance(node, cst.Subscript):
        return False
    elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
    if _typing_name(ctx, node.value) in ("Optional", "Union"):
        sides = [e for e in elements if not _is_none(e)]
        return len(sides) == 1 and _str_keyed(ctx, sides[0])
    return len(elements) == 2 and isinstance(elements[0], cst.Name) and elements[0].value == "str"


# -- dicts a helper returns -------------------------------------------------------------------

def _returned_dict_keys(ctx, call: cst.Call) -> Optional[list[str]]:
    """``self.heads = map_values(make, sizes)`` with ``map_values`` a function of the file
    whose every ``return`` is a dict keyed by dotless names: a dict literal, a comprehension
    whose keys :func:`_keys_are_names` accepts, or a comprehension over one of its
    arguments' keys (``{k: fn(v) for k, v in table.items()}``), whose keys are then those
    of the dict the call passes, which must be a literal keyed by names or an argument of
    the caller whose default (or ``x = x or {...}``) is one. The arguments the keys come
    from (empty when every key is seen), or None."""
    if not isinstance(call.func, cst.Name) or any(arg.star for arg in call.args):
        return None
    function = ctx.functions.get(call.func.value)
    if function is None:
        return None
    returns = _returns(function)
    if not returns:
        return None
    from torchlint.fixes.guards import _binds

    params = [*function.params.posonly_params, *function.params.params]
    used: list[str] = []
    for returned in returns:
        if isinstance(returned, (cst.Dict, cst.DictComp)) and _keys_are_names(returned):
            continue
        source = _keyed_by_argument(returned)
        if source is None or _binds(function.body, source):
            return None
        position = next((i for i, p in enumerate(params) if p.name.value == source), None)
        given = None
        for index, arg in enumerate(call.args):
            if arg.keyword is not None and arg.keyword.value == source or arg.keyword is None and index == position:
                given = arg.value
        if given is None:
            return None
        names = _named_dict(ctx, call, given)
        if names is None:
            return None
        used.extend(n for n in names if n not in used)
    return used


def _returns(function: cst.FunctionDef) -> list[cst.BaseExpression]:
    """The values of the function's own ``return`` statements (not of nested functions);
    empty when one returns nothing."""
    found: list = []
    bare = False

    class Returns(walk.Visitor):
        def visit_FunctionDef(self, node):
            return node is function

        def visit_Lambda(self, node):
            return False

        def visit_Return(self, node):
            nonlocal bare
            if node.value is None:
                bare = True
            else:
                found.append(node.value)

    walk.visit(function, Returns())
    return [] if bare else found


def _keyed_by_argument(value: cst.BaseExpression) -> Optional[str]:
    """``{k: ... for k, v in table.items()}``, ``{k: ... for k in table}`` or
    ``{k: ... for k in table.keys()}``: the name (``table``) whose keys become the keys."""
    if not isinstance(value, cst.DictComp) or not isinstance(value.key, cst.Name):
        return None
    comp = value.for_in
    if comp.inner_for_in is not None or comp.ifs:
        return None  # keys filtered or combined: still names, but fewer checks to rely on
    target, iterable = comp.target, comp.iter
    key = value.key.value
    if isinstance(iterable, cst.Name) and isinstance(target, cst.Name) and target.value == key:
        return iterable.value
    if isinstance(iterable, cst.Call) and not iterable.args and isinstance(iterable.func, cst.Attribute) and \
            isinstance(iterable.func.value, cst.Name):
        method = iterable.func.attr.value
        if method == "keys" and isinstance(target, cst.Name) and target.value == key:
            return iterable.func.value.value
        if method == "items" and isinstance(target, cst.Tuple) and len(target.elements) == 2 and \
                isinstance(target.elements[0].value, cst.Name) and target.elements[0].value.value == key:
            return iterable.func.value.value
    return None


def _literal_names_dict(node: cst.BaseExpression) -> bool:
    """``{"human": 5, "mouse": 3}`` or ``dict(human=5, mouse=3)``: keys a registering dict takes."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        return bool(node.args) and all(
            arg.keyword is not None and not arg.star and arg.keyword.value not in _DICT_ATTRIBUTES
            and not arg.keyword.value.startswith("_") for arg in node.args)
    return isinstance(node, cst.Dict) and bool(node.elements) and all(
        isinstance(e, cst.DictElement) and _dotless_literal(e.key) for e in node.elements)


def _named_dict(ctx, call: cst.Call, given: cst.BaseExpression) -> Optional[list[str]]:
    """Is ``given`` (passed by ``call``) a dict keyed by names? A literal ([]), or an
    argument of the calling function, never rebound but as ``x = x or {...}``, whose
    default (or that fallback) is a literal keyed by names ([its name]); else None."""
    if _literal_names_dict(given):
        return []
    if not isinstance(given, cst.Name):
        return None
    function = _enclosing_function(ctx, call)
    if function is None:
        return None
    params = function.params
    param = next((p for p in (*params.posonly_params, *params.params, *params.kwonly_params)
                  if p.name.value == given.value), None)
    if param is None:
        return None
    fallbacks = [param.default] if param.default is not None and not _is_none(param.default) else []
    stores: list = []

    class Stores(walk.Visitor):
        def visit_FunctionDef(self, node):
            return node is function

        def visit_Assign(self, node):
            if any(isinstance(t.target, cst.Name) and t.target.value == given.value for t in node.targets):
                stores.append(node)

    walk.visit(function, Stores())
    for store in stores:
        value = store.value
        if not (len(store.targets) == 1 and isinstance(value, cst.BooleanOperation) and
                isinstance(value.operator, cst.Or) and isinstance(value.left, cst.Name) and
                value.left.value == given.value):
            return None
        fallbacks.append(value.right)
    if not fallbacks or not all(_literal_names_dict(f) for f in fallbacks):
        return None
    if _binds_otherwise(function, given.value, stores):
        return None  # a loop target, a `with` name, another kind of store
    return [given.value]


def _binds_otherwise(function: cst.FunctionDef, name: str, stores: list) -> bool:
    """Is ``name`` bound in ``function`` other than by the assignments ``stores``?"""
    from torchlint.fixes.guards import _binds

    class Strip(cst.CSTTransformer):
        def leave_Assign(self, original, updated):
            if any(original is s for s in stores):
                return updated.with_changes(targets=[cst.AssignTarget(cst.Name("_"))])
            return updated

    return _binds(function.body.visit(Strip()), name)


# -- why a dict is not wrapped ----------------------------------------------------------------

def wrap_refusal(ctx, event: AttrAssign, wrapper: str) -> Optional[str]:
    """Why the dict ``event`` stores gets no wrap, when its keys are the reason (for the
    finding's help): ints that code of the file sees as ints (``{**self.x}``,
    ``.items()``, a lookup by a key that may not be an int), a key ``nn.ModuleDict``
    rejects, or keys nothing shows to be names. None for any other reason."""
    if event.value.container != "dict":
        return None
    stores = _stores(ctx, event.name, event.target)
    if stores is None or stores[1] or stores[2]:
        return None
    first = stores[0]
    value = first.value
    keys: list[tuple[cst.BaseExpression, set, set]] = []  # each key with the int and name loop variables it sees
    if isinstance(value, cst.DictComp):
        ints, names = _loop_names(value.for_in)
        keys.append((value.key, ints, names))
    elif isinstance(value, cst.Dict) and value.elements:
        if not all(isinstance(e, cst.DictElement) for e in value.elements):
            return None  # `**other`: keys unseen, and said no more precisely
        keys = [(e.key, set(), set()) for e in value.elements]
    elif isinstance(value, cst.Dict) and not value.elements or \
            isinstance(value, cst.Call) and not value.args and code(ctx, value.func) == "dict":
        if _calls_on(ctx, event.name, value) & {"update", "setdefault"}:
            return None
        keys = [key for key in _fill_keys(ctx, event.name) if key[0] is not None]
    if not keys:
        return None
    if all(_int_like(key, ints) for key, ints, _ in keys):
        why: list = []
        if _int_keys(ctx, event.name, first, value, why) is not None or not why:
            return None
        line = ctx.position(why[0]).start.line
        return (f"its keys are ints, which `nn.{wrapper}` does not take (only strings without dots), and line {line} "
                "uses the dict in a way that would see them turned into strings (`str(k)`)")
    for key, _, _ in keys:
        if isinstance(key, (cst.SimpleString, cst.ConcatenatedString)) and not _dotless_literal(key):
            return (f"its key {code(ctx, key)} is one `nn.{wrapper}` rejects (empty, with a `.`, or the name of one "
                    "of its attributes)")
    unseen = [key for key, ints, names in keys if not _string_key(key, ints, names)]
    if not unseen:
        return None
    source = ""
    if isinstance(value, cst.DictComp) and isinstance(value.key, cst.Name) and \
            isinstance(value.for_in.target, cst.Name) and value.for_in.target.value == value.key.value:
        source = f" from `{' '.join(code(ctx, value.for_in.iter).split())}`"
    return (f"`nn.{wrapper}` takes only strings without dots as keys, and nothing here shows that its keys "
            f"(`{code(ctx, unseen[0])}`{source}) are such names")


def _fill_keys(ctx, name: str, lenient: bool = False, used: Optional[set] = None) -> list:
    """The keys of every ``<x>.<name>[...] = ...`` store in the file, each with the int and
    name loop variables around it (the key is None for a slice or several indices). With
    ``lenient``, the enclosing function's unchanged arguments with literal defaults count
    as names (``_unchanged_arguments``)."""
    keys: list = []
    loops: list[cst.For] = []
    functions: list[cst.FunctionDef] = []

    class Keys(walk.Visitor):
        def visit_FunctionDef(self, node):
            functions.append(node)

        def leave_FunctionDef(self, node):
            functions.pop()

        def visit_For(self, node):
            loops.append(node)

        def leave_For(self, node):
            loops.pop()

        def visit_Assign(self, node):
            for target in node.targets:
                subscript = target.target
                if isinstance(subscript, cst.Subscript) and isinstance(subscript.value, cst.Attribute) and \
                        subscript.value.attr.value == name:
                    ints, names = set(), set()
                    arguments = _unchanged_arguments(functions[-1]) if lenient and functions else None
                    for loop in loops:
                        more_ints, more_names = _loop_names(cst.CompFor(target=loop.target, iter=loop.iter),
                                                            arguments, used)
                        ints |= more_ints
                        names |= more_names
                    simple = len(subscript.slice) == 1 and isinstance(subscript.slice[0].slice, cst.Index)
                    keys.append((subscript.slice[0].slice.value if simple else None, ints, names))

    walk.visit(ctx.module, Keys())
    return keys


def with_refusal(ctx, event: AttrAssign, list_wrapper: str, dict_wrapper: str, wrap: Optional[Fix],
                 advice: str) -> str:
    """``advice``, and when there is no wrap because of the dict's keys, or because code
    uses the container where the wrapper cannot stand in for it, why."""
    if wrap is not None:
        return advice
    reason = wrap_refusal(ctx, event, dict_wrapper)
    if reason is None and event.value.container in ("list", "tuple", "dict"):
        wrapper = dict_wrapper if event.value.container == "dict" else list_wrapper
        use = _breaking_use(ctx, event.name, event.target, wrapper)
        if use is not None:
            reason = (f"line {ctx.position(use).start.line} uses it where a `nn.{wrapper}` cannot stand in for the "
                      f"plain {describe_container(event.value.container)} (`{_short(ctx, _use_context(ctx, use))}`)")
    return f"{advice} (no automatic fix: {reason})" if reason else advice


def describe_container(container: str) -> str:
    return "dict" if container == "dict" else "tuple" if container == "tuple" else "list"


def _use_context(ctx, node: cst.CSTNode) -> cst.CSTNode:
    """The call, operation or comparison a use sits in."""
    parents = _parents(ctx)
    parent = parents.get(id(node))
    if isinstance(parent, cst.Arg):
        return parents.get(id(parent), node)
    if isinstance(parent, cst.ComparisonTarget):
        return parents.get(id(parent), node)
    return parent if isinstance(parent, (cst.BinaryOperation, cst.Comparison)) else node


def _short(ctx, node: cst.CSTNode) -> str:
    text = " ".join(ctx.source_of(node).split())
    return text if len(text) <= 60 else text[:57] + "..."


# -- containers of containers ---------------------------------------------------------------------

_INNER = {"ModuleList": ("ModuleList", "ModuleDict"), "ParameterList": ("ParameterList", "ParameterDict")}


def _nested(ctx, event: AttrAssign, first: cst.Assign, list_wrapper: str, dict_wrapper: str) -> Optional[list]:
    """A container whose every item is a literal or comprehension container of the item
    kind (``[[Block(d), Block(d)] for _ in range(n)]``, ``self.x[k] = {"w": nn.Parameter(t)}``,
    ``self.x.append([p, q])``), written in the first store or as the value of a fill of
    the attribute (``self.x[k] = ...``, ``self.x.append(...)``): each inner node with the
    wrapper it gets (a dict's keys must be names). None when anything else is in it, or
    when code of the file calls a method on an item (``self.x[i].insert(...)``, also
    through a local or loop name bound to one) that the inner wrapper lacks."""
    kind = _ITEM_KIND[list_wrapper]
    container = event.value
    if container.open or not container.items:
        return None
    allowed = _fill_values(ctx, event.name) | {id(n) for n in walk.nodes(first.value)}
    found: list = []
    seen: set[int] = set()
    for item in container.items:
        node = item.node
        if item.kind is not Kind.CONTAINER or item.open or item.container not in ("list", "tuple", "dict") or \
                not _only(item, kind) or node is None:
            return None
        if id(node) not in allowed:
            row = _local_row(ctx, event.name, node) if item.container in ("list", "tuple") else None
            if row is None:
                return None
            node = row  # `ufs = []; ufs.append(...); self.x.append(ufs)`: wrapped where it goes in
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node is not item.node:
            found.append((node, list_wrapper))
            continue
        if item.container == "dict":
            if not isinstance(node, (cst.Dict, cst.DictComp)) or not _keys_are_names(node):
                return None
            found.append((node, dict_wrapper))
        elif isinstance(node, (cst.List, cst.Tuple, cst.ListComp)):
            found.append((node, list_wrapper))
        else:
            return None
    wrappers = {inner for _, inner in found}
    allowed_methods = frozenset().union(*(_METHODS[w] for w in wrappers)) if len(wrappers) == 1 else \
        _METHODS[list_wrapper] & _METHODS[dict_wrapper]
    if _item_calls(ctx, event.name) - allowed_methods - MODULE_API:
        return None
    return found


def _fill_values(ctx, name: str) -> set[int]:
    """ids of the values put into ``<x>.<name>`` by ``<x>.<name>[k] = v`` or
    ``<x>.<name>.append(v)`` in the file."""
    found: set[int] = set()

    class Fills(walk.Visitor):
        def visit_Assign(self, node):
            if len(node.targets) == 1:
                target = node.targets[0].target
                if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute) and \
                        target.value.attr.value == name:
                    found.add(id(node.value))

        def visit_Call(self, node):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "append" and len(node.args) == 1 and \
                    isinstance(func.value, cst.Attribute) and func.value.attr.value == name:
                found.add(id(node.args[0].value))

    walk.visit(ctx.module, Fills())
    return found


def _item_calls(ctx, name: str) -> set[str]:
    """Methods the file calls on an item of ``<x>.<name>``: ``self.x[k].m(...)``, or
    ``v.m(...)`` with ``v`` bound in the same function by ``v = self.x[k]`` or by a loop
    over ``self.x``, ``self.x.values()`` or ``self.x.items()``."""
    methods: set[str] = set()

    def item_of(node) -> bool:
        return isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute) and node.value.attr.value == name

    def iterated(node) -> bool:
        if isinstance(node, cst.Attribute) and node.attr.value == name:
            return True
        return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
            node.func.attr.value in ("values", "items") and isinstance(node.func.value, cst.Attribute) and \
            node.func.value.attr.value == name

    class Calls(walk.Visitor):
        def __init__(self):
            self.aliases: list[set[str]] = [set()]

        def visit_FunctionDef(self, node):
            self.aliases.append(set())

        def leave_FunctionDef(self, node):
            self.aliases.pop()

        def visit_Assign(self, node):
            if item_of(node.value):
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        self.aliases[-1].add(target.target.value)

        def visit_For(self, node):
            if iterated(node.iter):
                target = node.target
                if isinstance(target, cst.Tuple) and len(target.elements) == 2:
                    target = target.elements[1].value
                if isinstance(target, cst.Name):
                    self.aliases[-1].add(target.value)

        def visit_Call(self, node):
            func = node.func
            if isinstance(func, cst.Attribute) and (
                    item_of(func.value) or isinstance(func.value, cst.Name) and func.value.value in self.aliases[-1]):
                methods.add(func.attr.value)

    walk.visit(ctx.module, Calls())
    return methods


def _wrapped(ctx, nn: str, wrapper: str, node: cst.BaseExpression) -> str:
    text = ctx.source_of(node)
    return f"{nn}.{wrapper}([{text}])" if isinstance(node, cst.Tuple) else f"{nn}.{wrapper}({text})"


def _spliced(ctx, outer: cst.CSTNode, replacements: list) -> str:
    """The source of ``outer`` with each ``(inner node, text)`` put in place of the node."""
    whole = ctx.position(outer)
    if not replacements:
        return ctx.source_of(outer)
    ordered = sorted(replacements, key=lambda r: (ctx.position(r[0]).start.line, ctx.position(r[0]).start.column))
    pieces, at = [], whole.start
    for node, text in ordered:
        span = ctx.position(node)
        pieces += [text_between(ctx, at, span.start), text]
        at = span.end
    pieces.append(text_between(ctx, at, whole.end))
    return "".join(pieces)


def _nested_note(nn: str, nested: list, list_wrapper: str) -> str:
    inner = sorted({wrapper for _, wrapper in nested})
    names = " / ".join(f"`{nn}.{w}`" for w in inner)
    text = f"; each inner container becomes a {names} inside it"
    if list_wrapper == "ParameterList":
        text += " (which turns a plain tensor later stored in it into a Parameter)"
    return text


def _called_directly(ctx, name: str) -> bool:
    """Does the file call ``<x>.<name>(...)`` itself (as a Module would be called)?"""
    found = False

    class Calls(walk.Visitor):
        def visit_Call(self, node):
            nonlocal found
            func = node.func
            found = found or isinstance(func, cst.Attribute) and func.attr.value == name and \
                isinstance(func.value, cst.Name) and func.value.value == "self"

    walk.visit(ctx.module, Calls())
    return found


def _local_row(ctx, name: str, node: cst.BaseExpression) -> Optional[cst.Name]:
    """``row = []`` (or a list literal or comprehension: ``node``), grown in place and then
    put into ``<x>.<name>`` by ``.append(row)`` or ``[k] = row`` in the same block: the
    ``row`` at that fill, to wrap there. Only when every use of ``row`` in the function
    lies between its binding and that fill, so that the wrapper, which copies the list, sees
    every item and nothing changes the list afterwards (a loop binds a fresh one first)."""
    if not isinstance(node, (cst.List, cst.ListComp, cst.Tuple)):
        return None
    function = _enclosing_function(ctx, node)
    if function is None:
        return None
    binding = fill = None

    class Find(walk.Visitor):
        def visit_IndentedBlock(self, block):
            nonlocal binding, fill
            for index, statement in enumerate(block.body):
                if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                    continue
                small = statement.body[0]
                if isinstance(small, cst.Assign) and small.value is node and len(small.targets) == 1 and \
                        isinstance(small.targets[0].target, cst.Name):
                    binding = (block, index, small.targets[0].target.value)

    walk.visit(function, Find())
    if binding is None:
        return None
    block, start, local = binding
    for statement in block.body[start + 1:]:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        given = None
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "append" and len(call.args) == 1 and \
                    isinstance(func.value, cst.Attribute) and func.value.attr.value == name:
                given = call.args[0].value
        elif isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute) and \
                    target.value.attr.value == name:
                given = small.value
        if isinstance(given, cst.Name) and given.value == local:
            fill = (statement, given)
            break
    if fill is None:
        return None
    first_line = ctx.position(block.body[start])
    last_line = ctx.position(fill[0])
    for use in walk.nodes(function):
        if isinstance(use, cst.Attribute):
            continue
        if isinstance(use, cst.Name) and use.value == local:
            where = ctx.position(use)
            if not _inside(where, _Span(first_line.start, last_line.end)):
                return None
    if any(isinstance(n, cst.Attribute) and n.attr.value == local for n in walk.nodes(function)):
        return None  # `x.row`: the name walk above counts attribute names too; stay simple
    return fill[1]


class _Span:
    def __init__(self, start, end):
        self.start, self.end = start, end


# -- uses a wrapper cannot stand in for -----------------------------------------------------------

# torch functions that take the container as an iterable (not a list or tuple of tensors).
_ITERABLE_TAKERS = ("torch.optim.", "torch.autograd.grad", "torch.autograd.backward", "torch.nn.utils.",
                    "torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict", "torch.nn.ParameterList",
                    "torch.nn.ParameterDict", "torch.nn.modules.container.")


def _parents(ctx) -> dict[int, cst.CSTNode]:
    memo = ctx.__dict__.get("_container_fix_parents")
    if memo is None:
        memo = {}
        for node in walk.nodes(ctx.module):
            for name in walk._child_fields(type(node)):
                value = getattr(node, name)
                for child in (value if isinstance(value, (list, tuple)) else (value,)):
                    if isinstance(child, cst.CSTNode):
                        memo[id(child)] = node
        ctx.__dict__["_container_fix_parents"] = memo
    return memo


def _breaking_uses(ctx, name: str, where: cst.CSTNode, wrapper: str, skip: set[int],
                   inner: set[str]) -> list[tuple[cst.CSTNode, bool]]:
    """The uses of ``<x>.<name>`` in the file (or, with ``inner`` wrappers, of an item
    ``<x>.<name>[k]``) where the wrapper would not do what the list or dict did, each with
    whether passing ``list(...)`` of it there does what the plain list did: as an argument
    of a torch function that wants a list or tuple of tensors (``torch.stack(self.x)``), as
    an operand (``self.a + self.b``, ``[stem] + self.layers``; a ``ModuleList`` on the left
    of ``+`` is fine as it is), in ``==``/``!=`` (all three: yes, for a list wrapper), and
    in ``isinstance``/``type`` (no). Receivers are scoped as in :func:`_calls_on`."""
    home = _enclosing_class(ctx, where)
    parents = _parents(ctx)
    classes: list[cst.ClassDef] = []
    found: list[tuple[cst.CSTNode, bool]] = []

    def breaks(node: cst.CSTNode, kind: str) -> Optional[bool]:
        """None: fine as it is; True: fine as ``list(...)``; False: no way."""
        listed = kind.endswith("List")
        parent = parents.get(id(node))
        if isinstance(parent, cst.Arg) and parent.value is node:
            if parent.star:
                return None  # `nn.Sequential(*self.layers)`
            call = parents.get(id(parent))
            if not isinstance(call, cst.Call):
                return None
            if isinstance(call.func, cst.Name) and call.func.value == "type":
                return False
            if isinstance(call.func, cst.Name) and call.func.value == "isinstance":
                # `isinstance(self.embed, Conv2dSubsampling)`: False for the plain list and for the wrapper
                return False if _checks_container_type(call) else None
            resolved = getattr(ctx.resolve(call.func), "dotted", None) if isinstance(
                call.func, (cst.Name, cst.Attribute)) else None
            if resolved and resolved.startswith("torch.") and not resolved.startswith(_ITERABLE_TAKERS):
                return listed
            return None
        if isinstance(parent, cst.BinaryOperation) and id(parent) not in skip:
            if kind == "ModuleList" and parent.left is node and isinstance(parent.operator, cst.Add):
                return None
            return listed
        if isinstance(parent, cst.Comparison) and parent.left is node:
            return listed if any(isinstance(t.operator, (cst.Equal, cst.NotEqual)) for t in parent.comparisons) \
                else None
        if isinstance(parent, cst.ComparisonTarget) and parent.comparator is node:
            return listed if isinstance(parent.operator, (cst.Equal, cst.NotEqual)) else None
        return None

    class Uses(walk.Visitor):
        def visit_ClassDef(self, node):
            classes.append(node)

        def leave_ClassDef(self, node):
            classes.pop()

        def visit_Attribute(self, node):
            if node.attr.value != name:
                return
            receiver = node.value
            if home is not None and classes and classes[-1] is not home and \
                    isinstance(receiver, cst.Name) and receiver.value == "self" and not _related(ctx, home, classes[-1]):
                return  # another class's own attribute of that name
            how = breaks(node, wrapper)
            if how is not None:
                found.append((node, how))
                return
            parent = parents.get(id(node))
            if inner and isinstance(parent, cst.Subscript) and parent.value is node:
                hows = [breaks(parent, kind) for kind in inner]
                if any(h is not None for h in hows):
                    found.append((parent, all(h is not False for h in hows)))

    walk.visit(ctx.module, Uses())
    return found


def _breaking_use(ctx, name: str, where: cst.CSTNode, wrapper: str) -> Optional[cst.CSTNode]:
    """The first use :func:`_breaking_uses` finds, or None."""
    uses = _breaking_uses(ctx, name, where, wrapper, set(), set())
    return uses[0][0] if uses else None


def _as_lists_note(ctx, name: str, uses: list) -> str:
    if not uses:
        return ""
    lines = sorted({ctx.position(use).start.line for use, _ in uses})
    where = ", ".join(str(line) for line in lines)
    return (f"; where it is used as a list (line{'s' if len(lines) > 1 else ''} {where}: a torch function's "
            "argument, an operand, a comparison) it is passed as `list(...)`")


# Classes a plain list/tuple/dict and its wrapper answer `isinstance` differently for (or may).
_CONTAINER_TYPES = frozenset(
    """list tuple dict set frozenset object Sequence MutableSequence Mapping MutableMapping Collection Container
    Reversible Hashable Module ModuleList ModuleDict ParameterList ParameterDict Sequential OrderedDict
    UserList UserDict abc""".split())


def _checks_container_type(call: cst.Call) -> bool:
    """Does ``isinstance(x, classes)`` name a class (or anything it cannot read) for which
    a plain container and a Module container may answer differently?"""
    if len(call.args) != 2:
        return True
    classes = call.args[1].value
    names = classes.elements if isinstance(classes, cst.Tuple) else [classes]
    for element in names:
        node = element.value if isinstance(element, cst.Element) else element
        if isinstance(node, cst.Name):
            leaf = node.value
        elif isinstance(node, cst.Attribute):
            leaf = node.attr.value
        else:
            return True
        if leaf in _CONTAINER_TYPES:
            return True
    return False
