"""How a Module's methods use ``self.<name>`` outside construction.

TL001 asks two questions about a tensor stored in construction:

- is it a *placeholder*, never read as state? Every store outside construction replaces
  it before any read of the old value, or the old value is only compared as a cache key
  (``if self._cache is x``, ``self._cache.shape != x.shape``) and then replaced. Such a
  tensor holds nothing to save or move, whatever its size.
- is it *accumulated into* (``self.mem = torch.cat([self.mem, x])``, ``self.w += d``,
  ``self.w.add_(d)``, ``self.w[i] = v``)? Then the construction-time object is state;
  except that an in-place write into a tensor with no elements writes nothing (only a
  concatenation or ``resize_`` can grow it).

A cache key may also be compared inside a helper of the same file
(``if not same_tensor(self._last, x)``): a module-level function that returns a truth
value and uses that argument only in comparisons.

The scan walks each method outside construction statement by statement, keeping the
names already replaced on the current path: a read after an unconditional replacement
(or after an ``if`` keyed on the name that replaces it) reads the new value, not the
construction-time tensor. Anything the scan does not understand (nested functions,
lambdas, a read in a loop before the store) counts as a read: the finding is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Optional

import libcst as cst

from torchlint.analysis import walk

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo

# Reads of a tensor's metadata, not its values: a cache key when compared.
_META_ATTRIBUTES = frozenset({"shape", "device", "dtype", "ndim", "is_cuda", "layout", "requires_grad"})
_META_METHODS = frozenset({"size", "dim", "numel", "nelement", "ndimension", "get_device", "is_contiguous"})
# Tensor factories whose result is a dummy when every size given is 0 or 1 (``torch.empty(1)``).
_SIZED_FACTORIES = frozenset({"empty", "zeros", "ones", "rand", "randn", "full", "Tensor", "FloatTensor",
                              "LongTensor", "DoubleTensor", "BoolTensor", "IntTensor"})
_DATA_FACTORIES = frozenset({"tensor", "as_tensor", "Tensor", "FloatTensor", "LongTensor"})
# Calls that join tensors: one that takes the old value accumulates into it.
_CONCATENATIONS = frozenset({"cat", "concat", "concatenate", "stack", "vstack", "hstack", "dstack", "column_stack",
                             "row_stack"})
# Methods that return the same values elsewhere (a hand-made move, not an accumulation).
_MOVE_METHODS = frozenset(
    {"to", "cuda", "cpu", "type", "type_as", "float", "half", "double", "bfloat16", "long", "int", "bool",
     "contiguous", "detach", "clone"}
)
# In-place methods that can give a tensor elements it did not have.
_GROWING_METHODS = frozenset({"resize_", "resize_as_", "set_"})


@dataclass
class Usage:
    replaced: bool = False  # some store outside construction replaces the old value
    state_read: bool = False  # the old value is read (or written into) before being replaced
    keyed_read: bool = False  # read where only a shape/size/device test decided it was replaced
    accumulated: bool = False  # concatenated, grown, or a store that combines the old value with others
    written: bool = False  # written into in place (``self.w += d``, ``self.w[i] = v``, ``self.w.add_(d)``)
    carried: bool = False  # a store keeps the old value (``self.x = self.x.to(d)``): not ignored


def attribute_usage(info: "ClassInfo") -> dict[str, Usage]:
    """name -> how the methods outside construction (of this class and of its relatives
    in the same file) use ``self.<name>``."""
    usage: dict[str, Usage] = {}
    helpers = info.ctx.key_helpers
    for owner in _relatives(info):
        construction = owner.construction.methods_walked if owner.is_module else {"__init__"}
        for name, method in owner.methods.items():
            if name in construction:
                continue
            params = method.params.params or method.params.posonly_params
            if not params or any(_decorator_name(d) == "staticmethod" for d in method.decorators):
                continue
            scan = _MethodScan(params[0].name.value, usage, _replaced_anywhere(method, params[0].name.value), helpers)
            scan.block(method.body, {}, {})
    return usage


def _decorator_name(decorator: cst.Decorator) -> Optional[str]:
    node = decorator.decorator
    return node.value if isinstance(node, cst.Name) else None


def _relatives(info: "ClassInfo") -> list["ClassInfo"]:
    """The class, the classes of the same file it derives from, and those deriving from it:
    their methods may read what this class's construction stores."""
    classes = {other.name: other for other in info.ctx.classes}
    found = [info]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        near = [classes.get(parts[-1]) for parts in current.base_parts if len(parts) == 1]
        near += [other for other in info.ctx.classes if any(p == [current.name] for p in other.base_parts)]
        for other in near:
            if other is not None and other not in found:
                found.append(other)
    return found


