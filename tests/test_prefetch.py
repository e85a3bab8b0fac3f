"""One file linted with a second core: a forked child reads the modules it imports while
the file is parsed (torchlint.prefetch). The findings and the files a lint depends on
are those of a lint without it; a child that fails or hangs changes nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import FIXTURES
from torchlint import engine, prefetch
from torchlint.analysis import project as index_module
from torchlint.analysis.project import ProjectIndex
from torchlint.config import load_settings

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the prefetch child is forked")

PROJECT = FIXTURES / "project"
FILES = sorted(PROJECT.rglob("*.py"))


def lint(path: Path, jobs: int) -> list[tuple]:
    result = engine.run([str(path)], load_settings(path), jobs=jobs)
    return [(d.code, d.location.row, d.location.column, d.message, d.help, d.fix is not None)
            for d in result.diagnostics]


@pytest.fixture
def computed_here(monkeypatch) -> list[str]:
    """Files whose facts this process computed (not the prefetch child)."""
    names: list[str] = []
    me = os.getpid()
    original = index_module.index_entry

    def counting(path, source, data):
        if os.getpid() == me:
            names.append(Path(path).name)
        return original(path, source, data)

    monkeypatch.setattr(index_module, "index_entry", counting)
    return names


def test_the_project_fixtures_give_the_same_findings_with_and_without_the_child():
    assert len(FILES) >= 8
    findings = 0
    for path in FILES:
        alone = lint(path, jobs=1)
        assert lint(path, jobs=2) == alone, path
        findings += len(alone)
    assert findings >= 5  # the project's bugs cross files: the comparison means something


def test_the_child_reads_the_imported_modules(computed_here):
    heads = PROJECT / "models" / "heads.py"
    with_child = lint(heads, jobs=2)
    assert computed_here == ["heads.py"]  # blocks.py, gates.py, base.py came from the child
    computed_here.clear()
    assert lint(heads, jobs=1) == with_child
    assert {"blocks.py", "gates.py"} <= set(computed_here)


def _lint_with(index: ProjectIndex, path: Path):
    settings = load_settings(path)
    linter = engine.Linter(settings, True, index)
    try:
        return linter.lint(path, str(path), None)
    finally:
        linter.close()


def test_a_lint_records_the_same_dependencies_with_the_child():
    """The cache keys a result by the files the lint's questions read, not by what the
    child happened to read."""
    path = PROJECT / "models" / "heads.py"
    plain = _lint_with(ProjectIndex(), path)
    index = ProjectIndex()
    child = prefetch.Prefetch.start(path, path.read_text(), path.read_bytes())
    index.pending = child.take
    try:
        helped = _lint_with(index, path)
    finally:
        child.close()
    assert helped.dependencies == plain.dependencies and plain.dependencies
    assert [d.message for d in helped.diagnostics] == [d.message for d in plain.diagnostics]


def _failing(*args):
    raise RuntimeError("the child failed")


def _hanging(*args):
    time.sleep(30)
    return []


def _announces_then_hangs(path, text, data, bases, roots, store, out):
    """Says it reads the module the parent needs, then never sends it."""
    prefetch._send(out, "start", (PROJECT / "models" / "blocks.py").resolve())
    time.sleep(30)


@pytest.mark.parametrize("child", [_failing, _hanging, _announces_then_hangs])
def test_a_child_that_fails_or_hangs_changes_nothing(monkeypatch, computed_here, child):
    monkeypatch.setattr(prefetch, "_compute", child)
    monkeypatch.setattr(prefetch, "WAIT_SECONDS", 0.5)
    heads = PROJECT / "models" / "heads.py"
    started = time.monotonic()
    with_child = lint(heads, jobs=2)
    assert time.monotonic() - started < 15
    assert {"blocks.py", "gates.py"} <= set(computed_here)  # computed here instead
    assert with_child == lint(heads, jobs=1)


def test_an_uncollected_child_is_stopped_and_reaped(monkeypatch):
    monkeypatch.setattr(prefetch, "_compute", _hanging)
    path = PROJECT / "models" / "heads.py"
    child = prefetch.Prefetch.start(path, path.read_text(), path.read_bytes())
    pid = child._pid
    child.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left
    assert child.take(path) == []


@pytest.mark.parametrize("text,expected", [
    ("import torch\nimport torch.nn as nn\nfrom torch import nn\nimport math, os\nfrom __future__ import annotations\n", False),
    ("import torch\nfrom .blocks import Block\n", True),
    ("import torch\nfrom transformers.modeling_utils import PreTrainedModel\n", True),
    ("import torch\ntry:\n    from models.blocks import Block\nexcept ImportError:\n    pass\n", True),
])
def test_a_child_starts_only_for_files_that_import_what_the_index_may_read(text, expected):
    assert prefetch.worth_it(text) is expected
