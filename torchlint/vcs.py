"""Git: the repository root, and the files changed relative to a ref.

``--changed-only`` and ``--diff-against REF`` lint only what git reports as changed;
everything else (the class index, configuration) still sees the whole project.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Optional


class GitError(Exception):
    """git is missing, the directory is not a repository, or the ref is unknown."""


def repository_root(start: Path) -> Optional[Path]:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory, or a
    file in worktrees and submodules); no subprocess."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate in [directory, *directory.parents]:
        if (candidate / ".git").exists():
            return candidate
    return None


def _git(cwd: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (needed by --changed-only / --diff-against)") from None
    except OSError as error:
        raise GitError(f"cannot run git: {error}") from None
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise GitError(f"`git {' '.join(args)}`: {message}")
    return done.stdout


def _names(output: str) -> list[str]:
    return [name for name in output.split("\0") if name]


def changed_files(ref: str, cwd: Path) -> list[Path]:
    """Absolute paths of the files that differ from ``ref`` in the work tree.

    Changes are counted from the merge base of ``ref`` and ``HEAD`` (what a pull
    request changes, even when ``ref`` moved on since the branch started), and include
    staged, unstaged and untracked files; deleted files are left out. A repository
    without commits yet compares against nothing: every file is changed.
    """
    try:
        top = Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
    except GitError:
        raise GitError(f"{cwd} is not inside a git repository") from None
    untracked = _names(_git(top, "ls-files", "--others", "--exclude-standard", "-z"))
    if not _resolves(top, "HEAD") and ref == "HEAD":
        tracked = _names(_git(top, "ls-files", "--cached", "-z"))
    else:
        if not _resolves(top, ref):
            raise GitError(f"unknown git revision {ref!r}")
        try:
            base = _git(top, "merge-base", ref, "HEAD").strip()
        except GitError:  # unrelated histories: compare with the ref itself
            base = ref
        tracked = _names(_git(top, "diff", "--name-only", "--no-renames", "--diff-filter=d", "-z", base, "--"))
    return sorted({(top / name) for name in tracked + untracked})


def _resolves(top: Path, ref: str) -> bool:
    try:
        _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        return False
    return True
