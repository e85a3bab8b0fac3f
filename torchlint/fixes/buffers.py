"""How to register a tensor attribute, written so that following the advice works where
it is given.

Three things decide the spelling:
- the buffer style: ``self.register_buffer("x", t)`` or ``self.x = nn.Buffer(t)``
  (torch >= 2.5). ``buffer-style`` in ``[tool.torchlint]`` sets it; unset, the form the
  file already uses; a file using neither gets ``nn.Buffer`` when the project needs
  torch >= 2.5 (``torch-version``) and ``register_buffer`` otherwise;
- name mangling: inside ``class C``, ``self.__x`` is the attribute ``_C__x``, so
  ``register_buffer("__x", t)`` stores a name that ``self.__x`` never reads; the
  advice uses the mangled name (or ``nn.Buffer``, to which mangling applies);
- order: before ``super().__init__()`` torch refuses every registration
  (``cannot assign buffer before Module.__init__() call``), so the advice there is to
  register after the super call.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

import libcst as cst

from torchlint.analysis import walk
from torchlint.analysis.names import mangled_name
from torchlint.analysis.project import External
from torchlint.config import BUFFER_STYLES
from torchlint.diagnostics import Edit, Location
from torchlint.fixes.edits import enclosing_statement, first_row, indentation_of, insert_at, newline, whole_lines

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo, FileContext

REGISTER_BUFFER, NN_BUFFER = BUFFER_STYLES
_REGISTER_CALLS = re.compile(r"\.\s*register_buffer\s*\(")
_TORCH_BUFFER = ("torch.nn.Buffer", "torch.nn.parameter.Buffer")


def _buffer_wrappers(ctx: "FileContext") -> int:
    """How many times the file calls ``torch.nn.Buffer(...)``, under the names its imports
    give it (``nn.Buffer``, ``torch.nn.Buffer``, ``Buffer`` imported from torch.nn; not a
    replay ``Buffer`` class of the project)."""
    imports = ctx.facts.imports.items() if ctx.facts else ()
    spellings = {"torch.nn.Buffer"}
    for local, target in imports:
        if target.anchor is None and target.dotted in ("torch.nn", "torch.nn.parameter"):
            spellings.add(f"{local}.Buffer")
        elif target.anchor is None and target.dotted in _TORCH_BUFFER:
            spellings.add(local)
    pattern = "|".join(re.escape(s) for s in sorted(spellings, key=len, reverse=True))
    return len(re.findall(rf"(?<![\w.])(?:{pattern})\s*\(", ctx.source))


def buffer_style(ctx: "FileContext") -> str:
    """``register_buffer`` or ``nn.Buffer``: the setting, else the file's own habit, else
    what the project's torch allows."""
    settings = ctx.settings
    chosen = getattr(settings, "buffer_style", None)
    if chosen in BUFFER_STYLES:
        return chosen
    calls = len(_REGISTER_CALLS.findall(ctx.source))
    wrappers = _buffer_wrappers(ctx) if "Buffer" in ctx.source else 0
    if wrappers > calls:
        return NN_BUFFER
    if calls > wrappers:
        return REGISTER_BUFFER
    version = getattr(settings, "torch_version", None)
    return NN_BUFFER if version is not None and version >= (2, 5) else REGISTER_BUFFER


def stored_name(info: "ClassInfo", name: str) -> str:
    """The attribute name torch sees for ``self.<name>`` written in ``info``'s class.
    Python reads identifiers in NFKC form (``self.ﬁlter`` is ``self.filter``), a string
    as written, so the registered name is the normalised one."""
    name = unicodedata.normalize("NFKC", name)
    return mangled_name(unicodedata.normalize("NFKC", info.name), name) or name


def runs_before_super(info: "ClassInfo", event) -> bool:
    """Does this construction event run before ``nn.Module.__init__`` (where torch
    refuses registrations)? A metaclass that initialises the Module makes it unknowable."""
    return bool(event.before_super) and not info.custom_metaclass


BEFORE_SUPER = ("this line runs before `super().__init__()`, where torch raises `AttributeError: cannot assign "
                "{what} before Module.__init__() call`: keep the value in a local until then and, after "
                "`super().__init__()`, {action}")


def buffer_spelling(ctx: "FileContext", info: "ClassInfo", name: str) -> str:
    """How to register ``self.<name>`` as a buffer, e.g. ``self.register_buffer("x", ...)``."""
    mangled = mangled_name(info.name, name)
    if buffer_style(ctx) == NN_BUFFER:
        return f"`self.{name} = nn.Buffer(...)`"
    if mangled:
        return (f'`self.register_buffer("{stored_name(info, name)}", ...)` (the mangled name that `self.{name}` reads '
                f"inside `{info.name}`) or `self.{name} = nn.Buffer(...)` (torch >= 2.5)")
    return f'`self.register_buffer("{stored_name(info, name)}", ...)`'