def _replaced_anywhere(method: cst.FunctionDef, self_name: str) -> set[str]:
    """Names the method stores to at all (a key test's arm may then read the cached value)."""
    names: set[str] = set()

    def targets(node: cst.BaseExpression) -> None:
        if _self_name_of(node, self_name):
            names.add(node.attr.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                targets(element.value)

    for statement in _statements(method.body):
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        targets(target.target)
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    targets(small.target)
    return names


def _statements(body: cst.BaseSuite) -> Iterable[cst.CSTNode]:
    stack = list(reversed(body.body)) if isinstance(body, cst.IndentedBlock) else [cst.SimpleStatementLine(body.body)]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.SimpleStatementLine)):
            continue
        for child in _bodies(node):
            stack.extend(reversed(child.body) if isinstance(child, cst.IndentedBlock)
                         else [cst.SimpleStatementLine(child.body)])


def _bodies(node: cst.CSTNode) -> list[cst.BaseSuite]:
    """The blocks directly inside a compound statement (all arms of an ``if`` chain)."""
    bodies = []
    body = getattr(node, "body", None)
    if isinstance(body, cst.BaseSuite):
        bodies.append(body)
    orelse = getattr(node, "orelse", None)
    if isinstance(orelse, cst.If):
        bodies.extend(_bodies(orelse))
    elif orelse is not None:
        bodies.append(orelse.body)
    finalbody = getattr(node, "finalbody", None)
    if finalbody is not None:
        bodies.append(finalbody.body)
    bodies.extend(handler.body for handler in getattr(node, "handlers", ()))
    bodies.extend(case.body for case in getattr(node, "cases", ()))
    return bodies


def _self_name_of(node: cst.CSTNode, self_name: str) -> bool:
    """Is ``node`` ``self.<name>``?"""
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == self_name


FRESH, KEYED = "fresh", "keyed"
IDENTITY, METADATA = "identity", "metadata"


