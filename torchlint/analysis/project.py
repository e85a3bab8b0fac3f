"""The project-wide class index.

Rules need to know, for a class in one file, whether its bases (possibly defined in
other files of the project, or re-exported through ``__init__.py``) make it an
``nn.Module``. The index answers that from cheap per-file facts: imports, class
headers and a few names per class, read with the standard library's ``ast`` (a C
parser, many times faster than a full libcst parse). Files are indexed lazily: a
module is located and read only when a name is resolved through it, so linting one
file still sees base classes that live in files nobody asked to lint (pre-commit
passes only the changed files).
"""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Union

from torchlint.analysis import known, module_bases
from torchlint.source import python_ast

try:  # hashlib's blake2b is this one; importing hashlib also loads OpenSSL's module (~2 ms a run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b

# Methods whose body, when it touches `self.x`, shows that `x` is moved or saved by hand:
# `_apply` (every move goes through it, a parent's included), and the state-dict hooks.
# An override of `to()`, `cuda()` or `half()` does not: a parent model's `.to(device)`
# reaches its children through `_apply`, never through their `to()`.
_MANUAL_HANDLING_METHODS = frozenset(
    {
        "_apply", "to_empty", "state_dict", "_save_to_state_dict", "_load_from_state_dict",
        "load_state_dict",
    }
)
_HARMLESS_METACLASSES = frozenset({"ABCMeta", "type", "Protocol", "_ProtocolMeta"})
_REGISTER_CALLS = frozenset({"register_buffer", "register_parameter", "add_module", "register_module"})
_TENSOR_ANNOTATIONS = frozenset(
    {"Tensor", "torch.Tensor", "FloatTensor", "torch.FloatTensor", "LongTensor", "torch.LongTensor",
     "BoolTensor", "torch.BoolTensor"}
)


@dataclass(frozen=True)
class ImportTarget:
    """What a local name is bound to by an import.

    ``anchor`` is None for absolute imports (``dotted`` is a full module path);
    for relative imports it is the directory the dots lead to.
    """

    anchor: Optional[Path]
    dotted: str


@dataclass
class ClassFacts:
    name: str
    line: int = field(compare=False)  # where, not what: left out of the facts digest
    bases: list[list[str]]
    registered_names: set[str] = field(default_factory=set)
    property_names: set[str] = field(default_factory=set)
    manually_handled: set[str] = field(default_factory=set)
    overrides_setattr: bool = False
    # register_buffer(<a name the index cannot read>, ...): a pattern of each such name
    computed_buffer_names: list[str] = field(default_factory=list)
    custom_metaclass: bool = False  # a metaclass may run nn.Module.__init__ itself (fastai)
    # constructors called in what ``__init__`` stores on self or registers: dotted parts and
    # constant keywords (name, text), to tell from another file whether the class owns parameters
    init_calls: list[tuple[list[str], tuple[tuple[str, str], ...]]] = field(default_factory=list)
    # the arguments ``__init__`` registers as the object passed (``register_buffer(n, arg)``):
    # keyword -> position after self (-1: keyword-only); None: the class defines no __init__
    registered_args: Optional[dict[str, int]] = None


@dataclass
class FileFacts:
    path: Path
    module_name: Optional[str]
    imports: dict[str, ImportTarget] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    classes: dict[str, ClassFacts] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)
    tensor_functions: set[str] = field(default_factory=set)
    # functions whose every return builds a Module: name -> (the returned constructors, every
    # constructor called inside what they return), dotted parts, resolved when asked
    module_functions: dict[str, tuple[list[list[str]], list[list[str]]]] = field(default_factory=dict)
    # functions that return their first argument as a list (`to_list(x)`: `list(x)`, `x`, `[x]`)
    listing_functions: set[str] = field(default_factory=set)
    # functions that hand back their first argument as it is, or None (`check(x, "x", ndim=1)`)
    passing_functions: set[str] = field(default_factory=set)
    # functions that make a tensor of their first argument, or give it back when it is one
    # (`as_tensor(x)`: `x`, `x.type(dtype)`, `torch.tensor(x)`), as `torch.as_tensor` does
    converting_functions: set[str] = field(default_factory=set)
    # every class statement, in order, with its bases as libcst's ``dotted`` sees them
    # (``classes`` keeps only the first class of each name)
    class_headers: list[tuple[str, list[list[str]]]] = field(default_factory=list)
    star_imports: list[ImportTarget] = field(default_factory=list)
    explicit_inits: set[str] = field(default_factory=set)  # X in `X.__init__(self, ...)` calls


@dataclass(frozen=True)
class ClassRef:
    path: Path
    name: str


@dataclass(frozen=True)
class FunctionRef:
    path: Path
    name: str


@dataclass(frozen=True)
class ModuleRef:
    path: Path


@dataclass(frozen=True)
class External:
    """A name outside the indexed project, e.g. ``torch.nn.Linear``."""

    dotted: str


Resolved = Union[ClassRef, FunctionRef, ModuleRef, External]


# What `torch`, `nn` and `F` mean when they can only come from an unreadable star import.
_CONVENTIONAL_TORCH_NAMES = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional"}


def dotted_parts(node: ast.AST) -> Optional[list[str]]:
    """``a.b.c`` -> ["a", "b", "c"]; ``Base[T]`` -> the parts of ``Base``; else None."""
    if isinstance(node, ast.Subscript):
        node = node.value
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def module_name_for(path: Path) -> Optional[str]:
    """Dotted module name from the chain of ``__init__.py`` files above ``path``."""
    package = _package_of(path.parent)
    name = package if path.name == "__init__.py" else ".".join(p for p in (package, path.stem) if p)
    return name or None


@lru_cache(maxsize=4096)
def _package_of(directory: Path) -> str:
    """``a.b`` for a directory ``.../a/b`` with ``__init__.py`` files in both ('' if none).
    Memoised: a process sees a directory's package structure once."""
    if not (directory / "__init__.py").is_file():
        return ""
    if directory.parent == directory:
        return directory.name
    parent = _package_of(directory.parent)
    return f"{parent}.{directory.name}" if parent else directory.name


