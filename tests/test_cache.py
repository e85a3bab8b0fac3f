"""The result cache: what invalidates an entry, and what a damaged cache does."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import torchlint
from conftest import run_cli
from torchlint import engine
from torchlint.config import load_settings

NET = textwrap.dedent(
    """\
    import torch
    from base import Base


    class Net(Base):
        def __init__(self):
            super().__init__()
            self.table = torch.zeros(10)
    """
)
MODULE_BASE = "import torch.nn as nn\n\n\nclass Base(nn.Module):\n    pass\n"
PLAIN_BASE = "class Base:\n    def __init__(self):\n        pass\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "base.py").write_text(MODULE_BASE)
    (tmp_path / "net.py").write_text(NET)
    (tmp_path / "other.py").write_text(NET.replace("table", "other"))
    return tmp_path


def lint(project: Path, cache: Path, **options):
    settings = load_settings(project, **options)
    return engine.run([str(project)], settings, jobs=1, cache_dir=cache)


def found(result) -> list[tuple[str, str, int]]:
    return [(Path(d.path).name, d.code, d.location.row) for d in result.diagnostics]


def test_warm_run_reads_every_result_from_the_cache_findings_included(project, tmp_path):
    cache = tmp_path / "cache"
    cold = lint(project, cache)
    assert cold.files_from_cache == 0
    assert found(cold) == [("net.py", "TL001", 8), ("other.py", "TL001", 8)]
    warm = lint(project, cache)
    assert warm.files_from_cache == warm.files_checked == 3
    assert warm.diagnostics == cold.diagnostics
    assert [d.source_line for d in warm.diagnostics] == [d.source_line for d in cold.diagnostics]
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"


def test_content_change_invalidates_only_that_file(project, tmp_path):
    cache = tmp_path / "cache"
    lint(project, cache)
    (project / "net.py").write_text(NET.replace("torch.zeros(10)", "nn_buffer = None"))
    result = lint(project, cache)
    assert result.files_from_cache == 2
    assert found(result) == [("other.py", "TL001", 8)]


def test_configuration_change_invalidates(project, tmp_path):
    cache = tmp_path / "cache"
    lint(project, cache)
    assert lint(project, cache, select=["TL007"]).files_from_cache == 0
    assert found(lint(project, cache, select=["TL007"])) == []
    # per-file ignores count only for the files they apply to
    (project / "pyproject.toml").write_text("[tool.torchlint]\nper-file-ignores = { 'net.py' = ['TL001'] }\n")
    result = lint(project, cache)
    assert result.files_from_cache == 2
    assert found(result) == [("other.py", "TL001", 8)]


def test_version_change_invalidates(project, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    lint(project, cache)
    assert lint(project, cache).files_from_cache == 3
    monkeypatch.setattr(torchlint, "__version__", torchlint.__version__ + ".post1")
    assert lint(project, cache).files_from_cache == 0


def test_base_class_changed_in_another_file_invalidates_its_subclasses(project, tmp_path):
    cache = tmp_path / "cache"
    lint(project, cache)
    (project / "base.py").write_text(PLAIN_BASE)  # Net is no longer a Module
    result = lint(project, cache)
    assert found(result) == []
    assert result.files_from_cache == 0  # net.py, other.py depend on base.py; base.py changed
    (project / "base.py").write_text(MODULE_BASE)
    assert found(lint(project, cache)) == [("net.py", "TL001", 8), ("other.py", "TL001", 8)]


def test_a_change_that_keeps_the_facts_keeps_the_subclasses_cached(project, tmp_path):
    cache = tmp_path / "cache"
    lint(project, cache)
    (project / "base.py").write_text("# a comment\n" + MODULE_BASE + "\n    def forward(self, x):\n        return x\n")
    result = lint(project, cache)
    assert result.files_from_cache == 2  # only base.py itself is linted again
    assert found(result) == [("net.py", "TL001", 8), ("other.py", "TL001", 8)]


LAYER = "import torch.nn as nn\n\n\nclass Layer(nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
        "        self.inner = nn.{inner}\n"
HEAD = textwrap.dedent(
    """\
    import torch.nn as nn
    from layer import Layer


    class Head(nn.Module):
        def forward(self, x):
            return Layer()(x)
    """
)


def test_a_layer_that_gains_parameters_in_another_file_invalidates_its_users(tmp_path):
    """TL009 on `Layer()` in forward depends on whether Layer, in layer.py, owns parameters."""
    (tmp_path / "layer.py").write_text(LAYER.format(inner="ReLU()"))
    (tmp_path / "head.py").write_text(HEAD)
    cache = tmp_path / "cache"
    assert found(lint(tmp_path, cache)) == []
    (tmp_path / "layer.py").write_text(LAYER.format(inner="Linear(4, 4)"))
    result = lint(tmp_path, cache)
    assert found(result) == [("head.py", "TL009", 7)]
    assert result.files_from_cache == 0
    (tmp_path / "layer.py").write_text(LAYER.format(inner="LayerNorm(4, elementwise_affine=False)"))
    assert found(lint(tmp_path, cache)) == []


def test_a_new_file_that_an_import_now_finds_invalidates(project, tmp_path):
    """A base imported from a module that does not exist yet: creating it changes the answer."""
    cache = tmp_path / "cache"
    (project / "net.py").write_text(NET.replace("from base import Base", "from layers import Base"))
    assert found(lint(project, cache)) == [("other.py", "TL001", 8)]
    (project / "layers.py").write_text(MODULE_BASE)
    assert found(lint(project, cache)) == [("net.py", "TL001", 8), ("other.py", "TL001", 8)]


def test_a_deleted_base_file_invalidates(project, tmp_path):
    cache = tmp_path / "cache"
    lint(project, cache)
    (project / "base.py").unlink()
    assert found(lint(project, cache)) == []


@pytest.mark.parametrize("damage", [b"", b"{not json", b"\x00\xff" * 10, b"[1, 2, 3]",
                                    b'{"format": 1, "key": "another", "dependencies": {}, "diagnostics": []}',
                                    b'{"format": 999}', b'{"format": 1, "dependencies": 5}'])
def test_corrupt_or_foreign_entries_are_ignored_and_rewritten(project, tmp_path, damage):
    cache = tmp_path / "cache"
    cold = lint(project, cache)
    entries = sorted(cache.glob("*.json"))
    assert len(entries) == 3
    for entry in entries:
        entry.write_bytes(damage)
    again = lint(project, cache)
    assert again.files_from_cache == 0 and not again.internal_errors
    assert again.diagnostics == cold.diagnostics
    for entry in entries:
        assert json.loads(entry.read_text())["format"] == 1  # rewritten
    assert lint(project, cache).files_from_cache == 3
    assert not list(cache.glob(".tmp-*"))


def test_entry_with_damaged_dependency_record_is_a_miss(project, tmp_path):
    cache = tmp_path / "cache"
    lint(project, cache)
    for entry in cache.glob("*.json"):
        data = json.loads(entry.read_text())
        data["dependencies"] = {path: ["x"] for path in data["dependencies"]} or {"/nope": 7}
        entry.write_text(json.dumps(data))
    result = lint(project, cache)
    assert result.files_from_cache == 0 and not result.internal_errors


def test_an_unusable_cache_directory_never_fails_the_run(project, tmp_path):
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("")
    result = lint(project, blocker)
    assert found(result) == [("net.py", "TL001", 8), ("other.py", "TL001", 8)]
    assert not result.internal_errors


def test_cli_default_location_cache_dir_and_no_cache(project):
    cold = run_cli(".", "--output-format", "full", cwd=project)
    assert (project / ".torchlint_cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    warm = run_cli(".", "--output-format", "full", cwd=project)
    assert (cold.returncode, cold.stdout, cold.stderr) == (warm.returncode, warm.stdout, warm.stderr)
    assert warm.returncode == 1 and b"net.py:8:9: TL001" in warm.stdout
    run_cli(".", "--cache-dir", "elsewhere", cwd=project)
    assert len(list((project / "elsewhere").glob("*.json"))) == 3
    (project / "nocache").mkdir()
    (project / "nocache" / "net.py").write_text(NET)
    before = set((project / ".torchlint_cache").glob("*.json"))
    assert run_cli("nocache", "--no-cache", cwd=project).returncode == 1
    assert set((project / ".torchlint_cache").glob("*.json")) == before
