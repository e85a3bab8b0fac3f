"""Autofix: golden before/after per fix, formatting preserved, passes, idempotence, safety."""

from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli


def fixed(tmp_path: Path, source: str, unsafe: bool = False, config: str = "", raw: bool = False) -> str:
    from torchlint import engine
    from torchlint.config import load_settings

    (tmp_path / "pyproject.toml").write_text(config)
    path = tmp_path / "model.py"
    path.write_bytes(source.encode() if raw else textwrap.dedent(source).encode())
    settings = load_settings(tmp_path)
    settings.fix, settings.unsafe_fixes = True, unsafe
    result = engine.run([str(path)], settings, jobs=1)
    assert not result.fix_errors, result.fix_errors
    return path.read_bytes().decode() if not raw else path.read_bytes()


def dedent(text: str) -> str:
    return textwrap.dedent(text)


# -- TL001 -------------------------------------------------------------------------------

PE = """\
    import torch
    import torch.nn as nn


    class PE(nn.Module):
        def __init__(self, n):
            super().__init__()
            pe = torch.zeros(n)  # the table
            self.pe = pe.unsqueeze(0)  # keep me
    """


def test_tl001_safe_fix_is_a_non_persistent_buffer(tmp_path):
    assert fixed(tmp_path, PE) == dedent(PE).replace(
        "self.pe = pe.unsqueeze(0)  # keep me", 'self.register_buffer("pe", pe.unsqueeze(0), persistent=False)  # keep me'
    )


def test_tl001_unsafe_fix_is_a_persistent_buffer(tmp_path):
    assert fixed(tmp_path, PE, unsafe=True) == dedent(PE).replace(
        "self.pe = pe.unsqueeze(0)", 'self.register_buffer("pe", pe.unsqueeze(0))'
    )


def test_tl001_nn_buffer_when_the_project_needs_torch_2_5(tmp_path):
    source = PE.replace("import torch.nn as nn", "import torch.nn as N").replace("(nn.Module)", "(N.Module)")
    out = fixed(tmp_path, source, config='[tool.torchlint]\ntorch-version = "2.5"\n')
    assert "self.pe = N.Buffer(pe.unsqueeze(0), persistent=False)  # keep me" in out
    assert "import torch.nn as nn" not in out


def test_tl001_nn_buffer_from_requirements_adds_the_import(tmp_path):
    source = """\
        import torch
        from torch.nn import Module


        class PE(Module):
            def __init__(self):
                super().__init__()
                self.pe = torch.zeros(3)
        """
    out = fixed(tmp_path, source, config='[project]\ndependencies = ["torch>=2.6", "numpy"]\n')
    # `torch` is imported, so `torch.nn` needs no new import
    assert out == dedent(source).replace(
        "self.pe = torch.zeros(3)", "self.pe = torch.nn.Buffer(torch.zeros(3), persistent=False)")
    without_torch = """\
        from torch import zeros
        from torch.nn import Module


        class PE(Module):
            def __init__(self):
                super().__init__()
                self.pe = zeros(3)
        """
    out = fixed(tmp_path, without_torch, config="[project]\ndependencies = [\n  'torch >= 2.5.1',\n]\n")
    assert out == dedent(without_torch).replace(
        "from torch.nn import Module\n", "from torch.nn import Module\nimport torch.nn as nn\n").replace(
        "self.pe = zeros(3)", "self.pe = nn.Buffer(zeros(3), persistent=False)")


def test_tl001_before_super_is_not_fixed(tmp_path):
    source = """\
        import torch
        import torch.nn as nn


        class M(nn.Module):
            def __init__(self):
                self.t = torch.zeros(3)
                super().__init__()
        """
    assert fixed(tmp_path, source, unsafe=True) == dedent(source)


# -- TL004 -------------------------------------------------------------------------------

def test_tl004_wraps_in_parameter_and_drops_requires_grad(tmp_path):
    source = """\
        import torch
        from torch import nn


        class Scale(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.gamma = torch.ones(dim, requires_grad=True)
                self.beta = torch.full((dim,), 0.5, requires_grad=True, dtype=torch.float32)
        """
    assert fixed(tmp_path, source) == dedent(source)  # unsafe: not applied by --fix
    assert fixed(tmp_path, source, unsafe=True) == dedent(source).replace(
        "self.gamma = torch.ones(dim, requires_grad=True)", "self.gamma = nn.Parameter(torch.ones(dim))"
    ).replace(
        "torch.full((dim,), 0.5, requires_grad=True, dtype=torch.float32)",
        "nn.Parameter(torch.full((dim,), 0.5, dtype=torch.float32))",
    )


# -- TL002 / TL003 -----------------------------------------------------------------------