def _relative_anchor(path: Path, level: int) -> Path:
    anchor = path.parent
    for _ in range(level - 1):
        anchor = anchor.parent
    return anchor


def _self_attribute(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def iter_statements(body: list) -> Iterator[ast.stmt]:
    """Every statement under ``body``, nested blocks included, without visiting
    expressions (several times cheaper than ``ast.walk``)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        blocks = _BLOCKS.get(type(node))
        if blocks is None:
            continue  # a simple statement (most of them): nothing nested
        children: list = []
        for attr in blocks:
            children.extend(getattr(node, attr))
        for handler in getattr(node, "handlers", ()):
            children.extend(handler.body)
        for case in getattr(node, "cases", ()):
            children.extend(case.body)
        stack.extend(reversed(children))


# The statement types that nest statements, and their blocks in the order they are walked
# (handlers' and cases' bodies follow them).
_BLOCKS: dict[type, tuple[str, ...]] = {
    kind: tuple(attr for attr in ("body", "orelse", "finalbody") if attr in kind._fields)
    for kind in (getattr(ast, name, None) for name in (
        "FunctionDef", "AsyncFunctionDef", "ClassDef", "For", "AsyncFor", "While", "If", "With",
        "AsyncWith", "Try", "TryStar", "Match"))
    if kind is not None
}


def _class_facts(node: ast.ClassDef) -> ClassFacts:
    bases = [p for p in (dotted_parts(b) for b in node.bases) if p]
    facts = ClassFacts(node.name, node.lineno, bases)
    for keyword in node.keywords:
        if keyword.arg == "metaclass":
            name = (dotted_parts(keyword.value) or [""])[-1]
            facts.custom_metaclass = name not in _HARMLESS_METACLASSES
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if item.name == "__setattr__":
                facts.overrides_setattr = True
            for decorator in item.decorator_list:
                parts = dotted_parts(decorator) or []
                if parts and parts[-1] in ("property", "cached_property", "setter", "getter"):
                    facts.property_names.add(item.name)
            if item.name == "__init__":
                facts.init_calls = _stored_constructions(item)
                facts.registered_args = _registered_arguments(item)
            if item.name in _MANUAL_HANDLING_METHODS:
                for sub in ast.walk(item):  # rare methods: a full walk is affordable
                    name = _self_attribute(sub)
                    if name:
                        facts.manually_handled.add(name)
        elif isinstance(item, ast.Assign):
            # `x = property(...)` at class level
            if isinstance(item.value, ast.Call) and (dotted_parts(item.value.func) or [""])[-1] == "property":
                facts.property_names.update(t.id for t in item.targets if isinstance(t, ast.Name))
    loop_names: dict[str, list[str]] = {}  # `for k in ("a", "b"):` -> k may be "a" or "b"
    for statement in iter_statements(node.body):
        if isinstance(statement, ast.For) and isinstance(statement.target, ast.Name):
            names = _literal_strings(statement.iter)
            if names is not None:
                loop_names[statement.target.id] = names
        sub = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Attribute) and func.attr in _REGISTER_CALLS and sub.args:
                first = sub.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    facts.registered_names.add(first.value)
                elif isinstance(first, ast.Name) and first.id in loop_names:
                    facts.registered_names.update(loop_names[first.id])
                elif func.attr == "register_buffer" and _self_attribute(func) is not None:
                    facts.computed_buffer_names.append(_name_pattern(first))  # `self.register_buffer(name, ...)`
        sub = statement
        if isinstance(sub, (ast.Assign, ast.AnnAssign)) and isinstance(sub.value, ast.Call):
            callee = (dotted_parts(sub.value.func) or [""])[-1]
            if callee in ("Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer"):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                for target in targets:
                    name = _self_attribute(target)
                    if name:
                        facts.registered_names.add(name)
    return facts


def _name_pattern(node: ast.AST) -> str:
    """A regular expression every value of a computed name matches (``f"w_{i}"`` -> ``w_.*``)."""
    if isinstance(node, ast.JoinedStr):
        return "".join(re.escape(v.value) if isinstance(v, ast.Constant) and isinstance(v.value, str) else ".*"
                       for v in node.values) or ".*"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _name_pattern(node.left) + _name_pattern(node.right)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    return ".*"


def _literal_strings(node: ast.AST) -> Optional[list[str]]:
    """The strings of a literal list/tuple/set of string constants, else None."""
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)) or not node.elts:
        return None
    if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return [e.value for e in node.elts]
    return None


def _registered_arguments(init: ast.AST) -> dict[str, int]:
    """The parameters of ``__init__`` it registers as the very object passed:
    ``self.register_buffer(n, p)`` / ``self.register_parameter(n, p)`` (``nn.Parameter(p)``
    would be a new object)."""
    arguments = init.args
    positional = [a.arg for a in arguments.posonlyargs + arguments.args][1:]
    names = set(positional) | {a.arg for a in arguments.kwonlyargs}
    rebound = set()
    registered = set()
    for statement in iter_statements(init.body):
        if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            rebound.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(statement, (ast.For, ast.With)):
            targets = [statement.target] if isinstance(statement, ast.For) else [i.optional_vars for i in statement.items]
            rebound.update(n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in ("register_buffer", "register_parameter") \
                    and _self_attribute(func) is not None:
                value = call.args[1] if len(call.args) > 1 else next(
                    (k.value for k in call.keywords if k.arg in ("tensor", "param")), None)
                if isinstance(value, ast.Name) and value.id in names:
                    registered.add(value.id)
    return {name: (positional.index(name) if name in positional else -1)
            for name in registered if name not in rebound}


_STORING_CALLS = frozenset({"register_parameter", "add_module", "register_module"})


def _stored_constructions(init: ast.AST) -> list[tuple[list[str], tuple[tuple[str, str], ...]]]:
    """Calls inside the values ``__init__`` assigns to ``self.<x>`` or registers."""
    values: list[ast.AST] = []
    for statement in iter_statements(init.body):
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            if any(_self_attribute(t) for t in targets):
                values.append(statement.value)
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            func = statement.value.func
            if isinstance(func, ast.Attribute) and func.attr in _STORING_CALLS:
                values.extend(statement.value.args[1:])
    found = []
    for value in values:
        for sub in ast.walk(value):
            if isinstance(sub, ast.Call):
                parts = dotted_parts(sub.func)
                if parts:
                    keywords = tuple((k.arg, repr(k.value.value) if isinstance(k.value, ast.Constant) else "?")
                                     for k in sub.keywords if k.arg)
                    found.append((parts, keywords))
    return found


def _header_bases(node: ast.ClassDef) -> list[list[str]]:
    # libcst keeps `*bases` as an argument with a star; unwrap it the same way
    bases = (b.value if isinstance(b, ast.Starred) else b for b in node.bases)
    return [p for p in (dotted_parts(b) for b in bases) if p]


def _static_or_class(function: ast.AST) -> bool:
    return any((dotted_parts(d) or [""])[-1] in ("staticmethod", "classmethod") for d in function.decorator_list)


def _returns_tensor(node: ast.AST) -> bool:
    returns = getattr(node, "returns", None)
    if returns is None:
        return False
    if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
        text = returns.value
    else:
        parts = dotted_parts(returns)
        text = ".".join(parts) if parts and not isinstance(returns, ast.Subscript) else ""
    return text in _TENSOR_ANNOTATIONS


def _returns_tensor_expression(function: ast.AST, imports: dict[str, ImportTarget]) -> bool:
    """Does every ``return`` of this function give a plain tensor, as far as a cheap look
    can tell? (a torch factory call, a tensor method chain or arithmetic on one, a
    conditional expression choosing between two of them, or a local assigned such a
    value): ``def make_mask(n): m = torch.ones(n, n); return m.triu(1)``."""
    tensors: set[str] = set()
    returns: list[ast.AST] = []
    for statement in iter_statements(function.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return False  # a nested scope's returns are mixed in: do not guess
        if isinstance(statement, ast.Return):
            if statement.value is not None and not (isinstance(statement.value, ast.Constant)
                                                    and statement.value.value is None):
                returns.append(statement.value)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if names and _is_tensor_expression(statement.value, tensors, imports):
                tensors.update(names)
            else:
                tensors.difference_update(names)
    return bool(returns) and all(_is_tensor_expression(r, tensors, imports) for r in returns)


def _first_argument_returns(function: ast.AST) -> Optional[tuple[str, list[Optional[ast.AST]]]]:
    """The first parameter's name and what each ``return`` gives (None for a bare ``return``
    or ``return None``); None when there is no parameter, no return, or a nested function
    (``iter_statements`` would mix its returns in)."""
    params = function.args.posonlyargs + function.args.args
    if not params:
        return None
    returns: list[Optional[ast.AST]] = []
    for statement in iter_statements(function.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        if isinstance(statement, ast.Return):
            value = statement.value
            returns.append(None if value is None or (isinstance(value, ast.Constant) and value.value is None)
                           else value)
    return (params[0].arg, returns) if returns else None


def _passes_its_argument(found: tuple[str, list[Optional[ast.AST]]]) -> bool:
    """``def check(x, name, ndim=None): ...; return x``: every return gives the first argument
    itself or None, and one gives the argument (a check that hands back what it checked).
    ``found``: what ``_first_argument_returns`` says of the function."""
    name, returns = found
    given = [r for r in returns if r is not None]
    return bool(given) and all(isinstance(r, ast.Name) and r.id == name for r in given)


def _converts_to_tensor(function: ast.AST, found: tuple[str, list[Optional[ast.AST]]],
                        imports: dict[str, ImportTarget]) -> bool:
    """``def as_tensor(x, dtype=None)``: it asks whether its first argument is a tensor
    (``isinstance(x, torch.Tensor)``, ``torch.is_tensor(x)``), every return gives None, the
    argument (as it is, or through its own methods: ``x.type(dtype)``) or a tensor the
    function makes (``torch.tensor(x)``), and one makes a tensor: it does what
    ``torch.as_tensor`` does. (``return x`` without that test may give back a number.)"""
    name, returns = found

    def kinds(node: ast.AST) -> Optional[set[str]]:
        """"argument" (it, or its own method's result), "made" (a tensor made here), or None."""
        if isinstance(node, ast.IfExp):  # `x if dtype is None else x.type(dtype)`
            body, orelse = kinds(node.body), kinds(node.orelse)
            return body | orelse if body is not None and orelse is not None else None
        root = node
        while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute):
            root = root.func.value
        if isinstance(root, ast.Name) and root.id == name:
            return {"argument"}
        return {"made"} if _is_tensor_expression(node, set(), imports) else None

    found_kinds = [kinds(r) for r in returns if r is not None]
    return bool(found_kinds) and all(k is not None for k in found_kinds) \
        and any("made" in k for k in found_kinds) and _tests_for_a_tensor(function, name)


