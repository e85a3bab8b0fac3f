"""Advice and fixes that work where they are given: before `super().__init__()`,
name-mangled attributes, names that may already be buffers, and the buffer style."""

from __future__ import annotations

import textwrap

import pytest

from conftest import lint_source
from test_fixes import fixed


def by_code(diagnostics, code):
    return [d for d in diagnostics if d.code == code]


EARLY = """\
    import torch
    import torch.nn as nn


    class Early(nn.Module):
        def __init__(self, n):
            self.table = torch.zeros(n)
            self.scale = torch.ones(n, requires_grad=True)
            self.blocks = [nn.Linear(n, n) for _ in range(2)]
            self.weights = {"a": nn.Parameter(torch.ones(n))}
            super().__init__()
    """


def test_before_super_advice_registers_after_the_super_call(tmp_path):
    found = lint_source(EARLY, tmp_path)
    assert sorted(d.code for d in found) == ["TL001", "TL004", "TL007", "TL008"]
    for diagnostic in found:
        assert "runs before `super().__init__()`" in diagnostic.help
        assert "after `super().__init__()`" in diagnostic.help
        if diagnostic.code != "TL001":
            # registering on that line raises: the fix moves the wrapped line below the super call
            assert diagnostic.fix.applicability == "unsafe" and "after `super().__init__()`" in diagnostic.fix.message
    (tl001,) = by_code(found, "TL001")
    assert "cannot assign buffer before Module.__init__() call" in tl001.help
    assert 'self.register_buffer("table", ...)' in tl001.help
    # its fix registers it below the super call (nothing between reads it)
    assert 'super().__init__()\n        self.register_buffer("table", torch.zeros(n), persistent=False)' in fixed(
        tmp_path, EARLY)
    moved = fixed(tmp_path, EARLY, unsafe=True)
    assert "super().__init__()\n        self.register_buffer(\"table\", torch.zeros(n))\n" \
           "        self.scale = nn.Parameter(torch.ones(n))\n" \
           "        self.blocks = nn.ModuleList([nn.Linear(n, n) for _ in range(2)])\n" \
           "        self.weights = nn.ParameterDict({\"a\": nn.Parameter(torch.ones(n))})\n" in moved
    (tl004,) = by_code(found, "TL004")
    assert "cannot assign parameters before Module.__init__() call" in tl004.help
    (tl007,) = by_code(found, "TL007")
    assert "cannot assign module before" in tl007.help and "nn.ModuleList(...)" in tl007.help
    (tl008,) = by_code(found, "TL008")
    assert "cannot assign module before" in tl008.help and "nn.ParameterDict(...)" in tl008.help


def test_after_super_the_advice_is_unchanged(tmp_path):
    source = EARLY.replace("            super().__init__()\n", "").replace(
        "def __init__(self, n):\n", "def __init__(self, n):\n            super().__init__()\n")
    for diagnostic in lint_source(source, tmp_path):
        assert "super" not in diagnostic.help
    (tl001,) = by_code(lint_source(source, tmp_path), "TL001")
    assert tl001.help == ('Register it: `self.register_buffer("table", ...)`, or wrap it in `nn.Parameter(...)` '
                          "if it should be learned")


MANGLED = """\
    import torch
    import torch.nn as nn


    class __Private(nn.Module):
        pass


    class Norm(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.__mean = torch.zeros(n)
            self.__scale__ = torch.ones(n)
    """


def test_name_mangled_attribute_is_registered_under_the_name_it_reads(tmp_path):
    found = by_code(lint_source(MANGLED, tmp_path), "TL001")
    mean, dunder = sorted(found, key=lambda d: d.location.row)
    assert 'self.register_buffer("_Norm__mean", ...)' in mean.help and "self.__mean = nn.Buffer(...)" in mean.help
    assert 'self.register_buffer("__scale__", ...)' in dunder.help  # dunder names are not mangled
    out = fixed(tmp_path, MANGLED)
    assert 'self.register_buffer("_Norm__mean", torch.zeros(n), persistent=False)' in out
    assert 'self.register_buffer("__scale__", torch.ones(n), persistent=False)' in out


def test_name_mangled_attribute_with_nn_buffer_keeps_the_attribute(tmp_path):
    out = fixed(tmp_path, MANGLED, config='[tool.torchlint]\nbuffer-style = "nn.Buffer"\n')
    assert "self.__mean = nn.Buffer(torch.zeros(n), persistent=False)" in out


def test_mangled_name_helper():
    from torchlint.analysis.names import mangled_name

    assert mangled_name("Norm", "__x") == "_Norm__x"
    assert mangled_name("_Norm", "__x") == "_Norm__x"  # leading underscores of the class are dropped
    assert mangled_name("__", "__x") is None  # a class named only underscores does not mangle
    assert mangled_name("Norm", "__x__") is None and mangled_name("Norm", "_x") is None


