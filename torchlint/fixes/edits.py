"""Building fixes: edits located by libcst node positions, and the imports they need.

Every edit replaces a span of the original text, so formatting, comments and line
endings outside the span are preserved byte for byte.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

import libcst as cst

from torchlint.diagnostics import Edit, Fix, Location

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import FileContext

SAFE, UNSAFE = "safe", "unsafe"


def replace(ctx: "FileContext", node: cst.CSTNode, content: str) -> Edit:
    span = ctx.position(node)
    return Edit(content, Location(span.start.line, span.start.column + 1), Location(span.end.line, span.end.column + 1))


def insert_at(row: int, column: int, content: str) -> Edit:
    here = Location(row, column)
    return Edit(content, here, here)


def code(ctx: "FileContext", node: cst.CSTNode) -> str:
    return ctx.module.code_for_node(node)


def text_between(ctx: "FileContext", start, end) -> str:
    """The original text between two libcst positions (1-based lines, 0-based columns)."""
    lines = ctx.lines
    if start.line == end.line:
        return lines[start.line - 1][start.column: end.column]
    first = lines[start.line - 1][start.column:]
    middle = lines[start.line: end.line - 1]
    last = lines[end.line - 1][: end.column]
    return newline(ctx).join([first, *middle, last])


def newline(ctx: "FileContext") -> str:
    return ctx.module.default_newline


def indentation_of(ctx: "FileContext", node: cst.CSTNode) -> str:
    """The whitespace before ``node`` on its first line."""
    span = ctx.position(node)
    line = ctx.lines[span.start.line - 1]
    return line[: span.start.column]


def fix(applicability: str, message: str, *edits: Edit) -> Fix:
    return Fix(applicability, message, tuple(edits))


class Imports:
    """How to spell ``torch`` and ``torch.nn`` in a file, adding an import when missing."""

    def __init__(self, ctx: "FileContext"):
        self.ctx = ctx

    def _local_name_for(self, module: str, conventional: str) -> Optional[str]:
        facts = self.ctx.facts
        names = sorted(
            local for local, target in (facts.imports.items() if facts else ())
            if target.anchor is None and target.dotted == module
        )
        return conventional if conventional in names else (names[0] if names else None)

    def torch(self) -> Optional[tuple[str, list[Edit]]]:
        name = self._local_name_for("torch", "torch")
        if name:
            return name, []
        return None if self._taken("torch") else ("torch", [self._insert("import torch")])

    def _taken(self, name: str) -> bool:
        """Is ``name`` already bound in the file to something else?"""
        facts = self.ctx.facts
        return bool(facts) and (
            name in facts.imports or name in facts.classes or name in facts.functions or name in facts.aliases
        )

    def nn(self) -> Optional[tuple[str, list[Edit]]]:
        """How to write ``torch.nn`` here, and the import to add; None when every
        spelling would shadow another name (the fix is then not offered)."""
        name = self._local_name_for("torch.nn", "nn")
        if name:
            return name, []
        torch_name = self._local_name_for("torch", "torch")
        if torch_name:
            return f"{torch_name}.nn", []
        if not self._taken("nn"):
            return "nn", [self._insert("import torch.nn as nn")]
        if not self._taken("torch"):  # `nn` is e.g. `torch_geometric.nn`
            return "torch.nn", [self._insert("import torch")]
        return None

    def _insert(self, statement: str) -> Edit:
        """After the leading imports; with none, before the first statement (so a shebang
        or an encoding declaration stays on top)."""
        body = self.ctx.module.body
        row = None
        for index, item in enumerate(body):
            small = item.body[0] if isinstance(item, cst.SimpleStatementLine) else None
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                row = self.ctx.position(item).end.line + 1
            elif index == 0 and isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
                continue  # the module docstring
            else:
                if row is None:
                    row = self.ctx.position(item).start.line
                break
        if row is None:
            row = len(self.ctx.lines) + 1
        return insert_at(row, 1, statement + newline(self.ctx))


def enclosing_statement(ctx: "FileContext", statements, node: cst.CSTNode):
    """The statement of ``statements`` (one block) whose span contains ``node``."""
    inner = ctx.position(node)
    for statement in statements:
        outer = ctx.position(statement)
        if (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and (
            inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column):
            return statement
    return None


def whole_lines(ctx: "FileContext", node: cst.CSTNode) -> tuple[int, int, str]:
    """First and last line of ``node`` and their text, with the line break."""
    span = ctx.position(node)
    text = newline(ctx).join(ctx.lines[span.start.line - 1: span.end.line]) + newline(ctx)
    return span.start.line, span.end.line, text


def first_row(ctx: "FileContext", statement: cst.CSTNode) -> int:
    """The first line of a statement including its decorators and the comment lines
    right above it (a decorated function's own position starts at ``def``)."""
    decorators = getattr(statement, "decorators", ())
    row = ctx.position(decorators[0] if decorators else statement).start.line
    for line in reversed(getattr(statement, "leading_lines", ())):
        if line.comment is None:
            break
        row -= 1
    return row


def without_keyword(ctx: "FileContext", call: cst.Call, keyword: str) -> Optional[str]:
    """The call's original text without its ``keyword=...`` argument, cut out of the text
    so that the layout and comments around the other arguments stay (libcst's
    ``code_for_node`` of a rebuilt call loses the indentation of its continuation lines)."""
    args = list(call.args)
    index = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == keyword), None)
    if index is None:
        return None
    whole = ctx.position(call)
    # An argument's own span: a value's span leaves out its parentheses (`(4,)`, `(a)`),
    # the argument's keeps them (and its `*`/keyword), without the comma after it.
    keyword_start = ctx.position(args[index]).start
    value_end = ctx.position(args[index]).end
    if index > 0:  # from the end of the previous argument: its comma goes, this one's stays
        previous_end = ctx.position(args[index - 1]).end
        return text_between(ctx, whole.start, previous_end) + text_between(ctx, value_end, whole.end)
    if index + 1 < len(args):
        next_start = ctx.position(args[index + 1]).start
        return text_between(ctx, whole.start, keyword_start) + text_between(ctx, next_start, whole.end)
    tail = re.sub(r"^\s*,", "", text_between(ctx, value_end, whole.end))
    return text_between(ctx, whole.start, keyword_start) + tail