def _tests_for_a_tensor(function: ast.AST, name: str) -> bool:
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name)
                and node.args[0].id == name):
            continue
        func = dotted_parts(node.func) or []
        if func[-1:] == ["is_tensor"]:
            return True
        if func == ["isinstance"] and len(node.args) == 2 and "Tensor" in ast.unparse(node.args[1]):
            return True
    return False


def _lists_its_argument(found: tuple[str, list[Optional[ast.AST]]]) -> bool:
    """``def to_list(x): return x if isinstance(x, list) else [x]``: every return gives the
    first argument itself, ``list(x)``/``tuple(x)``, or ``[x]``/``(x,)``; at least one makes a list.
    ``found``: what ``_first_argument_returns`` says of the function."""
    name, returns = found

    def itself(node) -> bool:
        return isinstance(node, ast.Name) and node.id == name

    def listed(node) -> bool:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple") \
                and len(node.args) == 1 and not node.keywords and itself(node.args[0]):
            return True
        return isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) == 1 and itself(node.elts[0])

    def plain(node) -> bool:
        if isinstance(node, ast.IfExp):
            return plain(node.body) and plain(node.orelse)
        return node is not None and (itself(node) or listed(node))

    def makes_list(node) -> bool:
        if isinstance(node, ast.IfExp):
            return makes_list(node.body) or makes_list(node.orelse)
        return listed(node)

    return all(plain(r) for r in returns) and any(makes_list(r) for r in returns)


