"""torchlint as a user runs it: a subprocess, its exit code, stdout and stderr."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli

BUGGY = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = torch.zeros(10)
            self.layers = [nn.Linear(2, 2)]
    """
)
CLEAN = "import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.py").write_text(BUGGY)
    (tmp_path / "models" / "ok.py").write_text(CLEAN)
    return tmp_path


def out(result) -> str:
    return result.stdout.decode()


def test_full_text_output_and_exit_code(project):
    result = run_cli("models", cwd=project)
    assert result.returncode == 1
    text = out(result)
    assert "models/net.py:8:9: TL001 `self.table` holds a plain tensor" in text
    assert "8 |         self.table = torch.zeros(10)" in text
    assert "  |         ^^^^^^^^^^ TL001" in text
    assert '= help: Register it: `self.register_buffer("table", ...)`' in text
    assert "models/net.py:9:9: TL007" in text
    assert text.rstrip().endswith("Found 2 errors in 1 file.")
    assert result.stderr == b""


def test_clean_run(project):
    result = run_cli("models/ok.py", cwd=project)
    assert result.returncode == 0
    assert out(result) == "All checks passed!\n"


def test_concise_and_quiet(project):
    result = run_cli("models", "--output-format", "concise", "-q", cwd=project)
    assert out(result).splitlines() == [
        "models/net.py:8:9: TL001 `self.table` holds a plain tensor, not a parameter or buffer: it is missing from "
        "`parameters()` and `state_dict()`, is never trained or saved, and is not moved by `.to(device)`",
        "models/net.py:9:9: TL007 `self.layers` keeps submodules in a plain list: their parameters are invisible to "
        "`parameters()`, the optimizer, `state_dict()` and `.to(device)`",
    ]


def test_json_shape(project):
    result = run_cli("models", "--output-format", "json", cwd=project)
    assert result.returncode == 1
    data = json.loads(out(result))
    assert [d["code"] for d in data] == ["TL001", "TL007"]
    first = data[0]
    assert first["filename"] == "models/net.py"
    assert first["location"] == {"row": 8, "column": 9}
    assert first["end_location"] == {"row": 8, "column": 19}
    assert first["noqa_row"] == 8
    assert first["fix"] == {
        "applicability": "safe",
        "message": "Register it as a non-persistent buffer (moved by `.to()`, kept out of checkpoints)",
        "edits": [{
            "content": 'self.register_buffer("table", torch.zeros(10), persistent=False)',
            "location": {"row": 8, "column": 9},
            "end_location": {"row": 8, "column": 37},
        }],
    }
    assert first["origin"] == "static" and first["runtime"] is None
    assert first["url"] is None  # no `docs-url`: torchlint links nowhere rather than somewhere untrue
    assert first["name"] == "unregistered-tensor"
    assert set(first) >= {"code", "message", "filename", "location", "end_location", "fix", "url", "noqa_row", "origin", "runtime"}


def test_exit_zero_and_statistics(project):
    result = run_cli("models", "--exit-zero", "--statistics", cwd=project)
    assert result.returncode == 0
    assert out(result).splitlines() == ["1\tTL001\tunregistered-tensor", "1\tTL007\tmodule-in-plain-container"]


def test_select_ignore_extend_select(project):
    assert [d["code"] for d in json.loads(out(run_cli("models", "--output-format", "json", "--select", "TL007", cwd=project)))] == ["TL007"]
    assert [d["code"] for d in json.loads(out(run_cli("models", "--output-format", "json", "--ignore", "TL007", cwd=project)))] == ["TL001"]
    result = run_cli("models", "--output-format", "json", "--select", "TL001", "--extend-select", "TL007", cwd=project)
    assert [d["code"] for d in json.loads(out(result))] == ["TL001", "TL007"]


def test_unknown_code_is_a_usage_error(project):
    result = run_cli("models", "--select", "TL999", cwd=project)
    assert result.returncode == 2
    assert b"unknown rule code or prefix 'TL999'" in result.stderr


