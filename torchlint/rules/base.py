"""What a rule is: a code, a name, its documentation and examples, and a check."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Iterator, Optional

import libcst as cst

from torchlint.diagnostics import Fix, rule_url

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import FileContext


@dataclass
class Finding:
    node: cst.CSTNode
    message: str
    help: Optional[str] = None
    fix: Optional[Fix] = None


class Rule:
    """Base class. Subclasses set the class attributes and implement ``check``.

    ``VALID`` examples must produce no finding of this rule, each ``INVALID``
    example at least one; the test suite runs them all.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]  # one line, for --list-rules
    origin: ClassVar[str] = "static"
    fixable: ClassVar[bool] = False  # True once the rule offers a fix
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: "FileContext") -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def documentation(cls) -> str:
        """The rule's docs: its module docstring (What it does / Why / Example / Fix)."""
        module = inspect.getmodule(cls)
        return inspect.cleandoc(module.__doc__ or "") if module else ""

    @classmethod
    def url(cls) -> str:
        return rule_url(cls.code)
