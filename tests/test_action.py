"""The composite GitHub Action (action.yml) as far as this machine can run it: its
`run:` steps, with the inputs substituted as GitHub does, run by bash as GitHub runs a
composite step (``bash --noprofile --norc -eo pipefail``), in a scratch project with
one buggy model. The install step really installs torchlint from the action's own
directory (this checkout) into a fresh virtualenv; `uses:` steps (the SARIF upload)
need GitHub and are only checked for what they are given.

The virtualenv sees the system's packages (libcst, pathspec, ...), but pip's isolated
build of torchlint fetches setuptools from PyPI: without a network the tests skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ROOT

yaml = pytest.importorskip("yaml", reason="PyYAML is a dev dependency: pip install -e '.[dev]'")

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONDITION = re.compile(r"^inputs\.([\w-]+) == '([^']*)'$")
NO_NETWORK = re.compile(
    r"No matching distribution found|Could not find a version that satisfies|Temporary failure in name "
    r"resolution|Failed to establish a new connection|Network is unreachable|NewConnectionError|ProxyError",
    re.IGNORECASE,
)

BUGGY = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = torch.zeros(10)
"""


@dataclass
class Run:
    steps: list[tuple[str, subprocess.CompletedProcess]] = field(default_factory=list)
    uploads: list[dict] = field(default_factory=list)  # the `with:` of each `uses:` step reached

    @property
    def failed(self) -> bool:
        return bool(self.steps) and self.steps[-1][1].returncode != 0

    def step(self, name: str) -> subprocess.CompletedProcess:
        return dict(self.steps)[name]


def _inputs(given: dict[str, str]) -> dict[str, str]:
    declared = ACTION["inputs"]
    unknown = set(given) - set(declared)
    assert not unknown, f"action.yml declares no input {sorted(unknown)}"
    return {name: str(given.get(name, spec.get("default", ""))) for name, spec in declared.items()}


def _substitute(text: str, inputs: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        expression = match.group(1)
        if expression == "github.action_path":
            return str(ROOT)
        assert expression.startswith("inputs."), f"the test does not know {expression!r}"
        return inputs[expression[len("inputs."):]]

    return EXPRESSION.sub(value, text)


def _condition(expression: str, inputs: dict[str, str]) -> bool:
    match = CONDITION.match(expression.strip())
    assert match, f"the test does not know the condition {expression!r}"
    return inputs[match.group(1)] == match.group(2)


def run_action(workspace: Path, bin_dir: Path, **given: str) -> Run:
    """Every step in order, as a runner would; the job stops at the first failing step."""
    inputs = _inputs({k.replace("_", "-"): v for k, v in given.items()})
    run = Run()
    assert ACTION["runs"]["using"] == "composite"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", GITHUB_ACTION_PATH=str(ROOT), GITHUB_ACTIONS="true")
    for index, step in enumerate(ACTION["runs"]["steps"]):
        if "if" in step and not _condition(step["if"], inputs):
            continue
        if "uses" in step:
            run.uploads.append({k: _substitute(str(v), inputs) for k, v in step.get("with", {}).items()})
            continue
        assert step["shell"] == "bash"
        script = workspace.parent / f"step{index}.sh"
        script.write_text(_substitute(step["run"], inputs), encoding="utf-8")
        step_env = dict(env, **{k: _substitute(str(v), inputs) for k, v in step.get("env", {}).items()})
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=workspace, env=step_env, capture_output=True, text=True, timeout=900)
        run.steps.append((step["name"], done))
        if done.returncode != 0:
            break
    return run


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory) -> Path:
    """A fresh virtualenv into which the action's install step installs torchlint."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    home = tmp_path_factory.mktemp("action-venv") / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(home)
    return home / ("Scripts" if sys.platform == "win32" else "bin")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    (root / "models").mkdir(parents=True)
    (root / "models" / "net.py").write_text(BUGGY)
    (root / "models" / "ok.py").write_text("import torch.nn as nn\n")
    return root


def _skip_without_network(run: Run) -> None:
    name, done = run.steps[0]
    if done.returncode != 0 and NO_NETWORK.search(done.stdout + done.stderr):
        pytest.skip(f"pip could not build torchlint without a network: {name}")


def test_the_action_installs_lints_and_fails_the_job_on_findings(workspace, bin_dir):
    run = run_action(workspace, bin_dir)
    _skip_without_network(run)
    assert [name for name, _ in run.steps] == ["Install torchlint", "torchlint"]
    assert run.step("Install torchlint").returncode == 0, run.step("Install torchlint").stderr
    gate = run.step("torchlint")
    assert gate.returncode == 1 and run.failed
    lines = gate.stdout.splitlines()
    assert lines[0].startswith("::error file=models/net.py,line=8,col=9,endLine=8,endColumn=19,title=TL001 (unregistered-tensor)::")
    assert lines[-1] == "Found 1 error in 1 file."
    assert gate.stderr == ""
    assert run.uploads == []  # no SARIF unless asked
    # the torchlint that ran is the one installed from the action's directory, in the venv
    where = subprocess.run([str(bin_dir / "python"), "-c", "import torchlint; print(torchlint.__file__)"],
                           capture_output=True, text=True, env={"PATH": os.environ["PATH"]}, cwd=workspace)
    assert where.stdout.strip().startswith(str(bin_dir.parent))


def test_the_action_inputs(workspace, bin_dir):
    (workspace / "models" / "lists.py").write_text(
        "import torch.nn as nn\n\n\nclass Stack(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.layers = [nn.Linear(2, 2)]\n"
    )
    run = run_action(workspace, bin_dir, paths="models/lists.py models/net.py", select="TL007",
                     output_format="concise", fail_on_findings="false", sarif="true", sarif_file="out/tl.sarif")
    _skip_without_network(run)
    assert not run.failed, run.steps[-1][1].stderr
    assert [name for name, _ in run.steps] == ["Install torchlint", "torchlint report for code scanning", "torchlint"]
    gate = run.step("torchlint")
    assert gate.stdout.splitlines()[0].startswith("models/lists.py:7:9: TL007 ")
    assert "TL001" not in gate.stdout  # --select reached torchlint
    sarif = json.loads((workspace / "out" / "tl.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["TL007"]
    assert run.uploads == [{"sarif_file": "out/tl.sarif", "category": "torchlint"}]


def test_a_clean_project_passes(workspace, bin_dir):
    (workspace / "models" / "net.py").unlink()
    run = run_action(workspace, bin_dir)
    _skip_without_network(run)
    assert not run.failed
    assert run.step("torchlint").stdout == "All checks passed!\n"


def test_the_upload_step_is_the_real_codeql_action():
    (upload,) = [step for step in ACTION["runs"]["steps"] if "uses" in step]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["if"] == "inputs.sarif == 'true'"
    documented = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ACTION["inputs"]:
        assert f"`{name}`" in documented, f"the README does not document the action's input {name!r}"
