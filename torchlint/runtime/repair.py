"""Mending synthesised arguments from the error a build raised.

Synthesis guesses. When a build fails, the error often says what the guess got
wrong, and Python 3.11 tracebacks say exactly which expression failed:

- ``AttributeError: 'BertConfig' object has no attribute 'adapter_dim'`` on a config
  we built: the field is given a value made up from its name;
- ``KeyError: None`` from ``ATTENTION[config._attn_implementation]``: the field is
  given the table's first key;
- a ``None`` where a number or a list belongs (``config.vocab_size`` in
  ``nn.Embedding(config.vocab_size, ...)``, ``kernel_size % 2`` for a parameter that
  defaults to None): the value is made up from the name;
- a layer factory left at None and called (``norm_layer(dim)`` for ``norm_layer=None``,
  which the enclosing model always passes): ``nn.Identity``, which takes any arguments;
- ``num_channels (16) must be divisible by num_groups (32)`` (``nn.GroupNorm`` on a width
  derived from our sizes): every size we passed grows by the missing factor;
- an int where a sequence belongs (``input_resolution[0]``, ``drop_path[i]``,
  ``zip(self.input_resolution, ...)``, ``len(in_channels)``): a tuple of two for
  spatial names, else a list; a tuple where a list is concatenated: a list;
- an index past the end of a list we made (``dims[2]``): the list grows; past a
  per-head list of the class's own (``kernels[i]`` for ``i in range(num_heads)``): the
  count takes the list's length;
- a failed ``assert depth >= 3 * num_attn`` / ``assert ws != 1`` / ``assert a == b`` on an
  int we pass or made (or the class's default): a value that meets it;
- a layer factory asserted not None: ``nn.Identity``; a parameter annotated with a
  dataclass and left at None (``layers: LayerFn = None``): that class with its defaults;
- a None layer factory our class passes on from its ``**kwargs`` to a layer that has a
  default for it (``norm_layer=kwargs.get("norm_layer")``): that default, through them;
- ``in_channels must be divisible by groups`` (a depthwise ``nn.Conv2d``): like GroupNorm.

Only values we made up are changed: fields of configs we built (and their
sub-configs) and the keyword arguments we pass. A mended build runs the class's
own code, unchanged; the reasons and arguments shown say what was mended.
"""

from __future__ import annotations

import ast
import builtins
import enum
import inspect
import linecache
import math
import re
from collections.abc import Mapping
from typing import Any, Callable, Iterator, Optional

from torchlint.runtime.synthesis import (field_value, fields_of, is_config_name, is_layer_factory_name, is_size_name,
                                         is_width_name, is_spatial_name)

MAX_REPAIRS = 16  # mended attempts per argument set
_FRAMES = 6  # innermost traceback frames examined
_PLAIN = (int, float, bool, str, bytes, type(None), tuple, list, dict, set, frozenset)
_NONE = "NoneType"
_NONE_CALLED = "'NoneType' object is not callable"
_GROUPS = re.compile(r"num_channels \((\d+)\) must be divisible by num_groups \((\d+)\)")  # nn.GroupNorm
_WANTS_SEQUENCE = re.compile(r"'(int|float|NoneType)' object is not (?:subscriptable|iterable)|"
                             r"object of type '(int|float|NoneType)' has no len\(\)|"
                             r"cannot unpack non-iterable (int|float|NoneType) object")
_CONV_GROUPS = re.compile(r"^(in|out)_channels must be divisible by groups")  # nn.Conv*d
_LIST_PLUS_TUPLE = 'can only concatenate list (not "tuple") to list'
# a number where a tensor belongs: registered as a buffer/parameter, or used as one
_WANTS_TENSOR = re.compile(r"cannot assign '(int|float)' object to (?:buffer|parameter)|"
                           r"^'(int|float)' object has no attribute '(\w+)'")


