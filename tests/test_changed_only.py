"""``--changed-only`` and ``--diff-against REF`` in real git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from gitrepo import commit_all, git, init_repo, write

BASE = "import torch.nn as nn\n\n\nclass Base(nn.Module):\n    pass\n"
CLEAN_NET = (
    "import torch.nn as nn\n\nfrom models.base import Base\n\n\n"
    "class Net(Base):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n"
)
# `Net` is a Module only through `Base`, which lives in a file that is never changed.
BUGGY_NET = CLEAN_NET.replace("self.fc = nn.Linear(2, 2)", "self.table = torch.zeros(3)").replace(
    "import torch.nn as nn\n", "import torch\nimport torch.nn as nn\n"
)
BUGGY_STANDALONE = (
    "import torch\nimport torch.nn as nn\n\n\nclass Old(nn.Module):\n"
    "    def __init__(self):\n        super().__init__()\n        self.t = torch.ones(1)\n"
)


def findings(repo: Path, *args: str, cwd: Path | None = None) -> list[tuple[str, str]]:
    result = run_cli(*args, "--output-format", "json", cwd=cwd or repo)
    assert result.returncode in (0, 1), result.stderr.decode()
    return [(d["filename"], d["code"]) for d in json.loads(result.stdout)]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    write(repo, "pyproject.toml", "[tool.torchlint]\nextend-exclude = ['generated/']\n")
    write(repo, ".gitignore", "scratch/\n")
    write(repo, "models/__init__.py", "")
    write(repo, "models/base.py", BASE)
    write(repo, "models/net.py", CLEAN_NET)
    write(repo, "models/old.py", BUGGY_STANDALONE)  # a known finding nobody touches
    commit_all(repo, "initial")
    return repo


def test_nothing_changed_lints_nothing(repo):
    assert findings(repo, ".") == [("models/old.py", "TL001")]
    result = run_cli("--changed-only", cwd=repo)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode() == "All checks passed!\n"


def test_changed_file_is_linted_with_its_base_class_from_an_unchanged_file(repo):
    write(repo, "models/net.py", BUGGY_NET)  # unstaged
    assert findings(repo, "--changed-only") == [("models/net.py", "TL001")]
    git(repo, "add", "models/net.py")  # staged
    assert findings(repo, "--changed-only") == [("models/net.py", "TL001")]


def test_untracked_staged_ignored_excluded_deleted_and_non_python(repo):
    write(repo, "models/new_untracked.py", BUGGY_STANDALONE)
    write(repo, "models/new_staged.py", BUGGY_STANDALONE)
    git(repo, "add", "models/new_staged.py")
    write(repo, "scratch/ignored.py", BUGGY_STANDALONE)  # .gitignore
    write(repo, "generated/excluded.py", BUGGY_STANDALONE)  # extend-exclude
    write(repo, ".venv/lib/site.py", BUGGY_STANDALONE)  # default exclude
    write(repo, "notes.txt", "class Old(nn.Module): ...\n")
    write(repo, "models/stub.pyi", "class X: ...\n")
    (repo / "models" / "base.py").unlink()  # deleted: not linted, and no error
    result = run_cli("--changed-only", "--output-format", "json", cwd=repo)
    assert result.returncode == 1 and result.stderr == b""
    assert [(d["filename"], d["code"]) for d in json.loads(result.stdout)] == [
        ("models/new_staged.py", "TL001"),
        ("models/new_untracked.py", "TL001"),
    ]


def test_paths_restrict_the_changed_files_and_keep_their_spelling(repo):
    write(repo, "models/net.py", BUGGY_NET)
    write(repo, "tools/helper.py", BUGGY_STANDALONE)
    assert findings(repo, "--changed-only", "tools") == [("tools/helper.py", "TL001")]
    assert findings(repo, "--changed-only", "models/net.py") == [("models/net.py", "TL001")]
    assert findings(repo, "--changed-only", "models/old.py") == []  # named, but unchanged
    # run from a sub-directory: paths as seen from there
    assert findings(repo, "--changed-only", cwd=repo / "models") == [("net.py", "TL001")]


def test_diff_against_a_branch_counts_from_the_merge_base(repo):
    git(repo, "switch", "-q", "-c", "feature")
    write(repo, "models/net.py", BUGGY_NET)
    commit_all(repo, "feature work")
    git(repo, "switch", "-q", "main")
    # main moves on after the branch point: a diff against main's tip would list these
    write(repo, "models/later_on_main.py", BUGGY_STANDALONE)
    write(repo, "models/old.py", "# edited on main\n" + BUGGY_STANDALONE)
    commit_all(repo, "main moves on")
    git(repo, "switch", "-q", "feature")
    write(repo, "models/wip.py", BUGGY_STANDALONE)  # uncommitted work on top

    assert findings(repo, "--diff-against", "main") == [("models/net.py", "TL001"), ("models/wip.py", "TL001")]
    assert findings(repo, "--changed-only") == [("models/wip.py", "TL001")]  # the commit is not a change vs HEAD
    sha = git(repo, "rev-parse", "main~1").stdout.strip()
    assert findings(repo, "--diff-against", sha) == [("models/net.py", "TL001"), ("models/wip.py", "TL001")]


def test_a_repository_without_commits(tmp_path):
    repo = init_repo(tmp_path / "fresh")
    write(repo, "models/base.py", BASE)
    write(repo, "models/old.py", BUGGY_STANDALONE)
    git(repo, "add", "models/base.py")
    assert findings(repo, "--changed-only") == [("models/old.py", "TL001")]


def test_git_errors_are_usage_errors(repo, tmp_path):
    result = run_cli("--diff-against", "no-such-branch", cwd=repo)
    assert result.returncode == 2
    assert b"unknown git revision 'no-such-branch'" in result.stderr
    outside = tmp_path / "plain"
    write(outside, "pyproject.toml", "[project]\nname = 'x'\n")
    result = run_cli("--changed-only", cwd=outside)
    assert result.returncode == 2
    assert b"is not inside a git repository" in result.stderr and b"Traceback" not in result.stderr
    result = run_cli("--changed-only", "--diff-against", "main", cwd=repo)
    assert result.returncode == 2 and b"not allowed with" in result.stderr
    result = run_cli("--changed-only", "-", cwd=repo, stdin=b"x = 1\n")
    assert result.returncode == 2 and b"not standard input" in result.stderr


def test_missing_path_is_still_reported(repo):
    result = run_cli("--changed-only", "nope.py", cwd=repo)
    assert result.returncode == 2
    assert b"nope.py: no such file or directory" in result.stderr
