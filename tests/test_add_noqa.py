"""``torchlint --add-noqa``: a ``# noqa`` comment on the line of every current finding,
so the gate passes today and the findings are fixed over time. Run as a user runs it."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli

MODEL = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn


    class Encoder(nn.Module):
        def __init__(self, dim, n):
            super().__init__()
            self.scale = torch.ones(dim)  # learned later
            self.blocks = [nn.Linear(dim, dim) for _ in range(n)]   # noqa: E501
            self.pe = torch.zeros(
                n, dim
            )
            self.mask = torch.ones(n) # noqa:E501,W291 wide line
            self.table = torch.zeros(n)  # NOQA: TL004
    """
)
EXPECTED = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn


    class Encoder(nn.Module):
        def __init__(self, dim, n):
            super().__init__()
            self.scale = torch.ones(dim)  # learned later  # noqa: TL001
            self.blocks = [nn.Linear(dim, dim) for _ in range(n)]   # noqa: E501, TL007
            self.pe = torch.zeros(  # noqa: TL001
                n, dim
            )
            self.mask = torch.ones(n) # noqa:E501,W291,TL001 wide line
            self.table = torch.zeros(n)  # NOQA: TL004, TL001
    """
)
SECOND = textwrap.dedent(
    """\
    import torch.nn as nn


    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = [nn.Linear(2, 2), nn.Linear(2, 2)]
            self.heads_again = [nn.Linear(2, 2)]  # noqa
    """
)
BROKEN = b"class Broken(nn.Module)\n    def __init__(self):\n        self.t = torch.ones(1)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "encoder.py").write_text(MODEL)
    (tmp_path / "models" / "head.py").write_text(SECOND)
    return tmp_path


def test_add_noqa_writes_merges_counts_and_the_gate_then_passes(project):
    before = run_cli("models", cwd=project)
    assert before.returncode == 1 and b"Found 6 errors in 2 files." in before.stdout

    added = run_cli("models", "--add-noqa", cwd=project)
    assert (added.returncode, added.stderr) == (0, b"")
    assert added.stdout.decode() == "Added 6 noqa directives to 2 files.\n"
    assert (project / "models" / "encoder.py").read_text() == EXPECTED
    head = (project / "models" / "head.py").read_text()
    assert head == SECOND.replace("nn.Linear(2, 2)]\n", "nn.Linear(2, 2)]  # noqa: TL007\n", 1)
    ast.parse(head) and ast.parse(EXPECTED)

    again = run_cli("models", "--add-noqa", cwd=project)
    assert (again.returncode, again.stdout, again.stderr) == (0, b"No noqa directive added.\n", b"")
    assert (project / "models" / "encoder.py").read_text() == EXPECTED

    gate = run_cli("models", cwd=project)
    assert (gate.returncode, gate.stdout) == (0, b"All checks passed!\n")


def test_files_that_do_not_parse_are_left_untouched(project):
    (project / "models" / "broken.py").write_bytes(BROKEN)
    result = run_cli("models", "--add-noqa", cwd=project)
    assert result.returncode == 1  # the gate would still fail: TL000 cannot be suppressed
    assert result.stdout.decode() == (
        "Added 6 noqa directives to 2 files.\n"
        "1 file not linted (TL000, cannot be suppressed) left untouched: models/broken.py\n"
    )
    assert (project / "models" / "broken.py").read_bytes() == BROKEN


def test_encoding_bom_and_line_endings_are_kept(project):
    latin = "# -*- coding: latin-1 -*-\n# café\n" + MODEL
    (project / "models" / "encoder.py").write_bytes(latin.replace("\n", "\r\n").encode("latin-1"))
    (project / "models" / "head.py").write_bytes(b"\xef\xbb\xbf" + SECOND.encode())
    result = run_cli("models", "--add-noqa", cwd=project)
    assert result.returncode == 0, result.stderr
    expected = ("# -*- coding: latin-1 -*-\n# café\n" + EXPECTED).replace("\n", "\r\n").encode("latin-1")
    assert (project / "models" / "encoder.py").read_bytes() == expected
    head = (project / "models" / "head.py").read_bytes()
    assert head.startswith(b"\xef\xbb\xbf") and head.count(b"# noqa: TL007") == 1
    assert run_cli("models", cwd=project).returncode == 0


def test_a_line_that_cannot_take_a_comment_is_reported_not_broken(project):
    source = textwrap.dedent(
        '''\
        import torch
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.a = torch.ones(1) if n else \\
                    torch.zeros(1)
                self.b = torch.zeros(len("""two
        lines"""))
                self.c = torch.ones(2)
        '''
    )
    (project / "models" / "net.py").write_text(source)
    result = run_cli("models/net.py", "--add-noqa", cwd=project)
    assert result.returncode == 1
    assert result.stdout.decode() == "Added 1 noqa directive to 1 file.\n"
    assert result.stderr.decode().splitlines() == [
        "torchlint: error: models/net.py:8: no noqa comment for TL001: the line ends with a backslash continuation, "
        "which cannot take a comment; split the line, then run --add-noqa again",
        "torchlint: error: models/net.py:10: no noqa comment for TL001: the line ends inside a string, which cannot "
        "take a comment; split the line, then run --add-noqa again",
    ]
    text = (project / "models" / "net.py").read_text()
    assert text == source.replace("torch.ones(2)\n", "torch.ones(2)  # noqa: TL001\n")
    ast.parse(text)


@pytest.mark.parametrize("other", [["--fix"], ["--diff"], ["-"]])
def test_add_noqa_is_not_combined_with_fixes_or_stdin(project, other):
    result = run_cli(*other, "models", "--add-noqa", cwd=project, stdin=b"")
    assert result.returncode == 2 and result.stdout == b""
    assert b"--add-noqa writes comments into the linted files: not with --fix, --diff or standard input" in result.stderr
    assert (project / "models" / "encoder.py").read_text() == MODEL


def test_add_noqa_respects_the_selection(project):
    result = run_cli("models", "--add-noqa", "--select", "TL007", cwd=project)
    assert result.stdout.decode() == "Added 2 noqa directives to 2 files.\n"
    text = (project / "models" / "encoder.py").read_text()
    assert "# noqa: E501, TL007" in text and "TL001" not in text
