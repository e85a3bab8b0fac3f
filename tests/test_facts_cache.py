"""The project-index facts kept in the cache (``facts/``): a run over a few changed files
reads the facts of the unchanged modules they import instead of parsing them again, and
never uses facts of another version of a file."""

from __future__ import annotations

import pickle
import random
import shutil
import textwrap
from pathlib import Path

import pytest

import torchlint
from conftest import FIXTURES
from torchlint import engine
from torchlint.analysis import project as index_module
from torchlint.cache import FACTS_DIR_NAME, FactsStore
from torchlint.config import load_settings

BASE = textwrap.dedent(
    """\
    import torch.nn as nn


    class Base(nn.Module):
        def __init__(self):
            super().__init__()
    """
)
PLAIN_BASE = "class Base:\n    def __init__(self):\n        pass\n"
LAYERS = textwrap.dedent(
    """\
    import torch.nn as nn
    from .base import Base


    class Dense(Base):
        def __init__(self, n):
            super().__init__()
            self.inner = nn.Linear(n, n)
    """
)
NET = textwrap.dedent(
    """\
    import torch
    from .base import Base
    from .layers import Dense


    class Net(Base):
        def __init__(self):
            super().__init__()
            self.table = torch.zeros(10)

        def forward(self, x):
            return Dense(4)(x)
    """
)
NET_FINDINGS = [("net.py", "TL001", 9), ("net.py", "TL009", 12)]


