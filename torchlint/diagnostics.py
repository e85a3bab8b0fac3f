"""The finding a rule reports, in the shape users and tools read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

# The one place that says where rule pages live: each finding's `url`, SARIF's
# `helpUri`, `--explain` and scripts/gen_rule_docs.py all derive from these.
PROJECT_URL = "https://github.com/torchlint/torchlint"
RULE_DOC_PATH = "docs/rules/{code}.md"  # relative to the repository root
DOCS_URL = f"{PROJECT_URL}/blob/main/{RULE_DOC_PATH}"


def rule_url(code: str) -> str:
    """The documentation page of rule ``code``."""
    return DOCS_URL.format(code=code)


@dataclass(frozen=True)
class Location:
    row: int  # 1-based
    column: int  # 1-based, in characters


@dataclass(frozen=True)
class Edit:
    content: str
    location: Location
    end_location: Location


@dataclass(frozen=True)
class Fix:
    applicability: str  # "safe" | "unsafe"
    message: str
    edits: tuple[Edit, ...]


@dataclass
class Diagnostic:
    code: str
    name: str
    message: str
    path: str  # as shown to the user
    location: Location
    end_location: Location
    help: Optional[str] = None
    fix: Optional[Fix] = None
    noqa_row: Optional[int] = None
    origin: str = "static"
    runtime: Optional[dict[str, Any]] = None
    source_line: Optional[str] = field(default=None, compare=False, repr=False)

    @property
    def url(self) -> str:
        return rule_url(self.code)

    def sort_key(self) -> tuple:
        return (self.path, self.location.row, self.location.column, self.code, self.message)

    def to_json(self) -> dict[str, Any]:
        fix = None
        if self.fix is not None:
            fix = {
                "applicability": self.fix.applicability,
                "message": self.fix.message,
                "edits": [
                    {
                        "content": e.content,
                        "location": _loc(e.location),
                        "end_location": _loc(e.end_location),
                    }
                    for e in self.fix.edits
                ],
            }
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "filename": self.path,
            "location": _loc(self.location),
            "end_location": _loc(self.end_location),
            "fix": fix,
            "help": self.help,
            "url": self.url,
            "noqa_row": self.noqa_row,
            "origin": self.origin,
            "runtime": self.runtime,
        }


def _loc(location: Location) -> dict[str, int]:
    return {"row": location.row, "column": location.column}