def test_tl002_moves_super_init_above_the_first_registration(tmp_path):
    source = """\
        import torch
        import torch.nn as nn


        class Gated(nn.Module):
            def __init__(self, dim):
                self.dim = dim
                self.gate = nn.Parameter(torch.zeros(dim))
                self.proj = nn.Linear(dim, dim)
                super().__init__()  # init torch
                self.out = nn.Linear(dim, dim)
        """
    assert fixed(tmp_path, source) == dedent("""\
        import torch
        import torch.nn as nn


        class Gated(nn.Module):
            def __init__(self, dim):
                self.dim = dim
                super().__init__()  # init torch
                self.gate = nn.Parameter(torch.zeros(dim))
                self.proj = nn.Linear(dim, dim)
                self.out = nn.Linear(dim, dim)
        """)


def test_tl002_move_is_unsafe_when_arguments_depend_on_moved_code(tmp_path):
    source = """\
        import torch.nn as nn


        class Base(nn.Module):
            def __init__(self, width):
                super().__init__()


        class Net(Base):
            def __init__(self, cfg):
                self.head = nn.Linear(2, 2)
                width = cfg.width
                super().__init__(width)
        """
    assert fixed(tmp_path, source) == dedent(source)
    out = fixed(tmp_path, source, unsafe=True)
    assert out.index("super().__init__(width)") < out.index("self.head = nn.Linear(2, 2)")


def test_tl003_inserts_super_init_after_the_docstring(tmp_path):
    source = '''\
        import torch.nn as nn


        class Classifier(nn.Module):
            def __init__(self, dim, n):
                """A linear classifier."""
                # the head
                self.fc = nn.Linear(dim, n)
        '''
    # inserted right above the first statement (a comment above it stays with it)
    assert fixed(tmp_path, source) == dedent(source).replace(
        "        self.fc = nn.Linear(dim, n)\n", "        super().__init__()\n        self.fc = nn.Linear(dim, n)\n"
    )


def test_tl003_is_unsafe_for_a_user_base(tmp_path):
    source = """\
        import torch.nn as nn


        class Base(nn.Module):
            def __init__(self, dim):
                super().__init__()


        class Net(Base):
            def __init__(self, dim):
                self.fc = nn.Linear(dim, dim)
        """
    assert fixed(tmp_path, source) == dedent(source)
    assert "        super().__init__()\n        self.fc" in fixed(tmp_path, source, unsafe=True)


# -- TL005 / TL006 -----------------------------------------------------------------------

def test_tl005_renames_every_form(tmp_path):
    source = """\
        import torch


        def freeze(model):
            for p in model.parameters():
                p.require_grad = False
            setattr(model.head, 'requires_grads', True)
            return torch.zeros(3, require_grad=True)
        """
    assert fixed(tmp_path, source) == dedent(source).replace(
        "p.require_grad", "p.requires_grad").replace("'requires_grads'", "'requires_grad'").replace(
        "require_grad=True", "requires_grad=True")


def test_tl006_wraps_in_no_grad_with_the_files_torch_alias(tmp_path):
    source = """\
        import torch as T
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)
                self.fc.bias.zero_()  # start at zero
        """
    assert fixed(tmp_path, source) == dedent(source).replace(
        "        self.fc.bias.zero_()  # start at zero\n",
        "        with T.no_grad():\n            self.fc.bias.zero_()  # start at zero\n",
    )


def test_tl006_adds_import_torch_and_keeps_tabs(tmp_path):
    source = (
        '"""Tabs."""\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n'
        "\tdef __init__(self):\n\t\tsuper().__init__()\n\t\tself.fc = nn.Linear(4, 4)\n\t\tself.fc.weight.fill_(1.0)\n"
    )
    out = fixed(tmp_path, source, raw=True).decode()
    assert out == source.replace("import torch.nn as nn\n", "import torch.nn as nn\nimport torch\n").replace(
        "\t\tself.fc.weight.fill_(1.0)\n", "\t\twith torch.no_grad():\n\t\t\tself.fc.weight.fill_(1.0)\n"
    )


# -- TL007 / TL008 -----------------------------------------------------------------------

def test_tl007_tl008_wrap_containers(tmp_path):
    source = """\
        import torch
        import torch.nn as nn


        class Heads(nn.Module):
            def __init__(self, names):
                super().__init__()
                self.layers = [nn.Linear(2, 2) for _ in range(3)]
                self.by_name = {"a": nn.Linear(2, 2), "b": nn.Linear(2, 2)}
                self.heads = {}
                for name in names:
                    self.heads[name] = nn.Linear(2, 1)
                self.by_index = {0: nn.Linear(2, 2)}
                self.centers = [nn.Parameter(torch.randn(2)) for _ in range(3)]
        """
    out = fixed(tmp_path, source, unsafe=True)
    assert out == dedent(source).replace(
        "self.layers = [nn.Linear(2, 2) for _ in range(3)]", "self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])"
    ).replace(
        'self.by_name = {"a": nn.Linear(2, 2), "b": nn.Linear(2, 2)}',
        'self.by_name = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Linear(2, 2)})',
    ).replace("self.heads = {}", "self.heads = nn.ModuleDict()").replace(
        "self.centers = [nn.Parameter(torch.randn(2)) for _ in range(3)]",
        "self.centers = nn.ParameterList([nn.Parameter(torch.randn(2)) for _ in range(3)])",
    )  # `{0: ...}` keeps int keys: ModuleDict needs strings, so no fix is offered