def test_version_and_no_cache(project):
    result = run_cli("--version")
    assert result.returncode == 0 and out(result).startswith("torchlint ")
    assert run_cli("models", "--no-cache", cwd=project).returncode == 1


def test_python_dash_m_and_console_script_agree(project):
    import subprocess
    import sys

    scripts = Path(sys.executable).parent
    script = scripts / "torchlint"
    if not script.exists():
        pytest.skip("console script not installed in this environment")
    via_script = subprocess.run([str(script), "models", "--output-format", "concise"], cwd=project, capture_output=True)
    assert via_script.stdout == run_cli("models", "--output-format", "concise", cwd=project).stdout


# -- configuration ----------------------------------------------------------------------------


def test_pyproject_configuration(project):
    (project / "pyproject.toml").write_text(
        "[tool.torchlint]\n"
        'ignore = ["TL007"]\n'
        'per-file-ignores = {"models/legacy_*.py" = ["TL001"]}\n'
        'extend-exclude = ["generated"]\n'
    )
    (project / "models" / "legacy_net.py").write_text(BUGGY)
    (project / "generated").mkdir()
    (project / "generated" / "net.py").write_text(BUGGY)
    result = run_cli(".", "--output-format", "json", cwd=project)
    data = json.loads(out(result))
    assert [(d["filename"], d["code"]) for d in data] == [("models/net.py", "TL001")]
    # a file named explicitly is linted even when excluded
    result = run_cli("generated/net.py", "--output-format", "json", cwd=project)
    assert [d["code"] for d in json.loads(out(result))] == ["TL001"]
    # the command line overrides the file
    result = run_cli(".", "--output-format", "json", "--select", "TL007", cwd=project)
    assert sorted(d["filename"] for d in json.loads(out(result))) == ["models/legacy_net.py", "models/net.py"]


def test_unknown_config_key_is_an_error(project):
    (project / "pyproject.toml").write_text("[tool.torchlint]\nselekt = ['TL001']\n")
    result = run_cli("models", cwd=project)
    assert result.returncode == 2
    assert b"unknown key 'selekt'" in result.stderr


def test_unknown_code_in_config_is_an_error(project):
    (project / "pyproject.toml").write_text("[tool.torchlint]\nignore = ['XYZ1']\n")
    result = run_cli("models", cwd=project)
    assert result.returncode == 2
    assert b"'XYZ1'" in result.stderr


# -- noqa ----------------------------------------------------------------------------------------


def test_noqa_forms(project):
    source = BUGGY.replace("torch.zeros(10)", "torch.zeros(10)  # noqa: TL001").replace(
        "[nn.Linear(2, 2)]", "[nn.Linear(2, 2)]  # noqa: TL008"
    )
    (project / "models" / "net.py").write_text(source)
    assert [d["code"] for d in json.loads(out(run_cli("models", "--output-format", "json", cwd=project)))] == ["TL007"]
    (project / "models" / "net.py").write_text(BUGGY.replace("[nn.Linear(2, 2)]", "[nn.Linear(2, 2)]  # noqa"))
    assert [d["code"] for d in json.loads(out(run_cli("models", "--output-format", "json", cwd=project)))] == ["TL001"]
    (project / "models" / "net.py").write_text("# torchlint: noqa\n" + BUGGY)
    assert run_cli("models", cwd=project).returncode == 0
    (project / "models" / "net.py").write_text("# torchlint: noqa: TL007\n" + BUGGY)
    assert [d["code"] for d in json.loads(out(run_cli("models", "--output-format", "json", cwd=project)))] == ["TL001"]


def test_tl000_cannot_be_suppressed(project):
    (project / "models" / "broken.py").write_text("# torchlint: noqa\nclass Net(nn.Module)  # noqa\n    pass\n")
    data = json.loads(out(run_cli("models/broken.py", "--output-format", "json", "--ignore", "TL000", cwd=project)))
    assert [d["code"] for d in data] == ["TL000"]


# -- discovery -----------------------------------------------------------------------------------


