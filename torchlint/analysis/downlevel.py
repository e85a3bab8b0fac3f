"""Syntax newer than the running Python, lowered so that its ``ast`` can index the file.

The project index reads files with the standard library's ``ast``, which rejects syntax
of later Python versions that libcst accepts: ``type X = ...`` (3.12), PEP 695 type
parameters (``class Box[T](nn.Module)``, ``def f[T](x)``) and PEP 701 f-strings
(reused quotes, backslashes and comments inside replacement fields). Without facts, the
Module classes of such a file would silently go unanalysed. Here libcst parses the
file and the new constructs are replaced, line for line, by older equivalents that
keep everything the index looks at: names, bases, imports, decorators, calls.
"""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst


class _Lower(cst.CSTTransformer):
    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        return updated.with_changes(type_parameters=None) if updated.type_parameters else updated

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        return updated.with_changes(type_parameters=None) if updated.type_parameters else updated

    def leave_TypeAlias(self, original: cst.TypeAlias, updated: cst.TypeAlias) -> cst.Assign:
        # `type X[T] = value` binds the name X, like `X = value`
        return cst.Assign(targets=[cst.AssignTarget(updated.name)], value=updated.value)

    def leave_FormattedString(self, original: cst.FormattedString, updated: cst.FormattedString) -> cst.BaseExpression:
        # The index never looks inside strings; keep the line count so positions match.
        newlines = cst.Module(body=[]).code_for_node(original).count("\n")
        return cst.SimpleString('"""' + "\n" * newlines + '"""' if newlines else '""')


def lowered_source(source: Union[str, bytes]) -> Optional[str]:
    """The source with newer syntax lowered, or None when libcst cannot parse it either."""
    try:
        module = cst.parse_module(source)
        return module.visit(_Lower()).code
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError):
        return None
