"""``--add-noqa``: a ``# noqa: TLxxx`` comment on the line of every current finding, so
a codebase with findings can turn the gate on today and fix them over time (ruff's
answer to the same problem).

The comment goes where ``torchlint.suppression`` reads it: the finding's ``noqa_row``
(the first line of a multi-line statement). An existing ``# noqa: CODES`` comment there
gets the new codes appended (``# noqa: E501, TL001``); any other comment is kept and
the directive follows it; the rest of the line, its line ending and the file's encoding
and BOM are kept byte for byte. A line that ends inside a string or with a backslash
cannot take a comment: it is left alone and reported. Files with a TL000 (they do not
parse, or cannot be read) are never touched.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Union

from torchlint import source as sources
from torchlint.codes import FILE_NOT_LINTED
from torchlint.diagnostics import Diagnostic
from torchlint.suppression import _LINE_NOQA

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")


@dataclass
class AddNoqaResult:
    added: int = 0  # findings newly covered by a directive
    files: list[str] = field(default_factory=list)  # files written
    skipped: list[str] = field(default_factory=list)  # "path:row: why", lines that cannot take a comment
    errors: list[str] = field(default_factory=list)  # files that could not be read or written


def add_noqa(diagnostics: Iterable[Diagnostic]) -> AddNoqaResult:
    result = AddNoqaResult()
    wanted: dict[str, dict[tuple, set[str]]] = defaultdict(lambda: defaultdict(set))
    broken = {d.path for d in diagnostics if d.code == FILE_NOT_LINTED}
    for d in diagnostics:
        if d.code == FILE_NOT_LINTED or d.path in broken or d.noqa_row is None:
            continue
        if (d.runtime or {}).get("verdict") == "refuted":
            continue  # hidden and not failing the run: nothing to suppress
        wanted[d.path][(d.cell, d.noqa_row)].add(d.code)  # a notebook's rows are in their cell
    for path in sorted(wanted):
        _add_to_file(Path(path), path, wanted[path], result)
    return result


def _add_to_file(path: Path, shown: str, rows: dict[tuple, set[str]], result: AddNoqaResult) -> None:
    from torchlint.fixes.apply import FixError, write_atomically
    from torchlint.notebooks import is_notebook, load

    joined = None
    try:
        original = path.read_bytes()
        if is_notebook(path):  # the cells joined: rows are (cell, row) -> the joined text's rows
            joined = load(original)
            text = joined.text
        else:
            text = sources.decode(original)
    except (OSError, sources.NotLinted) as error:
        result.errors.append(f"{shown}: not changed: {error}")
        return
    at = {}  # the text's row -> how to name it
    for cell, row in rows:
        if joined is not None:
            at[joined.map.joined_row(cell, row)] = (f"{shown}:cell {cell}:{row}", rows[(cell, row)])
        else:
            at[row] = (f"{shown}:{row}", rows[(cell, row)])
    new_text, added = _added(text, at, shown, result)
    if not added:
        return
    try:
        if joined is not None:
            rebuilt = joined.rebuilt(new_text)
            if rebuilt is None:
                raise FixError("the comments could not be put back into the notebook's cells")
            data = rebuilt[0].encode("utf-8")
            data = b"\xef\xbb\xbf" + data if original.startswith(b"\xef\xbb\xbf") else data
        else:
            data = new_text.encode(sources.encoding_of(original))
        write_atomically(path, original, data)
    except FixError as error:
        result.errors.append(f"{shown}: not changed: {error}")
        return
    result.added += added
    result.files.append(shown)


def _added(text: str, rows: dict[int, tuple[str, set[str]]], shown: str, result: AddNoqaResult) -> tuple[str, int]:
    """``text`` with the directives added on ``rows`` (row -> (its name, codes)), and
    how many codes were added."""
    lines = _LINE.findall(text)[:-1] or [text]  # the pattern's final empty match is not a line
    facts = _line_facts(text)
    if isinstance(facts, str):
        result.errors.append(f"{shown}: not changed: {facts}")
        return text, 0
    comments, no_comment = facts
    added = 0
    for row in sorted(rows):
        if not 1 <= row <= len(lines):
            continue
        name, codes = rows[row][0], sorted(rows[row][1])
        if row in no_comment:
            result.skipped.append(f"{name}: no noqa comment for {', '.join(codes)}: {no_comment[row]}, "
                                  "which cannot take a comment; split the line, then run --add-noqa again")
            continue
        line = lines[row - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        new_body = _with_codes(body, comments.get(row, []), codes)
        if new_body != body:
            lines[row - 1] = new_body + ending
            added += len(codes)
    return "".join(lines), added


def line_with_noqa(text: str, row: int, codes: Iterable[str]) -> tuple[Optional[str], Optional[str]]:
    """Line ``row`` of ``text`` (without its line ending) with ``codes`` in its noqa
    comment, merged as ``--add-noqa`` does; or ``(None, why)`` when the line cannot take
    a comment. The same text back means the line is already covered."""
    lines = _LINE.findall(text)[:-1] or [text]
    if not 1 <= row <= len(lines):
        return None, f"the file has no line {row}"
    facts = _line_facts(text)
    if isinstance(facts, str):
        return None, facts
    comments, no_comment = facts
    if row in no_comment:
        return None, f"{no_comment[row]}, which cannot take a comment"
    body = lines[row - 1].rstrip("\r\n")
    return _with_codes(body, comments.get(row, []), sorted(set(codes))), None


def _with_codes(body: str, comments: list[tuple[int, str]], codes: list[str]) -> str:
    """``body`` with ``codes`` in its noqa comment, or with a new ``# noqa:`` comment."""
    for column, comment in comments:
        match = _LINE_NOQA.search(comment)
        if match is None:
            continue
        if match.group("codes") is None:
            return body  # a bare `# noqa` already covers every code
        present = {c.strip().upper() for c in match.group("codes").split(",")}
        missing = [c for c in codes if c not in present]
        if not missing:
            return body
        end = column + match.end("codes")
        written = match.group("codes")
        separator = "," if "," in written and ", " not in written else ", "  # as the comment already spells it
        return body[:end] + separator + separator.join(missing) + body[end:]
    content = body.rstrip()
    return content + f"  # noqa: {', '.join(codes)}" + body[len(content):]


def _line_facts(text: str) -> Union[str, tuple[dict[int, list[tuple[int, str]]], dict[int, str]]]:
    """Comment tokens by row (column, text), and rows whose end cannot take a comment;
    or why the file could not be tokenized."""
    comments: dict[int, list[tuple[int, str]]] = defaultdict(list)
    no_comment: dict[int, str] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as error:
        return f"Python's tokenizer cannot read it ({error})"  # the file parsed: add nothing rather than guess
    for token in tokens:
        if token.type == tokenize.COMMENT:
            comments[token.start[0]].append((token.start[1], token.string))
        elif token.end[0] > token.start[0] and token.type not in (tokenize.NEWLINE, tokenize.NL):
            for row in range(token.start[0], token.end[0]):
                no_comment.setdefault(row, "the line ends inside a string")
    for index, line in enumerate(_LINE.findall(text)[:-1], 1):
        body = line.rstrip("\r\n")
        if body.endswith("\\") and index not in no_comment and not comments.get(index):
            no_comment[index] = "the line ends with a backslash continuation"
    return comments, no_comment