class _MethodScan:
    """One method, in statement order. ``replaced`` maps the names already stored on the
    current path to FRESH (replaced unconditionally, or when an identity key missed) or
    KEYED (replaced when a metadata key such as the shape differed: the construction-time
    tensor is still used whenever it matches); ``guarded`` maps the names whose reads an
    enclosing key test protects to IDENTITY or METADATA."""

    def __init__(self, self_name: str, usage: dict[str, Usage], stored: set[str],
                 helpers: dict[str, dict[int, str]]):
        self.self_name = self_name
        self.usage = usage
        self.stored = stored  # names this method stores somewhere
        self.helpers = helpers  # key-comparing functions of the file: name -> {position: key kind}

    def _use(self, name: str) -> Usage:
        return self.usage.setdefault(name, Usage())

    def _read(self, name: str, replaced: dict, guarded: dict) -> None:
        if replaced.get(name) == FRESH or guarded.get(name) == IDENTITY:
            return
        if name in replaced or name in guarded:
            self._use(name).keyed_read = True  # fine only if the construction-time tensor can never match
        else:
            self._use(name).state_read = True

    # -- statements -----------------------------------------------------------------------

    def block(self, body: cst.BaseSuite, replaced: dict, guarded: dict) -> dict:
        """Walk ``body``; returns ``replaced`` after it."""
        if isinstance(body, cst.SimpleStatementSuite):
            for small in body.body:
                replaced = self.small(small, replaced, guarded)
            return replaced
        for statement in body.body:
            replaced = self.statement(statement, replaced, guarded)
        return replaced

    def statement(self, node: cst.CSTNode, replaced: dict, guarded: dict) -> dict:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                replaced = self.small(small, replaced, guarded)
            return replaced
        if isinstance(node, cst.If):
            return self.if_statement(node, replaced, guarded)
        if isinstance(node, (cst.For, cst.While)):
            self.reads(node.iter if isinstance(node, cst.For) else node.test, replaced, guarded)
            if isinstance(node, cst.For) and not isinstance(node.target, cst.Name):
                self.reads(node.target, replaced, guarded)
            self.block(node.body, dict(replaced), guarded)  # may not run: replacements stay inside
            if node.orelse is not None:
                self.block(node.orelse.body, dict(replaced), guarded)
            return replaced
        if isinstance(node, cst.With):
            for item in node.items:
                self.reads(item.item, replaced, guarded)
            return self.block(node.body, replaced, guarded)
        if isinstance(node, (cst.Try, cst.TryStar)):
            after = self.block(node.body, dict(replaced), guarded)
            for handler in node.handlers:
                self.block(handler.body, dict(replaced), guarded)
            if node.orelse is not None:
                after = self.block(node.orelse.body, after, guarded)
            if node.finalbody is not None:
                self.block(node.finalbody.body, dict(replaced), guarded)
            return replaced if node.handlers else after
        if isinstance(node, cst.Match):
            self.reads(node.subject, replaced, guarded)
            for case in node.cases:
                self.block(case.body, dict(replaced), guarded)
            return replaced
        # nested def / class, anything else: every mention is a read
        self.reads(node, replaced, guarded)
        return replaced

    def if_statement(self, node: cst.If, replaced: dict, guarded: dict) -> dict:
        keys = {name: kind for name, kind in self.reads(node.test, replaced, guarded).items() if name in self.stored}
        arm_guard = {**guarded, **keys}
        arms = [self.block(node.body, dict(replaced), arm_guard)]
        orelse = node.orelse
        if isinstance(orelse, cst.If):
            arms.append(self.if_statement(orelse, dict(replaced), arm_guard))
        elif orelse is not None:
            arms.append(self.block(orelse.body, dict(replaced), arm_guard))
        after = dict(replaced)
        if orelse is not None:
            for name in set.intersection(*(set(arm) for arm in arms)) - set(replaced):
                after[name] = KEYED if any(arm[name] == KEYED for arm in arms) else FRESH
        # `if self._cache is None or self._cache.shape != x.shape: self._cache = ...`: afterwards it
        # holds a value made here unless the construction-time tensor matched the key; the same
        # holds for what the arm refreshing the key refreshes with it
        # (`if self._key is not x: self._key = x; self._value = f(x)`)
        refreshed = [arm for arm in arms if set(keys) & set(arm)]
        if refreshed:
            kind = FRESH if all(kind == IDENTITY for kind in keys.values()) else KEYED
            for arm in refreshed:
                for name in set(arm) - set(replaced):
                    if after.get(name) != FRESH:
                        after[name] = kind
        return after

    def small(self, node: cst.BaseSmallStatement, replaced: dict, guarded: dict) -> dict:
        if isinstance(node, (cst.Assign, cst.AnnAssign)):
            if node.value is None:
                return replaced
            self.reads(node.value, replaced, guarded)
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            replaced = dict(replaced)
            for target in targets:
                self.store(target, node.value, replaced, guarded)
            return replaced
        if isinstance(node, cst.AugAssign):
            self.reads(node.value, replaced, guarded)
            self.write_into(node.target, replaced, guarded)
            return replaced
        if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
            call = node.value
            func = call.func
            if isinstance(func, cst.Attribute) and _self_name_of(func.value, self.self_name) \
                    and func.attr.value.endswith("_") and not func.attr.value.startswith("_"):
                for arg in call.args:
                    self.reads(arg.value, replaced, guarded)
                self.write_into(func.value, replaced, guarded)  # `self.mem.add_(x)`
                if func.attr.value in _GROWING_METHODS and func.value.attr.value not in replaced:
                    self._use(func.value.attr.value).accumulated = True
                return replaced
        if isinstance(node, cst.Del):
            return replaced
        self.reads(node, replaced, guarded)
        return replaced

    def store(self, target: cst.BaseExpression, value: cst.BaseExpression, replaced: dict, guarded: dict) -> None:
        if _self_name_of(target, self.self_name):
            name = target.attr.value
            use = self._use(name)
            if replaced.get(name) != FRESH and _mentions(value, self.self_name, name):
                use.carried = True  # the old value survives the store (perhaps the construction-time one)
                if name not in replaced and name not in guarded and not _moved_copy(value, self.self_name, name):
                    use.accumulated = True  # `self.mem = torch.cat([self.mem, x])`
            use.replaced = True
            replaced[name] = FRESH
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.store(element.value, value, replaced, guarded)
        elif isinstance(target, cst.Subscript):
            self.write_into(target, replaced, guarded)
        else:
            self.reads(target, replaced, guarded)

    def write_into(self, target: cst.BaseExpression, replaced: dict, guarded: dict) -> None:
        """``self.x += d``, ``self.x[i] = v``, ``self.x.add_(d)``: the old object is written into."""
        base = target
        while isinstance(base, cst.Subscript):
            for element in base.slice:
                if isinstance(element.slice, cst.Index):
                    self.reads(element.slice.value, replaced, guarded)
            base = base.value
        if _self_name_of(base, self.self_name):
            name = base.attr.value
            if name not in replaced:
                use = self._use(name)
                use.written = True
                use.state_read = True
        else:
            self.reads(target, replaced, guarded)

    # -- expressions ----------------------------------------------------------------------

    def reads(self, node: cst.CSTNode, replaced: dict, guarded: dict) -> dict[str, str]:
        """Note every ``self.<name>`` read in ``node``; returns the names compared there only
        as cache keys, each with IDENTITY (``self._key is x``) or METADATA (shape, size, device)."""
        keys: dict[str, str] = {}
        self._visit(node, replaced, guarded, keys)
        return keys

    def _visit(self, node: cst.CSTNode, replaced: dict, guarded: dict, keys: dict) -> None:
        if _self_name_of(node, self.self_name):
            self._read(node.attr.value, replaced, guarded)
            return
        if isinstance(node, cst.Call) and _call_name(node.func) in _CONCATENATIONS:
            # `torch.cat([self.mem, x])`, even into a local: the old value is accumulated into
            for name in _self_names(node, self.self_name):
                if replaced.get(name) != FRESH:
                    self._use(name).accumulated = True
        if isinstance(node, cst.Call):
            positions = self._key_positions(node)
            if positions:
                for index, arg in enumerate(node.args):
                    kind = positions.get(index)
                    if kind is not None and _self_name_of(arg.value, self.self_name):
                        name = arg.value.attr.value
                        keys[name] = METADATA if keys.get(name, kind) == METADATA else kind
                    else:
                        self._visit(arg.value, replaced, guarded, keys)
                self._visit(node.func, replaced, guarded, keys)
                return
        if isinstance(node, cst.Comparison):
            for operand, operator, other in _operands(node):
                found = self._key(operand, operator, other)
                if found is None:
                    self._visit(operand, replaced, guarded, keys)
                elif found[1] is not None:
                    name, kind = found
                    keys[name] = METADATA if keys.get(name, kind) == METADATA else kind
            return
        for child in node.children:
            self._visit(child, replaced, guarded, keys)

    def _key_positions(self, call: cst.Call) -> dict[int, str]:
        """Argument positions of ``call`` compared only as cache keys: a key-comparing helper
        of the file (``same_tensor(self._last, x)``) or ``torch.equal(self._last, x)``."""
        if any(arg.keyword is not None or arg.star for arg in call.args):
            return {}
        func = call.func
        if isinstance(func, cst.Name):
            return self.helpers.get(func.value, {})
        if isinstance(func, cst.Attribute) and func.attr.value == "equal" and isinstance(func.value, cst.Name) \
                and func.value.value == "torch" and len(call.args) == 2:
            return {0: METADATA, 1: METADATA}
        return {}

    def _key(self, operand, operator, other) -> Optional[tuple[str, Optional[str]]]:
        """``self.x`` compared as a cache key: (name, IDENTITY) in ``self.x is y``, (name,
        METADATA) for ``self.x.shape``/``self.x.size(0)``/``len(self.x)``, (name, None) for
        ``self.x is None`` (neither a read of its values nor a key); None otherwise."""
        if _self_name_of(operand, self.self_name):
            if not isinstance(operator, (cst.Is, cst.IsNot)):
                return None
            is_none = isinstance(other, cst.Name) and other.value == "None"
            return operand.attr.value, (None if is_none else IDENTITY)
        subject = _metadata_of(operand)
        return (subject.attr.value, METADATA) if subject is not None and _self_name_of(subject, self.self_name) else None


