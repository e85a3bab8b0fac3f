"""The real pre-commit, installing this repository's hook, refusing a real ``git commit``.

pre-commit installs a hook from a git repository at a revision. So that the test
exercises the code in this checkout, committed or not, the fixture first snapshots
the checkout's files (what git tracks, plus new files it does not ignore) into a
scratch repository and commits them there; the user's repository then points
``repo:``/``rev:`` at that commit, exactly as a pre-commit user points at a release.

Installing the hook's environment (a virtualenv with torchlint, libcst and pathspec
from PyPI) happens once per module, in a private ``PRE_COMMIT_HOME``; when PyPI cannot
be reached the tests are skipped, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT
from gitrepo import commit_all, git, git_env, init_repo, write

pytestmark = pytest.mark.precommit

NO_NETWORK = re.compile(
    r"No matching distribution found|Could not find a version that satisfies|Temporary failure in name "
    r"resolution|Failed to establish a new connection|Network is unreachable|Name or service not known|"
    r"NewConnectionError|ConnectTimeout|Read timed out|ProxyError|Connection refused",
    re.IGNORECASE,
)
INSTALL_TIMEOUT = 900  # seconds; a cold install takes well under a minute with a network

BASE = "import torch.nn as nn\n\n\nclass Base(nn.Module):\n    pass\n"
OLD_BUGGY = (
    "import torch\nimport torch.nn as nn\n\n\nclass Old(nn.Module):\n"
    "    def __init__(self):\n        super().__init__()\n        self.t = torch.ones(1)\n"
)
# A Module only through `Base`, defined in a file that this commit does not touch.
BUGGY_NET = """\
import torch

from models.base import Base


class Net(Base):
    def __init__(self):
        super().__init__()
        self.table = torch.zeros(10)
"""
FIXED_NET = BUGGY_NET.replace("self.table = torch.zeros(10)", 'self.register_buffer("table", torch.zeros(10))')
NOQA_NET = BUGGY_NET.replace("torch.zeros(10)", "torch.zeros(10)  # noqa: TL001")


@dataclass
class HookSource:
    repo: Path
    rev: str
    home: Path

    def env(self) -> dict[str, str]:
        return git_env(PRE_COMMIT_HOME=str(self.home))

    def config(self) -> str:
        return f"repos:\n  - repo: {self.repo}\n    rev: {self.rev}\n    hooks:\n      - id: torchlint\n"


def _checkout_files() -> list[str]:
    """This checkout's files: tracked plus untracked-but-not-ignored; without git, the package."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, env=git_env(),
    )
    if listed.returncode == 0 and listed.stdout:
        return [name for name in listed.stdout.decode().split("\0") if name and (ROOT / name).is_file()]
    return [
        p.relative_to(ROOT).as_posix()
        for p in [ROOT / "pyproject.toml", ROOT / "README.md", ROOT / ".pre-commit-hooks.yaml", *ROOT.glob("torchlint/**/*.py")]
        if p.is_file()
    ]


