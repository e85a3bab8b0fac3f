"""Paths on the command line -> the Python files to lint.

Directories are walked recursively for ``.py`` files and Jupyter notebooks
(``.ipynb``, unless ``notebooks = false``; stubs are not linted), skipping
the default excludes, the configured ``exclude``/``extend-exclude`` patterns and what
``.gitignore`` files ignore. A file named explicitly is always linted.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from torchlint.config import Settings, path_patterns, resolved

if TYPE_CHECKING:  # pragma: no cover
    import pathspec

DEFAULT_EXCLUDES = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "build", "dist", "__pycache__",
        "node_modules", "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".torchlint_cache", ".eggs", ".ipynb_checkpoints",  # Jupyter's autosaved copies of notebooks
    }
)


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    real_paths: dict[Path, Path] = field(default_factory=dict)  # file -> resolved, computed once


class _Ignores:
    """Configured excludes plus every ``.gitignore`` met on the way down."""

    def __init__(self, settings: Settings):
        self.root = settings.project_root
        patterns = list(settings.exclude or ()) + list(settings.extend_exclude)
        self.configured = path_patterns(patterns) if patterns else None
        self._gitignores: dict[Path, Optional[pathspec.PathSpec]] = {}
        self._dirs: dict[Path, list[Path]] = {}

    def _gitignore(self, directory: Path) -> Optional[pathspec.PathSpec]:
        if directory not in self._gitignores:
            spec = None
            try:
                lines = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                pass
            else:
                import pathspec  # only when there is a .gitignore to read

                spec = pathspec.GitIgnoreSpec.from_lines(lines)
            self._gitignores[directory] = spec
        return self._gitignores[directory]

    def ignored(self, path: Path, is_dir: bool) -> bool:
        suffix = "/" if is_dir else ""
        if self.configured is not None:
            try:
                relative = path.relative_to(self.root).as_posix()
            except ValueError:
                relative = path.as_posix()
            if self.configured.match_file(relative + suffix) or self.configured.match_file(path.name + suffix):
                return True
        for directory in self._gitignore_dirs(path):
            spec = self._gitignore(directory)
            if spec is not None and spec.match_file(path.relative_to(directory).as_posix() + suffix):
                return True
        return False

    def _gitignore_dirs(self, path: Path) -> list[Path]:
        """The directories whose .gitignore may apply to ``path`` (memoised per directory:
        a warm run's time is mostly spent here and in hashing)."""
        directory = path.parent
        if directory not in self._dirs:
            dirs = []
            for parent in [directory, *directory.parents]:
                dirs.append(parent)
                if (parent / ".git").exists() or parent == self.root:
                    break
            self._dirs[directory] = dirs
        return self._dirs[directory]


def _lintable(path: Path) -> bool:
    """Regular files (through symlinks). A named pipe or device called `x.py` would block
    or never end; a broken or looping symlink is kept, to be reported as unreadable."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


def lintable_name(name: str, settings: Settings) -> bool:
    """A file a directory walk lints: Python source, or a notebook when they are on."""
    return name.endswith(".py") or (settings.notebooks and name.endswith(".ipynb"))


def discover(paths: list[str], settings: Settings) -> Discovery:
    result = Discovery()
    ignores = _Ignores(settings)
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = resolved(path)
        if key not in seen:
            seen.add(key)
            result.files.append(path)
            result.real_paths[path] = key

    for raw in paths:
        path = Path(raw)
        if not os.path.lexists(path):
            result.missing.append(raw)
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                root_path = Path(root)
                dirs[:] = sorted(
                    d for d in dirs
                    if d not in DEFAULT_EXCLUDES and not ignores.ignored((root_path / d).absolute(), True)
                )
                for name in sorted(files):
                    if lintable_name(name, settings):
                        file_path = root_path / name
                        if _lintable(file_path) and not ignores.ignored(file_path.absolute(), False):
                            add(file_path)
        else:
            add(path)  # named explicitly: always linted
    result.files.sort(key=lambda p: p.as_posix())
    return result


def excluded(path: Path, settings: Settings) -> bool:
    """Would a run over the project root skip this file? (The default excludes, the
    configured patterns and ``.gitignore``, on the file and the directories above it up
    to the project root.) For front ends that are handed one file at a time, such as the
    language server, where the editor opens files a directory run would never lint."""
    ignores = _Ignores(settings)
    path = resolved(path)
    try:
        inside = path.relative_to(settings.project_root).parts
    except ValueError:
        return ignores.ignored(path, False)
    directories = [settings.project_root.joinpath(*inside[:depth]) for depth in range(1, len(inside))]
    if any(d.name in DEFAULT_EXCLUDES or ignores.ignored(d, True) for d in directories):
        return True
    return ignores.ignored(path, False)


def select_changed(changed: list[Path], paths: list[str], settings: Settings) -> list[str]:
    """The files of ``changed`` (absolute paths from git) that a run over ``paths``
    would lint: ``.py`` files (and notebooks) under a requested directory, not excluded by the default
    excludes, the configuration or ``.gitignore``; or a requested file itself. They are
    spelled as the user spelled the path they were found under. A requested path that
    does not exist is kept, so that the run reports it as missing."""
    ignores = _Ignores(settings)
    requested = [(raw, Path(raw).resolve()) for raw in paths]
    selected: list[str] = [raw for raw in paths if not os.path.lexists(raw)]
    for path in changed:
        path = path.resolve()
        if not path.is_file():
            continue
        for raw, root in requested:
            if path == root:
                selected.append(raw)  # named explicitly: always linted
                break
            if not (lintable_name(path.name, settings) and root.is_dir() and root in path.parents):
                continue
            inside = path.relative_to(root).parts
            directories = [root.joinpath(*inside[:depth]) for depth in range(1, len(inside))]
            if any(d.name in DEFAULT_EXCLUDES or ignores.ignored(d, True) for d in directories):
                continue
            if ignores.ignored(path, False):
                continue
            selected.append(str(Path(raw, *inside)))
            break
    return sorted(set(selected), key=lambda p: Path(p).as_posix())
