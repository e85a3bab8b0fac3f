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


# the three spellings of torch.nn a fix must keep: (import lines, the name `nn` is bound to)
NN_ALIASES = [("import torch.nn as nn\n", "nn"), ("import torch.nn as tnn\n", "tnn"), ("from torch import nn\n", "nn")]


def namespace_of(source: str, filename: str = "<model>") -> dict:
    """The names a (fixed) model file defines, after running it."""
    namespace: dict = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


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


EXTENDED_PE = """\
    import torch
    import torch.nn as nn


    class PE(nn.Module):
        def __init__(self, dim, n):
            super().__init__()
            self.dim = dim
            self.pe = None
            self.extend(n)

        def extend(self, n):
            if self.pe is not None and self.pe.size(0) >= n:
                self.pe = self.pe.to(torch.get_default_dtype())
                return
            self.pe = torch.zeros(n, self.dim)

        def forward(self, x):
            self.extend(x.size(0))
            return x + self.pe[: x.size(0)]
    """


def test_tl001_first_set_to_none_is_registered_there(tmp_path):
    # the later stores go into the buffer as they are: only the `= None` line changes
    assert fixed(tmp_path, EXTENDED_PE) == dedent(EXTENDED_PE).replace(
        "self.pe = None", 'self.register_buffer("pe", None, persistent=False)')
    assert fixed(tmp_path, EXTENDED_PE, unsafe=True) == dedent(EXTENDED_PE).replace(
        "self.pe = None", 'self.register_buffer("pe", None)')


def test_tl001_first_set_to_none_gets_no_fix_when_a_non_tensor_is_stored(tmp_path):
    source = EXTENDED_PE.replace("self.extend(x.size(0))", "self.extend(x.size(0))\n            self.pe = list(self.pe)")
    assert fixed(tmp_path, source, unsafe=True) == dedent(source)


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


def test_tl001_before_super_is_registered_after_it(tmp_path):
    source = """\
        import torch
        import torch.nn as nn


        class M(nn.Module):
            def __init__(self):
                self.t = torch.zeros(3)
                super().__init__()
        """
    # registering on the original line would raise: the registration moves below the call
    assert fixed(tmp_path, source, unsafe=True) == dedent(source).replace(
        "        self.t = torch.zeros(3)\n        super().__init__()\n",
        '        super().__init__()\n        self.register_buffer("t", torch.zeros(3))\n')


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


def test_tl002_move_is_declined_when_arguments_depend_on_moved_code(tmp_path):
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
    # moving `super().__init__(width)` alone above `width = ...` would raise UnboundLocalError:
    # no safe fix; the unsafe one moves `width = cfg.width` up with it
    assert fixed(tmp_path, source) == dedent(source)
    assert fixed(tmp_path, source, unsafe=True) == dedent(source).replace(
        "        self.head = nn.Linear(2, 2)\n        width = cfg.width\n        super().__init__(width)\n",
        "        width = cfg.width\n        super().__init__(width)\n        self.head = nn.Linear(2, 2)\n")


def test_tl002_move_is_refused_when_a_registration_feeds_the_super_call(tmp_path):
    from conftest import lint_source

    source = """\
        import torch.nn as nn


        class Base(nn.Module):
            def __init__(self, head):
                super().__init__()


        class Net(Base):
            def __init__(self):
                self.head = nn.Linear(2, 2)
                scale = 2
                super().__init__(self.head)
        """
    assert fixed(tmp_path, source, unsafe=True) == dedent(source)
    (found,) = lint_source(source, tmp_path / "lint")
    assert "computed from a registration" in found.help


def test_tl003_inserts_super_init_after_the_docstring(tmp_path):
    source = '''\
        import torch.nn as nn


        class Classifier(nn.Module):
            def __init__(self, dim, n):
                """A linear classifier."""
                # the head
                self.fc = nn.Linear(dim, n)
        '''
    # inserted above the first statement and the comment that belongs to it
    assert fixed(tmp_path, source) == dedent(source).replace(
        "        # the head\n", "        super().__init__()\n        # the head\n"
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
    ).replace(
        "self.centers = [nn.Parameter(torch.randn(2)) for _ in range(3)]",
        "self.centers = nn.ParameterList([nn.Parameter(torch.randn(2)) for _ in range(3)])",
    )  # no fix where ModuleDict could reject keys: `{0: ...}` (int keys) and `{}` filled later (keys unseen)


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
        location = Location(1, 1)

    calls = []

    def lint(text):
        calls.append(text)
        return [D()] if len(calls) == 1 else []

    outcome = fix_text("a = 1\n", lint, unsafe=False)
    assert outcome.text == "a = 1\n" and outcome.error and "does not parse" in outcome.error


@pytest.mark.parametrize("body", [
    "self.layers = [nn.Linear(2, 2), torch.tanh]",            # not only modules
    # nested lists whose inner list is sorted (a list method ModuleList lacks); nested lists
    # otherwise are now wrapped inside and out: see test_fix_nested_containers.py
    "self.layers = [[nn.Linear(2, 2)], [nn.Linear(2, 2)]]\n        self.layers[0].sort(key=id)",
    "self.layers = [nn.Linear(2, 2)]\n        self.layers.reverse()",  # a list method ModuleList lacks
    "self.heads = {n: nn.Linear(2, 2) for n in x}",  # comprehension: keys unseen
    # (`{str(i): ... for i in range(2)}` was listed here: its keys are now seen to be names, and it is fixed)
    "self.heads = {'a.b': nn.Linear(2, 2)}",                   # ModuleDict keys cannot contain '.'
    "self.ps = [nn.Parameter(torch.ones(1)), torch.zeros(1)]",  # ParameterList would make the tensor trainable
])
def test_container_wraps_are_declined_when_they_could_break(tmp_path, body):
    source = f"import torch\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        {body}\n"
    assert fixed(tmp_path, source, unsafe=True, raw=True).decode() == source


