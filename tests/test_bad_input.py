"""Bad and unusual input: each file gives a TL000 or a correct result, the run goes on
with the other files, and there is never a traceback (tests/test_cli.py covers syntax
errors, null bytes, undeclared Latin-1 bytes, bad encoding declarations, BOM + CRLF and
a directory named like a file; these extend them)."""

from __future__ import annotations

import json
import os
import sys
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


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = torch.zeros(10)
    """
)
CHAIN = "        self.y = {}\n"  # appended inside Net.__init__


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "good.py").write_text(BUGGY)
    return tmp_path


def lint(project: Path, *args: str) -> tuple[int, dict[str, list[tuple]], str]:
    """Exit code, findings by file name (code, row, column, message), stderr."""
    result = run_cli(".", "--output-format", "json", "--no-cache", *args, cwd=project)
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr, stderr
    found: dict[str, list[tuple]] = {}
    for d in json.loads(result.stdout):
        found.setdefault(d["filename"], []).append((d["code"], d["location"]["row"], d["location"]["column"], d["message"]))
    assert [c[:3] for c in found.pop("good.py")] == [("TL001", 8, 9)], "the run must go on with the other files"
    return result.returncode, found, stderr


def codes(found, name):
    return [entry[:3] for entry in found.get(name, [])]


# -- text encodings and layout ---------------------------------------------------------------


def test_mixed_and_old_mac_line_endings(project):
    lines = BUGGY.splitlines(keepends=True)
    (project / "mixed.py").write_bytes("".join(l.replace("\n", "\r\n") if i % 2 else l for i, l in enumerate(lines)).encode())
    (project / "cr.py").write_bytes(BUGGY.replace("\n", "\r").encode())
    code, found, _ = lint(project)
    assert code == 1
    assert codes(found, "mixed.py") == [("TL001", 8, 9)]
    assert codes(found, "cr.py") == [("TL001", 8, 9)]


def test_tab_indentation(project):
    (project / "tabs.py").write_text(BUGGY.replace("    ", "\t"))
    _, found, _ = lint(project)
    assert codes(found, "tabs.py") == [("TL001", 8, 3)]


def test_bom_with_a_conflicting_encoding_declaration(project):
    (project / "bom.py").write_bytes(b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nx = 1\n")
    _, found, _ = lint(project)
    assert [c[0] for c in codes(found, "bom.py")] == ["TL000"]
    assert "encoding" in found["bom.py"][0][3]


def test_a_10_mb_file(project):
    rows = ",\n".join(f"    ({i}, {i * 0.5}, 'row {i}')" for i in range(280_000))
    (project / "big.py").write_text(f"TABLE = [\n{rows}\n]\n")
    assert (project / "big.py").stat().st_size > 10_000_000
    code, found, _ = lint(project)
    assert code == 1 and "big.py" not in found


# -- nesting ------------------------------------------------------------------------------------


def test_1000_deep_nested_expressions(project):
    (project / "parens.py").write_text(BUGGY + CHAIN.format("(" * 1000 + "1" + ")" * 1000))
    (project / "lists.py").write_text(BUGGY + CHAIN.format("[" * 1000 + "]" * 1000))
    (project / "chain.py").write_text(BUGGY + CHAIN.format(" + ".join(["torch.ones(1)"] * 1000)))
    (project / "longest.py").write_text(BUGGY + CHAIN.format(" + ".join(["1"] * 50_000)))
    code, found, stderr = lint(project)
    assert code == 1 and stderr == ""
    # Python itself refuses these (more than 200 nested parentheses; too deep to compile)
    for name in ("parens.py", "lists.py", "longest.py"):
        assert [c[0] for c in codes(found, name)] == ["TL000"], name
    assert "nested parentheses" in found["parens.py"][0][3]
    assert "nested too deeply" in found["longest.py"][0][3]
    # a 1,000-term chain is ordinary Python: analysed like any other code
    assert codes(found, "chain.py") == [("TL001", 8, 9), ("TL001", 9, 9)]


# -- the file system ----------------------------------------------------------------------------


def test_symlink_loops(project):
    os.symlink("loop_b.py", project / "loop_a.py")
    os.symlink("loop_a.py", project / "loop_b.py")
    os.symlink(".", project / "again")  # a directory loop: not followed
    code, found, _ = lint(project)
    assert code == 1
    assert sorted(found) == ["loop_a.py", "loop_b.py"]
    assert all(c[0] == "TL000" and "symbolic links" in c[3] for name in found for c in found[name])


def test_a_named_pipe_called_x_py_is_skipped_not_waited_on(project):
    os.mkfifo(project / "pipe.py")
    code, found, _ = lint(project)
    assert code == 1 and found == {}


def test_unreadable_file(project):
    path = project / "secret.py"
    path.write_text(BUGGY)
    path.chmod(0)
    try:
        with open(path, "rb"):
            readable = True
    except PermissionError:
        readable = False
    if readable:
        path.chmod(0o644)
        pytest.skip("running as root: permissions do not stop reading")
    try:
        code, found, _ = lint(project)
    finally:
        path.chmod(0o644)
    assert [c[0] for c in codes(found, "secret.py")] == ["TL000"]
    assert "permission" in found["secret.py"][0][3].lower()


@pytest.mark.parametrize("cache", [False, True])
def test_a_file_that_vanishes_between_discovery_and_reading(project, monkeypatch, cache):
    (project / "gone.py").write_text(BUGGY)
    discover = engine.discover

    def discover_then_delete(paths, settings):
        found = discover(paths, settings)
        (project / "gone.py").unlink()
        return found

    monkeypatch.setattr(engine, "discover", discover_then_delete)
    result = engine.run([str(project)], load_settings(project), jobs=1,
                        cache_dir=project / ".cache" if cache else None)
    assert [(Path(d.path).name, d.code) for d in result.diagnostics] == [("gone.py", "TL000"), ("good.py", "TL001")]
    assert "vanished" in result.diagnostics[0].message and not result.internal_errors


def test_a_directory_named_x_py_on_the_command_line(project):
    (project / "pkg.py").mkdir()
    (project / "pkg.py" / "inner.py").write_text(BUGGY)
    result = run_cli("pkg.py", "good.py", "--output-format", "concise", "--no-cache", cwd=project)
    assert result.returncode == 1 and result.stderr == b""
    findings = [line for line in result.stdout.decode().splitlines() if ": TL" in line]
    assert [line.split(":")[0] for line in findings] == ["good.py", "pkg.py/inner.py"]


# -- syntax newer than the running Python ------------------------------------------------------

PY312 = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn

    type Shape = tuple[int, ...]


    class Box[T](nn.Module):
        def __init__(self, name: str):
            super().__init__()
            self.label = f"{name + "!"}"
            self.table = torch.zeros(10)

        def first[U](self, items: list[U]) -> U:
            return items[0]
    """
)


def test_python_312_syntax_is_analysed(project):
    (project / "new.py").write_text(PY312)
    code, found, _ = lint(project)
    assert codes(found, "new.py") == [("TL001", 11, 9)]


def test_a_base_class_in_a_python_312_file(project):
    (project / "base.py").write_text(PY312)
    (project / "sub.py").write_text(
        "import torch\nfrom base import Box\n\n\nclass Sub(Box):\n    def __init__(self):\n"
        "        super().__init__('x')\n        self.other = torch.ones(2)\n"
    )
    _, found, _ = lint(project)
    assert codes(found, "sub.py") == [("TL001", 8, 9)]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="only meaningful where `ast` rejects 3.12 syntax")
def test_the_running_ast_really_rejects_it():
    import ast

    with pytest.raises(SyntaxError):
        ast.parse(PY312)
