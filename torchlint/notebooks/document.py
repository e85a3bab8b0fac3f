"""A Jupyter notebook as stored: its JSON read and checked (nbformat 4.0-4.5, without
the nbformat package), where each code cell's ``source`` sits in the file's bytes, and
new sources written back into exactly those spans.

Nothing else of the file is re-serialised: outputs, execution counts, metadata,
attachments, key order, indentation and the trailing newline stay byte for byte. A
``source`` is written in the form it had (a list of lines, one a JSON line, or one
string) with the indentation and escaping the file uses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Optional

from torchlint.source import NotLinted

SUPPORTED_MAJOR = 4
_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


@dataclass
class Cell:
    number: int  # 1-based position among all the notebook's cells (markdown ones too)
    cell_id: Optional[str]
    cell_type: str
    source: str  # the lines joined
    # where the JSON value of "source" lies in the file's text: [start, end)
    span: tuple[int, int] = (0, 0)
    # the file's line of each source line (1-based), for CI formats that can only point
    # at a line of the .ipynb file itself
    file_rows: list[int] = field(default_factory=list)
    as_list: bool = True  # stored as a list of lines (nbformat's way) or as one string


@dataclass
class Notebook:
    text: str  # the file as read (UTF-8)
    cells: list[Cell]
    python: bool  # False for a notebook of another language (R, Julia, ...): nothing to lint

    @property
    def code_cells(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.cell_type == "code"]

    def with_sources(self, sources: dict[int, str]) -> str:
        """The file's text with the sources of the cells numbered in ``sources`` replaced."""
        text = self.text
        for cell in sorted((c for c in self.cells if c.number in sources), key=lambda c: -c.span[0]):
            start, end = cell.span
            text = text[:start] + _render_source(self.text, cell, sources[cell.number]) + text[end:]
        return text


def _row_col(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def read(data: bytes) -> Notebook:
    """Parse and check a notebook; a file that is not one raises ``NotLinted``."""
    try:
        text = data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as error:
        row, column = _row_col(data[:error.start].decode("utf-8", "replace"), error.start)
        raise NotLinted(f"not a notebook: bytes that are not valid utf-8 (byte 0x{data[error.start]:02x})", row, column,
                        "Jupyter notebooks are UTF-8 JSON files: save it again from Jupyter") from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        row, column = (error.lineno, error.colno) if isinstance(error, json.JSONDecodeError) else (1, 1)
        raise NotLinted(f"not a notebook: invalid JSON ({getattr(error, 'msg', error)})", row, column,
                        "Open it in Jupyter and save it again, or fix the JSON by hand") from None
    cells_value = _check(document)
    spans = _source_spans(text, len(cells_value))
    cells = []
    for index, raw in enumerate(cells_value):
        source = raw["source"]
        as_list = isinstance(source, list)
        joined = "".join(source) if as_list else source
        span = spans[index]
        cell_id = raw.get("id")
        cells.append(Cell(index + 1, cell_id if isinstance(cell_id, str) else None, raw["cell_type"], joined, span,
                          _file_rows(text, span, source), as_list))
    return Notebook(text, cells, _is_python(document))


def _check(document) -> list:
    """The ``cells`` of a valid nbformat 4 notebook (4.0 to 4.5; missing ids, string or
    list sources and cells without outputs are all fine)."""
    if not isinstance(document, dict):
        raise NotLinted("not a notebook: the JSON is not an object", help="Jupyter notebooks are JSON objects "
                        "with `cells`, `metadata`, `nbformat` and `nbformat_minor`")
    major = document.get("nbformat")
    if not isinstance(major, int) or isinstance(major, bool):
        raise NotLinted("not a notebook: no `nbformat` version", help="Open it in Jupyter and save it again")
    if major != SUPPORTED_MAJOR:
        raise NotLinted(f"nbformat {major} notebooks are not read (torchlint reads nbformat 4)",
                        help="Open it in Jupyter and save it again: Jupyter converts it to nbformat 4")
    cells = document.get("cells")
    if not isinstance(cells, list):
        raise NotLinted("not a notebook: `cells` is missing or not a list", help="Open it in Jupyter and save it again")
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotLinted(f"not a notebook: cell {number} has no `cell_type`", help="Open it in Jupyter and save it again")
        source = cell.get("source")
        if not (isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))):
            raise NotLinted(f"not a notebook: the `source` of cell {number} is neither a string nor a list of strings",
                            help="Open it in Jupyter and save it again")
    return cells