# -- the buffer style --------------------------------------------------------------------

PLAIN = """\
    import torch
    import torch.nn as nn


    class Table(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.table = torch.zeros(n)
    {extra}"""


def source_with(extra: str) -> str:
    return PLAIN.replace("    {extra}", textwrap.indent(textwrap.dedent(extra), "    "))


USES_BUFFER = """\

    class Other(nn.Module):
        def __init__(self):
            super().__init__()
            self.steps = nn.Buffer(torch.zeros(()))
    """
USES_REGISTER = """\

    class Other(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("steps", torch.zeros(()))
    """


@pytest.mark.parametrize("config, extra, expected", [
    ("", "", 'self.register_buffer("table", torch.zeros(n), persistent=False)'),  # torch version unknown
    ('[tool.torchlint]\ntorch-version = "2.5"\n', "", "self.table = nn.Buffer(torch.zeros(n), persistent=False)"),
    ("", USES_BUFFER, "self.table = nn.Buffer(torch.zeros(n), persistent=False)"),  # the file's own style
    ('[tool.torchlint]\ntorch-version = "2.6"\n', USES_REGISTER,
     'self.register_buffer("table", torch.zeros(n), persistent=False)'),
    ('[tool.torchlint]\nbuffer-style = "register_buffer"\n', USES_BUFFER,
     'self.register_buffer("table", torch.zeros(n), persistent=False)'),  # the setting wins
    ('[tool.torchlint]\nbuffer-style = "nn.Buffer"\n', USES_REGISTER,
     "self.table = nn.Buffer(torch.zeros(n), persistent=False)"),
])
def test_buffer_style_setting_and_the_files_own_style(tmp_path, config, extra, expected):
    out = fixed(tmp_path, source_with(extra), config=config)
    assert expected in out
    (tmp_path / "model.py").write_text(textwrap.dedent(source_with(extra)))
    (tl001,) = by_code(lint_source(source_with(extra), tmp_path), "TL001")
    shown = "self.table = nn.Buffer(...)" if "nn.Buffer(torch" in expected else 'self.register_buffer("table", ...)'
    assert shown in tl001.help


def test_buffer_style_must_be_known(tmp_path):
    from torchlint.config import ConfigError, load_settings

    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nbuffer-style = "Buffer"\n')
    with pytest.raises(ConfigError, match="buffer-style"):
        load_settings(tmp_path)


# -- checkpoints ---------------------------------------------------------------------------

@pytest.mark.parametrize("elsewhere", [
    # registered (persistent) by another method: the store in __init__ may land in _buffers
    '    def reset(self):\n        self.register_buffer("table", torch.zeros(3))\n',
    # registered under computed names in construction
    None,
])
def test_no_safe_non_persistent_fix_on_a_name_that_may_be_a_buffer(tmp_path, elsewhere):
    if elsewhere is None:
        source = """\
            import torch
            import torch.nn as nn


            class Table(nn.Module):
                def __init__(self, names):
                    super().__init__()
                    for name in names:
                        self.register_buffer(name, None)
                    self.table = torch.zeros(3)
            """
    else:
        source = textwrap.dedent(PLAIN.replace("    {extra}", "")) + "\n" + elsewhere
        source = source.replace("self.table = torch.zeros(n)", "self.table = torch.zeros(n)\n        self.reset()")
        source = source.replace("self.reset()", "")
    for diagnostic in by_code(lint_source(source, tmp_path), "TL001"):
        assert diagnostic.fix is None or diagnostic.fix.applicability != "safe"
    assert "persistent=False" not in fixed(tmp_path, source)


# -- TL010: what torch really raises ------------------------------------------------------

PROPERTIES = """\
    import functools
    import torch
    import torch.nn as nn


    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("scale", torch.ones(1))     # getter returns: KeyError
            self.register_buffer("shift", torch.zeros(1))    # getter raises AttributeError: registered
            self.offset = 0.5
            self.register_buffer("bias", torch.zeros(1))     # getter reads self.offset, set above: KeyError

        @property
        def scale(self):
            return 2.0

        @property
        def shift(self):
            return self._shift_override

        @property
        def bias(self):
            return self.offset
    """


def test_tl010_property_message_says_what_torch_does(tmp_path):
    found = sorted(by_code(lint_source(PROPERTIES, tmp_path), "TL010"), key=lambda d: d.location.row)
    assert [d.location.row for d in found] == [9, 12]
    for diagnostic in found:
        assert "is a property of `Scaled`" in diagnostic.message and "runs the getter" in diagnostic.message
        assert "already exists" in diagnostic.message
        assert "under another name" in diagnostic.help