def register_buffer_help(ctx: "FileContext", info: "ClassInfo", event) -> str:
    """The help of a plain-tensor finding (TL001)."""
    spelling = buffer_spelling(ctx, info, event.name)
    return after_super(
        info, event, "buffer", f"register it: {spelling}, or wrap it in `nn.Parameter(...)` if it should be learned",
        f"Register it: {spelling}, or wrap it in `nn.Parameter(...)` if it should be learned")


def after_super(info: "ClassInfo", event, what: str, action: str, advice: str) -> str:
    """``advice``, or, on a line before ``super().__init__()``, the same told to happen after it."""
    if not runs_before_super(info, event):
        return advice
    text = BEFORE_SUPER.format(what=what, action=action)
    return text[0].upper() + text[1:]


_PLAIN_MODULE_BASES = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module"})


def move_below_super(ctx: "FileContext", info: "ClassInfo", statement, registration: str):
    """Edits that delete ``statement`` (a top-level line of ``__init__`` before the
    ``super().__init__(...)`` line) and put ``registration`` right after the super call,
    with whether the move is safe; None when it could change what the code does: a
    statement between them (the super call included) reads the attribute, calls a method
    of ``self`` (which might read it), or rebinds a name the value uses."""
    init = info.methods.get("__init__")
    super_call = info.construction.super_init
    if init is None or super_call is None or not isinstance(init.body, cst.IndentedBlock):
        return None
    statements = list(init.body.body)
    line = enclosing_statement(ctx, statements, statement)
    super_line = enclosing_statement(ctx, statements, super_call)
    if (not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 or line.body[0] is not statement
            or not isinstance(super_line, cst.SimpleStatementLine) or len(super_line.body) != 1):
        return None
    if statements.index(line) >= statements.index(super_line):
        return None
    self_name = init.params.params[0].name.value if init.params.params else "self"
    target = statement.targets[0].target if isinstance(statement, cst.Assign) else statement.target
    attribute = target.attr.value
    used = _read_names(statement.value)
    for between in statements[statements.index(line) + 1: statements.index(super_line) + 1]:
        reads, writes, calls_self = _effects(between, self_name)
        if attribute in reads or calls_self or used & writes:
            return None
    first, last, _ = whole_lines(ctx, line)
    start = first_row(ctx, line)
    _, super_last, _ = whole_lines(ctx, super_line)
    comments = "".join(ctx.lines[row - 1] + newline(ctx) for row in range(start, first))  # carried along
    trailing = line.trailing_whitespace.comment
    text = f"{indentation_of(ctx, super_line)}{registration}" + (f"  {trailing.value}" if trailing else "")
    edits = (
        Edit("", Location(start, 1), Location(last + 1, 1)),
        insert_at(super_last + 1, 1, comments + text + newline(ctx)),
    )
    bases = [ctx.index.resolve(ctx.facts, parts) for parts in info.base_parts] if ctx.facts else []
    # a user base's __init__ may call methods of this class that read the attribute
    safe = bool(bases) and all(isinstance(b, External) and b.dotted in _PLAIN_MODULE_BASES for b in bases)
    return edits, safe