def _metadata_of(operand: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """The expression whose metadata ``operand`` reads (``x`` in ``x.shape``,
    ``x.shape[0]``, ``x.size(0)``, ``len(x)``, ``x.device``), else None."""
    node = operand
    while isinstance(node, cst.Subscript):  # `x.shape[0]`
        node = node.value
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Name) and func.value == "len" and len(node.args) == 1:
            return node.args[0].value
        if isinstance(func, cst.Attribute) and func.attr.value in _META_METHODS \
                and all(isinstance(a.value, (cst.Integer, cst.UnaryOperation)) for a in node.args):
            return func.value
        return None
    if isinstance(node, cst.Attribute) and node.attr.value in _META_ATTRIBUTES:
        return node.value
    return None


def _operands(node: cst.Comparison):
    """Each operand of a comparison with the operator next to it and the other side."""
    first = node.comparisons[0]
    yield node.left, first.operator, first.comparator
    previous = node.left
    for target in node.comparisons:
        yield target.comparator, target.operator, previous
        previous = target.comparator


def _call_name(func: cst.BaseExpression) -> str:
    return func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""


def _self_names(node: cst.CSTNode, self_name: str) -> set[str]:
    if _self_name_of(node, self_name):
        return {node.attr.value}
    return set().union(*(_self_names(child, self_name) for child in node.children)) if node.children else set()


