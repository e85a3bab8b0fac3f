"""A class's time budget: made-up resolutions stay small (bias tables loop over every pair
of points), and a build that runs past the budget, or a chain of failing attempts, ends as
a reason instead of running on until the worker is killed."""

from __future__ import annotations

import importlib.util
import sys
import time

import pytest

from conftest import FIXTURES

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from torchlint.runtime.instantiate import CLASS_BUDGET_S, Builder, realpath  # noqa: E402


@pytest.fixture(scope="module")
def slow():
    path = FIXTURES / "runtime" / "budget" / "slow_builds.py"
    spec = importlib.util.spec_from_file_location("_slow_builds", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module, realpath(str(path))
    sys.modules.pop(spec.name, None)


def _build(slow, name, budget=60.0):
    module, real = slow
    builder = Builder(vars(module), lambda f: f == real, {}, {}, budget=budget)
    started = time.monotonic()
    outcome = builder.build(getattr(module, name), f"_slow_builds:{name}")
    return outcome, time.monotonic() - started


def test_the_budget_is_the_class_limit_under_the_timeout():
    assert CLASS_BUDGET_S <= 8.0
    assert Builder({}, lambda f: False, {}, {}, budget=60).class_budget == CLASS_BUDGET_S
    assert Builder({}, lambda f: False, {}, {}, budget=2).class_budget == pytest.approx(1.6)


def test_a_made_up_resolution_is_small(slow):
    outcome, seconds = _build(slow, "PairBias")
    assert outcome.status == "built" and outcome.attempts == 1
    assert outcome.arguments == "dim=64, resolution=16"
    assert outcome.instance.index.shape == (256, 256)


def test_a_build_past_the_budget_is_stopped_with_a_timeout(slow):
    outcome, seconds = _build(slow, "WaitsForever", budget=1.0)
    assert seconds < 2.0
    assert outcome.status == "failed" and outcome.instance is None
    assert outcome.reason.startswith("timed out: building took over 0.8 s, the class's time budget (1 attempts)")
    assert outcome.log[-1]["result"] == outcome.error
    # the patches of the build are gone: registration works as torch wrote it
    assert torch.nn.Module.__setattr__.__module__ == "torch.nn.modules.module"


def test_a_chain_of_failing_attempts_stops_at_the_budget_with_the_last_error(slow):
    outcome, seconds = _build(slow, "SlowAndPicky", budget=1.0)
    assert seconds < 2.0
    assert outcome.status == "failed"
    assert 2 <= outcome.attempts <= 4
    assert outcome.reason.startswith("timed out: building took over 0.8 s")
    assert "the last error: ValueError: width must be 7, got" in outcome.reason
    assert outcome.error.startswith("ValueError: width must be 7, got 64")


def test_the_runtime_report_calls_it_a_timeout(tmp_path):
    from conftest import run_cli

    (tmp_path / "pyproject.toml").write_text("[tool.torchlint.runtime]\ntimeout = 1.5\n")
    (tmp_path / "model.py").write_text((FIXTURES / "runtime" / "budget" / "slow_builds.py").read_text())
    result = run_cli("model.py", "--runtime", "--no-cache", "--exit-zero", "--runtime-report", "report.json",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    import json

    classes = {c["class"]: c for c in json.loads((tmp_path / "report.json").read_text())["classes"]}
    assert classes["PairBias"]["built"]
    forever = classes["WaitsForever"]
    assert not forever["built"] and forever["why"].startswith("build failed: timed out: building took over 1.2 s")
    assert forever["seconds"] < 1.5
