"""Scale features that must never change what is reported: the prefilter, sharding,
the progress bar."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from conftest import run_cli
from torchlint import engine
from torchlint.config import load_settings
from torchlint.progress import progress_bar

MODULE = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = torch.zeros(10)
    """
)
NOT_A_MODULE = "import torch\n\n\nclass Config:\n    def __init__(self):\n        self.table = torch.zeros(10)\n"


# -- prefilter -----------------------------------------------------------------------------------


def test_prefilter_never_changes_the_fixture_results():
    args = ("fixtures", "--no-cache", "--output-format", "json", "--exit-zero")
    on = run_cli(*args, env={"TORCHLINT_PREFILTER": "1"})
    off = run_cli(*args, env={"TORCHLINT_PREFILTER": "0"})
    assert on.returncode == off.returncode == 0
    assert json.loads(on.stdout) == json.loads(off.stdout) != []


def test_prefilter_skips_files_without_module_classes(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "net.py").write_text(MODULE)
    (tmp_path / "config.py").write_text(NOT_A_MODULE)
    (tmp_path / "broken.py").write_text("class Net(nn.Module)\n    pass\n")
    settings = load_settings(tmp_path)
    result = engine.run([str(tmp_path)], settings, jobs=1)
    assert [(Path(d.path).name, d.code) for d in result.diagnostics] == [("broken.py", "TL000"), ("net.py", "TL001")]
    assert result.files_parsed == 1  # config.py: no Module class, known to parse, not parsed with libcst
    monkeypatch.setenv("TORCHLINT_PREFILTER", "0")
    assert engine.run([str(tmp_path)], settings, jobs=1).files_parsed == 2


def test_a_module_base_in_another_file_keeps_the_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "base.py").write_text("from torch import nn\nclass Base(nn.Module):\n    pass\n")
    (tmp_path / "net.py").write_text(MODULE.replace("nn.Module", "Base").replace("import torch.nn as nn", "from base import Base"))
    result = engine.run([str(tmp_path / "net.py")], load_settings(tmp_path), jobs=1)
    assert [d.code for d in result.diagnostics] == ["TL001"]


def test_whole_file_rules_choose_their_files_through_could_report(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "typo.py").write_text("import torch\nw = torch.zeros(2)\nw.require_grad = True\n")
    (tmp_path / "plain.py").write_text("x = 1\n")
    from torchlint.rules.tl005_requires_grad_typo import RequiresGradTypo

    asked = []
    original = RequiresGradTypo.could_report
    monkeypatch.setattr(RequiresGradTypo, "could_report", classmethod(lambda cls, text: asked.append(text) or original(text)))
    settings = load_settings(tmp_path)
    result = engine.run([str(tmp_path)], settings, jobs=1)
    assert [(Path(d.path).name, d.code, d.location.row) for d in result.diagnostics] == [("typo.py", "TL005", 3)]
    assert result.files_parsed == 1 and len(asked) == 2  # asked about both files, parsed only the one


# -- sharding ------------------------------------------------------------------------------------


@pytest.fixture
def many(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    for index in range(30):
        (tmp_path / f"m{index:02d}.py").write_text(MODULE if index % 2 else NOT_A_MODULE)
    return tmp_path


def _concise(result) -> list[str]:
    return [line for line in result.stdout.decode().splitlines() if ": TL" in line]  # findings only


def test_shards_partition_the_files_and_their_union_is_the_full_run(many):
    full = _concise(run_cli(".", "--output-format", "concise", "--no-cache", cwd=many))
    shards = [_concise(run_cli(".", "--output-format", "concise", "--no-cache", "--shard", f"{k}/3", cwd=many)) for k in (1, 2, 3)]
    assert sorted(line for shard in shards for line in shard) == sorted(full)
    assert len(full) == 15 and all(shards)  # each shard has some of the findings
    assert _concise(run_cli(".", "--output-format", "concise", "--no-cache", "--shard", "2/3", cwd=many)) == shards[1]
    assert _concise(run_cli(".", "--shard", "1/1", "--no-cache", "--output-format", "concise", cwd=many)) == full


def test_shard_keeps_the_whole_project_index(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "base.py").write_text("from torch import nn\nclass Base(nn.Module):\n    pass\n")
    for index in range(8):
        (tmp_path / f"net{index}.py").write_text(MODULE.replace("nn.Module", "Base").replace("import torch.nn as nn", "from base import Base"))
    settings = load_settings(tmp_path)
    found = [d.path for k in (1, 2) for d in engine.run([str(tmp_path)], settings, jobs=1, shard=(k, 2)).diagnostics]
    assert sorted(Path(p).name for p in found) == [f"net{i}.py" for i in range(8)]


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_bad_shard_is_a_usage_error(many, bad):
    result = run_cli(".", "--shard", bad, cwd=many)
    assert result.returncode == 2 and b"--shard" in result.stderr and b"Traceback" not in result.stderr


# -- progress ------------------------------------------------------------------------------------


def test_no_progress_bar_when_stderr_is_not_a_terminal(many):
    result = run_cli(".", "--no-cache", "--jobs", "2", cwd=many)
    assert result.returncode == 1 and result.stderr == b""


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_for_terminals():
    assert progress_bar(100, io.StringIO()) is None
    bar = progress_bar(100, _Terminal())
    assert bar is not None and bar.total == 100
    bar.close()
    assert progress_bar(0, _Terminal()) is None


# -- the garbage collector ---------------------------------------------------------------


def test_collector_is_paused_during_a_file_and_restored_after_even_when_a_rule_fails(tmp_path, monkeypatch):
    import gc

    from torchlint.rules.tl001_unregistered_tensor import UnregisteredTensor

    path = tmp_path / "net.py"
    path.write_text(MODULE)
    seen = []

    def failing_check(self, ctx):
        seen.append(gc.isenabled())
        raise ValueError("a bug in a rule")

    monkeypatch.setattr(UnregisteredTensor, "check", failing_check)
    linter = engine.Linter(load_settings(tmp_path))
    try:
        assert gc.isenabled()
        result = linter.lint(path, "net.py", None)
    finally:
        linter.close()
    assert seen == [False] and gc.isenabled()
    assert "internal error in TL001" in result.internal_errors[0]


def test_a_linted_file_leaves_no_cyclic_garbage_behind(tmp_path):
    """The file context's cycles are broken when the file is done: its syntax tree is
    freed by reference counting, with nothing left for the collector."""
    import gc

    path = tmp_path / "net.py"
    path.write_text(MODULE * 20)
    linter = engine.Linter(load_settings(tmp_path))
    try:
        linter.lint(path, "net.py", None)  # warm-up: imports, the index, caches
        gc.collect()
        gc.disable()
        try:
            diagnostics = linter.lint(path, "net.py", None).diagnostics
            assert [d.code for d in diagnostics] == ["TL001"] * 20
            collected = gc.collect()
        finally:
            gc.enable()
        nodes = _count_nodes(cst.parse_module(path.read_text()))
        assert collected < nodes / 4, (collected, nodes)  # without release(): more than the whole tree
    finally:
        linter.close()


def _count_nodes(node) -> int:
    return 1 + sum(_count_nodes(child) for child in node.children)
