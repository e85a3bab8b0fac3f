"""What a static finding is about, read back from the file: its class and attribute.

The rules report a span (``self.pe``, ``"bias"`` in ``register_buffer("bias", ...)``,
``__init__`` for TL003); the runtime checker needs the class to build and the
attribute to look at. This is the one place that maps one to the other, with ``ast``
(no torch, no libcst re-parse of the rules' facts).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Optional

from torchlint.diagnostics import Diagnostic


@dataclass(frozen=True)
class ClassSpan:
    qualname: str  # Outer.Inner for nested classes
    row: int  # the `class` line
    column: int
    end_row: int
    in_function: bool  # defined inside a function: not reachable by importing the file


@dataclass(frozen=True)
class Subject:
    qualname: Optional[str]  # the enclosing class, None at module level
    attribute: Optional[str]  # `pe` for `self.pe`, `bias` for register_buffer("bias", ...)
    statement_rows: tuple[int, int]  # first and last row of the enclosing statement


class FileClasses:
    """The classes of one file with their spans, and the statements' row ranges."""

    def __init__(self, source: str):
        self.classes: list[ClassSpan] = []
        self._statements: list[tuple[int, int]] = []
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        self._walk(tree, prefix="", in_function=False)
        self.classes.sort(key=lambda c: (c.row, c.end_row))
        self._statements.sort()

    def _walk(self, node: ast.AST, prefix: str, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                self._statements.append((child.lineno, child.end_lineno or child.lineno))
            if isinstance(child, ast.ClassDef):
                qualname = f"{prefix}{child.name}"
                self.classes.append(
                    ClassSpan(qualname, child.lineno, child.col_offset + 1, child.end_lineno or child.lineno, in_function)
                )
                self._walk(child, f"{qualname}.", in_function)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._walk(child, f"{prefix}{child.name}.<locals>.", True)
            else:
                self._walk(child, prefix, in_function)

    def by_qualname(self, qualname: str) -> Optional[ClassSpan]:
        return next((c for c in self.classes if c.qualname == qualname), None)

    def enclosing_class(self, row: int) -> Optional[ClassSpan]:
        """The innermost class whose body contains ``row``."""
        found = None
        for span in self.classes:
            if span.row <= row <= span.end_row and (found is None or span.row >= found.row):
                found = span
        return found

    def statement_rows(self, row: int) -> tuple[int, int]:
        """Rows of the innermost statement that contains ``row`` (for matching traceback lines)."""
        containing = [(start, end) for start, end in self._statements if start <= row <= end]
        return min(containing, key=lambda span: span[1] - span[0], default=(row, row))


_SELF_ATTRIBUTE = re.compile(r"^\s*self\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")
_FIRST_STRING = re.compile(r"""\(\s*(?:name\s*=\s*)?(['"])(.*?)\1""")
_STRING = re.compile(r"""^\s*[rRbBuU]?(['"])(.*)\1\s*$""")
_LAST_ATTRIBUTE = re.compile(r"\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")


def span_text(lines: list[str], diagnostic: Diagnostic) -> str:
    start, end = diagnostic.location, diagnostic.end_location
    if not 1 <= start.row <= len(lines):
        return ""
    if start.row == end.row:
        return lines[start.row - 1][start.column - 1 : end.column - 1]
    chunk = [lines[start.row - 1][start.column - 1 :]]
    chunk += lines[start.row : end.row - 1]
    if end.row <= len(lines):
        chunk.append(lines[end.row - 1][: end.column - 1])
    return "\n".join(chunk)


def attribute_of(code: str, text: str) -> Optional[str]:
    """The attribute a finding's source span names.

    ``self.pe`` -> ``pe``; ``"mask"`` (TL010's name literal) -> ``mask``;
    ``self.register_buffer("mask", ...)`` -> ``mask``; ``self.w.require_grad`` (TL005)
    -> ``require_grad``; ``__init__`` (TL003) -> None.
    """
    literal = _STRING.match(text)
    if literal:
        return literal.group(2)
    if code == "TL005":  # the misspelt name alone (`require_grad`), or the chain ending in it
        if text.strip().isidentifier():
            return text.strip()
        last = _LAST_ATTRIBUTE.search(text)
        return last.group(1) if last else None
    called = _FIRST_STRING.search(text)
    if called and ("register_" in text or "add_module" in text):
        return called.group(2)
    match = _SELF_ATTRIBUTE.match(text)
    return match.group(1) if match else None


def subject_of(diagnostic: Diagnostic, classes: FileClasses, lines: list[str]) -> Subject:
    row = diagnostic.location.row
    enclosing = classes.enclosing_class(row)
    attribute = attribute_of(diagnostic.code, span_text(lines, diagnostic))
    return Subject(enclosing.qualname if enclosing else None, attribute, classes.statement_rows(row))