def _pre_commit(cwd: Path, source: HookSource, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd, env=source.env(), capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="module")
def hook_source(tmp_path_factory) -> HookSource:
    pytest.importorskip("pre_commit", reason="pre-commit is a dev dependency: pip install -e '.[dev]'")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("precommit")
    snapshot = init_repo(base / "torchlint-snapshot")
    for name in _checkout_files():
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    assert (snapshot / ".pre-commit-hooks.yaml").is_file()
    source = HookSource(snapshot, commit_all(snapshot, "snapshot of the checkout under test"), base / "home")

    probe = init_repo(base / "install-probe")
    write(probe, ".pre-commit-config.yaml", source.config())
    try:
        done = _pre_commit(probe, source, "install-hooks", timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.skip(f"pre-commit could not install the hook's environment within {INSTALL_TIMEOUT}s (no network?)")
    if done.returncode != 0:
        output = done.stdout + done.stderr
        lines = [line.strip() for line in output.splitlines() if NO_NETWORK.search(line)]
        if lines:
            pytest.skip(f"pre-commit could not install the hook's environment from PyPI (no network?): {lines[-1]}")
        pytest.fail(f"pre-commit install-hooks failed:\n{output}")
    return source


@pytest.fixture
def user_repo(tmp_path, hook_source) -> Path:
    """A user's repository with the torchlint hook installed and a Module base class committed."""
    repo = init_repo(tmp_path / "user")
    write(repo, ".pre-commit-config.yaml", hook_source.config())
    write(repo, "models/__init__.py", "")
    write(repo, "models/base.py", BASE)
    write(repo, "models/old.py", OLD_BUGGY)  # an old finding in a file the test commits do not touch
    commit_all(repo, "initial (before the hook)")
    done = _pre_commit(repo, hook_source, "install")
    assert done.returncode == 0, done.stdout + done.stderr
    return repo


def commit(repo: Path, source: HookSource, relative: str, text: str) -> subprocess.CompletedProcess:
    write(repo, relative, text)
    git(repo, "add", relative, env=source.env())
    return subprocess.run(
        ["git", "commit", "-m", f"change {relative}"],
        cwd=repo, env=source.env(), capture_output=True, text=True, timeout=300,
    )


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def test_commit_with_a_bug_is_refused_and_the_fix_goes_in(user_repo, hook_source):
    before = head(user_repo)
    refused = commit(user_repo, hook_source, "models/net.py", BUGGY_NET)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert head(user_repo) == before
    assert re.search(r"^torchlint\.+Failed$", output, re.MULTILINE), output
    assert "- exit code: 1" in output
    # the finding, in full, although `Base` lives in a file the commit does not touch
    assert "models/net.py:9:9: TL001 `self.table` holds a plain tensor" in output
    assert "9 |         self.table = torch.zeros(10)" in output
    assert "  |         ^^^^^^^^^^ TL001" in output
    assert 'help: Register it: `self.register_buffer("table", ...)`' in output
    assert "Found 1 error in 1 file." in output
    assert "models/old.py" not in output  # pre-commit passed only the staged file

    accepted = commit(user_repo, hook_source, "models/net.py", FIXED_NET)
    output = accepted.stdout + accepted.stderr
    assert accepted.returncode == 0, output
    assert re.search(r"^torchlint\.+Passed$", output, re.MULTILINE), output
    assert head(user_repo) != before


def test_noqa_is_honoured(user_repo, hook_source):
    done = commit(user_repo, hook_source, "models/net.py", NOQA_NET)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert re.search(r"^torchlint\.+Passed$", output, re.MULTILINE), output


def test_only_python_files_are_passed(user_repo, hook_source):
    done = commit(user_repo, hook_source, "notes.txt", "self.table = torch.zeros(10)\n")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert re.search(r"^torchlint\.+\(no files to check\)Skipped$", output, re.MULTILINE), output
    done = commit(user_repo, hook_source, "models/stubs.pyi", "class Net: ...\n")
    assert re.search(r"^torchlint\.+\(no files to check\)Skipped$", done.stdout + done.stderr, re.MULTILINE)


def test_a_syntax_error_is_refused(user_repo, hook_source):
    done = commit(user_repo, hook_source, "models/broken.py", "class Net(nn.Module)\n    pass\n")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "models/broken.py:1:21: TL000 File not linted: syntax error" in output


def test_the_hook_environment_has_no_torch(hook_source):
    """The hook installed without torch, and the tests above ran in that environment."""
    site_packages = list(hook_source.home.glob("repo*/py_env-*/lib/python*/site-packages"))
    assert site_packages, f"no hook environment under {hook_source.home}"
    for directory in site_packages:
        assert (directory / "torchlint").is_dir() or list(directory.glob("torchlint*"))
        assert not (directory / "torch").exists(), f"torch was installed into {directory}"


TYPO_NET = """\
def freeze(model):
    for p in model.backbone.parameters():
        p.require_grad = False
"""


def test_fix_hook_fixes_the_file_and_the_restaged_commit_goes_in(tmp_path, hook_source):
    repo = init_repo(tmp_path / "fixing")
    config = hook_source.config().replace("      - id: torchlint\n", "      - id: torchlint-fix\n")
    write(repo, ".pre-commit-config.yaml", config)
    commit_all(repo, "initial")
    assert _pre_commit(repo, hook_source, "install").returncode == 0
    first = commit(repo, hook_source, "train.py", TYPO_NET)
    output = first.stdout + first.stderr
    assert first.returncode != 0, output  # pre-commit fails a commit whose files a hook modified
    assert re.search(r"^torchlint \(fix\)\.+Failed$", output, re.MULTILINE), output
    assert "files were modified by this hook" in output
    assert (repo / "train.py").read_text() == TYPO_NET.replace("require_grad", "requires_grad")
    git(repo, "add", "train.py", env=hook_source.env())
    second = subprocess.run(["git", "commit", "-m", "fixed"], cwd=repo, env=hook_source.env(),
                            capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
