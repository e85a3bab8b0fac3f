"""Worker processes only when the work pays for them, balanced by bytes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli
from torchlint import engine
from torchlint.config import load_settings

BUGGY = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn


    class Net{n}(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = torch.zeros(10)
            self.layers = [nn.Linear(4, 4) for _ in range(3)]
    """
)


def padded(n: int, size: int) -> str:
    """A model file of about ``size`` bytes (a long docstring after the class)."""
    text = BUGGY.format(n=n)
    filler = "\n\ndef helper():\n    '''" + "x" * max(0, size - len(text) - 40) + "'''\n"
    return text + filler


def test_one_file_or_a_few_small_ones_stay_in_process():
    assert engine.worker_count([5_000_000], 8) == 1  # one file, however large
    assert engine.worker_count([2_000] * 40, 8) == 1  # forty small files: 80 KB
    assert engine.worker_count([40_000] * 10, 1) == 1  # --jobs 1


def test_workers_grow_with_the_bytes_not_the_file_count():
    assert engine.worker_count([40_000] * 5, 8) == 3  # 200 KB: three workers
    assert engine.worker_count([40_000] * 10, 8) == 6
    assert engine.worker_count([40_000] * 10, 2) == 2
    assert engine.worker_count([4_000] * 1000, 8) == 8


def test_chunks_balance_bytes():
    sizes = [900, 10, 10, 10, 10, 10, 10, 10, 10, 10, 400, 300]
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    chunks = engine.chunks_by_bytes(order, sizes, 2)
    assert sorted(i for chunk in chunks for i in chunk) == list(range(len(sizes)))
    assert chunks[0] == [0]  # the largest file alone, first
    assert [sum(sizes[i] for i in chunk) for chunk in chunks][:3] == [900, 400, 300]
    assert all(sum(sizes[i] for i in chunk) <= 130 for chunk in chunks[3:])


@pytest.fixture
def sized_project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    models = tmp_path / "models"
    models.mkdir()
    for n in range(30):
        (models / f"m{n:02d}.py").write_text(padded(n, 12_000 if n % 4 else 40_000))
    return tmp_path


def test_parallel_run_equals_the_in_process_run(sized_project, monkeypatch):
    settings = load_settings(sized_project)
    paths = [str(sized_project / "models")]
    serial = engine.run(paths, settings, jobs=1)
    assert len(serial.diagnostics) == 60
    started = []
    original = engine._lint_in_parallel

    def spy(targets, sizes, settings, workers, *rest):
        started.append(workers)
        return original(targets, sizes, settings, workers, *rest)

    monkeypatch.setattr(engine, "_lint_in_parallel", spy)
    parallel = engine.run(paths, settings, jobs=2)
    assert started == [2]
    assert parallel.diagnostics == serial.diagnostics
    # the first round of workers computes the index facts of a large run
    monkeypatch.setattr(engine, "PARALLEL_INDEX_MIN_BYTES", 0)
    assert engine.run(paths, settings, jobs=2).diagnostics == serial.diagnostics


def test_parallel_cli_output_equals_serial(sized_project):
    serial = run_cli("models", "--no-cache", "--output-format", "json", "--jobs", "1", cwd=sized_project)
    parallel = run_cli("models", "--no-cache", "--output-format", "json", "--jobs", "2", cwd=sized_project)
    assert serial.stdout == parallel.stdout and len(json.loads(serial.stdout)) == 60