def _returned_constructors(function: ast.AST) -> Optional[tuple[list[list[str]], list[list[str]]]]:
    """When every ``return`` of the function gives a class call (``return nn.Sequential(...)``,
    or a local last bound to one: ``layer = Block(c); ...; return layer``): the dotted
    names of the returned classes, and of every class called inside those calls or added
    to the returned local (``layer.add_module("conv", nn.Conv2d(...))``). Capitalised names
    only: whether they are Modules is the index's question."""
    bound: dict[str, ast.Call] = {}
    added: dict[str, list[ast.AST]] = {}
    returns: list[ast.Call] = []
    for statement in iter_statements(function.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return None  # a nested scope's returns are mixed in: do not guess
        if isinstance(statement, ast.Return):
            value = statement.value
            if isinstance(value, ast.Name) and value.id in bound:
                value = bound[value.id]
            if not isinstance(value, ast.Call):
                return None
            returns.append(value)
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name):
            name = statement.targets[0].id
            bound.pop(name, None)
            if isinstance(statement.value, ast.Call):
                bound[name] = statement.value
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            func = statement.value.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                    and func.attr in ("add_module", "append", "extend", "insert"):
                added.setdefault(func.value.id, []).extend(statement.value.args)
    if not returns:
        return None
    returned = [dotted_parts(call.func) for call in returns]
    if not all(parts and parts[-1][:1].isupper() for parts in returned):
        return None
    inner: list[list[str]] = []
    sources: list[ast.AST] = [*returns, *(arg for args in added.values() for arg in args)]
    for source in sources:
        for node in ast.walk(source):
            if isinstance(node, ast.Call):
                parts = dotted_parts(node.func)
                if parts and parts[-1][:1].isupper() and parts not in inner:
                    inner.append(parts)
    return returned, inner


def _is_tensor_expression(node: ast.AST, tensors: set[str], imports: dict[str, ImportTarget]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in tensors
    if isinstance(node, ast.BinOp):
        return _is_tensor_expression(node.left, tensors, imports) or _is_tensor_expression(node.right, tensors, imports)
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
        return _is_tensor_expression(node.operand, tensors, imports)
    if isinstance(node, ast.Subscript):
        return _is_tensor_expression(node.value, tensors, imports)
    if isinstance(node, ast.IfExp):  # `fft.rfft2(x) if real else fft.fft2(x)`
        return _is_tensor_expression(node.body, tensors, imports) and _is_tensor_expression(node.orelse, tensors, imports)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and _is_tensor_expression(func.value, tensors, imports):
            return func.attr not in known.NON_TENSOR_METHODS  # a tensor method
        parts = dotted_parts(func)
        if not parts or isinstance(func, ast.Subscript):
            return False
        target = imports.get(parts[0])
        if target is None or target.anchor is not None:
            return False
        name = ".".join(target.dotted.split(".") + parts[1:])
        return name in known.TENSOR_FACTORIES or name.startswith(known.TENSOR_NAMESPACES)
    return False


def _shim_imports(node: ast.Assign, facts: FileFacts) -> None:
    """``torch, nn = try_import_torch()``: the names a known import shim binds, as imports."""
    func = node.value.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    modules = module_bases.IMPORT_SHIMS.get(name)
    if modules is None or len(node.targets) != 1 or not isinstance(node.targets[0], (ast.Tuple, ast.List)):
        return
    for target, module in zip(node.targets[0].elts, modules):
        if isinstance(target, ast.Name) and target.id != "_":
            facts.imports[target.id] = ImportTarget(None, module)


def file_facts(path: Path, tree: ast.Module) -> FileFacts:
    facts = FileFacts(path=path, module_name=module_name_for(path))
    for node in iter_statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    facts.imports[alias.asname] = ImportTarget(None, alias.name)
                else:
                    head = alias.name.split(".")[0]
                    facts.imports[head] = ImportTarget(None, head)
        elif isinstance(node, ast.ImportFrom):
            anchor = _relative_anchor(path, node.level) if node.level else None
            for alias in node.names:
                if alias.name == "*":
                    facts.star_imports.append(ImportTarget(anchor, node.module or ""))
                    continue
                dotted = f"{node.module}.{alias.name}" if node.module else alias.name
                facts.imports[alias.asname or alias.name] = ImportTarget(anchor, dotted)
        elif isinstance(node, ast.ClassDef):
            facts.classes.setdefault(node.name, _class_facts(node))
            facts.class_headers.append((node.name, _header_bases(node)))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr == "__init__" and isinstance(func.value, ast.Name):
                facts.explicit_inits.add(func.value.id)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            _shim_imports(node, facts)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            # `Layout.build(n)` of a static or class method that returns a tensor: "Class.method"
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _static_or_class(item) \
                        and (_returns_tensor(item) or _returns_tensor_expression(item, facts.imports)):
                    facts.tensor_functions.add(f"{node.name}.{item.name}")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            facts.functions.add(node.name)
            if _returns_tensor(node) or _returns_tensor_expression(node, facts.imports):
                facts.tensor_functions.add(node.name)
            elif (returns := _first_argument_returns(node)) is not None and _lists_its_argument(returns):
                facts.listing_functions.add(node.name)
            elif returns is not None and _converts_to_tensor(node, returns, facts.imports):
                facts.converting_functions.add(node.name)
            elif returns is not None and _passes_its_argument(returns):
                facts.passing_functions.add(node.name)
            else:
                built = _returned_constructors(node)
                if built is not None:
                    facts.module_functions[node.name] = built
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            parts = dotted_parts(node.value)
            if parts and not isinstance(node.value, ast.Subscript):
                facts.aliases[node.targets[0].id] = parts
    return facts


def _canonical(value):
    """A hash-stable form of facts: sets sorted, dataclasses as tuples of fields."""
    if dataclasses.is_dataclass(value):
        return (type(value).__name__,) + tuple(
            _canonical(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare
        )
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(_canonical(v)) for v in value))
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    return value if value is None or isinstance(value, (str, int, bool)) else str(value)


