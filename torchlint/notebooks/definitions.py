"""What ``--runtime`` imports of a notebook: its definitions, never its work.

A notebook's top level trains models, downloads data and plots. The runtime checker
needs only what defines the Modules: imports, classes, functions, and assignments of
literal constants (``HIDDEN = 128``, read by a class body or a default argument). Every
other top-level statement is blanked out, line for line, so that the module imported
has the joined text's line numbers and a runtime finding lands on the right cell line.
The module runs each kept statement on its own: a class whose base comes from a
package that is not installed is skipped, and the notebook's other classes are built.
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
    return "".join(("\n" if row in blank else line) for row, line in enumerate(lines, 1))


# Runs after the commented-out definitions above it: each top-level statement on its
# own, at its own line numbers, so that a class whose base comes from a package that is
# not installed (or an import of one) is skipped and the others are still defined.
_LOADER = r"""
def _torchlint_load(rows):
    import __future__, ast, linecache, re
    with open(__file__, encoding="utf-8", newline="") as handle:
        lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)", handle.read())[:rows]
    body = [line[1:] for line in lines]
    text = "".join(body)
    linecache.cache[__file__] = (len(text), None, body, __file__)
    tree = ast.parse(text)
    flags = 0
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            for alias in statement.names:
                flags |= getattr(__future__, alias.name).compiler_flag
    for statement in tree.body:
        try:
            exec(compile(ast.Module([statement], []), __file__, "exec", flags=flags, dont_inherit=True), globals())
        except Exception:
            pass
_torchlint_load({rows})
del _torchlint_load
"""


def importable_module(text: str) -> str:
    """The module ``--runtime`` imports for a notebook: its definitions (above),
    commented out line for line, then a loader that runs them statement by statement
    at their own line numbers (tracebacks and recorded assignments point at the
    joined text's rows), skipping any that raise (a package that is not installed)."""
    lines = split_lines(definitions_only(text))
    body = "".join("#" + (line if line.endswith(("\n", "\r")) else line + "\n") for line in lines)
    return body + _LOADER.replace("{rows}", str(len(lines)))
