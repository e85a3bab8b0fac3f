"""A notebook's code cells joined into one Python module, and the way back.

The engine lints one source text. For a notebook that text is its code cells, masked
(magics.py) and joined in order, each cell after a comment line naming it, so that a
class in cell 4 sees the base class and imports of cells 1-3, as the kernel does. A
cell that does not parse on its own is left out (its lines become comments) and
reported as a TL000 at its own position; the other cells are linted.

``CellMap`` turns a position in the joined text into (cell, line in the cell); after
fixes, ``split`` cuts the edited joined text back into the cells at the comment lines
and ``rebuilt`` writes the changed cells into the notebook file.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from typing import Optional

from torchlint.diagnostics import Diagnostic, Edit, Fix, Location
from torchlint.notebooks import document, magics
from torchlint.source import NotLinted, python_ast

BOUNDARY = "# torchlint-cell:"
_BOUNDARY_LINE = re.compile(r"^# torchlint-cell:(\d+)\r?\n?$")


@dataclass(frozen=True)
class CellSpan:
    number: int  # 1-based among all cells
    cell_id: Optional[str]
    start: int  # the joined text's row of the cell's first line
    lines: int  # how many lines the cell has
    file_rows: tuple[int, ...]  # the .ipynb file's row of each of them


@dataclass
class CellMap:
    """Joined-text rows -> cell positions, for one notebook."""

    cells: list[CellSpan] = field(default_factory=list)

    def locate(self, row: int, column: int) -> tuple[Optional[CellSpan], Location]:
        starts = [cell.start for cell in self.cells]
        k = bisect.bisect_right(starts, row) - 1
        if k < 0:
            return (self.cells[0] if self.cells else None), Location(1, 1)
        cell = self.cells[k]
        if row >= cell.start + cell.lines:  # the boundary line after it: the end of this cell
            return cell, Location(cell.lines + 1, 1)
        return cell, Location(row - cell.start + 1, column)

    def file_row(self, cell: CellSpan, row: int) -> int:
        if not cell.file_rows:
            return 1
        return cell.file_rows[min(max(row, 1), len(cell.file_rows)) - 1]

    def place(self, d: Diagnostic) -> Diagnostic:
        """The diagnostic at its cell and the line and column inside that cell."""
        if d.cell is not None or not self.cells:
            return d
        cell, start = self.locate(d.location.row, d.location.column)
        end_cell, end = self.locate(d.end_location.row, d.end_location.column)
        if end_cell is not cell:
            end = Location(cell.lines, max(1, end.column))
        noqa = None
        if d.noqa_row is not None:
            noqa_cell, noqa_at = self.locate(d.noqa_row, 1)
            noqa = noqa_at.row if noqa_cell is cell else start.row
        fix = None
        if d.fix is not None:
            fix = Fix(d.fix.applicability, d.fix.message, tuple(self._edit(e) for e in d.fix.edits))
        return replace(d, location=start, end_location=end, noqa_row=noqa, fix=fix, cell=cell.number,
                       cell_id=cell.cell_id, file_rows=(self.file_row(cell, start.row), self.file_row(cell, end.row)))

    def _edit(self, edit: Edit) -> Edit:
        cell, start = self.locate(edit.location.row, edit.location.column)
        end_cell, end = self.locate(edit.end_location.row, edit.end_location.column)
        if end_cell is not cell:
            end = start
        return Edit(edit.content, start, end, cell=cell.number if cell else None)

    def joined_row(self, cell_number: Optional[int], row: int) -> int:
        """The joined text's row of line ``row`` of cell ``cell_number`` (the reverse)."""
        for cell in self.cells:
            if cell.number == cell_number:
                return cell.start + row - 1
        return row

    def unplace(self, d: Diagnostic) -> Diagnostic:
        """The reverse of ``place``: the diagnostic in the joined text's rows (for the
        runtime checker, which imports the joined definitions)."""
        if d.cell is None:
            return d
        at = lambda location, cell=d.cell: Location(self.joined_row(cell, location.row), location.column)  # noqa: E731
        fix = None
        if d.fix is not None:
            fix = Fix(d.fix.applicability, d.fix.message,
                      tuple(Edit(e.content, at(e.location, e.cell), at(e.end_location, e.cell)) for e in d.fix.edits))
        return replace(d, location=at(d.location), end_location=at(d.end_location), fix=fix, cell=None, cell_id=None,
                       noqa_row=None if d.noqa_row is None else self.joined_row(d.cell, d.noqa_row), file_rows=None)