def facts_digest(facts: Optional[FileFacts]) -> str:
    """What another file can learn from this one through the index, as a digest."""
    return blake2b(repr(_canonical(facts)).encode(), digest_size=16).hexdigest()


def content_digest(path: Path, data: bytes) -> str:
    """The file's bytes plus its dotted module name (which depends on the ``__init__.py``
    files above it): equal digests mean equal facts."""
    hasher = blake2b(data, digest_size=16)
    hasher.update(b"\0" + (module_name_for(path) or "").encode())
    return hasher.hexdigest()


def parse_facts(path: Path, source: Union[str, bytes]) -> Optional[FileFacts]:
    """Facts from the running Python's ``ast``; for syntax it does not know yet (3.12+
    ``type`` statements, PEP 695 generics, PEP 701 f-strings) from libcst's tree,
    lowered to an equivalent the ``ast`` parser accepts. None when neither parses."""
    try:
        return file_facts(path, python_ast(source))
    except SyntaxError:
        pass  # perhaps newer syntax: lowered below
    except (ValueError, RecursionError, MemoryError):
        return None  # Python cannot compile it (libcst may take minutes on such a file)
    from torchlint.analysis.downlevel import lowered_source

    lowered = lowered_source(source)
    if lowered is None:
        return None
    try:
        return file_facts(path, python_ast(lowered))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


IndexEntry = tuple[Path, Optional[FileFacts], tuple[str, str]]


def index_entry(path: Path, source: Union[str, bytes], data: bytes) -> IndexEntry:
    """What the index keeps for one file: its facts and (content, facts) digests. Worker
    processes compute these for their share of the files (``ProjectIndex.preload``)."""
    facts = parse_facts(path, source)
    return path, facts, (content_digest(path, data), facts_digest(facts))


def stored_index_entry(store, path: Path, source: Union[str, bytes], data: bytes) -> IndexEntry:
    """``index_entry`` through a facts store: read when it holds this version of the
    file, else computed and saved."""
    entry = store.load(path, data)
    if entry is None:
        entry = index_entry(path, source, data)
        store.save(entry)
    return entry


# Packages never read for Module bases: torch itself (known by name) and common non-model
# libraries whose classes are never Modules.
_NOT_INSTALLED_BASES = frozenset({"torch", "numpy", "typing_extensions", "pydantic", "attr", "attrs", "six"})


def _installed_parts(dotted: str) -> Optional[list[str]]:
    """The parts of a dotted name worth looking up in an installed package: a name inside a
    package that is neither torch, a common non-model library nor the standard library."""
    parts = dotted.split(".")
    if len(parts) < 2 or parts[0] in _NOT_INSTALLED_BASES or parts[0] in getattr(sys, "stdlib_module_names", ()):
        return None
    return parts


