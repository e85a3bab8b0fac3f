"""Work a lint can skip without changing what it reports: the modules of base classes
that no question needs (a Module class whose first base is ``nn.Module`` is a Module,
whatever its mixins are; the questions about every base class are asked only for a
finding that would depend on them), and libcst's self-checks of the nodes its own
parser builds."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from conftest import FIXTURES
from torchlint import engine, source
from torchlint.config import load_settings
from test_facts_cache import parsed  # noqa: F401  (the fixture: files whose facts were computed)

# A mixin in a module of its own, which a lint need not read to know that Net is a Module.
MIXIN = textwrap.dedent(
    """\
    class SaveMixin:
        def save(self, path):
            return path


    class SetattrMixin:
        def __setattr__(self, name, value):
            object.__setattr__(self, name, value)


    class InitMixin(metaclass=InitialisingMeta):
        pass
    """
)
NET = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn
    from .mixins import SaveMixin


    class Net(nn.Module, SaveMixin):
        def __init__(self, n):
            super().__init__()
            self.proj = nn.Linear(n, n)

        def forward(self, x):
            return self.proj(x)
    """
)
# The same class storing a plain tensor: whether a base overrides __setattr__ now matters.
NET_WITH_TENSOR = NET.replace("self.proj = nn.Linear(n, n)\n", "self.proj = nn.Linear(n, n)\n        self.table = torch.zeros(n)\n")
# A registration before super().__init__() (TL002) and an __init__ without it (TL003):
# whether a base's metaclass initialises the Module now matters.
EARLY = textwrap.dedent(
    """\
    import torch.nn as nn
    from .mixins import SaveMixin


    class Early(nn.Module, SaveMixin):
        def __init__(self, n):
            self.proj = nn.Linear(n, n)
            super().__init__()


    class Never(nn.Module, SaveMixin):
        def __init__(self, n):
            self.n = n
    """
)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mixins.py").write_text(MIXIN)
    return pkg


def lint(path: Path):
    return engine.run([str(path)], load_settings(path), jobs=1, cache_dir=None)


def found(result) -> list[tuple[str, int]]:
    return [(d.code, d.location.row) for d in result.diagnostics]


def test_a_module_class_without_findings_never_reads_its_mixins_module(package, parsed):
    (package / "net.py").write_text(NET)
    assert found(lint(package / "net.py")) == []
    assert "mixins.py" not in parsed


def test_a_possible_finding_reads_the_bases_it_depends_on(package, parsed):
    (package / "net.py").write_text(NET_WITH_TENSOR)
    assert found(lint(package / "net.py")) == [("TL001", 10)]
    assert "mixins.py" in parsed  # does a base override __setattr__? asked for the finding
    # and the answer counts: with a base that does, the tensor is not reported
    (package / "net.py").write_text(NET_WITH_TENSOR.replace("SaveMixin", "SetattrMixin"))
    assert found(lint(package / "net.py")) == []


def test_registration_order_findings_read_the_bases_they_depend_on(package, parsed):
    (package / "early.py").write_text(EARLY)
    assert sorted(found(lint(package / "early.py"))) == [("TL002", 7), ("TL003", 12)]
    assert "mixins.py" in parsed
    # with a base whose metaclass may initialise the Module, neither is reported
    (package / "early.py").write_text(EARLY.replace("SaveMixin", "InitMixin"))
    assert found(lint(package / "early.py")) == []


def test_the_unchecked_parse_gives_the_same_tree(tmp_path):
    for path in sorted(FIXTURES.rglob("*.py"))[:60]:
        text = path.read_text(encoding="utf-8")
        try:
            checked = cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue
        unchecked = source.parse(text)
        assert unchecked.deep_equals(checked), path
        assert unchecked.code == text


def test_nodes_built_after_a_parse_are_checked_again():
    source.parse("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("not whitespace")
    with pytest.raises(source.NotLinted):
        source.parse("def broken(:\n")
    with pytest.raises(cst.CSTValidationError):  # also after a parse that failed
        cst.SimpleWhitespace("not whitespace")
