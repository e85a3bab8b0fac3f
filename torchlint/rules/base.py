"""What a rule is: a code, a name, its documentation and examples, and a check."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Iterator, Optional

import libcst as cst

from torchlint.diagnostics import Fix, rule_url

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import FileContext


MODULE_CLASSES = "module-classes"
WHOLE_FILE = "file"


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
    # Where the rule can report: MODULE_CLASSES rules only inside nn.Module subclasses, so
    # the engine skips the libcst parse of a file without any; WHOLE_FILE rules report
    # anywhere and say through ``could_report`` which files they need parsed.
    scope: ClassVar[str] = MODULE_CLASSES
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: "FileContext") -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def could_report(cls, text: str) -> bool:
        """For WHOLE_FILE rules: a cheap test on the decoded text that returns False only
        when ``check`` cannot report anything in this file (e.g. a rule about misspelt
        ``requires_grad`` returns ``"grad" in text.lower()``). It must be conservative:
        a wrong False hides findings. The default parses every file."""
        return True

    @classmethod
    def documentation(cls) -> str:
        """The rule's docs: its module docstring (What it does / Why / Example / Fix)."""
        module = inspect.getmodule(cls)
        return inspect.cleandoc(module.__doc__ or "") if module else ""

    @classmethod
    def url(cls) -> Optional[str]:
        return rule_url(cls.code)
