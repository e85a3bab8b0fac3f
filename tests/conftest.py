from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def run_cli(*args: str, cwd: Path | None = None, stdin: bytes | None = None,
            env: dict | None = None) -> subprocess.CompletedProcess:
    """Run torchlint as a user would: a separate process."""
    env = dict(os.environ, PYTHONHASHSEED="random", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "torchlint", *args],
        cwd=cwd or ROOT,
        input=stdin,
        capture_output=True,
        env=env,
    )


def lint_source(source: str, tmp_path: Path, name: str = "model.py", select=None):
    """Lint one snippet in-process and return its diagnostics."""
    from torchlint import engine
    from torchlint.config import load_settings

    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    settings = load_settings(tmp_path, select=select)
    return engine.run([str(path)], settings, jobs=1).diagnostics


@pytest.fixture
def lint(tmp_path):
    def _lint(source: str, **kwargs):
        return [(d.code, d.location.row, d.location.column) for d in lint_source(source, tmp_path, **kwargs)]

    return _lint


@pytest.fixture
def codes(tmp_path):
    def _codes(source: str, **kwargs):
        return sorted(d.code for d in lint_source(source, tmp_path, **kwargs))

    return _codes
