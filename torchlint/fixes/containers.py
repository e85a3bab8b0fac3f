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
from torchlint.analysis.values import Kind, Value
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import UNSAFE, Imports, code, fix, replace

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


def wrap_container_fix(ctx, event: AttrAssign, list_wrapper: str, dict_wrapper: str) -> Optional[Fix]:
    if event.before_super:
        return None
    stores = _stores(ctx, event.name, event.target)
    if stores is None:
        return None  # stored in a way the wrap could be undone or break
    first, concatenations = stores
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
    if container == "dict" and not (_keys_are_names(value) or _filled_with_names(ctx, event.name, value)):
        return None
    if ctx.attribute_calls.get(event.name, set()) - _METHODS[wrapper] - MODULE_API:
        return None  # e.g. `.reverse()`: a list method the wrapper does not have
    spelling = Imports(ctx).nn()
    if spelling is None:
        return None
    nn, imports = spelling
    empty = (isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements) or (
        isinstance(value, cst.Call) and not value.args and code(ctx, value.func) in ("list", "dict", "tuple")
    )
    contents = ctx.source_of(value)
    if isinstance(value, cst.Tuple):
        contents = f"[{contents}]"  # the tuple's elements, without its parentheses: one argument
    new = f"{nn}.{wrapper}()" if empty else f"{nn}.{wrapper}({contents})"
    edits = [replace(ctx, value, new)]
    for statement in concatenations:
        edits.append(_as_append(ctx, statement))
    return fix(
        UNSAFE,
        f"Wrap it in `{nn}.{wrapper}` (registers the contents: adds `state_dict` keys older checkpoints lack)",
        *edits,
        *imports,
    )


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
    return None


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
        return _related(home, classes[-1])

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
    if unknown or len(firsts) != 1:
        return None
    return firsts[0], concatenations


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


def _related(a: cst.ClassDef, b: cst.ClassDef) -> bool:
    """Does one class name the other among its bases (the same object may then hold both)?"""
    def bases(cls):
        names = set()
        for base in cls.bases:
            node = base.value
            while isinstance(node, cst.Attribute):
                node = node.attr
            if isinstance(node, cst.Name):
                names.add(node.value)
        return names

    return a.name.value in bases(b) or b.name.value in bases(a)


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


def _keys_are_names(value: cst.BaseExpression) -> bool:
    """ModuleDict/ParameterDict keys must be strings without dots: string literals, or in a
    comprehension a key built from a string and loop indices (`f"h{i}"`, `str(i)` with
    `i` from `range(...)` or `enumerate(...)`) or a loop over a literal list of names."""
    if isinstance(value, cst.Dict):
        return all(
            isinstance(element, cst.DictElement) and _dotless_literal(element.key) for element in value.elements
        ) and bool(value.elements)
    if isinstance(value, cst.DictComp):
        ints, names = _loop_names(value.for_in)
        return _string_key(value.key, ints, names)
    return False  # `{}` or `dict()` filled later: keys we cannot see


def _filled_with_names(ctx, name: str, value: cst.BaseExpression) -> bool:
    """``self.x = {}`` filled by ``self.x[key] = ...`` where every key is a dotless string:
    a literal, or built from loop indices and literals (``for i in range(n)``,
    ``for k in ("a", "b")``). ``update``/``setdefault`` (keys unseen) refuse."""
    empty = (isinstance(value, cst.Dict) and not value.elements) or (
        isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Name))
    if not empty or ctx.attribute_calls.get(name, set()) & {"update", "setdefault"}:
        return False
    keys: list[bool] = []
    loops: list[cst.For] = []

    class Keys(walk.Visitor):
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
                    for loop in loops:
                        more_ints, more_names = _loop_names(cst.CompFor(target=loop.target, iter=loop.iter))
                        ints |= more_ints
                        names |= more_names
                    index = subscript.slice[0].slice if len(subscript.slice) == 1 else None
                    keys.append(isinstance(index, cst.Index) and _string_key(index.value, ints, names))

    walk.visit(ctx.module, Keys())
    return bool(keys) and all(keys)


def _dotless_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        text = node.evaluated_value
        return isinstance(text, str) and bool(text) and "." not in text
    return False


def _loop_names(comp: Optional[cst.CompFor]) -> tuple[set[str], set[str]]:
    """Loop variables that are ints (``range``, ``enumerate``'s index) and names bound to
    dotless string literals (``for k in ("a", "b")``)."""
    ints: set[str] = set()
    names: set[str] = set()
    while comp is not None:
        target, iterable = comp.target, comp.iter
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