NOT_MODULES = """\
    import functools
    from functools import partial
    import torch.nn as nn
    import torch.nn.functional as F


    def swish(x):
        return x * x.sigmoid()


    class Unit(nn.Module):
        def __init__(self):
            super().__init__()
            self.act = functools.partial(F.leaky_relu, negative_slope=0.1)
            self.add_module("act", self.act)
            self.add_module("norm", partial(nn.LayerNorm, eps=1e-6))
            self.add_module("gelu", F.gelu)
            self.add_module("swish", swish)
            self.register_module("square", lambda x: x * x)
            self.add_module("fine", nn.ReLU())
            self.add_module("absent", None)
    """


def test_tl010_add_module_of_a_non_module_is_a_type_error_not_a_clash(tmp_path):
    found = sorted(by_code(lint_source(NOT_MODULES, tmp_path), "TL010"), key=lambda d: d.location.row)
    assert [d.location.row for d in found] == [15, 16, 17, 18, 19]
    for diagnostic in found:
        assert "is not a Module subclass" in diagnostic.message and "TypeError" in diagnostic.message
        assert "already exists" not in diagnostic.message
    assert "`functools.partial` is passed to `self.add_module`" in found[0].message


# -- TL009: only layers rebuilt on every call that nothing trains ---------------------------

FORMS = """\
    import torch
    import torch.nn as nn


    class Forms(nn.Module):
        def __init__(self):
            super().__init__()
            self.ready = False

        def forward(self, x, name="a"):
            if not self.ready:
                self.add_module("lazy_a", nn.Linear(3, 3))
                setattr(self, "lazy_b", nn.Sequential(nn.Linear(3, 3), nn.ReLU()))
                self.ready = True
            self.add_module("every_call", nn.Linear(3, 3))
            weight = nn.Parameter(torch.randn(3, 3))
            optimizer = torch.optim.Adam([weight])
            fresh = nn.Parameter(torch.zeros_like(self.every_call.weight))
            rewrapped = nn.Parameter(self.every_call.weight.data * 2)
            return x @ weight + fresh + rewrapped
    """


def test_tl009_reports_only_what_is_rebuilt_and_never_trained(tmp_path):
    found = by_code(lint_source(FORMS, tmp_path), "TL009")
    assert sorted(d.location.row for d in found) == [15, 18]  # every_call, the fresh zeros_like


def test_tl009_helper_result_stored_lazily_is_not_reported(tmp_path):
    source = """\
        import torch.nn as nn


        class Stem(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem = None

            def _make(self, c):
                layer = nn.Conv2d(c, 8, 3)
                return layer

            def _probe(self, c):
                return nn.Conv2d(c, 1, 1)

            def forward(self, x):
                if self.stem is None:
                    self.stem = self._make(x.size(1))
                return self.stem(x) + self._probe(8)(self.stem(x))
        """
    found = by_code(lint_source(source, tmp_path), "TL009")
    assert [d.location.row for d in found] == [14]  # `_probe`'s result is used once and dropped


# -- TL001 before super().__init__(): the fix moves the registration below the call --------

MOVABLE = """\
    import torch
    import torch.nn as nn


    class Early(nn.Module):
        def __init__(self, n):
            window = torch.hann_window(n)
            # the analysis window
            self.window = window  # kept
            self.n = n
            super().__init__()
            self.proj = nn.Linear(n, n)
    """


def test_tl001_before_super_fix_registers_after_the_super_call(tmp_path):
    assert fixed(tmp_path, MOVABLE) == textwrap.dedent("""\
        import torch
        import torch.nn as nn


        class Early(nn.Module):
            def __init__(self, n):
                window = torch.hann_window(n)
                self.n = n
                super().__init__()
                # the analysis window
                self.register_buffer("window", window, persistent=False)  # kept
                self.proj = nn.Linear(n, n)
        """)


@pytest.mark.parametrize("between", [
    "self.size = self.window.numel()",  # reads the attribute before the super call
    "self._prepare()",  # a method of self might read it
    "window = window * 2",  # rebinds a name the value uses
])
def test_tl001_before_super_fix_declined_when_the_move_could_change_behaviour(tmp_path, between):
    source = MOVABLE.replace("self.n = n", between) + "\n    def _prepare(self):\n        pass\n"
    (tl001,) = by_code(lint_source(source, tmp_path), "TL001")
    assert "after `super().__init__()`" in tl001.help
    if between == "self._prepare()":  # (`_prepare` lands outside the class: a method it lacks may do anything)
        assert tl001.fix is None
        return
    # the move is declined: the line stays, and after the super call the registration takes
    # over the plain attribute it set (see test_fix_before_distant_super.py)
    assert "taking over the plain attribute this line sets" in tl001.fix.message
    assert [e.content for e in tl001.fix.edits] == [
        '        window_ = self.window\n        del self.window\n'
        '        self.register_buffer("window", window_, persistent=False)\n']