def register_after_super(ctx: "FileContext", info: "ClassInfo", statement, stored: str, register):
    """When ``statement`` (``self.x = t``, a top-level line of ``__init__`` before the
    ``super().__init__(...)`` line) cannot move because code in between reads the
    attribute: edits that keep it and register the value it left as a plain attribute
    right after the super call: ``x = self.x``, ``del self.x``, ``register("x")`` (``x`` a
    fresh local; the plain attribute must go before torch takes the name:
    ``register_buffer`` raises ``KeyError`` on a name the instance already holds), with
    whether that is safe; None when something in
    between (the super call included, and the methods of the class they call) may delete
    or re-register it (``del``, ``delattr``, ``__dict__``, ``setattr``), or the line is
    not one such statement. Safe
    only when the class derives from ``nn.Module`` itself (a user base's ``__init__``
    could replace the attribute with a Parameter, which leaves ``__dict__``)."""
    init = info.methods.get("__init__")
    super_call = info.construction.super_init
    if init is None or super_call is None or not isinstance(init.body, cst.IndentedBlock):
        return None
    statements = list(init.body.body)
    line = enclosing_statement(ctx, statements, statement)
    super_line = enclosing_statement(ctx, statements, super_call)
    if (not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 or line.body[0] is not statement
            or not isinstance(statement, cst.Assign) or len(statement.targets) != 1
            or not isinstance(super_line, cst.SimpleStatementLine) or len(super_line.body) != 1
            or statements.index(line) >= statements.index(super_line)):
        return None
    target = statement.targets[0].target
    if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
        return None
    receiver = target.value.value
    between = statements[statements.index(line) + 1: statements.index(super_line) + 1]
    if not _leaves_attributes_alone(ctx, info, between, receiver):
        return None
    from torchlint.fixes.targets import fresh_name

    local = fresh_name(ctx, init, stored.lstrip("_") or "value")
    if local is None:
        return None
    _, super_last, _ = whole_lines(ctx, super_line)
    indent, end = indentation_of(ctx, super_line), newline(ctx)
    attribute = ctx.source_of(target)  # `self.__x` is deleted as written (mangling applies)
    text = (f"{indent}{local} = {attribute}{end}{indent}del {attribute}{end}"
            f"{indent}{register(local)}{end}")
    edits = (insert_at(super_last + 1, 1, text),)
    bases = [ctx.index.resolve(ctx.facts, parts) for parts in info.base_parts] if ctx.facts else []
    safe = bool(bases) and all(isinstance(b, External) and b.dotted in _PLAIN_MODULE_BASES for b in bases)
    return edits, safe


_TAKES_ATTRIBUTES = re.compile(r"\bdel\b|delattr|__dict__|setattr|register_|\bvars\b")


def _leaves_attributes_alone(ctx: "FileContext", info: "ClassInfo", statements, receiver: str) -> bool:
    """Do ``statements`` (and the methods of the class they call through ``receiver``,
    followed through the calls in those) neither delete nor set attributes by name
    (``del``, ``delattr``, ``setattr``, ``__dict__``, ``vars``, ``register_*``)? A call of
    a method the class does not define here (inherited, or dynamic) may do anything."""
    seen: set = set()
    todo = [(node, receiver) for node in statements]
    while todo:
        node, me = todo.pop()
        if _TAKES_ATTRIBUTES.search(ctx.source_of(node)):
            return False
        for method_name in _self_calls(node, me):
            if method_name in seen:
                continue
            seen.add(method_name)
            method = info.methods.get(method_name)
            if method is None:
                return False
            decorators = {ctx.source_of(d.decorator) for d in method.decorators}
            params = method.params.params
            if "staticmethod" in decorators:
                todo.append((method.body, ""))
            elif params:
                todo.append((method.body, params[0].name.value))
            else:
                return False
    return True


def _self_calls(node, me: str) -> set:
    """Names of the methods ``node`` calls as ``<me>.<name>(...)``."""
    names: set = set()
    if not me:
        return names

    class Calls(walk.Visitor):
        def visit_Call(self, call: cst.Call) -> None:
            func = call.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == me:
                names.add(func.attr.value)

    walk.visit(node, Calls())
    return names


def _read_names(node) -> set:
    found = set()

    class Names(walk.Visitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            walk.visit(attribute.value, self)
            return False

    walk.visit(node, Names())
    return found


def _effects(node, self_name: str):
    """Attributes of ``self`` a statement reads, names it binds, and whether it calls a
    method of ``self``."""
    reads, writes = set(), set()
    calls_self = False

    class Effects(walk.Visitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> None:
            if isinstance(attribute.value, cst.Name) and attribute.value.value == self_name:
                reads.add(attribute.attr.value)

        def visit_Call(self, call: cst.Call) -> None:
            nonlocal calls_self
            func = call.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == self_name:
                calls_self = True
            if isinstance(func, cst.Name) and func.value in ("setattr", "getattr", "vars"):
                calls_self = True

        def _bind(self, target) -> None:
            writes.update(_read_names(target) if not isinstance(target, cst.Attribute) else ())

        def visit_Assign(self, assign: cst.Assign) -> None:
            for target in assign.targets:
                self._bind(target.target)

        def visit_AnnAssign(self, assign: cst.AnnAssign) -> None:
            self._bind(assign.target)

        def visit_AugAssign(self, assign: cst.AugAssign) -> None:
            self._bind(assign.target)

        def visit_For(self, loop: cst.For) -> None:
            self._bind(loop.target)

        def visit_NamedExpr(self, named: cst.NamedExpr) -> None:
            self._bind(named.target)

        def visit_AsName(self, alias: cst.AsName) -> None:
            self._bind(alias.name)

    walk.visit(node, Effects())
    return reads, writes, calls_self