class Repairer:
    """Mends one argument set (``kwargs``, changed in place) for one class."""

    def __init__(self, cls: type, kwargs: dict[str, Any], make_config: Optional[Callable[[str], Any]] = None):
        self.cls = cls
        self.kwargs = kwargs
        self.make_config = make_config  # name -> a config built as synthesis builds one
        self.changes: list[str] = []
        self._made = _made_objects(kwargs)
        self._init_codes = {getattr(getattr(klass, "__init__", None), "__code__", None) for klass in cls.__mro__}
        self._init_codes.discard(None)
        self._tried: set[tuple[int, str]] = set()

    def describe(self, described: str) -> str:
        if not self.changes:
            return described
        shown = ", ".join(self.changes[:4]) + (", ..." if len(self.changes) > 4 else "")
        return f"{described}; mended: {shown}"

    def repair(self, error: BaseException) -> bool:
        """Change one made-up value the error points at; False when there is none."""
        if len(self.changes) >= MAX_REPAIRS:
            return False
        try:
            if isinstance(error, AttributeError):
                return self._missing_field(error) or self._wrong_value(error, str(error))
            if isinstance(error, KeyError) and error.args == (None,):
                return self._none_key(error)
            if isinstance(error, (TypeError, ValueError)):
                return self._wrong_value(error, str(error))
            if isinstance(error, IndexError):
                return self._index_past_end(error)
            if isinstance(error, AssertionError):  # `assert config.vocab_size is not None` on a field we left
                return self._each_chain(error, lambda value: value is None, lambda name, value: self._for_none(name),
                                        prefer=is_size_name) or self._comparison(error)
        except Exception:  # a property of user code raised while we looked: no repair
            return False
        return False

    # -- the error kinds ---------------------------------------------------------------------

    def _missing_field(self, error: AttributeError) -> bool:
        owner, name = getattr(error, "obj", None), getattr(error, "name", None)
        if id(owner) not in self._made or not isinstance(name, str) or name.startswith("__"):
            return False
        value = field_value(name, _size_fitting(owner))
        return value is not None and self._set(owner, name, value)

    def _none_key(self, error: KeyError) -> bool:
        for frame, tree in _failing_expressions(error):
            for node in ast.walk(tree):
                if not isinstance(node, ast.Subscript):
                    continue
                table = _evaluate(node.value, frame)
                if not isinstance(table, Mapping) or not table:
                    continue
                key = next(iter(table))
                for owner, name in self._fields_holding(node.slice, frame, lambda value: value is None):
                    if self._set(owner, name, key):
                        return True
        return False

    def _wrong_value(self, error: BaseException, text: str) -> bool:
        tensor = _WANTS_TENSOR.search(text)
        if tensor and (tensor.group(3) is None or _is_tensor_attribute(tensor.group(3))):
            wanted = {"int": int, "float": float}[tensor.group(1) or tensor.group(2)]
            return self._each_chain(error, lambda value: type(value) is wanted, lambda name, value: _tensor_for(value))
        if _LIST_PLUS_TUPLE in text:
            return self._each_chain(error, lambda value: isinstance(value, tuple), lambda name, value: list(value))
        wants = _WANTS_SEQUENCE.search(text)
        if wants:
            kind = next(group for group in wants.groups() if group)
            wanted = {"int": int, "float": float, _NONE: type(None)}[kind]
            return self._each_chain(error, lambda value: type(value) is wanted,
                                    lambda name, value: self._sequence(name, value), sequence_only=True)
        if _NONE_CALLED in text:
            return self._none_called(error)
        groups = _GROUPS.search(text)
        if groups:
            return self._scale_sizes(int(groups.group(1)), int(groups.group(2)))
        conv = _CONV_GROUPS.search(text)
        if conv:  # torch's conv layer says which; its frame holds the numbers
            numbers = _innermost_locals(error, (f"{conv.group(1)}_channels", "groups"))
            if numbers is not None:
                return self._scale_sizes(*numbers)
        if _NONE in text:
            return self._each_chain(error, lambda value: value is None, lambda name, value: self._for_none(name),
                                    prefer=is_size_name)
        return False

    def _index_past_end(self, error: IndexError) -> bool:
        """``kernels[i]`` past the end of a sequence: a list we made grows to the index;
        else a count that drove the index (``for i in range(num_heads)``), one we pass or
        a default of the class (``num_heads=8`` beside ``kernels=(5, 5, 5, 5)``: the
        presets always pass both), shrinks to the sequence's length."""
        for frame, tree in _failing_expressions(error):
            for node in ast.walk(tree):
                if not isinstance(node, ast.Subscript) or not _is_chain(node.value):
                    continue
                sequence = _evaluate(node.value, frame)
                index = node.slice.value if isinstance(node.slice, ast.Constant) else _evaluate(node.slice, frame)
                if not isinstance(sequence, (list, tuple)) or type(index) is not int or index < len(sequence):
                    continue
                for owner, name in self._fields_holding(node.value, frame, lambda value: value is sequence):
                    if owner is self.kwargs and self.kwargs.get(name, _ABSENT) is not sequence:
                        continue  # the class's own default, not a list we made
                    self._tried.discard((id(owner), name))  # growing again is progress (`dims[3]` after `dims[2]`)
                    if sequence and self._set(owner, name, type(sequence)(
                            [*sequence, *[sequence[-1]] * (index + 1 - len(sequence))])):
                        return True
                if not sequence or not isinstance(node.slice, ast.Name):
                    continue
                for bound in _loop_bounds(frame.f_code, node.slice.id):
                    count = _evaluate(bound, frame)
                    if type(count) is not int or count <= len(sequence):
                        continue
                    for owner, name in self._counts(bound, frame, count):
                        if self._set(owner, name, len(sequence)):
                            return True
        return False

    def _comparison(self, error: AssertionError) -> bool:
        """``assert depth >= 3 * num_attn`` or ``assert ws != 1`` on an int we pass (or a
        default of the class we build): that int takes a value that satisfies it."""
        for frame, tree in _failing_expressions(error):
            test = tree.body if isinstance(tree, ast.Expression) else None
            if test is None and isinstance(tree, ast.Module) and tree.body and isinstance(tree.body[0], ast.Assert):
                test = tree.body[0].test
            if not isinstance(test, ast.Compare) or len(test.ops) != 1 or not _is_chain(test.left):
                continue
            current, bound = _evaluate(test.left, frame), _arithmetic(test.comparators[0], frame)
            if type(current) is not int or type(bound) is not int:
                continue
            wanted = {ast.GtE: bound, ast.Gt: bound + 1, ast.Eq: bound, ast.NotEq: bound + 1,
                      ast.LtE: bound, ast.Lt: bound - 1}.get(type(test.ops[0]))
            if wanted is None or wanted <= 0:
                continue
            for owner, name in self._counts(test.left, frame, current):
                if self._set(owner, name, wanted):
                    return True
        return False

    def _counts(self, node: ast.AST, frame, count: int) -> Iterator[tuple[Any, str]]:
        """Where a count in a failing frame came from: a value we pass or made, or a
        default of the class we build, passed on under the same name."""
        found = list(self._fields_holding(node, frame, lambda value: value == count))
        if found:
            yield from found
            return
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        if name is not None and name not in self.kwargs and _default_of(self.cls, name) == count:
            yield self.kwargs, name

    def _scale_sizes(self, channels: int, groups: int) -> bool:
        """``GroupNorm(32, 16)``: a width derived from our sizes (``in_chs // 4``) is not a
        multiple of a group count the code fixes. Every size we passed grows by the factor
        that makes it one."""
        factor = groups // math.gcd(channels, groups) if channels > 0 else 0
        if factor < 2:
            return False
        sizes = [name for name, value in self.kwargs.items()
                 if type(value) is int and value > 0 and is_width_name(name)]
        return any([self._set(self.kwargs, name, self.kwargs[name] * factor) for name in sizes])

    def _none_called(self, error: BaseException) -> bool:
        """``norm_layer(dim)`` with ``norm_layer=None`` (a layer factory that the enclosing
        model always passes): ``nn.Identity``, which takes any arguments, stands in for it.
        Only the called name or chain is mended, never a None among its arguments."""
        from torch import nn

        for frame, tree in _failing_expressions(error):
            calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call) and _is_chain(node.func)]
            for owner, name in (pair for func in calls for pair in self._fields_holding(func, frame, _is_none)):
                if self._set(owner, name, nn.Identity):
                    return True
        return self._none_passed_on(error)

    def _none_passed_on(self, error: BaseException) -> bool:
        """The None was called inside a layer our class built, which got it as a keyword
        argument (``ConvNormAct(..., norm_layer=kwargs.get('norm_layer'))``): a layer factory
        the enclosing network passes through our ``**kwargs``. We pass that layer's own
        default for it (``norm_layer=nn.BatchNorm2d``), the value it has when nobody passes one."""
        changed = False
        for frame, tree in _failing_expressions(error):
            if frame.f_code not in self._init_codes:
                continue
            for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call) and _is_chain(node.func)):
                callee = _evaluate(call.func, frame)
                if not callable(callee):
                    continue
                passed: dict[str, Any] = {}
                for keyword in call.keywords:
                    value = _evaluate(keyword.value, frame) if keyword.arg else None
                    if keyword.arg is None:  # `**conv_kwargs`
                        splat = _evaluate(keyword.value, frame)
                        if isinstance(splat, Mapping):
                            passed.update(splat)
                    elif value is None:
                        passed[keyword.arg] = None
                for name, value in passed.items():
                    default = _default_of(callee, name) if isinstance(callee, type) else _ABSENT
                    if value is not None or default in (None, _ABSENT) or not callable(default) \
                            or name in self.kwargs or not is_layer_factory_name(name) \
                            or not _through_kwargs(self.cls, name):
                        continue
                    changed = self._set(self.kwargs, name, default) or changed
            if changed:
                return True
        return False

    # -- finding the culprit -----------------------------------------------------------------

    def _each_chain(self, error: BaseException, wrong, mend, sequence_only: bool = False, prefer=None) -> bool:
        """Mend every value we made that the innermost failing expression holds wrongly
        (only those ``prefer`` picks, if it picks any: the sizes among several Nones)."""
        for frame, tree in _failing_expressions(error):
            culprits = [pair for node in _culprit_nodes(tree, sequence_only)
                        for pair in self._fields_holding(node, frame, wrong)]
            if prefer is not None and any(prefer(name) for _, name in culprits):
                culprits = [(owner, name) for owner, name in culprits if prefer(name)]
            changed = False
            for owner, name in culprits:
                current = _read(owner, name)
                value = mend(name, None if current is _ABSENT else current)  # a default left out: None
                # a validating config may take a list where it refuses a tuple
                alternatives = [value, list(value)] if isinstance(value, tuple) else [value]
                if value is not None and any(self._set(owner, name, v) for v in alternatives):
                    changed = True
            if changed:
                return True
        return False

    def _fields_holding(self, node: ast.AST, frame, wrong) -> Iterator[tuple[Any, str]]:
        """(owner, name) pairs we may change that hold the wrong value ``node`` evaluates to:
        a field of a made object, or the keyword argument the value came from."""
        if isinstance(node, ast.Attribute):
            owner = _evaluate(node.value, frame)
            value = _read(owner, node.attr)
            if not wrong(value):
                return
            if id(owner) in self._made:
                yield owner, node.attr
                return
            yield from self._argument(node.attr, value)
        elif isinstance(node, ast.Name):
            value = _evaluate(node, frame)
            if not wrong(value):
                return
            if frame.f_code in self._init_codes and node.id in _parameter_names(frame.f_code) \
                    and (node.id in self.kwargs or _accepts(self.cls, node.id)):
                yield self.kwargs, node.id
                return
            yield from self._argument(node.id, value)
            # `attn = config._attn_implementation` one line before: the field of that name
            for local in list(frame.f_locals.values()):
                if id(local) in self._made:
                    for name in (node.id, f"_{node.id}"):
                        if wrong(_read(local, name)):
                            yield local, name

    def _argument(self, name: str, value: Any) -> Iterator[tuple[Any, str]]:
        """A value that came in as our keyword argument of that name (a nested layer's
        ``input_resolution`` passed on from the class we build)."""
        if name in self.kwargs and type(self.kwargs[name]) is type(value) and self.kwargs[name] == value:
            yield self.kwargs, name
        elif name not in self.kwargs and value is None and _defaults_to_none(self.cls, name):
            yield self.kwargs, name  # `self.num_heads` from `num_heads=None`, a default we left

    # -- changing a value ----------------------------------------------------------------------

    def _set(self, owner: Any, name: str, value: Any) -> bool:
        key = (id(owner), name)
        if key in self._tried:
            return False  # it was mended once and still fails: give up on it
        try:
            if owner is self.kwargs:
                self.kwargs[name] = value
                self.changes.append(f"{name}={_short(value)}")
            else:
                setattr(owner, name, value)
                if _read(owner, name) is not value and _read(owner, name) != value:
                    return False  # a property that ignores the assignment
                self.changes.append(f"{type(owner).__name__}.{name}={_short(value)}")
        except Exception:  # frozen or validating configs
            return False
        self._tried.add(key)
        return True

    def _for_none(self, name: str) -> Any:
        """A value for a None the code used: a size, a rate, ..., or for ``config=None``
        read as an object (``config.max_position_embeddings``), a config."""
        record = None if is_config_name(name) else _annotated_record(self.cls, name)  # a config: as synthesis makes one
        if record is not None:  # `layers: LayerFn = None`: the annotated dataclass with its defaults
            self._made.update(_made_objects({name: record}))  # its None fields can be mended too
            return record
        value = field_value(name, self._size_for_none())
        if value is None and is_layer_factory_name(name):  # `assert norm_layer is not None`
            from torch import nn

            return nn.Identity
        if value is None and self.make_config is not None and is_config_name(name):
            try:
                value = self.make_config(name)
            except Exception:  # no config class found, or it needs arguments
                return None
            self._made.update(_made_objects({name: value}))  # its missing fields can be mended too
        return value

    def _sequence(self, name: str, value: Any) -> Any:
        if value is None:
            value = field_value(name, self._size_for_none())
            if value is None or isinstance(value, bool):
                return None
        if is_spatial_name(name):
            return (value, value)
        return [value] * self._list_length()

    def _list_length(self) -> int:
        """One entry per layer: the largest layer count among our values (a per-layer list,
        `drop_path_rates`, must often be exactly that long), else 8."""
        counts = [value for obj in self._objects() for key, value in fields_of(obj).items()
                  if type(value) is int and value > 0 and re.search(r"(layers|depth|blocks|stages)", key)]
        return min(64, max(counts)) if counts else 8

    def _size_for_none(self) -> int:
        return max((_size_fitting(obj) for obj in self._objects()), default=64)

    def _objects(self) -> list[Any]:
        return [self.kwargs, *(obj for obj in self._made.values())]