def test_gitignore_default_excludes_and_stubs(project):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("ignored/\n*_gen.py\n")
    for relative in ("ignored/net.py", "models/x_gen.py", ".venv/lib/net.py", "build/net.py", "models/net.pyi"):
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BUGGY)
    data = json.loads(out(run_cli(".", "--output-format", "json", cwd=project)))
    assert sorted({d["filename"] for d in data}) == ["models/net.py"]


def test_output_order_is_deterministic(project):
    for name in ("b.py", "a.py", "c.py"):
        (project / "models" / name).write_text(BUGGY)
    first = out(run_cli("models", "--output-format", "concise", cwd=project))
    for _ in range(2):
        assert out(run_cli("models", "--output-format", "concise", cwd=project)) == first
    files = [line.split(":")[0] for line in first.splitlines() if line.startswith("models/")]
    assert len(files) == 8 and files == sorted(files)


def test_parallel_equals_serial(project):
    for index in range(40):
        (project / "models" / f"m{index:02d}.py").write_text(BUGGY if index % 3 else CLEAN)
    serial = out(run_cli("models", "--output-format", "json", "--jobs", "1", cwd=project))
    parallel = out(run_cli("models", "--output-format", "json", "--jobs", "2", cwd=project))
    assert serial == parallel and len(json.loads(serial)) == 2 * 27


def test_stdin(project):
    result = run_cli("-", "--stdin-filename", "models/piped.py", "--output-format", "concise", cwd=project, stdin=BUGGY.encode())
    assert result.returncode == 1
    assert out(result).startswith("models/piped.py:8:9: TL001")


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content,reason,row,column",
    [
        (b"import torch\nclass Net(nn.Module)\n    pass\n", "syntax error", 2, 21),
        (b"x = 1\ny = '\x00'\n", "null byte", 2, 6),
        (b"x = 1\ns = '\xff\xfe'\n", "not valid utf-8", 2, 6),
        (b"# -*- coding: klingon -*-\nx = 1\n", "encoding", 1, 1),
    ],
)
def test_bad_files_are_reported_and_the_run_goes_on(project, content, reason, row, column):
    (project / "models" / "bad.py").write_bytes(content)
    result = run_cli("models", "--output-format", "json", cwd=project)
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr
    data = json.loads(out(result))
    bad = [d for d in data if d["filename"] == "models/bad.py"]
    assert len(bad) == 1 and bad[0]["code"] == "TL000"
    assert reason in bad[0]["message"].lower()
    assert (bad[0]["location"]["row"], bad[0]["location"]["column"]) == (row, column)
    assert {d["code"] for d in data if d["filename"] == "models/net.py"} == {"TL001", "TL007"}


def test_latin1_declared_file_is_linted(project):
    source = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + BUGGY
    (project / "models" / "net.py").write_bytes(source.encode("latin-1"))
    data = json.loads(out(run_cli("models/net.py", "--output-format", "json", cwd=project)))
    assert [d["code"] for d in data] == ["TL001", "TL007"]


def test_bom_and_crlf(project):
    (project / "models" / "net.py").write_bytes(b"\xef\xbb\xbf" + BUGGY.replace("\n", "\r\n").encode())
    data = json.loads(out(run_cli("models/net.py", "--output-format", "json", cwd=project)))
    assert [(d["code"], d["location"]["row"], d["location"]["column"]) for d in data] == [("TL001", 8, 9), ("TL007", 9, 9)]


def test_missing_path_is_an_error_after_linting_the_rest(project):
    result = run_cli("models", "nope.py", "--output-format", "concise", cwd=project)
    assert result.returncode == 2
    assert b"nope.py: no such file or directory" in result.stderr
    assert "models/net.py:8:9: TL001" in out(result)


def test_directory_named_like_a_file_and_empty_file(project):
    (project / "weird.py").mkdir()
    (project / "weird.py" / "inner.py").write_text(BUGGY)
    (project / "models" / "empty.py").write_text("")
    data = json.loads(out(run_cli(".", "--output-format", "json", cwd=project)))
    assert {d["filename"] for d in data} == {"models/net.py", "weird.py/inner.py"}
