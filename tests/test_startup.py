"""Start-up: a run imports what it needs and nothing else (pre-commit and editors wait on
every import). Each case runs torchlint in a fresh process and lists the modules loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import ROOT

MODEL = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = torch.zeros(10)
    """
)

# Heavy modules that a plain lint never needs: torch and numpy (the runtime checker's),
# the progress bar, gitignore matching, process pools, and the output formats not asked for.
NOT_NEEDED = [
    "torch", "numpy", "tqdm", "pathspec", "multiprocessing", "concurrent.futures", "asyncio", "logging",
    "xml.etree", "torchlint.runtime", "torchlint.report.junit", "torchlint.report.sarif",
    "torchlint.report.gitlab", "torchlint.report.github", "torchlint.report.json_format",
]

_PROBE = """
import json, sys
from torchlint.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""


def loaded(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    report = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(ROOT)
    subprocess.run([sys.executable, "-c", _PROBE, str(report), *args], cwd=tmp_path, env=env,
                   capture_output=True, check=True)
    answer = json.loads(report.read_text())
    return answer["code"], set(answer["modules"])


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (root / "net.py").write_text(MODEL)
    return root


def test_a_plain_lint_of_a_file_loads_no_heavy_module(tmp_path):
    root = project(tmp_path)
    code, modules = loaded(root, "--no-cache", "net.py")
    assert code == 1  # the TL001 was found: the lint really ran
    assert "libcst" in modules and "torchlint.report.full" in modules
    assert sorted(m for m in NOT_NEEDED if m in modules) == []


def test_a_cached_run_in_another_format_loads_only_that_format(tmp_path):
    root = project(tmp_path)
    loaded(root, "net.py")  # fills the cache
    code, modules = loaded(root, "--output-format", "json-lines", "net.py")
    assert code == 1
    assert "torchlint.report.json_lines" in modules
    assert "torchlint.report.full" not in modules
    # answered from the cache: neither the rules nor libcst are needed
    assert "libcst" not in modules and "torchlint.rules" not in modules
    assert sorted(m for m in NOT_NEEDED if m in modules) == []


def test_patterns_load_pathspec_when_the_project_has_them(tmp_path):
    root = project(tmp_path)
    (root / "pyproject.toml").write_text("[tool.torchlint]\nper-file-ignores = { 'tests/*' = ['TL001'] }\n")
    code, modules = loaded(root, "--no-cache", "net.py")
    assert code == 1 and "pathspec" in modules


# What a run without a cache, in a project without a pyproject.toml, does not need either:
# OpenSSL's hash module (hashlib loads it; blake2b is hashlib's own), pickle (the facts
# store), tomllib (the configuration), traceback and difflib (an internal error, --diff)
# and the notebook reader.
NOT_NEEDED_WITHOUT_CACHE_OR_CONFIG = ["_hashlib", "pickle", "tomllib", "traceback", "difflib",
                                      "torchlint.notebooks.cells", "torchlint.notebooks.document"]


def test_a_lint_without_cache_or_configuration_loads_less(tmp_path):
    root = tmp_path / "bare"
    root.mkdir()
    (root / "net.py").write_text(MODEL)
    code, modules = loaded(root, "--no-cache", "net.py")
    assert code == 1  # the TL001 was found: the lint really ran
    assert sorted(m for m in NOT_NEEDED + NOT_NEEDED_WITHOUT_CACHE_OR_CONFIG if m in modules) == []


def test_a_notebook_loads_the_notebook_reader(tmp_path):
    root = tmp_path / "bare"
    root.mkdir()
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": MODEL.splitlines(keepends=True)}]
    (root / "net.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    code, modules = loaded(root, "--no-cache", "net.ipynb")
    assert code == 1 and "torchlint.notebooks.cells" in modules
