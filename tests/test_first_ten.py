"""What a new user meets in the first ten minutes: the real entry point
(``python -m torchlint``) in a subprocess, its stdout, stderr and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

BUGGY = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = torch.zeros(10)
    """
)
CLEAN = "import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.py").write_text(BUGGY)
    (tmp_path / "models" / "ok.py").write_text(CLEAN)
    return tmp_path


def merged(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """stdout and stderr through one pipe, in the order the user sees them."""
    return subprocess.run(
        [sys.executable, "-m", "torchlint", *args], cwd=cwd, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )


# -- 1. a missing path ------------------------------------------------------------------------


def test_a_missing_path_alone_never_claims_success(project):
    result = run_cli("does_not_exist.py", cwd=project)
    assert result.returncode == 2
    assert result.stderr.decode() == "torchlint: error: does_not_exist.py: no such file or directory\n"
    assert result.stdout.decode() == "Nothing was linted. 1 path not found: does_not_exist.py.\n"
    assert b"All checks passed" not in result.stdout


def test_a_missing_path_beside_clean_files_is_in_the_summary(project):
    result = run_cli("models/ok.py", "nope.py", "gone/", cwd=project)
    assert result.returncode == 2
    assert result.stdout.decode() == "No findings in the 1 file linted. 2 paths not found: nope.py, gone/.\n"
    assert result.stderr.decode().splitlines() == [
        "torchlint: error: nope.py: no such file or directory",
        "torchlint: error: gone/: no such file or directory",
    ]


def test_a_missing_path_is_reported_before_the_findings(project):
    result = merged("models", "nope.py", "--output-format", "concise", cwd=project)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0] == "torchlint: error: nope.py: no such file or directory"
    assert lines[1].startswith("models/net.py:8:9: TL001 ")
    assert lines[-1] == "Found 1 error in 1 file. 1 path not found: nope.py."
    assert sum("nope.py" in line for line in lines) == 2  # the error once, the summary once
