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
from torchlint.fixes.edits import UNSAFE, Imports, code, fix, replace, text_between

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
    if container is None or event.value.container not in ("list", "tuple", "dict", "") or \
            (container == "dict") != (event.value.container == "dict"):
        return None
    if concatenations and container == "dict":
        return None
    wrapper = dict_wrapper if container == "dict" else list_wrapper
    if not _only(event.value, _ITEM_KIND[list_wrapper]):
        return None  # the wrapper would reject (or silently change) some of the contents
    argument_keys: list[str] = []
    int_keys: Optional[list] = None
    if container == "dict" and not (_keys_are_names(value) or _filled_with_names(ctx, event.name, value)):
        argument_keys = _keys_from_arguments(ctx, event.name, value)
        if not argument_keys:
            int_keys = None if (others or concatenations) else _int_keys(ctx, event.name, first, value)
            if int_keys is None:
                return None
    if _calls_on(ctx, event.name, event.target) - _METHODS[wrapper] - MODULE_API:
        return None  # e.g. `.reverse()`: a list method the wrapper does not have
    spelling = Imports(ctx).nn()
    if spelling is None:
        return None
    nn, imports = spelling
    empty = (isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements) or (
        isinstance(value, cst.Call) and not value.args and (code(ctx, value.func) in ("list", "dict", "tuple")
                                                             or _ordered_dict(value))
    )
    contents = ctx.source_of(value)
    if isinstance(value, cst.Tuple):
        contents = f"[{contents}]"  # the tuple's elements, without its parentheses: one argument
    new = f"{nn}.{wrapper}()" if empty else f"{nn}.{wrapper}({contents})"
    if int_keys is not None and isinstance(value, cst.DictComp):  # `{str(i): ...}` inside the wrapped text
        key, whole = ctx.position(value.key), ctx.position(value)
        contents = (text_between(ctx, whole.start, key.start) + f"str({ctx.source_of(value.key)})"
                    + text_between(ctx, key.end, whole.end))
        new = f"{nn}.{wrapper}({contents})"
    edits = [replace(ctx, value, new)]
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
        if statement is not first or concatenations or others or not isinstance(statement, cst.Assign):
            return None
        moved = move_below_super(ctx, info, statement, f"{code(ctx, event.target)} = {new}")
        if moved is None:
            return None
        edits, where = list(moved[0]), " after `super().__init__()`"
    return fix(
        UNSAFE,
        f"Wrap it in `{nn}.{wrapper}`{'' if in_place else where} (registers the contents: adds `state_dict` keys "
        "older checkpoints lack)" + _others_note(ctx, event, first, others) + (where if in_place else "")
        + _argument_keys_note(argument_keys, wrapper) + (_int_keys_note(event.name) if int_keys is not None else ""),
        *edits,
        *imports,
    )


def _int_keys_note(name: str) -> str:
    return (f"; its int keys become strings (`str(k)`: a registering dict takes only names), and every lookup "
            f"`self.{name}[k]` in the file becomes `self.{name}[str(k)]`: code elsewhere indexing it with an int, "
            "or here with a key that is not an int (`1.0`, `True`), no longer finds its entry (`KeyError`)")


def _int_keys(ctx, name: str, first: cst.Assign, value: cst.BaseExpression) -> Optional[list]:
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
                    fills += 1

        def visit_Subscript(self, node):
            nonlocal ok
            if isinstance(node.value, cst.Attribute) and node.value.attr.value == name and ours(node.value):
                key = subscript_key(node)
                if key is None:
                    ok = False
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
    keys: list[bool] = []
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
                    index = subscript.slice[0].slice if len(subscript.slice) == 1 else None
                    keys.append(isinstance(index, cst.Index) and _string_key(index.value, ints, names))

    walk.visit(ctx.module, Keys())
    return bool(keys) and all(keys)


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