def _mentions(node: cst.CSTNode, self_name: str, name: str) -> bool:
    if _self_name_of(node, self_name):
        return node.attr.value == name
    return any(_mentions(child, self_name, name) for child in node.children)


def _moved_copy(node: cst.BaseExpression, self_name: str, name: str) -> bool:
    """``self.x.to(device)``, ``self.x.float().cuda()``: the old values moved, not combined."""
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _MOVE_METHODS:
        if any(_mentions(arg.value, self_name, name) for arg in node.args):
            return False
        node = node.func.value
    return _self_name_of(node, self_name) and node.attr.value == name


def key_helpers(functions: dict[str, cst.FunctionDef]) -> dict[str, dict[int, str]]:
    """Module-level functions that compare an argument as a cache key: they return only
    truth values (comparisons, ``bool(...)``, ``not ...``, ``True``/``False``) and use the
    parameter only as a comparison's operand, directly (``last == x``, ``last is x``) or
    through its metadata (``last.shape != x.shape``, ``len(last)``). name -> {position:
    IDENTITY when compared only by ``is``, else METADATA}."""
    found: dict[str, dict[int, str]] = {}
    for name, function in functions.items():
        if function.asynchronous is not None or not _returns_truth(function):
            continue
        params = [*function.params.posonly_params, *function.params.params]
        positions = {}
        for index, param in enumerate(params):
            kind = _compared_only(function.body, param.name.value)
            if kind is not None:
                positions[index] = kind
        if positions:
            found[name] = positions
    return found


