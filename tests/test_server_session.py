"""The language server's engine side (torchlint/server/session.py, convert.py) and the
helpers it shares with the CLI: no pygls needed, so these run in every install."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from torchlint.config import ConfigError, Settings
from torchlint.diagnostics import Location
from torchlint.discovery import excluded
from torchlint.noqa_add import line_with_noqa
from torchlint.server import convert
from torchlint.server.session import Overrides, Session, bytes_of

REPO = Path(__file__).resolve().parents[1]

MODEL = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class Embedding(nn.Module):
        def __init__(self, n, d):
            super().__init__()
            self.table = torch.randn(n, d)
            self.heads = [nn.Linear(d, d), nn.Linear(d, d)]
''')


def _codes(outcome) -> list[tuple[str, int, int]]:
    return [(d.code, d.location.row, d.location.column) for d in outcome.diagnostics]


def test_lints_the_editors_text_not_the_disk(tmp_path: Path):
    path = tmp_path / "emb.py"
    path.write_text("import torch\n")
    session = Session(default_root=tmp_path)
    assert _codes(session.lint(path, MODEL)) == [("TL001", 8, 9), ("TL007", 9, 9)]
    assert path.read_text() == "import torch\n"
    missing = tmp_path / "never_saved.py"  # a buffer with no file behind it
    assert _codes(session.lint(missing, MODEL)) == [("TL001", 8, 9), ("TL007", 9, 9)]
    session.close()


def test_fix_all_is_the_clis_safe_fix_and_the_index_keeps_the_editors_text(tmp_path: Path):
    session = Session(default_root=tmp_path)
    path = tmp_path / "emb.py"
    fixed = session.fix_all(path, MODEL)
    assert 'self.register_buffer("table", torch.randn(n, d), persistent=False)' in fixed
    assert "self.heads = [" in fixed  # the container fix is unsafe: not applied
    assert "nn.ModuleList" in session.fix_all(path, MODEL, unsafe=True)
    assert _codes(session.lint(path, MODEL)) == [("TL001", 8, 9), ("TL007", 9, 9)]
    session.close()


def test_base_class_from_an_open_documents_text(tmp_path: Path):
    (tmp_path / "base.py").write_text("class Base:\n    pass\n")  # on disk: not a Module
    child = tmp_path / "child.py"
    child_text = "import torch\nfrom base import Base\n\n\nclass C(Base):\n    def __init__(self):\n" \
                 "        super().__init__()\n        self.t = torch.ones(2)\n"
    session = Session(default_root=tmp_path)
    assert _codes(session.lint(child, child_text)) == []
    module_base = "import torch.nn as nn\n\n\nclass Base(nn.Module):\n    pass\n"
    session.opened(tmp_path / "base.py", module_base)  # the editor has it changed, unsaved
    session.lint(tmp_path / "base.py", module_base)
    assert _codes(session.lint(child, child_text)) == [("TL001", 8, 9)]
    session.closed(tmp_path / "base.py")  # closed without saving: the disk's text again
    assert _codes(session.lint(child, child_text)) == []
    session.close()


def test_settings_reload_and_broken_pyproject_falls_back_to_defaults(tmp_path: Path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.torchlint]\nignore = ["TL007"]\n')
    path = tmp_path / "emb.py"
    session = Session(default_root=tmp_path)
    assert [c for c, _, _ in _codes(session.lint(path, MODEL))] == ["TL001"]
    pyproject.write_text('[tool.torchlint]\nignore = ["TL001"]\nselect = ["TL0"]\n')
    assert [c for c, _, _ in _codes(session.lint(path, MODEL))] == ["TL007"]
    pyproject.write_text('[tool.torchlint]\nignore = ["TL001"\n')
    outcome = session.lint(path, MODEL)
    assert outcome.config_error and "cannot read" in outcome.config_error
    assert [c for c, _, _ in _codes(outcome)] == ["TL001", "TL007"]
    pyproject.write_text('[tool.torchlint]\nruntime = true\n')
    outcome = session.lint(path, MODEL)
    assert outcome.config_error is None and outcome.settings.runtime.enabled is False  # never runs user code
    session.close()


def test_client_overrides():
    assert Overrides.parse(None) == Overrides()
    assert Overrides.parse({"torchlint": {"select": ["TL001"], "extendSelect": "TL007", "debounceMs": 50}}) == \
        Overrides(select=("TL001",), extend_select=("TL007",))
    with pytest.raises(ConfigError, match="TL999"):
        Overrides.parse({"ignore": ["TL999"]})
    with pytest.raises(ConfigError, match="list of rule codes"):
        Overrides.parse({"select": 3})


def test_overrides_apply_on_top_of_the_file(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nignore = ["TL007"]\n')
    session = Session(default_root=tmp_path)
    path = tmp_path / "emb.py"
    session.set_overrides(Overrides(extend_select=("TL007",), ignore=("TL001",)))
    assert [c for c, _, _ in _codes(session.lint(path, MODEL))] == ["TL007"]
    session.close()


def test_excluded_follows_config_gitignore_and_default_excludes(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("scratch/\n")
    settings = Settings(select=frozenset({"TL001"}), project_root=tmp_path, extend_exclude=("generated/",))
    assert not excluded(tmp_path / "pkg" / "model.py", settings)
    assert excluded(tmp_path / "generated" / "model.py", settings)
    assert excluded(tmp_path / "scratch" / "model.py", settings)
    assert excluded(tmp_path / ".venv" / "lib" / "site-packages" / "torch" / "nn" / "x.py", settings)


def test_line_with_noqa_merges_as_add_noqa_does():
    text = "a = 1  # noqa: E501\nb = 2  # keep\nc = '''\n'''\nd = 4  # noqa\n"
    assert line_with_noqa(text, 1, ["TL001"]) == ("a = 1  # noqa: E501, TL001", None)
    assert line_with_noqa(text, 2, ["TL001"]) == ("b = 2  # keep  # noqa: TL001", None)
    assert line_with_noqa(text, 3, ["TL001"])[0] is None  # ends inside a string
    assert line_with_noqa(text, 5, ["TL001"]) == ("d = 4  # noqa", None)  # a bare noqa covers it
    assert line_with_noqa(text, 9, ["TL001"])[0] is None


def test_bytes_of_uses_the_declared_encoding():
    text = "# -*- coding: latin-1 -*-\nname = 'café'\n"
    assert bytes_of(text) == text.encode("latin-1")
    assert bytes_of("x = 'café'\n") == "x = 'café'\n".encode("utf-8")


def test_positions_in_utf16_and_back():
    lines = convert.split_lines("x = '🔥'; self.t = 1\r\ny = 2\n")
    assert lines == ["x = '🔥'; self.t = 1", "y = 2", ""]
    assert convert.to_client(lines, 1, 11, convert.utf16_units) == (0, 11)  # the emoji is 2 units
    assert convert.from_client(lines, 0, 11, convert.utf16_units) == (1, 11)
    assert convert.to_client(lines, 1, 11, len) == (0, 10)
    start, end = convert.location_range(lines, Location(2, 3), Location(2, 3), convert.utf16_units)
    assert (start, end) == ((1, 2), (1, 3))  # a point becomes one character


def test_minimal_replacement():
    old, new = "a = 1\nb = 2\nc = 3\n", "a = 1\nb = [2]\nc = 3\n"
    start, end, text = convert.minimal_replacement(old, new)
    assert old[:start] + text + old[end:] == new
    assert (start, end, text) == (10, 11, "[2]")
    assert convert.minimal_replacement("same", "same") == (4, 4, "")


def test_base_install_never_imports_pygls(tmp_path: Path):
    """The CLI (and so the pre-commit hook, which runs it) works with pygls absent, and
    `torchlint server` then says how to install it."""
    blocker = textwrap.dedent('''\
        import sys
        for name in ("pygls", "lsprotocol", "cattrs"):
            sys.modules[name] = None  # importing it raises ImportError
        from torchlint.cli import main
        code = main(sys.argv[1:])
        assert not any(m.startswith(("pygls", "lsprotocol")) for m in sys.modules if sys.modules[m] is not None)
        sys.exit(code)
    ''')
    (tmp_path / "mlp.py").write_text(MODEL)
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    lint = subprocess.run([sys.executable, "-c", blocker, "--no-cache", "mlp.py"], cwd=tmp_path,
                          capture_output=True, text=True, env=env)
    assert lint.returncode == 1 and "TL001" in lint.stdout, lint.stderr
    server = subprocess.run([sys.executable, "-c", blocker, "server"], cwd=tmp_path, capture_output=True,
                            text=True, env=env, stdin=subprocess.DEVNULL)
    assert server.returncode == 2
    assert server.stderr == (f"torchlint: error: `torchlint server` needs pygls 2 (the `server` extra), which this "
                             f"Python ({sys.executable}) cannot import: `{sys.executable} -m pip install "
                             "'pygls>=2,<3'`\n")
    hooks = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert "pygls" not in hooks and "[server]" not in hooks
