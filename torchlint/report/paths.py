"""Paths as CI systems want them: relative to the repository root, with ``/``.

GitHub (annotations, code scanning) and GitLab resolve a finding's path against the
checkout, wherever torchlint ran from; the text formats keep the path as typed.
"""

from __future__ import annotations

import os
from pathlib import Path

from torchlint.diagnostics import Diagnostic
from torchlint.vcs import repository_root


def report_root(result) -> Path:
    """The git repository holding the linted project, else the project root."""
    project = result.project_root or Path.cwd()
    return repository_root(project) or Path(project).resolve()


def relative_path(diagnostic: Diagnostic, root: Path) -> str:
    path = Path(diagnostic.path)
    try:
        return path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return Path(os.path.normpath(diagnostic.path)).as_posix()


def in_cell(diagnostic: Diagnostic) -> str:
    """``cell 3, line 4, column 9``: where a notebook finding is, for formats whose
    location can only be a line of the .ipynb file; ``""`` for a .py file."""
    if diagnostic.cell is None:
        return ""
    return f"cell {diagnostic.cell}, line {diagnostic.location.row}, column {diagnostic.location.column}"


def file_lines(diagnostic: Diagnostic) -> tuple[int, int]:
    """The first and last line of the finding in the file as stored: for a notebook,
    the .ipynb file's lines that hold the cell's source lines (what a diff of the
    notebook shows), since CI systems point at lines of files, not at cells."""
    if diagnostic.cell is not None and diagnostic.file_rows:
        return diagnostic.file_rows
    return diagnostic.location.row, diagnostic.end_location.row
