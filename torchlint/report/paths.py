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