def _is_python(document: dict) -> bool:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return True
    for key, field_name in (("language_info", "name"), ("kernelspec", "language")):
        table = metadata.get(key)
        if isinstance(table, dict) and isinstance(table.get(field_name), str):
            return table[field_name].lower() in ("python", "python3", "python2", "ipython")
    return True


# -- where each source lies in the file --------------------------------------------------

def _skip(text: str, at: int) -> int:
    return _WHITESPACE.match(text, at).end()


def _object(text: str, at: int) -> tuple[list[tuple[str, int, int]], int]:
    """The members (key, value start, value end) of the JSON object at ``at``, and
    where the object ends."""
    at = _skip(text, at)
    if text[at] != "{":
        raise ValueError("an object was expected")
    members = []
    at = _skip(text, at + 1)
    if text[at] == "}":
        return members, at + 1
    while True:
        key, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] != ":":
            raise ValueError("':' was expected")
        start = _skip(text, at + 1)
        _, end = _DECODER.raw_decode(text, start)
        members.append((key, start, end))
        at = _skip(text, end)
        if text[at] == "}":
            return members, at + 1
        at = _skip(text, at + 1)  # the comma


def _source_spans(text: str, count: int) -> list[tuple[int, int]]:
    """The [start, end) of each cell's ``source`` value in the file's text. Repeated keys
    are resolved as ``json.loads`` does: the last one wins."""
    members, _ = _object(text, 0)
    cells_at = [start for key, start, _ in members if key == "cells"][-1]
    spans: list[tuple[int, int]] = []
    at = _skip(text, cells_at + 1)
    for _ in range(count):
        cell_members, at = _object(text, at)
        spans.append([(start, end) for key, start, end in cell_members if key == "source"][-1])
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
    return spans


def _file_rows(text: str, span: tuple[int, int], source) -> list[int]:
    """The file's line of each line of the source: the line of the list item holding
    the line's first character (a string source lies on one line of the file)."""
    joined = "".join(source) if isinstance(source, list) else source
    count = max(1, len(joined.splitlines()))
    start_row = text.count("\n", 0, span[0]) + 1
    if not isinstance(source, list) or not source:
        return [start_row] * count
    item_rows = []  # (offset in the joined source where the item starts, its row)
    at, row, position, offset = _skip(text, span[0] + 1), start_row, span[0], 0
    for item in source:
        row += text.count("\n", position, at)
        position = at
        item_rows.append((offset, row))
        offset += len(item)
        _, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
    rows, line_start, k = [], 0, 0
    for line in joined.splitlines(keepends=True) or [""]:
        while k + 1 < len(item_rows) and item_rows[k + 1][0] <= line_start and item_rows[k + 1][0] < len(joined):
            k += 1
        rows.append(item_rows[k][1])
        line_start += len(line)
    return rows


# -- writing a source back --------------------------------------------------------------

def _indent_of_line(text: str, offset: int) -> str:
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:offset]
    return line[:len(line) - len(line.lstrip(" \t"))]


def _unit(text: str) -> str:
    """The file's indentation unit (nbformat writes one space)."""
    match = re.search(r"\{\s*\n([ \t]+)\"", text)
    return match.group(1) if match else " "


def _render_source(text: str, cell: Cell, source: str) -> str:
    start, end = cell.span
    ascii_only = "\\u" in text and text.isascii()
    if not cell.as_list:
        return json.dumps(source, ensure_ascii=ascii_only)
    lines = source.splitlines(keepends=True)
    if not lines:
        return "[]"
    old = text[start:end]
    items = [json.dumps(line, ensure_ascii=ascii_only) for line in lines]
    opening = re.match(r"\[(\s*)", old).group(1)
    if "\n" in opening:  # one item a line, as nbformat writes it: keep the file's layout
        closing = re.search(r"(\s*)\]$", old).group(1)
        return "[" + opening + ("," + opening).join(items) + closing + "]"
    if old.strip() == "[]" and "\n" in text:  # was empty: lay it out as nbformat would
        key_indent = _indent_of_line(text, start)
        separator = "\n" + key_indent + _unit(text)
        return "[" + separator + ("," + separator).join(items) + "\n" + key_indent + "]"
    return "[" + ", ".join(items) + "]"  # a compact file stays compact
