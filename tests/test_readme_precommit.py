"""The README's pre-commit set-up, run as written: a user's repository with this
checkout as the submodule `tools/torchlint` at the release tag, the README's
`[tool.torchlint]` and `.pre-commit-config.yaml` blocks copied verbatim, and a real
`git commit` refused for a buggy model.

This checkout (committed or not) is first snapshotted into a scratch repository
tagged as the README's `rev:` names (the real tag lives on the project's main branch).
Installing the hook's environment needs PyPI: without a network the test skips.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from gitrepo import commit_all, git, git_env, init_repo, write
from test_precommit import BUGGY_NET, FIXED_NET, INSTALL_TIMEOUT, NO_NETWORK, _checkout_files
from test_readme_ci import VENDORED, section

pytestmark = pytest.mark.precommit


def readme_block(language: str, must_contain: str) -> str:
    blocks = re.findall(rf"^```{language}\n(.*?)^```", section(), flags=re.MULTILINE | re.DOTALL)
    (block,) = [b for b in blocks if must_contain in b]
    return block


def test_the_readme_pre_commit_setup_as_written(tmp_path):
    pytest.importorskip("pre_commit", reason="pre-commit is a dev dependency: pip install -e '.[dev]'")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    config = readme_block("yaml", "repos:")
    rev = re.search(r"rev: (\S+)", config).group(1)

    snapshot = init_repo(tmp_path / "torchlint")
    for name in _checkout_files():
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, snapshot / name)
    commit_all(snapshot, "snapshot of the checkout under test")
    git(snapshot, "tag", "-a", rev, "-m", f"torchlint {rev}")

    env = git_env(PRE_COMMIT_HOME=str(tmp_path / "home"))
    user = init_repo(tmp_path / "user")
    # the README's commands, with this snapshot as "the URL you cloned torchlint from"
    for line in readme_block("sh", "git submodule add").strip().splitlines():
        argv = line.split()
        if argv[:3] == ["git", "submodule", "add"]:
            argv = ["git", "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(snapshot), VENDORED]
        elif argv[:2] == ["git", "add"]:
            argv = ["git", "add", VENDORED]
            subprocess.run(argv, cwd=user, env=env, check=True, capture_output=True)
            argv = ["git", "commit", "-q", "--no-verify", "-m", f"torchlint {rev}"]
        done = subprocess.run(argv, cwd=user, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (argv, done.stderr)
    assert git(user / VENDORED, "describe", "--tags").stdout.strip() == rev

    write(user, "pyproject.toml", "[project]\nname = 'demo'\n\n" + readme_block("toml", "extend-exclude"))
    write(user, ".pre-commit-config.yaml", config)
    write(user, "models/__init__.py", "")
    write(user, "models/base.py", "import torch.nn as nn\n\n\nclass Base(nn.Module):\n    pass\n")
    commit_all(user, "a project")

    try:
        installed = subprocess.run([sys.executable, "-m", "pre_commit", "install", "--install-hooks"], cwd=user,
                                   env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.skip("pre-commit could not install the hook's environment in time (no network?)")
    if installed.returncode != 0:
        output = installed.stdout + installed.stderr
        if NO_NETWORK.search(output):
            pytest.skip("pre-commit could not install the hook's environment from PyPI (no network?)")
        pytest.fail(output)

    write(user, "models/net.py", BUGGY_NET)
    git(user, "add", "models/net.py", env=env)
    refused = subprocess.run(["git", "commit", "-m", "net"], cwd=user, env=env, capture_output=True, text=True)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "models/net.py:9:9: TL001" in output and "tools/torchlint" not in output

    write(user, "models/net.py", FIXED_NET)
    git(user, "add", "models/net.py", env=env)
    accepted = subprocess.run(["git", "commit", "-m", "net"], cwd=user, env=env, capture_output=True, text=True)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr

    # the whole project, the submodule included, is clean with the README's exclude
    lint = subprocess.run([sys.executable, "-m", "torchlint", "."], cwd=user, capture_output=True, text=True,
                          env=dict(env, PYTHONPATH=str(ROOT)))
    assert (lint.returncode, lint.stdout) == (0, "All checks passed!\n"), lint.stdout + lint.stderr