@dataclass
class Joined:
    text: str  # the module the engine lints
    map: CellMap
    notebook: document.Notebook
    masked: dict[int, magics.Masked]  # cell number -> the cell as Python sees it
    problems: list[tuple[int, NotLinted]]  # cells that do not parse: (cell number, why), positions in the cell

    def split(self, text: str) -> Optional[dict[int, str]]:
        """The joined text (after fixes) cut back into the cells' masked sources, or None
        if a boundary line went missing."""
        pieces: dict[int, list[str]] = {}
        current = self.map.cells[0].number if self.map.cells else None
        order = [cell.number for cell in self.map.cells]
        seen = [current] if current is not None else []
        for line in magics.split_lines(text):
            found = _BOUNDARY_LINE.match(line)
            if found:
                current = int(found.group(1))
                seen.append(current)
                continue
            if current is None:
                return None
            pieces.setdefault(current, []).append(line)
        if seen != order:
            return None
        return {number: "".join(pieces.get(number, [])) for number in order}

    def rebuilt(self, text: str) -> Optional[tuple[str, dict[int, tuple[str, str]]]]:
        """The notebook file's new text for the fixed joined ``text``, and each changed
        cell's (old source, new source); None when the text cannot be cut into cells."""
        split = self.split(text)
        if split is None:
            return None
        changed: dict[int, tuple[str, str]] = {}
        for number, masked_text in split.items():
            masked = self.masked[number]
            if masked_text == self._joined_piece(number):
                continue
            cell = next(c for c in self.notebook.cells if c.number == number)
            new = magics.unmask(masked_text, masked.originals)
            if not cell.source.endswith(("\n", "\r")) and new.endswith("\n"):
                new = new[:-1]  # the newline the join added
            if new != cell.source:
                changed[number] = (cell.source, new)
        return self.notebook.with_sources({n: new for n, (_, new) in changed.items()}), changed

    def _joined_piece(self, number: int) -> str:
        text = self.masked[number].text
        return text if text.endswith(("\n", "\r")) or not text else text + "\n"


def _problem_in_cell(text: str) -> Optional[NotLinted]:
    try:
        python_ast(text)
    except SyntaxError as error:
        return NotLinted(f"syntax error: {error.msg}", error.lineno or 1, error.offset or 1)
    except (RecursionError, MemoryError):
        return NotLinted("the cell is nested too deeply to parse")
    except ValueError as error:
        return NotLinted(f"the cell cannot be parsed: {error}")
    return None


def join(notebook: document.Notebook) -> Joined:
    """The code cells, masked, joined into one module (see the module's docstring)."""
    parts: list[str] = []
    spans: list[CellSpan] = []
    masked: dict[int, magics.Masked] = {}
    problems: list[tuple[int, NotLinted]] = []
    row = 1
    code_cells = notebook.code_cells if notebook.python else []
    for k, cell in enumerate(code_cells):
        if k:
            parts.append(f"{BOUNDARY}{cell.number}\n")
            row += 1
        cell_masked = magics.mask(cell.source)
        masked[cell.number] = cell_masked
        text = cell_masked.text
        lines = magics.split_lines(text)
        problem = _problem_in_cell(text) if text.strip() else None
        if problem is not None:
            problems.append((cell.number, problem))
            # left out: each line a marked comment, so the other cells parse and keep their
            # rows, and a fix that inserts next to the cell cannot change it
            text = "".join(magics.marked(i, line) if line.strip() else line for i, line in enumerate(lines))
            masked[cell.number] = magics.Masked(text, {i: line for i, line in enumerate(lines) if line.strip()})
        if text and not text.endswith(("\n", "\r")):
            text += "\n"
        parts.append(text)
        spans.append(CellSpan(cell.number, cell.cell_id, row, len(lines), tuple(cell.file_rows)))
        row += len(lines)
    return Joined("".join(parts), CellMap(spans), notebook, masked, problems)