@pytest.fixture
def package(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text(BASE)
    (pkg / "layers.py").write_text(LAYERS)
    (pkg / "net.py").write_text(NET)
    return pkg


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The names of the files whose facts were computed (parsed), in order."""
    names: list[str] = []
    original = index_module.parse_facts

    def counting(path, source):
        names.append(Path(path).name)
        return original(path, source)

    monkeypatch.setattr(index_module, "parse_facts", counting)
    return names


def lint(paths, cache, jobs=1):
    paths = [str(p) for p in paths]
    settings = load_settings(Path(paths[0]))
    return engine.run(paths, settings, jobs=jobs, cache_dir=cache)


def found(result) -> list[tuple[str, str, int]]:
    return [(Path(d.path).name, d.code, d.location.row) for d in result.diagnostics]


def test_a_changed_file_reads_the_facts_of_the_modules_it_imports(package, tmp_path, parsed):
    cache = tmp_path / "cache"
    assert found(lint([package / "net.py"], cache)) == NET_FINDINGS
    assert sorted(set(parsed)) == ["base.py", "layers.py", "net.py"]
    (package / "net.py").write_text(NET + "\n# edited\n")
    parsed.clear()
    result = lint([package / "net.py"], cache)
    assert parsed == ["net.py"]  # base.py and layers.py: read from the store, not parsed
    assert found(result) == NET_FINDINGS
    assert result.diagnostics == lint([package / "net.py"], None).diagnostics


def test_a_changed_base_relints_its_subclasses_given_in_the_same_run(package, tmp_path, parsed):
    cache = tmp_path / "cache"
    everything = [package / "base.py", package / "layers.py", package / "net.py"]
    assert found(lint(everything, cache)) == NET_FINDINGS
    (package / "base.py").write_text(PLAIN_BASE)  # Net and Dense are no longer Modules
    parsed.clear()
    result = lint(everything, cache)
    assert parsed == ["base.py"]
    assert found(result) == []
    assert result.files_from_cache == 0  # layers.py and net.py depend on base.py
    (package / "base.py").write_text(BASE)  # back: the old version's facts are still right
    parsed.clear()
    result = lint(everything, cache)
    assert parsed == []
    assert found(result) == NET_FINDINGS


def test_a_changed_base_not_given_still_invalidates_the_files_given(package, tmp_path, parsed):
    cache = tmp_path / "cache"
    lint([package / "net.py"], cache)
    (package / "base.py").write_text("\n\n" + PLAIN_BASE)
    parsed.clear()
    result = lint([package / "net.py"], cache)
    assert parsed == ["base.py"]
    assert result.files_from_cache == 0 and found(result) == []


def test_a_layer_that_gains_parameters_changes_the_finding_with_a_warm_store(package, tmp_path):
    cache = tmp_path / "cache"
    assert found(lint([package / "net.py"], cache)) == NET_FINDINGS
    (package / "layers.py").write_text(LAYERS.replace("nn.Linear(n, n)", "nn.ReLU()"))
    assert found(lint([package / "net.py"], cache)) == [("net.py", "TL001", 9)]


def test_facts_are_not_shared_across_torchlint_versions(package, tmp_path, parsed, monkeypatch):
    cache = tmp_path / "cache"
    lint([package / "net.py"], cache)
    (package / "net.py").write_text(NET + "\n# edited\n")
    monkeypatch.setattr(torchlint, "__version__", torchlint.__version__ + ".post1")
    parsed.clear()
    lint([package / "net.py"], cache)
    assert "base.py" in parsed and "layers.py" in parsed


def _dangerous_pickle(marker: Path) -> bytes:
    class Payload:
        def __reduce__(self):
            import os

            return os.system, (f"touch {marker}",)

    return pickle.dumps(Payload())


@pytest.mark.parametrize("damage", ["empty", "garbage", "truncated", "foreign", "other-key", "code"])
def test_damaged_or_foreign_facts_entries_are_misses_and_rewritten(package, tmp_path, parsed, damage):
    cache = tmp_path / "cache"
    cold = lint([package / "net.py"], cache)
    entries = sorted((cache / FACTS_DIR_NAME).glob("*.pickle"))
    assert len(entries) == 3
    marker = tmp_path / "ran"
    for entry in entries:
        data = entry.read_bytes()
        entry.write_bytes({
            "empty": b"", "garbage": b"\x80\x05garbage", "truncated": data[: len(data) // 2],
            "foreign": pickle.dumps({"facts": 1}),
            "other-key": pickle.dumps(("0" * 40, pickle.loads(data)[1])),
            "code": _dangerous_pickle(marker),
        }[damage])
    (package / "net.py").write_text(NET + "\n# edited\n")
    parsed.clear()
    result = lint([package / "net.py"], cache)
    assert not marker.exists()
    assert sorted(parsed) == ["base.py", "layers.py", "net.py"]
    assert result.diagnostics == lint([package / "net.py"], None).diagnostics
    assert [(d.code, d.location) for d in result.diagnostics] == [(d.code, d.location) for d in cold.diagnostics]
    parsed.clear()
    lint([package / "net.py"], cache)  # rewritten: read again
    assert parsed == []


def test_an_unwritable_facts_directory_costs_only_the_cache(package, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FACTS_DIR_NAME).write_text("not a directory")
    result = lint([package / "net.py"], cache)
    assert found(result) == NET_FINDINGS and not result.internal_errors


def test_the_store_keys_a_file_by_its_content(package, tmp_path):
    store = FactsStore(tmp_path / "cache")
    path = (package / "base.py").resolve()
    data = path.read_bytes()
    assert store.load(path, data) is None
    entry = index_module.index_entry(path, data, data)
    store.save(entry)
    loaded = store.load(path, data)
    assert loaded is not None and loaded[2] == entry[2]
    assert index_module.facts_digest(loaded[1]) == index_module.facts_digest(entry[1]) == entry[2][1]
    assert store.load(path, data + b"\n") is None  # another version of the file
    other = (package / "layers.py").resolve()
    assert store.load(other, data) is None  # the same bytes elsewhere: relative imports differ


# -- no finding lost: cold, warm and partly warm runs agree on real-looking code -------


def _copy_fixtures(tmp_path: Path) -> Path:
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, root, ignore=shutil.ignore_patterns("*.json", "runtime"))
    return root


def _everything(result) -> list:
    return [(d.path, d.code, d.location, d.end_location, d.message, d.help, d.fix, d.source_line)
            for d in result.diagnostics]


@pytest.mark.parametrize("jobs", [1, 2])
def test_cold_warm_and_partly_warm_runs_give_the_same_findings(tmp_path, jobs):
    root = _copy_fixtures(tmp_path)
    settings = load_settings(root)
    cold = engine.run([str(root)], settings, jobs=jobs, cache_dir=None)
    assert len(cold.diagnostics) > 100 and not cold.internal_errors
    cache = tmp_path / "cache"
    filled = engine.run([str(root)], settings, jobs=jobs, cache_dir=cache)
    warm = engine.run([str(root)], settings, jobs=jobs, cache_dir=cache)
    assert warm.files_from_cache == warm.files_checked
    assert _everything(filled) == _everything(warm) == _everything(cold)

    chooser = random.Random(jobs)
    results = sorted(cache.glob("*.json"))
    facts = sorted((cache / FACTS_DIR_NAME).glob("*.pickle"))
    for entry in chooser.sample(results, len(results) // 2) + chooser.sample(facts, len(facts) // 2):
        entry.unlink()
    partly = engine.run([str(root)], settings, jobs=jobs, cache_dir=cache)
    assert 0 < partly.files_from_cache < partly.files_checked
    assert _everything(partly) == _everything(cold)

    for entry in cache.glob("*.json"):
        entry.unlink()  # the facts only: every file linted again from stored facts
    facts_only = engine.run([str(root)], settings, jobs=jobs, cache_dir=cache)
    assert facts_only.files_from_cache == 0
    assert _everything(facts_only) == _everything(cold)

    files = sorted(p for p in root.rglob("*.py"))
    some = [str(p) for p in chooser.sample(files, 10)]  # a pre-commit run over a few files
    assert _everything(engine.run(some, settings, jobs=jobs, cache_dir=cache)) == \
        _everything(engine.run(some, settings, jobs=jobs, cache_dir=None))


# A mixin module that a lint reads only for a finding that depends on it (does a base
# override __setattr__?): the cache must record it exactly when it was read.
SAVE_MIXIN = "class SaveMixin:\n    def save(self, path):\n        return path\n"
SETATTR_MIXIN = SAVE_MIXIN + "\n    def __setattr__(self, name, value):\n        object.__setattr__(self, name, value)\n"
MIXED = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn
    from .mixins import SaveMixin


    class Mixed(nn.Module, SaveMixin):
        def __init__(self, n):
            super().__init__()
            self.proj = nn.Linear(n, n)
    """
)
MIXED_TENSOR = MIXED + "        self.table = torch.zeros(n)\n"