# -- reading the failing expression ------------------------------------------------------------

def _failing_expressions(error: BaseException) -> Iterator[tuple[Any, ast.AST]]:
    """(frame, parsed expression) for the innermost frames, innermost first."""
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    for tb in reversed(frames[-_FRAMES:]):
        for tree in _expressions_at(tb.tb_frame.f_code, tb.tb_lasti):
            yield tb.tb_frame, tree


def _expressions_at(code, lasti: int) -> Iterator[ast.AST]:
    """The failing expression; for an unpacking (whose position covers only the targets,
    ``height, width``), the whole statement, to reach the value unpacked."""
    try:
        line, end_line, column, end_column = list(code.co_positions())[lasti // 2]
    except (IndexError, ValueError):
        return
    if None in (line, end_line, column, end_column):
        return
    lines = [linecache.getline(code.co_filename, number).encode() for number in range(line, end_line + 1)]
    if not lines or not lines[0]:
        return
    if line == end_line:
        text = lines[0][column:end_column]
    else:
        text = lines[0][column:] + b"".join(lines[1:-1]) + lines[-1][:end_column]
    tree = _parsed(text.decode("utf-8", "replace"))
    if tree is None:
        return
    yield tree
    if isinstance(tree.body, ast.Tuple) and all(isinstance(e, (ast.Name, ast.Attribute, ast.Starred))
                                                for e in tree.body.elts):
        statement = _parsed(b"".join(lines).decode("utf-8", "replace"))
        if statement is not None:
            yield statement


def _parsed(source: str) -> Optional[ast.AST]:
    source = source.strip()
    for candidate, mode in ((f"({source})", "eval"), (source, "exec")):
        try:
            return ast.parse(candidate, mode=mode)
        except SyntaxError:
            continue
    return None


def _culprit_nodes(tree: ast.AST, sequence_only: bool) -> Iterator[ast.AST]:
    """Names and attribute chains that may hold the wrong value; for a sequence wanted,
    not the indices (``config.window[self.layer_id]``: the window, not the id)."""
    indices = {id(sub) for node in ast.walk(tree) if isinstance(node, ast.Subscript)
               for sub in ast.walk(node.slice)} if sequence_only else set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Name, ast.Attribute)) and id(node) not in indices and _is_chain(node):
            yield node


