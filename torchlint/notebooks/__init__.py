"""Jupyter notebooks: a front end beside the engine.

``load`` reads a ``.ipynb`` file (document.py), masks its IPython syntax (magics.py)
and joins its code cells into one module with a map back to the cells (cells.py). The
engine lints that module as it lints a ``.py`` file, then places each finding in its
cell; fixes are written back into the cells' ``source`` (``Joined.rebuilt``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Union

from torchlint.diagnostics import Diagnostic

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.notebooks.cells import CellMap, Joined

# The modules that read and join a notebook are imported when a notebook is met: every
# run imports this package (the engine asks ``is_notebook`` of each file), few lint one.
__all__ = ["CellMap", "Joined", "is_notebook", "load", "place_all", "cell_problems"]


def is_notebook(path) -> bool:
    return str(path).endswith(".ipynb")


def __getattr__(name: str):
    if name in ("CellMap", "Joined", "join"):
        from torchlint.notebooks import cells

        return getattr(cells, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(data: bytes) -> "Joined":
    """The notebook in ``data`` as one module; ``NotLinted`` when it is not a notebook."""
    from torchlint.notebooks.cells import join
    from torchlint.notebooks.document import read

    return join(read(data))


def source_text(path: Union[str, Path], text: str, data: bytes) -> str:
    """The Python text the engine lints for a file: the joined cells for a notebook
    (empty when it cannot be read: the lint reports why), the text itself otherwise."""
    if not is_notebook(path):
        return text
    from torchlint.source import NotLinted

    try:
        return load(data).text
    except NotLinted:
        return ""


def cell_problems(joined: Joined, make) -> list[Diagnostic]:
    """A TL000 for each cell that does not parse, at its position in the cell;
    ``make(problem)`` builds the diagnostic."""
    from torchlint.notebooks.magics import split_lines

    out = []
    spans = {cell.number: cell for cell in joined.map.cells}
    sources = {cell.number: cell.source for cell in joined.notebook.cells}
    for number, problem in joined.problems:
        d = make(problem)
        span = spans[number]
        lines = split_lines(sources[number])
        line = lines[d.location.row - 1] if d.location.row <= len(lines) else None
        out.append(replace(d, message=f"Cell not linted: {problem.reason}", source_line=line,
                           help="Fix the cell so that Python can parse it (IPython magics and shell lines are "
                           "understood); the other cells were linted",
                           cell=number, cell_id=span.cell_id,
                           file_rows=(joined.map.file_row(span, d.location.row),) * 2))
    return out


def place_all(joined: Joined, diagnostics: list[Diagnostic], make) -> list[Diagnostic]:
    """Every finding at its cell, plus the TL000 of each cell left out, in order."""
    placed = [joined.map.place(d) for d in diagnostics] + cell_problems(joined, make)
    return sorted(placed, key=Diagnostic.sort_key)
