"""The finding a rule reports, in the shape users and tools read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

# The one place that says where rule pages live: each finding's `url`, SARIF's
# `helpUri`, `--explain` and scripts/gen_rule_docs.py all derive from these.
RULE_DOC_PATH = "docs/rules/{code}.md"  # in torchlint's source tree, relative to its root

# torchlint has no public home yet, so it links nowhere by default: `url` is null and
# the text formats name `torchlint --explain CODE`. `docs-url` in [tool.torchlint] (or
# --docs-url) sets where the rule pages are served; the CLI sets it once per run.
_docs_url: Optional[str] = None


def set_docs_url(base: Optional[str]) -> None:
    global _docs_url
    _docs_url = base or None


def rule_url(code: str, base: Optional[str] = None) -> Optional[str]:
    """The documentation page of rule ``code`` under ``base`` (default: the configured
    ``docs-url``): ``base`` with ``{code}`` replaced, else ``base/CODE.md``; None when
    no base is configured."""
    base = base or _docs_url
    if not base:
        return None
    if "{code}" in base:
        return base.replace("{code}", code)
    return f"{base.rstrip('/')}/{code}.md"


def explain_command(code: str) -> str:
    return f"torchlint --explain {code}"


def more_about(code: str) -> str:
    """Where to read more about ``code``: its page's URL, else the --explain command."""
    return rule_url(code) or explain_command(code)


@dataclass(frozen=True)
class Location:
    row: int  # 1-based
    column: int  # 1-based, in characters


@dataclass(frozen=True)
class Edit:
    content: str
    location: Location
    end_location: Location
    cell: Optional[int] = None  # in a notebook: the cell the locations are in


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
    # In a notebook: the cell (1-based among all its cells) and its id; rows and columns
    # are then inside that cell. ``file_rows``: the .ipynb file's own rows of the first
    # and last line, for CI formats that can only point at a line of the file.
    cell: Optional[int] = None
    cell_id: Optional[str] = None
    file_rows: Optional[tuple[int, int]] = field(default=None, compare=False)

    @property
    def where(self) -> str:
        """``path`` or, in a notebook, ``path:cell N``: what precedes ``:row:column``."""
        return self.path if self.cell is None else f"{self.path}:cell {self.cell}"

    @property
    def url(self) -> Optional[str]:
        return rule_url(self.code)

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.location.row, self.location.column, self.code, self.message)

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
                        **({"cell": e.cell} if e.cell is not None else {}),
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
            "cell": self.cell,
            "cell_id": self.cell_id,
        }


def _loc(location: Location) -> dict[str, int]:
    return {"row": location.row, "column": location.column}
