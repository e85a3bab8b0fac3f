"""What ``--runtime`` imports of a notebook: its definitions, never its work.

A notebook's top level trains models, downloads data and plots. The runtime checker
needs only what defines the Modules: imports, classes, functions, and assignments of
literal constants (``HIDDEN = 128``, read by a class body or a default argument). Every
other top-level statement is blanked out, line for line, so that the module imported
has the joined text's line numbers and a runtime finding lands on the right cell line.
"""

from __future__ import annotations

import ast
from typing import Optional

from torchlint.notebooks.magics import split_lines

_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass)


def _literal(node: Optional[ast.expr]) -> bool:
    if node is None:
        return True
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _kept(statement: ast.stmt) -> bool:
    if isinstance(statement, _DEFINITIONS):
        return True
    if isinstance(statement, ast.Assign):
        return all(isinstance(t, ast.Name) for t in statement.targets) and _literal(statement.value)
    if isinstance(statement, ast.AnnAssign):
        return isinstance(statement.target, ast.Name) and _literal(statement.value)
    if isinstance(statement, ast.Try):  # try: import x / except ImportError: ...
        bodies = [statement.body, statement.orelse, statement.finalbody, *(h.body for h in statement.handlers)]
        return all(_kept(s) for body in bodies for s in body)
    return False


def _first_row(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", None) or []
    return min([statement.lineno, *(d.lineno for d in decorators)])


def definitions_only(text: str) -> str:
    """``text`` with every top-level statement that is not a definition blanked out
    (the lines stay, empty). A text Python cannot parse is returned empty."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    lines = split_lines(text)
    blank: set[int] = set()
    kept: list[range] = []
    for statement in tree.body:
        rows = range(_first_row(statement), (statement.end_lineno or statement.lineno) + 1)
        if _kept(statement):
            kept.append(rows)
        else:
            blank.update(rows)
    # a definition sharing a line with dropped work (`import x; train()`) is dropped
    # whole: the run may miss a definition, never do work it must not do
    for rows in kept:
        if blank.intersection(rows):
            blank.update(rows)
    out = [("\n" if row in blank else line) for row, line in enumerate(lines, 1)]
    for statement in tree.body:
        if _first_row(statement) not in blank and _tolerable(statement):
            first, last = statement.lineno, statement.end_lineno or statement.lineno
            indent = ""
            out[first - 1] = f"{indent}exec({_tolerant(statement)!r})\n"
            for row in range(first + 1, last + 1):
                out[row - 1] = "\n"
    return "".join(out)


def _tolerable(statement: ast.stmt) -> bool:
    """An absolute import of something other than ``__future__``."""
    if isinstance(statement, ast.Import):
        return True
    return isinstance(statement, ast.ImportFrom) and not statement.level and statement.module != "__future__"


def _tolerant(statement: ast.stmt) -> str:
    """The import, run so that a package the environment lacks (a plotting library a
    notebook imports) leaves its names undefined instead of failing the whole import:
    the classes that do not need it are still built."""
    return f"try:\n    {ast.unparse(statement)}\nexcept ImportError:\n    pass\n"