# -- formatting, passes, safety ------------------------------------------------------------

def test_crlf_and_bom_are_preserved(tmp_path):
    source = b"\xef\xbb\xbf" + dedent(PE).replace("\n", "\r\n").encode()
    out = fixed(tmp_path, source.decode("utf-8"), raw=True)
    assert out.startswith(b"\xef\xbb\xbf")
    assert out.count(b"\r\n") == source.count(b"\r\n") and b"\n" not in out.replace(b"\r\n", b"")
    assert b'self.register_buffer("pe", pe.unsqueeze(0), persistent=False)  # keep me\r\n' in out


def test_overlapping_fixes_are_applied_in_passes(tmp_path):
    source = """\
        import torch
        import torch.nn as nn


        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.bias = torch.zeros(3, require_grad=True)
        """
    # pass 1 renames the keyword (the narrower fix); pass 2 sees a TL004 and wraps it
    assert "self.bias = nn.Parameter(torch.zeros(3))" in fixed(tmp_path, source, unsafe=True)


def test_every_fixture_fixes_to_parsing_code_and_a_second_run_changes_nothing(tmp_path):
    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, copy)
    first = run_cli(str(copy), "--fix", "--unsafe-fixes", "--show-fixes")
    assert first.returncode in (0, 1) and b"Traceback" not in first.stderr, first.stderr
    assert b"Fixed " in first.stdout
    snapshot = {p: p.read_bytes() for p in copy.rglob("*.py")}
    for path, data in snapshot.items():
        ast.parse(data, filename=str(path))
    second = run_cli(str(copy), "--fix", "--unsafe-fixes")
    assert second.returncode in (0, 1)
    assert {p: p.read_bytes() for p in copy.rglob("*.py")} == snapshot
    assert (copy / "clean").exists() and all(
        (copy / "clean" / p.name).read_bytes() == p.read_bytes() for p in (FIXTURES / "clean").glob("*.py")
    )


def test_diff_writes_nothing_and_exits_1(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(dedent(PE))
    result = run_cli(str(path), "--diff")
    assert result.returncode == 1
    assert path.read_text() == dedent(PE)
    out = result.stdout.decode()
    assert out.startswith(f"--- a/{path}\n+++ b/{path}\n")
    assert '+        self.register_buffer("pe", pe.unsqueeze(0), persistent=False)  # keep me' in out
    assert b"Would fix 1 error in 1 file" in result.stderr
    clean = tmp_path / "clean.py"
    clean.write_text("x = 1\n")
    assert run_cli(str(clean), "--diff").returncode == 0


def test_fix_reports_what_remains(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(dedent(PE) + "\n\nclass Late(nn.Module):\n    def forward(self, x):\n        return nn.Linear(2, 2)(x)\n")
    result = run_cli(str(path), "--fix", "--output-format", "concise")
    assert result.returncode == 1
    lines = result.stdout.decode().splitlines()
    assert lines[-1] == "Found 2 errors (1 fixed, 1 remaining)."
    assert ": TL009 " in lines[0]


def test_a_file_changed_since_reading_is_not_written(tmp_path):
    from torchlint.fixes.apply import FixError, write_atomically

    path = tmp_path / "model.py"
    path.write_text("a = 1\n")
    original = path.read_bytes()
    path.write_text("a = 2\n")  # someone else edited it meanwhile
    with pytest.raises(FixError, match="changed on disk"):
        write_atomically(path, original, b"a = 3\n")
    assert path.read_text() == "a = 2\n"
    write_atomically(path, path.read_bytes(), b"a = 3\n")
    assert path.read_text() == "a = 3\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".torchlint")]


def test_a_fix_that_would_not_parse_is_refused():
    from torchlint.diagnostics import Edit, Fix, Location
    from torchlint.fixes.apply import fix_text

    broken = Fix("safe", "break it", (Edit("def (", Location(1, 1), Location(1, 2)),))

    class D:
        code = "TL999"
        fix = broken

    calls = []

    def lint(text):
        calls.append(text)
        return [D()] if len(calls) == 1 else []

    outcome = fix_text("a = 1\n", lint, unsafe=False)
    assert outcome.text == "a = 1\n" and outcome.error and "does not parse" in outcome.error