def test_tl001_before_super_fix_is_unsafe_under_a_user_base(tmp_path):
    source = MOVABLE.replace("class Early(nn.Module):",
                             "class Base(nn.Module):\n        pass\n\n\n    class Early(Base):")
    (tl001,) = by_code(lint_source(source, tmp_path), "TL001")
    assert tl001.fix is not None and tl001.fix.applicability == "unsafe"  # Base.__init__ might read it
    assert "persistent=False" not in fixed(tmp_path, source)


def test_a_parameter_on_the_other_branch_keeps_the_safe_fix(tmp_path):
    source = """\
        import torch
        import torch.nn as nn


        class Sigmoid(nn.Module):
            def __init__(self, temperature=1.0, learn=False):
                super().__init__()
                if learn:
                    self.temperature = nn.Parameter(torch.tensor([temperature]))
                else:
                    self.temperature = torch.tensor([temperature])
        """
    (tl001,) = by_code(lint_source(source, tmp_path), "TL001")
    assert tl001.fix is not None and tl001.fix.applicability == "safe"  # no state_dict key is added or dropped


def test_tl004_advice_accounts_for_a_later_move_of_the_same_name(tmp_path):
    from conftest import FIXTURES

    source = (FIXTURES / "buggy" / "trainable_moved_after_optimizer.py").read_text()
    first, moved = sorted(by_code(lint_source(source, tmp_path), "TL004"), key=lambda d: d.location.row)
    assert "line 12 then stores a plain tensor in `self.log_alpha`, which raises `TypeError`" in first.help
    assert moved.help.startswith("Create it on its device where it is first made")
    assert "drop this line" in moved.help
    # wrapping line 10 alone would make line 12 raise: the fix creates it on its device and drops line 12
    assert first.fix == moved.fix and first.fix.applicability == "unsafe"
    assert "drop line 12's move" in first.fix.message
    assert [(e.location.row, e.end_location.row, e.content) for e in first.fix.edits] == [
        (10, 10, "nn.Parameter(torch.zeros(1, device=device))"), (12, 13, "")]


def test_a_project_class_named_buffer_is_not_the_nn_buffer_style(tmp_path):
    extra = """\

    class Buffer:
        def __init__(self, size):
            self.size = size


    replay = Buffer(10), Buffer(20)
    """
    out = fixed(tmp_path, source_with(extra))
    assert 'self.register_buffer("table", torch.zeros(n), persistent=False)' in out


def test_nn_buffer_imported_under_another_name_counts(tmp_path):
    extra = """\

    from torch.nn import Buffer as B


    class Other(nn.Module):
        def __init__(self):
            super().__init__()
            self.steps = B(torch.zeros(()))
    """
    assert "self.table = nn.Buffer(torch.zeros(n), persistent=False)" in fixed(tmp_path, source_with(extra))


def test_tl009_storing_a_layers_output_is_not_storing_the_layer(tmp_path):
    source = """\
        import torch.nn as nn


        class Cached(nn.Module):
            def forward(self, x):
                return self._compute(x)

            def _compute(self, x):
                proj = nn.Linear(x.size(-1), 4)
                y = proj(x)
                self.last = y.detach()
                return y
        """
    assert [d.location.row for d in by_code(lint_source(source, tmp_path), "TL009")] == [9]


def test_mangled_registration_names_are_matched_to_self_attributes(tmp_path):
    source = """\
        import torch
        import torch.nn as nn


        class A(nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("_A__x", None)
                self.__x = torch.zeros(3)           # lands in the registered buffer `_A__x`


        class B(nn.Module):
            def __init__(self):
                super().__init__()
                self.__y = None
                self.register_buffer("__y", torch.zeros(3))   # no clash: `self.__y` is `_B__y`
        """
    found = lint_source(source, tmp_path)
    assert [(d.code, d.location.row) for d in found] == [("TL010", 16)]
    assert "`self.__y` is the attribute `_B__y`" in found[0].message and "already exists" not in found[0].message
    assert found[0].help == 'Register it as `"_B__y"`, or write `self.__y = nn.Buffer(...)`'


def test_a_computed_buffer_name_with_another_prefix_does_not_block_the_fix(tmp_path):
    source = """\
        import torch
        import torch.nn as nn


        class Basis(nn.Module):
            def __init__(self, js):
                super().__init__()
                for j in js:
                    self.register_buffer(f"harmonics_{j}", torch.zeros(j))
                self.change_of_basis = torch.eye(3)
                self.harmonics_extra = torch.eye(3)
        """
    found = sorted(by_code(lint_source(source, tmp_path), "TL001"), key=lambda d: d.location.row)
    # `harmonics_extra` may be one of the computed names (j == "extra"): a store to it may go
    # into _buffers, so it is not reported at all; `change_of_basis` keeps its safe fix
    assert [(d.location.row, d.fix is not None and d.fix.applicability == "safe") for d in found] == [(10, True)]