@lru_cache(maxsize=256)
def _installed_root(package: str) -> Optional[Path]:
    """The directory holding the installed top-level ``package`` (site-packages), found
    without importing it; None when it is not installed or is a single-file module."""
    import importlib.machinery

    try:
        spec = importlib.machinery.PathFinder.find_spec(package)
    except (ImportError, ValueError, AttributeError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(locations[0]).resolve().parent if locations else None


def _is_project_root(directory: Path) -> bool:
    return any((directory / marker).exists() for marker in (".git", "pyproject.toml", "setup.py", "setup.cfg"))


class ProjectIndex:
    """Per-file facts for every file of the project, read on demand and memoised."""

    def __init__(self, extra_module_bases: Iterable[str] = (), extra_roots: Iterable[Path] = (), store=None):
        self.extra_module_bases = frozenset(extra_module_bases)
        # where the facts of files read before are kept (torchlint.cache.FactsStore), or None
        self.store = store
        # entries indexed ahead by another process (torchlint.readahead.ReadAhead), or None
        self.read_ahead = None
        self.extra_roots = [Path(p).resolve() for p in extra_roots]
        self._facts: dict[Path, Optional[FileFacts]] = {}
        self._digests: dict[Path, Optional[tuple[str, str]]] = {}
        self._roots: dict[Path, list[Path]] = {}
        self._located: dict[tuple, tuple[Optional[Path], tuple[Path, ...]]] = {}
        self._is_module: dict[ClassRef, tuple[bool, frozenset[Path]]] = {}
        self._owns: dict[ClassRef, tuple[bool, frozenset[Path]]] = {}
        self._module_functions: dict[FunctionRef, tuple[Optional[bool], frozenset[Path]]] = {}
        self._star: dict[tuple, tuple[Optional[Resolved], frozenset[Path]]] = {}
        self._installed: dict[str, tuple[bool, frozenset[Path]]] = {}
        self._installed_owns: dict[str, tuple[bool, frozenset[Path]]] = {}
        self._self_init: dict[ClassRef, tuple[bool, frozenset[Path]]] = {}
        self._frames: list[set[Path]] = []

    # -- which files a lint depends on ---------------------------------------------------
    #
    # The cache must know every file whose facts (or absence) a lint observed, including
    # through answers memoised while linting an earlier file: each memo keeps the files
    # its answer observed and replays them when it is reused.

    @contextmanager
    def recording(self) -> Iterator[set[Path]]:
        """Collect the files observed inside the block (nested blocks add to outer ones)."""
        frame: set[Path] = set()
        self._frames.append(frame)
        try:
            yield frame
        finally:
            self._frames.pop()
            if self._frames:
                self._frames[-1] |= frame

    def _observe(self, paths: Iterable[Path]) -> None:
        if self._frames:
            self._frames[-1].update(paths)

    def replay(self, paths: Iterable[Path]) -> None:
        """Record files an answer memoised elsewhere observed when it was computed."""
        self._observe(paths)

    def dependency_state(self, path: Path) -> Optional[tuple[str, str]]:
        """(content digest, facts digest) of an observed file; None when it is absent."""
        if path not in self._digests:  # keys are resolved paths: most lookups need no resolve()
            path = path.resolve()
        if path not in self._digests:
            if path.is_file():
                self.facts_for(path)  # reads the file and records its digests
            else:
                self._digests[path] = None
        digests = self._digests.get(path)
        if digests is not None and digests[1] is None:  # the facts digest, computed when first asked
            digests = self._digests[path] = (digests[0], facts_digest(self._facts.get(path)))
        return digests

    # -- facts -------------------------------------------------------------------------

    def add_source(self, path: Path, source: str, data: Optional[bytes] = None,
                   replace: bool = False) -> Optional[FileFacts]:
        """Index a file whose text the caller already has (a linted file); ``replace``
        re-reads it (its text changed: a fix was applied)."""
        path = path.resolve()
        if replace:
            self._is_module.clear()  # answers may depend on the file's old classes
            self._owns.clear()
            self._star.clear()
            self._installed.clear()
            self._installed_owns.clear()
            self._self_init.clear()
        if replace or path not in self._facts:
            data = data if data is not None else source.encode()
            ahead = self.read_ahead.take_target(path, data) if self.read_ahead is not None and not replace else None
            self.preload([ahead or self._index_entry(path, source, data)])
        self._observe((path,))
        return self._facts[path]

    def facts_for(self, path: Path) -> Optional[FileFacts]:
        if path not in self._facts:  # keys are resolved paths: most lookups need no resolve()
            path = path.resolve()
        if path not in self._facts:
            try:
                data = path.read_bytes()
            except OSError:
                self._facts[path] = None
                self._digests[path] = None
            else:
                ahead = self.read_ahead.take(path, data) if self.read_ahead is not None else None
                self.preload([ahead or self._index_entry(path, data, data)])
        self._observe((path,))
        return self._facts[path]

    def _index_entry(self, path: Path, source: Union[str, bytes], data: bytes) -> IndexEntry:
        """``index_entry``, answered from the store when it has this version of the file.
        Without a store the facts digest waits for ``dependency_state`` (a run without a
        cache never asks: digesting every imported module's facts was a tenth of a cold
        one-file run)."""
        if self.store is None:
            return path, parse_facts(path, source), (content_digest(path, data), None)
        return stored_index_entry(self.store, path, source, data)

    def preload(self, entries: Iterable[IndexEntry]) -> None:
        """Add facts computed elsewhere (``index_entry`` of resolved paths)."""
        for path, facts, digests in entries:
            self._facts[path] = facts
            self._digests[path] = digests

    # -- locating modules ------------------------------------------------------------

    def _search_roots(self, importer: Path) -> list[Path]:
        """Directories an absolute import may be relative to: the importer's
        ancestors up to the project root (covers packages, namespace packages and
        `src/` layouts), plus configured roots."""
        directory = importer.parent
        if directory not in self._roots:
            roots = []
            current = directory
            for _ in range(12):
                roots.append(current)
                if _is_project_root(current) or current.parent == current:
                    if (current / "src").is_dir():
                        roots.append(current / "src")
                    break
                current = current.parent
            self._roots[directory] = roots + self.extra_roots
        return self._roots[directory]

    def _locate(self, anchor: Optional[Path], parts: list[str], importer: Path) -> Optional[Path]:
        key = (anchor, tuple(parts), None if anchor else importer.parent)
        if key not in self._located:
            found = None
            checked: list[Path] = []  # a file created at one of these later changes the answer
            for root in [anchor] if anchor else self._search_roots(importer):
                base = root.joinpath(*parts) if parts else root
                candidates = (base.with_name(base.name + ".py"), base / "__init__.py") if parts else (root / "__init__.py",)
                for candidate in candidates:
                    checked.append(candidate)
                    if candidate.is_file():
                        found = candidate.resolve()
                        break
                if found:
                    break
            self._located[key] = (found, tuple(checked))
        found, checked = self._located[key]
        self._observe(checked)
        return found

    # -- resolving names ---------------------------------------------------------------

    def resolve(self, facts: FileFacts, parts: list[str], depth: int = 0) -> Optional[Resolved]:
        """What the dotted name ``parts``, written in the file of ``facts``, refers to."""
        if depth > 16 or not parts:
            return None
        head, rest = parts[0], parts[1:]
        if head in facts.classes and not rest:
            return ClassRef(facts.path, head)
        if head in facts.classes and len(rest) == 1 and f"{head}.{rest[0]}" in facts.tensor_functions:
            return FunctionRef(facts.path, f"{head}.{rest[0]}")  # a static method that returns a tensor
        if head in facts.functions and not rest:
            return FunctionRef(facts.path, head)
        target = facts.imports.get(head)
        if target is None:
            alias = facts.aliases.get(head)
            if alias and alias[0] != head:
                return self.resolve(facts, alias + rest, depth + 1)
            return self._resolve_star(facts, head, rest, depth) if facts.star_imports else None
        return self._resolve_target(target.anchor, target.dotted.split(".") + rest, facts.path, depth + 1)

    def _resolve_star(self, facts: FileFacts, head: str, rest: list[str], depth: int) -> Optional[Resolved]:
        """A name that only `from X import *` can have bound: look it up in each X
        (its public names; ``__all__`` is not consulted, a superset)."""
        found = self._memoised(self._star, (facts.path, head), lambda: self._star_lookup(facts, head, depth), None)
        if found is None or not rest:
            return found
        if isinstance(found, External):
            return External(".".join([found.dotted, *rest]))
        if isinstance(found, ModuleRef):
            other = self.facts_for(found.path)
            return self.resolve(other, rest, depth + 1) if other else None
        return None

    def _star_lookup(self, facts: FileFacts, head: str, depth: int) -> Optional[Resolved]:
        for star in facts.star_imports:
            parts = [p for p in star.dotted.split(".") if p]
            module = self._locate(star.anchor, parts, facts.path) if (parts or star.anchor) else None
            found = None
            if module is not None:
                other = self.facts_for(module)
                found = self.resolve(other, [head], depth + 1) if other and not head.startswith("_") else None
            elif star.anchor is None and parts and parts[0] == "torch":
                found = External(f"{star.dotted}.{head}")  # `from torch.nn import *`
            elif star.anchor is None and parts and module_bases.star_exported_base(star.dotted, head):
                found = External(module_bases.star_exported_base(star.dotted, head))  # fastai's `Module`
            if found is not None:
                return found
        if head in _CONVENTIONAL_TORCH_NAMES:
            return External(_CONVENTIONAL_TORCH_NAMES[head])  # a star import we cannot read
        return None

    def _resolve_target(self, anchor: Optional[Path], parts: list[str], importer: Path, depth: int):
        dotted = ".".join(parts)
        if anchor is None and (known.is_module_base(dotted, self.extra_module_bases) or parts[0] == "torch"):
            return External(dotted)
        for i in range(len(parts), -1 if anchor else 0, -1):
            located = self._locate(anchor, parts[:i], importer)
            if located is None:
                continue
            rest = parts[i:]
            if not rest:
                return ModuleRef(located)
            facts = self.facts_for(located)
            resolved = self.resolve(facts, rest, depth + 1) if facts else None
            if resolved is not None:
                return resolved
            break
        return External(dotted) if anchor is None else None

    # -- questions rules ask -------------------------------------------------------------

    def class_facts(self, ref: ClassRef) -> Optional[ClassFacts]:
        facts = self.facts_for(ref.path)
        return facts.classes.get(ref.name) if facts else None

    def base_refs(self, ref: ClassRef) -> list[Resolved]:
        return list(self.iter_base_refs(ref))

    def iter_base_refs(self, ref: ClassRef) -> Iterator[Resolved]:
        """``base_refs``, each base resolved only when the caller asks for it: a question
        answered by the first bases never reads the modules of the others."""
        facts = self.facts_for(ref.path)
        cls = facts.classes.get(ref.name) if facts else None
        if cls is None:
            return
        for base in cls.bases:
            resolved = self.resolve(facts, base)
            if resolved is not None:
                yield resolved

    def _memoised(self, memo: dict, key: Any, compute: Callable[[], Any], while_computing: Any) -> Any:
        """``compute()``'s answer for ``key``, memoised with the files it observed: reusing
        the answer replays them, so a later lint still records its dependency on them.
        ``while_computing`` answers the same question asked again inside it (a cycle)."""
        if key not in memo:
            memo[key] = (while_computing, frozenset())
            try:
                with self.recording() as observed:
                    answer = compute()
            except BaseException:  # e.g. RecursionError: leave no half-made answer behind
                del memo[key]
                raise
            memo[key] = (answer, frozenset(observed))
        answer, observed = memo[key]
        self._observe(observed)
        return answer

    def is_module_class(self, ref: ClassRef) -> bool:
        """True when ``ref`` derives (directly or not) from torch.nn.Module."""
        return self._memoised(self._is_module, ref,
                              lambda: any(self.resolves_to_module(base) for base in self.iter_base_refs(ref)), False)

    def class_owns_parameters(self, ref: ClassRef) -> bool:
        """Does building this user class create parameters? Its ``__init__`` stores a
        layer with weights, an ``nn.Parameter`` or such a user class, or a base does."""
        return self._memoised(self._owns, ref, lambda: self._owns_parameters(ref), False)

    def _owns_parameters(self, ref: ClassRef) -> bool:
        facts = self.facts_for(ref.path)
        cls = facts.classes.get(ref.name) if facts else None
        if cls is None:
            return False
        for parts, keywords in cls.init_calls:
            if self.creates_parameters(self.resolve(facts, parts), dict(keywords)):
                return True
        return any(self.creates_parameters(base, {}) for base in self.iter_base_refs(ref))

    def creates_parameters(self, resolved: Optional[Resolved], keywords: dict) -> bool:
        if isinstance(resolved, External):
            return resolved.dotted in known.PARAMETER_CONSTRUCTORS or known.owns_parameters(resolved.dotted, keywords) \
                or self.external_owns_parameters(resolved.dotted)
        if isinstance(resolved, FunctionRef):  # `def Conv1d(*a, **k): return nn.Conv1d(*a, **k)`
            return bool(self.function_module(resolved))
        return isinstance(resolved, ClassRef) and self.class_owns_parameters(resolved)

    def external_owns_parameters(self, dotted: str) -> bool:
        """Does building the third-party class ``dotted`` create parameters? Known layers
        of model libraries (a table), else, when its package is installed, what its source
        says (read, never imported), like a class of the project."""
        if known.third_party_owns_parameters(dotted):
            return True
        parts = _installed_parts(dotted)
        # only class names are worth reading a package for (`GraphConv`, not `rearrange`)
        if parts is None or not parts[-1][:1].isupper():
            return False
        return self._memoised(self._installed_owns, dotted, lambda: self._read_installed_owner(parts), False)

    def _read_installed_owner(self, parts: list[str]) -> bool:
        resolved = self._installed_target(parts)
        return isinstance(resolved, ClassRef) and self.is_module_class(resolved) and self.class_owns_parameters(resolved)

    def _installed_target(self, parts: list[str]):
        """What ``parts`` names in its installed package's source, or None when the package
        is not installed."""
        root = _installed_root(parts[0])
        return None if root is None else self._resolve_target(root, parts, root / parts[0], 0)

    def registered_arguments(self, ref: ClassRef) -> dict[str, int]:
        """The constructor arguments this user class registers as passed (its own
        ``__init__``, or the first base class that defines one): keyword -> position."""
        seen: set[ClassRef] = set()
        while ref not in seen:
            seen.add(ref)
            cls = self.class_facts(ref)
            if cls is None:
                return {}
            if cls.registered_args is not None:
                return cls.registered_args
            bases = self.base_refs(ref)
            if not bases or not isinstance(bases[0], ClassRef):
                return {}
            ref = bases[0]
        return {}

    def resolves_to_module(self, resolved: Optional[Resolved]) -> bool:
        if isinstance(resolved, External):
            return known.is_module_base(resolved.dotted, self.extra_module_bases) or \
                self._installed_module_base(resolved.dotted)
        if isinstance(resolved, ClassRef):
            return self._is_module_root(resolved) or self.is_module_class(resolved)
        return False

    def _installed_module_base(self, dotted: str) -> bool:
        """A base from an installed third-party package the table does not know: read its
        source (never import it) and follow its bases like the project's own."""
        parts = _installed_parts(dotted)
        if parts is None:
            return False
        return self._memoised(self._installed, dotted, lambda: self._read_installed_base(parts), False)

    def _read_installed_base(self, parts: list[str]) -> bool:
        resolved = self._installed_target(parts)
        if isinstance(resolved, ClassRef):
            return self.is_module_class(resolved)
        return isinstance(resolved, External) and known.is_module_base(resolved.dotted, self.extra_module_bases)

    def has_module_class(self, facts: FileFacts) -> bool:
        """Could any class of the file be a Module? (the engine's prefilter)"""
        return any(self.class_is_module(facts, name, bases) for name, bases in facts.class_headers)

    def class_is_module(self, facts: Optional[FileFacts], name: str, base_parts: list[list[str]]) -> bool:
        """Is the class ``name`` with these bases, defined in the file of ``facts``, a Module?

        The one decision both the libcst rules and the engine's prefilter use."""
        if facts is None:
            return False
        own = facts.classes.get(name)
        if own is not None and own.bases == base_parts:
            return self.is_module_class(ClassRef(facts.path, name))
        # a second class of the same name (nested, or under `if`): resolve its bases here
        return any(self.resolves_to_module(self.resolve(facts, parts)) for parts in base_parts)

    def _is_module_root(self, ref: ClassRef) -> bool:
        module = self.facts_for(ref.path)
        if module is None or module.module_name is None:
            return False
        return known.is_module_base(f"{module.module_name}.{ref.name}", self.extra_module_bases)

    def self_initialising(self, ref: ClassRef) -> bool:
        """Does a third-party base above ``ref`` run nn.Module.__init__ itself (fastai's
        ``Module``, through its metaclass)?"""
        return self._memoised(self._self_init, ref, lambda: self._has_self_initialising_base(ref), False)

    def _has_self_initialising_base(self, ref: ClassRef) -> bool:
        seen: set[ClassRef] = set()
        stack = [ref]
        while stack:
            for base in self.base_refs(stack.pop()):
                if isinstance(base, External) and module_bases.is_self_initialising(base.dotted):
                    return True
                if isinstance(base, ClassRef) and base not in seen:
                    seen.add(base)
                    stack.append(base)
        return False

    def ancestors(self, ref: ClassRef) -> list[ClassFacts]:
        """Facts of the user classes above ``ref`` (not including it)."""
        seen: set[ClassRef] = set()
        found: list[ClassFacts] = []
        stack = [ref]
        while stack:
            current = stack.pop()
            for base in self.base_refs(current):
                if isinstance(base, ClassRef) and base not in seen:
                    seen.add(base)
                    cls = self.class_facts(base)
                    if cls is not None:
                        found.append(cls)
                    stack.append(base)
        return found

    def lists_its_argument(self, ref: FunctionRef) -> bool:
        facts = self.facts_for(ref.path)
        return bool(facts and ref.name in facts.listing_functions)

    def function_module(self, ref: FunctionRef) -> Optional[bool]:
        """Does this function of the project return a new Module (``def make_block(c): return
        nn.Sequential(nn.Conv2d(c, c, 3), ...)``)? None when not known to; else whether
        building it creates parameters."""
        return self._memoised(self._module_functions, ref, lambda: self._function_module(ref), None)

    def _function_module(self, ref: FunctionRef) -> Optional[bool]:
        facts = self.facts_for(ref.path)
        entry = facts.module_functions.get(ref.name) if facts else None
        if not entry:
            return None
        returned, inner = entry
        classes = [self.resolve(facts, list(parts)) for parts in returned]
        if not all(self.resolves_to_module(resolved) for resolved in classes):
            return None
        return any(self.creates_parameters(self.resolve(facts, list(parts)), {}) for parts in [*returned, *inner])

    def returns_tensor(self, ref: FunctionRef) -> bool:
        facts = self.facts_for(ref.path)
        return bool(facts and ref.name in facts.tensor_functions)

    def passes_its_argument(self, ref: FunctionRef) -> bool:
        facts = self.facts_for(ref.path)
        return bool(facts and ref.name in facts.passing_functions)

    def converts_to_tensor(self, ref: FunctionRef) -> bool:
        facts = self.facts_for(ref.path)
        return bool(facts and ref.name in facts.converting_functions)
