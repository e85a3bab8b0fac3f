"""Applying fixes safely.

A fix is applied whole or not at all. Fixes whose edits overlap one already chosen
wait for the next pass (the file is re-linted between passes, so positions are fresh);
passes repeat until nothing applies. Every intermediate result must parse, or the file
keeps its last good text. Writes are atomic and refuse a file that changed on disk
since it was read.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import libcst as cst

from torchlint.diagnostics import Diagnostic, Fix, Location

MAX_PASSES = 10
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class FixError(Exception):
    """A fix could not be applied or written; the file is left as it was."""


def _line_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in _LINE_BREAK.finditer(text)]


def _offset(starts: list[int], text: str, location: Location) -> int:
    if location.row > len(starts):
        return len(text)
    return min(starts[location.row - 1] + location.column - 1, len(text))


def _spans(text: str, starts: list[int], fix: Fix) -> list[tuple[int, int, str]]:
    return [(_offset(starts, text, e.location), _offset(starts, text, e.end_location), e.content) for e in fix.edits]


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Do two edits touch the same text? Identical edits (one import that two fixes
    need) are shared; insertions at one point both apply, in order."""
    if a == b:
        return False
    a_start, a_end, _ = a
    b_start, b_end, _ = b
    if a_start == a_end and b_start == b_end:
        return False
    if a_start == a_end:
        return b_start < a_start < b_end
    if b_start == b_end:
        return a_start < b_start < a_end
    return a_start < b_end and b_start < a_end


def apply_fixes(text: str, fixes: list[Fix]) -> tuple[str, list[int]]:
    """Apply the fixes that do not overlap an earlier one; return the text and the
    indexes of the fixes applied."""
    starts = _line_starts(text)
    chosen: list[tuple[int, int, str]] = []
    applied: list[int] = []
    # Narrow fixes first: a rename inside a statement is applied before a rewrite of the
    # whole statement, which then sees (on the next pass) the corrected code.
    spans_of = [_spans(text, starts, fix) for fix in fixes]
    order = sorted(range(len(fixes)), key=lambda i: (sum(end - start for start, end, _ in spans_of[i]), i))
    for index in order:
        spans = spans_of[index]
        if any(_overlaps(span, other) for span in spans for other in chosen):
            continue
        applied.append(index)
        chosen.extend(span for span in spans if span not in chosen)
    applied.sort()
    # splice from the end so earlier offsets stay valid; insertions at one point keep order
    ordered = sorted(enumerate(chosen), key=lambda item: (item[1][0], item[1][1], item[0]), reverse=True)
    pieces = text
    for _, (start, end, content) in ordered:
        pieces = pieces[:start] + content + pieces[end:]
    return pieces, applied


@dataclass
class FixOutcome:
    text: str
    diagnostics: list[Diagnostic]
    applied: Counter = field(default_factory=Counter)
    error: Optional[str] = None
    # each applied fix's finding, with the text it was found in (for checks that follow a finding)
    applied_findings: list[tuple[str, Diagnostic]] = field(default_factory=list)


# Findings that mean "this code raises while the model is built" (or cannot be read):
# a fix must never add one.
BREAKING = frozenset({"TL000", "TL002", "TL003", "TL010"})


def _breaking(diagnostics: list[Diagnostic]) -> int:
    return sum(1 for d in diagnostics if d.code in BREAKING)


def fix_text(text: str, lint: Callable[[str], list[Diagnostic]], unsafe: bool) -> FixOutcome:
    """Lint, apply the applicable fixes, re-lint, until nothing more applies."""
    applied: Counter = Counter()
    applied_findings: list[tuple[str, Diagnostic]] = []
    diagnostics = lint(text)
    refused: set[tuple] = set()  # fixes that broke something, by (code, row, column)
    for _ in range(MAX_PASSES):
        candidates = [d for d in diagnostics if d.fix is not None and (unsafe or d.fix.applicability == "safe")
                      and _key(d) not in refused]
        if not candidates:
            break
        new_text, indexes = apply_fixes(text, [d.fix for d in candidates])
        if new_text == text:
            break
        try:
            cst.parse_module(new_text)
        except Exception as error:  # a fix must never corrupt a file
            codes = ", ".join(sorted({candidates[i].code for i in indexes}))
            return FixOutcome(text, diagnostics, applied, f"a fix for {codes} produced code that does not parse "
                                                         f"({type(error).__name__}); the file keeps its last good text",
                              applied_findings)
        new_diagnostics = lint(new_text)
        if _breaking(new_diagnostics) > _breaking(diagnostics):
            # One of the fixes makes construction fail (e.g. a name torch refuses): try them
            # one by one from the same text and keep only those that do not.
            good = [i for i in indexes if _breaking(lint(apply_fixes(text, [candidates[i].fix])[0])) <= _breaking(diagnostics)]
            refused.update(_key(candidates[i]) for i in indexes if i not in good)
            new_text, kept = apply_fixes(text, [candidates[i].fix for i in good])
            indexes = [good[k] for k in kept]
            if new_text == text:
                continue
            new_diagnostics = lint(new_text)
            if _breaking(new_diagnostics) > _breaking(diagnostics):
                break  # together they still break it: stop here, with the last good text
        applied.update(candidates[i].code for i in indexes)
        applied_findings.extend((text, candidates[i]) for i in indexes)
        text, diagnostics = new_text, new_diagnostics
    return FixOutcome(text, diagnostics, applied, applied_findings=applied_findings)


def _key(diagnostic: Diagnostic) -> tuple:
    return (diagnostic.code, diagnostic.location.row, diagnostic.location.column)


def write_atomically(path: Path, original: bytes, data: bytes) -> None:
    """Replace ``path`` with ``data`` unless it changed since ``original`` was read."""
    try:
        current = path.read_bytes()
    except OSError as error:
        raise FixError(f"cannot re-read the file before writing: {error}") from None
    if current != original:
        raise FixError("the file changed on disk while it was being fixed; it was not written")
    directory = path.parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".torchlint", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except OSError as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise FixError(f"cannot write the fixed file: {error}") from None