def _is_chain(node: ast.AST) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _evaluate(node: ast.AST, frame) -> Any:
    """A name or attribute chain's value in the frame (no calls, no subscripts)."""
    if isinstance(node, ast.Name):
        for scope in (frame.f_locals, frame.f_globals, vars(builtins)):
            if node.id in scope:
                return scope[node.id]
        return _ABSENT
    if isinstance(node, ast.Attribute):
        owner = _evaluate(node.value, frame)
        return _ABSENT if owner is _ABSENT else _read(owner, node.attr)
    return _ABSENT


_ABSENT = object()


def _is_none(value: Any) -> bool:
    return value is None


def _read(owner: Any, name: str) -> Any:
    if owner is _ABSENT:
        return _ABSENT
    if isinstance(owner, dict):
        return owner.get(name, _ABSENT)
    try:
        return getattr(owner, name)
    except Exception:
        return _ABSENT


# -- what we made --------------------------------------------------------------------------------

def _made_objects(kwargs: dict[str, Any]) -> dict[int, Any]:
    """Config-like objects among the arguments and their sub-configs, by identity."""
    made: dict[int, Any] = {}
    pending = [value for value in kwargs.values() if _is_record(value)]
    while pending and len(made) < 64:
        obj = pending.pop()
        if id(obj) in made:
            continue
        made[id(obj)] = obj
        pending.extend(value for value in fields_of(obj).values() if _is_record(value))
    return made