@pytest.mark.parametrize("lines", [
    ["stride = None"],                                     # a class attribute: KeyError
])
def test_register_fix_declined_for_a_class_attribute(tmp_path, lines):
    source = ("import torch\nimport torch.nn as nn\n\n\nclass M(nn.Module):\n    stride = None\n\n"
              "    def __init__(self):\n        super().__init__()\n        self.stride = torch.ones(3)\n")
    assert fixed(tmp_path, source, unsafe=True, raw=True).decode() == source


def test_register_fix_declined_when_a_non_tensor_is_stored_later(tmp_path):
    source = dedent("""\
        import torch
        import torch.nn as nn


        class Detect(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.grid = torch.zeros(n)


        class Model(nn.Module):
            def _apply(self, fn):
                super()._apply(fn)
                self.detect.grid = list(map(fn, self.detect.grid))
                return self
        """)
    assert fixed(tmp_path, source, unsafe=True) == source


def test_register_fix_declined_after_an_earlier_assignment(tmp_path):
    # registering on the second line would raise KeyError: the name is already an attribute
    source = dedent("""\
        import torch
        import torch.nn as nn


        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.cache = 0
                self.cache = torch.zeros(3)
        """)
    assert fixed(tmp_path, source, unsafe=True) == source


def test_register_fix_after_an_earlier_none_registers_the_none(tmp_path):
    # registering None where it is first set: the later tensor store goes into the buffer
    source = dedent("""\
        import torch
        import torch.nn as nn


        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.cache = None
                self.cache = torch.zeros(3)
        """)
    assert fixed(tmp_path, source, unsafe=True) == source.replace(
        "self.cache = None", 'self.register_buffer("cache", None)')


def test_values_computed_from_parameters_get_no_buffer_fix(tmp_path):
    source = dedent("""\
        import torch
        import torch.nn as nn


        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.w1 = nn.Parameter(torch.ones(3))
                self.w3 = torch.add(self.w1, 1.0)
        """)
    from conftest import lint_source
    found = [(d.code, d.fix) for d in lint_source(source, tmp_path / "lint")]
    assert found == [("TL001", None)]  # a buffer would keep the stale value: it belongs in forward


def test_super_without_parentheses_is_repaired(tmp_path):
    source = dedent("""\
        import torch.nn as nn


        class Clip(nn.Module):
            def __init__(self):
                super.__init__()
                self.fc = nn.Linear(2, 2)
        """)
    assert fixed(tmp_path, source) == source.replace("super.__init__()", "super().__init__()")


def test_tl003_no_fix_for_a_torch_layer_base(tmp_path):
    source = dedent("""\
        import torch.nn as nn


        class MyLinear(nn.Linear):
            def __init__(self, n):
                self.scale = nn.Linear(n, n)
        """)
    assert fixed(tmp_path, source, unsafe=True) == source


def test_multi_line_values_keep_their_layout(tmp_path):
    source = dedent("""\
        import torch
        import torch.nn as nn


        class M(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.table = torch.cat(
                    [torch.zeros(n), torch.ones(n)],
                    dim=0,
                )
        """)
    assert fixed(tmp_path, source) == source.replace(
        "self.table = torch.cat(", 'self.register_buffer("table", torch.cat(').replace(
        "            dim=0,\n        )\n", "            dim=0,\n        ), persistent=False)\n")


def test_an_nn_name_taken_by_another_library_is_not_shadowed(tmp_path):
    source = dedent("""\
        import torch_geometric.nn as nn
        from torch.nn import Module


        class M(Module):
            def __init__(self):
                super().__init__()
                self.layers = [nn.GCNConv(2, 2)]
                self.layers2 = [Module()]
        """)
    out = fixed(tmp_path, source, unsafe=True)
    assert "import torch.nn as nn" not in out
    assert "self.layers2 = torch.nn.ModuleList([Module()])" in out and out.count("import torch\n") == 1


def test_a_fix_that_would_add_a_construction_error_is_dropped():
    """The backstop behind the rules' own guards: a pass whose fixes add a TL010 (or
    TL002/TL003) keeps only the fixes that do not."""
    from torchlint.diagnostics import Edit, Fix, Location
    from torchlint.fixes.apply import fix_text

    class D:
        def __init__(self, code, row, fix):
            self.code, self.fix, self.location = code, fix, Location(row, 1)

    good = Fix("safe", "ok", (Edit("b = 2", Location(2, 1), Location(2, 6)),))
    bad = Fix("safe", "breaks", (Edit("c = 9", Location(1, 1), Location(1, 6)),))

    def lint(text):
        found = []
        if "c = 9" in text:
            found.append(D("TL010", 1, None))  # the bad fix introduces a construction error
        if "a = 1" in text:
            found.append(D("TL001", 1, bad))
        if "b = 1" in text:
            found.append(D("TL001", 2, good))
        return found

    outcome = fix_text("a = 1\nb = 1\n", lint, unsafe=False)
    assert outcome.text == "a = 1\nb = 2\n"
    assert outcome.applied == {"TL001": 1}
