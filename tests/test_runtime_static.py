"""The runtime checker's torch-free parts: finding subjects, configuration, import plans,
and the promise that the static linter never imports torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, lint_source
from torchlint.config import ConfigError, load_settings
from torchlint.runtime.runner import import_plan, reason_category
from torchlint.runtime.subjects import FileClasses, attribute_of, subject_of


@pytest.mark.parametrize(
    "code,text,expected",
    [
        ("TL001", "self.pe", "pe"),
        ("TL010", '"mask"', "mask"),
        ("TL010", "'running.mean'", "running.mean"),
        ("TL010", 'self.register_buffer("num_updates", 0)', "num_updates"),
        ("TL002", 'self.register_buffer(\n    "scale", torch.ones(3))', "scale"),
        ("TL002", "self.add_module('head', nn.Linear(2, 2))", "head"),
        ("TL005", "self.fc.weight.require_grad", "require_grad"),
        ("TL005", "require_grad", "require_grad"),  # the span TL005 reports: the misspelt name
        ("TL003", "__init__", None),
    ],
)
def test_attribute_of_a_span(code, text, expected):
    assert attribute_of(code, text) == expected


def test_subjects_of_static_findings(tmp_path):
    source = """\
    import torch
    import torch.nn as nn

    class Outer(nn.Module):
        class Inner(nn.Module):
            def __init__(self):
                super().__init__()
                self.table = torch.zeros(
                    3)

        def __init__(self):
            self.fc = nn.Linear(2, 2)
            super().__init__()
            self.register_buffer("bias", 0)
    """
    diagnostics = lint_source(source, tmp_path)
    text = textwrap.dedent(source)
    classes, lines = FileClasses(text), text.splitlines()
    subjects = {(d.code, d.location.row): subject_of(d, classes, lines) for d in diagnostics}
    assert subjects[("TL001", 8)].qualname == "Outer.Inner"
    assert subjects[("TL001", 8)].attribute == "table"
    assert subjects[("TL001", 8)].statement_rows == (8, 9)
    assert subjects[("TL002", 12)].qualname == "Outer"
    assert subjects[("TL002", 12)].attribute == "fc"
    assert subjects[("TL010", 14)].attribute == "bias"


def test_classes_inside_functions_are_marked():
    classes = FileClasses("def make():\n    class Local:\n        pass\n    return Local\n")
    assert classes.by_qualname("make.<locals>.Local").in_function


def _pyproject(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.torchlint]\n" + textwrap.dedent(body))
    return tmp_path


def test_runtime_config_table(tmp_path):
    _pyproject(tmp_path, """\
        [tool.torchlint.runtime]
        enabled = true
        factories = {"pkg.models:Net" = "pkg.models:make_small_net"}
        pythonpath = ["lib"]
        timeout = 5
        memory-limit = 2048
    """)
    settings = load_settings(tmp_path)
    assert settings.runtime.enabled
    assert settings.runtime.factories == {"pkg.models:Net": "pkg.models:make_small_net"}
    assert settings.runtime.pythonpath == ((tmp_path / "lib").resolve(),)
    assert settings.runtime.timeout == 5.0 and settings.runtime.memory_limit_mb == 2048
    assert "TL101" in settings.select  # the runtime rules join the default selection


def test_runtime_true_and_the_flag(tmp_path):
    _pyproject(tmp_path, "runtime = true\n")
    assert load_settings(tmp_path).runtime.enabled
    assert not load_settings(tmp_path, runtime=False).runtime.enabled
    assert "TL101" not in load_settings(tmp_path, runtime=False).select


@pytest.mark.parametrize(
    "body,message",
    [
        ("[tool.torchlint.runtime]\nfactoris = {}\n", "unknown key 'factoris' in [tool.torchlint.runtime]"),
        ("runtime = 3\n", "must be true/false or a [tool.torchlint.runtime] table"),
        ("[tool.torchlint.runtime]\ntimeout = -1\n", "`timeout`"),
        ("[tool.torchlint.runtime]\nfactories = {\"Net\" = \"make\"}\n", "`factories`"),
        ("[tool.torchlint.runtime]\nmemory-limit = 10\n", "`memory-limit`"),
    ],
)
def test_runtime_config_errors(tmp_path, body, message):
    _pyproject(tmp_path, body)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        load_settings(tmp_path)


def test_import_plans_follow_packages_and_src_layouts(tmp_path):
    package = tmp_path / "src" / "pkg" / "models"
    package.mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "net.py").write_text("")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "my-model.py").write_text("")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    settings = load_settings(tmp_path)
    name, roots = import_plan((package / "net.py").resolve(), settings)
    assert name == "pkg.models.net"
    assert roots[0] == str((tmp_path / "src").resolve())
    assert str(tmp_path.resolve()) in roots
    name, _ = import_plan((package / "__init__.py").resolve(), settings)
    assert name == "pkg.models"
    name, roots = import_plan((tmp_path / "scripts" / "my-model.py").resolve(), settings)
    assert name == "" and roots[0] == str((tmp_path / "scripts").resolve())  # loaded by path


def test_reason_categories():
    assert reason_category("timed out after 2 s") == "timeout"
    assert reason_category("the worker crashed with SIGSEGV (a segmentation fault)") == "worker crashed"
    assert reason_category("cannot synthesise the arguments: `config`: ...") == "arguments"
    assert reason_category("ValueError: bad [dim=64; meta]") == "ValueError"


def test_the_static_linter_and_the_runtime_planner_never_import_torch():
    code = (
        "import sys\n"
        "import torchlint, torchlint.cli, torchlint.engine, torchlint.runtime, torchlint.pytest_plugin\n"
        "import torchlint.runtime.runner, torchlint.runtime.pool, torchlint.runtime.verdicts\n"
        "from torchlint.cli import main\n"
        "main(['fixtures/buggy', '-q', '--exit-zero'])\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    assert b"TL001" in result.stdout


def test_runtime_without_torch_is_a_usage_error(monkeypatch, capsys):
    from torchlint import cli
    from torchlint.runtime import runner

    monkeypatch.setattr(runner, "torch_available", lambda: False)
    code = cli.main([str(ROOT / "fixtures" / "clean" / "rnn_cache.py"), "--runtime"])
    assert code == 2
    assert "--runtime needs torch" in capsys.readouterr().err