def _is_record(value: Any) -> bool:
    """A plain data object (a config), not a number, a container, a class, a module or a tensor."""
    if isinstance(value, (*_PLAIN, type, enum.Enum)) or callable(value):
        return False  # an enum member is the user's own global
    return hasattr(value, "__dict__") and not type(value).__module__.startswith("torch")


def _parameter_names(code) -> tuple[str, ...]:
    return code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]


def _parameters(cls: type) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return []


def _accepts(cls: type, name: str) -> bool:
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in _parameters(cls))


def _innermost_locals(error: BaseException, names: tuple[str, ...]) -> Optional[tuple[int, ...]]:
    """The int values of ``names`` in the innermost traceback frame that has them all."""
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames[-_FRAMES:]):
        values = tuple(frame.f_locals.get(name) for name in names)
        if all(type(value) is int for value in values):
            return values
    return None


def _arithmetic(node: ast.AST, frame) -> Any:
    """An int expression of names, attributes and constants (``3 * num_attn``), no calls."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Name, ast.Attribute)):
        return _evaluate(node, frame)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)):
        left, right = _arithmetic(node.left, frame), _arithmetic(node.right, frame)
        if type(left) is int and type(right) is int and not (isinstance(node.op, ast.FloorDiv) and right == 0):
            return {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}.get(
                type(node.op), left // right if right else None)
    return _ABSENT


def _loop_bounds(code, variable: str) -> list[ast.AST]:
    """``X`` in ``for <variable> in range(X)`` (or ``range(a, X)``) in the function of ``code``."""
    import textwrap

    try:
        lines, _ = inspect.getsourcelines(code)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return []
    bounds = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name) \
                and node.target.id == variable and isinstance(node.iter, ast.Call) \
                and isinstance(node.iter.func, ast.Name) and node.iter.func.id == "range" \
                and 1 <= len(node.iter.args) <= 2 and _is_chain(node.iter.args[-1]):
            bounds.append(node.iter.args[-1])
    return bounds


def _annotated_record(cls: type, name: str) -> Any:
    """For a parameter of the class annotated with a dataclass, attrs or pydantic class (or
    ``Optional`` of one) and left at None: that class built with its own defaults, else None."""
    import typing

    from torchlint.runtime.synthesis import _is_record_class

    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or not any(p.name == name for p in _parameters(init)):
            continue
        try:
            annotation = typing.get_type_hints(init).get(name)
        except Exception:
            return None
        candidates = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
        for candidate in candidates:
            if _is_record_class(candidate):
                try:
                    return candidate()
                except Exception:
                    continue
        return None
    return None


def _through_kwargs(cls: type, name: str) -> bool:
    """Does the class take ``name`` only through its ``**kwargs`` (no parameter of that name)?"""
    parameters = _parameters(cls)
    return any(p.kind is p.VAR_KEYWORD for p in parameters) and all(p.name != name for p in parameters)


def _default_of(cls: type, name: str) -> Any:
    """The default of the class's parameter ``name`` (in its own or a base's constructor)."""
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for parameter in _parameters(init):
            if parameter.name == name and parameter.default is not parameter.empty:
                return parameter.default
    return _ABSENT


def _defaults_to_none(cls: type, name: str) -> bool:
    """A parameter of the class, or of a base it passes ``**kwargs`` on to, left at None."""
    if not _accepts(cls, name):
        return False
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for parameter in _parameters(init):
            if parameter.name == name:
                return parameter.default is None
    return False


def _size_fitting(obj: Any) -> int:
    """64, or the least multiple of it every head count among the object's fields divides
    (``hidden_size`` missing from a config with ``num_attention_heads=12``: 192)."""
    size = 64
    for key, value in fields_of(obj).items():
        if type(value) is int and 0 < value <= 64 and re.search(r"heads?$|groups$", key):
            size = size * value // math.gcd(size, value)
    return size if size <= 64 * 64 else 64


def _is_tensor_attribute(name: str) -> bool:
    import torch

    return hasattr(torch.Tensor, name)


def _tensor_for(value: Any) -> Any:
    """A tensor for a number we made up: ``n`` ones for a size, else the number as a tensor."""
    import torch

    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 4096:
        return torch.ones(value)
    return torch.tensor(float(value))


def _short(value: Any) -> str:
    if isinstance(value, type):
        return value.__name__
    if _is_record(value):
        return f"{type(value).__name__}()"
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."