def test_a_base_read_for_a_finding_invalidates_it_when_it_changes(package, tmp_path):
    cache = tmp_path / "cache"
    (package / "mixins.py").write_text(SAVE_MIXIN)
    (package / "mixed.py").write_text(MIXED_TENSOR)
    assert found(lint([package / "mixed.py"], cache)) == [("mixed.py", "TL001", 10)]
    (package / "mixins.py").write_text(SETATTR_MIXIN)  # now the base takes every store itself
    result = lint([package / "mixed.py"], cache)
    assert result.files_from_cache == 0 and found(result) == []
    assert result.diagnostics == lint([package / "mixed.py"], None).diagnostics


def test_a_base_no_question_read_does_not_invalidate_a_clean_result(package, tmp_path, parsed):
    cache = tmp_path / "cache"
    (package / "mixins.py").write_text(SAVE_MIXIN)
    (package / "mixed.py").write_text(MIXED)
    assert found(lint([package / "mixed.py"], cache)) == []
    assert "mixins.py" not in parsed
    (package / "mixins.py").write_text(SETATTR_MIXIN)
    result = lint([package / "mixed.py"], cache)
    assert result.files_from_cache == 1 and found(result) == []  # the same answer, from the cache
    assert result.diagnostics == lint([package / "mixed.py"], None).diagnostics