def _returns_truth(function: cst.FunctionDef) -> bool:
    returns = [node for node in walk.nodes(function.body, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda))
               if isinstance(node, cst.Return)]
    return bool(returns) and all(_truth_value(r.value) for r in returns)


def _truth_value(node: Optional[cst.BaseExpression]) -> bool:
    if isinstance(node, cst.Name):
        return node.value in ("True", "False")
    if isinstance(node, cst.Comparison) or isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        return True
    if isinstance(node, cst.BooleanOperation):
        return _truth_value(node.left) and _truth_value(node.right)
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "bool"


def _compared_only(body: cst.BaseSuite, name: str) -> Optional[str]:
    """IDENTITY / METADATA when every use of ``name`` in ``body`` is a comparison operand
    (itself, or its shape/size/device/len), None when it is used otherwise or rebound."""
    kinds: set[str] = set()
    uses = 0
    for node in walk.nodes(body):
        if isinstance(node, cst.Name) and node.value == name:
            uses += 1
        elif isinstance(node, cst.Comparison):
            for operand, operator, _ in _operands(node):
                kind = _operand_key(operand, operator, name)
                if kind is not None:
                    kinds.add(kind)
                    uses -= 1  # the Name inside is met (and counted) later in the walk
    return None if uses != 0 or not kinds else IDENTITY if kinds == {IDENTITY} else METADATA


def _operand_key(operand: cst.BaseExpression, operator, name: str) -> Optional[str]:
    if isinstance(operand, cst.Name) and operand.value == name:
        return IDENTITY if isinstance(operator, (cst.Is, cst.IsNot)) else METADATA
    subject = _metadata_of(operand)
    return METADATA if isinstance(subject, cst.Name) and subject.value == name else None


EMPTY, DUMMY = "empty", "dummy"


def placeholder_size(node: Optional[cst.CSTNode]) -> Optional[str]:
    """EMPTY for a tensor with no elements (``torch.Tensor()``, ``torch.empty(0, d)``,
    ``torch.tensor([])``), DUMMY for one no shape test could mistake for a real value
    (every size 0 or 1: ``torch.empty(1)``, ``torch.zeros(1, 1).to(d)``), else None."""
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Call):
        node = node.func.value  # a method chain on the factory's result
    if not isinstance(node, cst.Call):
        return None
    func = node.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    positional = [a.value for a in node.args if a.keyword is None and not a.star]
    if name in _DATA_FACTORIES and len(positional) == 1 and isinstance(positional[0], (cst.List, cst.Tuple)) \
            and len(positional[0].elements) <= 1:
        return EMPTY if not positional[0].elements else DUMMY  # torch.tensor([]), torch.tensor([0.0])
    if name not in _SIZED_FACTORIES:
        return None
    sizes = positional[:1] if name == "full" else positional
    if len(sizes) == 1 and isinstance(sizes[0], (cst.List, cst.Tuple)):
        sizes = [e.value for e in sizes[0].elements]
    if not sizes and name in ("Tensor", "FloatTensor", "LongTensor", "DoubleTensor", "BoolTensor", "IntTensor"):
        return EMPTY
    if any(isinstance(size, cst.Integer) and size.value == "0" for size in sizes):
        return EMPTY
    if sizes and all(isinstance(size, cst.Integer) and size.value == "1" for size in sizes):
        return DUMMY
    return None
