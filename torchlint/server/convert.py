"""Between the engine's positions (1-based rows, 1-based columns in characters) and
LSP's (0-based lines, columns in the negotiated code units: UTF-16 by default). LSP
lines end at ``\\n``, ``\\r\\n`` or ``\\r``, as the engine's rows do."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Optional

from torchlint.diagnostics import Location, rule_url

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# Findings that mean the code raises while the model is built (or cannot be read) are
# errors; the others are warnings (the model builds, then misbehaves).
ERROR_CODES = frozenset({"TL000", "TL002", "TL003", "TL010"})


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` without their line endings (a last empty line included)."""
    return _LINE_BREAK.split(text)


def line_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in _LINE_BREAK.finditer(text)]


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


Units = Callable[[str], int]  # how many client code units a string is


def to_client(lines: list[str], row: int, column: int, units: Units) -> tuple[int, int]:
    """Engine (1-based row, 1-based character column) -> LSP (line, character)."""
    line = max(row - 1, 0)
    if line >= len(lines):
        return len(lines) - 1, units(lines[-1])
    return line, units(lines[line][:max(column - 1, 0)])


def from_client(lines: list[str], line: int, character: int, units: Units) -> tuple[int, int]:
    """LSP (line, character) -> engine (1-based row, 1-based character column)."""
    if line >= len(lines):
        return len(lines), len(lines[-1]) + 1
    count = 0
    for index, char in enumerate(lines[line]):
        if count >= character:
            return line + 1, index + 1
        count += units(char)
    return line + 1, len(lines[line]) + 1


def location_range(lines: list[str], start: Location, end: Location, units: Units) -> tuple[tuple[int, int], tuple[int, int]]:
    """The client range of a finding; an empty one (a TL000 at a point) covers the
    character there, so that editors underline something."""
    first = to_client(lines, start.row, start.column, units)
    last = to_client(lines, end.row, end.column, units)
    if first == last and 0 <= first[0] < len(lines):
        text = lines[first[0]]
        index = start.column - 1
        if index < len(text):
            last = (first[0], first[1] + units(text[index]))
        elif text and index >= len(text):  # at the end of the line: the line's last character
            first = (first[0], units(text[:-1]))
            last = (first[0], units(text))
    return first, last


def documentation_href(code: str, docs_url: Optional[str]) -> Optional[str]:
    """The rule's page: under ``docs-url`` when it is configured, else the page in
    torchlint's own source tree when it is there (a source checkout); None otherwise
    (hover shows the page in the editor either way)."""
    url = rule_url(code, docs_url)
    if url:
        return url
    page = Path(__file__).resolve().parents[2] / "docs" / "rules" / f"{code}.md"
    return page.as_uri() if page.is_file() else None


def minimal_replacement(old: str, new: str) -> tuple[int, int, str]:
    """One replacement turning ``old`` into ``new``: (start offset, end offset in
    ``old``, new text), without the common prefix and suffix (so the editor keeps the
    cursor and folds outside the change)."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return prefix, len(old) - suffix, new[prefix:len(new) - suffix]


def offset_to_location(starts: list[int], offset: int) -> Location:
    """A character offset -> engine Location (1-based row and column)."""
    import bisect

    row = bisect.bisect_right(starts, offset) - 1
    return Location(row + 1, offset - starts[row] + 1)
