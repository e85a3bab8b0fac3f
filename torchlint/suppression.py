"""`# noqa` comments: per line (`# noqa`, `# noqa: TL001, TL007`) and per file
(`# torchlint: noqa`, `# torchlint: noqa: TL001`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_CODES = r"[A-Za-z]+[0-9]+(?:\s*,\s*[A-Za-z]+[0-9]+)*"
_LINE_NOQA = re.compile(rf"#\s*noqa(?::\s*(?P<codes>{_CODES}))?", re.IGNORECASE)
_FILE_NOQA = re.compile(rf"^\s*#\s*torchlint\s*:\s*noqa(?::\s*(?P<codes>{_CODES}))?\s*$", re.IGNORECASE | re.MULTILINE)

ALL = None  # a bare noqa: every code


def _codes(text: Optional[str]) -> Optional[frozenset[str]]:
    if not text:
        return ALL
    return frozenset(c.strip().upper() for c in text.split(","))


@dataclass
class Suppressions:
    lines: list[str]
    file_codes: Optional[frozenset[str]]  # None: no file directive; empty: all codes
    has_file_directive: bool

    @classmethod
    def parse(cls, source: str) -> "Suppressions":
        file_codes: set[str] = set()
        has_directive = False
        everything = False
        if "torchlint" in source:
            for match in _FILE_NOQA.finditer(source):
                has_directive = True
                codes = _codes(match.group("codes"))
                if codes is ALL:
                    everything = True
                else:
                    file_codes |= codes
        return cls(source.splitlines(), None if everything else frozenset(file_codes), has_directive)

    def suppressed(self, code: str, row: int) -> bool:
        if self.has_file_directive and (self.file_codes is None or code in self.file_codes):
            return True
        if not 1 <= row <= len(self.lines):
            return False
        line = self.lines[row - 1]
        if "#" not in line:
            return False
        for match in _LINE_NOQA.finditer(line):
            codes = _codes(match.group("codes"))
            if codes is ALL or code in codes:
                return True
        return False
