"""Forms of real bugs fixed between PyPI releases (benchmarks/recall_refs.csv): a torch
factory named by a string default, a static method of a project class that returns a
tensor, a list helper of another module, and an interface annotation whose subclasses own
parameters. Each with its clean twin."""

from __future__ import annotations

import ast
import textwrap

import pytest

from conftest import lint_source
from torchlint.analysis.project import _first_argument_returns, _lists_its_argument


def found(tmp_path, source: str, name: str = "model.py") -> list[tuple[str, int, int]]:
    return [(d.code, d.location.row, d.location.column)
            for d in lint_source(textwrap.dedent(source), tmp_path, name=name)]


WINDOW = """\
    import torch
    import torch.nn as nn


    class STFTLoss(nn.Module):
        def __init__(self, n_fft=1024, window={default!r}):
            super().__init__()
            self.window = getattr(torch, window)(n_fft)
    """


@pytest.mark.parametrize("default", ["hann_window", "hamming_window", "blackman_window"])
def test_a_window_named_by_a_string_default_is_a_tensor(tmp_path, default):
    assert found(tmp_path, WINDOW.format(default=default)) == [("TL001", 8, 9)]


@pytest.mark.parametrize("default", ["relu", "get_default_dtype", "no_such_function"])
def test_a_string_default_naming_no_tensor_factory_is_not(tmp_path, default):
    assert found(tmp_path, WINDOW.format(default=default)) == []


def test_a_string_default_the_caller_overrides_is_not_assumed(tmp_path):
    source = """\
        import torch
        import torch.nn as nn


        class Loss(nn.Module):
            def __init__(self):
                super().__init__()
                self._setup("relu")

            def _setup(self, kind="hann_window"):
                self.fn = getattr(torch, kind)(4)
        """
    assert found(tmp_path, source) == []


def test_a_static_method_returning_a_tensor_in_the_same_file(tmp_path):
    source = """\
        import torch
        import torch.nn as nn


        class Layout:
            @staticmethod
            def offsets(n) -> torch.Tensor:
                return torch.arange(n)

            @staticmethod
            def label(n) -> str:
                return str(n)


        class Gather(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.offsets = Layout.offsets(n)
                self.label = Layout.label(n)
        """
    assert found(tmp_path, source) == [("TL001", 18, 9)]


@pytest.mark.parametrize("body, lists", [
    ("return x if isinstance(x, list) else [x]", True),
    ("if isinstance(x, tuple):\n    return list(x)\nreturn [x]", True),
    ("return tuple(x)", True),
    ("return x", False),  # gives its argument back: nothing is listed
    ("return [x, x]", False),
    ("return [y]", False),
    ("return sorted(x)", False),
])
def test_list_helpers_are_recognised(body, lists):
    function = ast.parse("def to_list(x, y=None):\n" + textwrap.indent(body, "    ")).body[0]
    assert _lists_its_argument(_first_argument_returns(function)) is lists


def test_an_interface_annotation_whose_subclasses_own_parameters(tmp_path):
    source = """\
        from typing import List, Union

        import torch.nn as nn


        def as_list(x):
            return x if isinstance(x, list) else [x]


        class Squeeze(nn.Module):
            def forward(self, x):
                raise NotImplementedError


        class Project(Squeeze):
            def __init__(self, c):
                super().__init__()
                self.proj = nn.Conv1d(c, c, 1)


        class Encoder(nn.Module):
            def __init__(self, squeeze: Union[Squeeze, List[Squeeze]] = []):
                super().__init__()
                self.squeezes = as_list(squeeze)
        """
    assert found(tmp_path, source) == [("TL007", 24, 9)]


def test_an_interface_no_subclass_of_which_owns_parameters_is_left_alone(tmp_path):
    source = """\
        from typing import List, Union

        import torch
        import torch.nn as nn


        class Activation(nn.Module):
            def forward(self, x):
                raise NotImplementedError


        class Swish(Activation):
            def forward(self, x):
                return x * torch.sigmoid(x)


        class Mlp(nn.Module):
            def __init__(self, acts: Union[Activation, List[Activation]] = []):
                super().__init__()
                self.acts = acts if isinstance(acts, list) else [acts]
        """
    assert found(tmp_path, source) == []


def test_a_builder_function_makes_its_class_own_parameters(tmp_path):
    """``Conv1d = a function returning nn.Conv1d``: a class built with it owns parameters, so a
    plain list of them is TL007."""
    source = """\
        import torch.nn as nn


        def Conv1d(*args, **kwargs) -> nn.Module:
            return nn.Conv1d(*args, **kwargs)


        class Gate(nn.Module):
            def __init__(self, c):
                super().__init__()
                self.conv = Conv1d(c, c, 1)


        class Stack(nn.Module):
            def __init__(self, c, n):
                super().__init__()
                self.gates = [Gate(c) for _ in range(n)]
        """
    assert found(tmp_path, source) == [("TL007", 17, 9)]


def test_a_lone_collection_of_an_interface_is_not_trusted(tmp_path):
    """``dict[str, Decoder]`` of an abstract class, where the argument holds sizes: an
    annotation can be wrong (transformers' Perceiver); only the one-or-several idiom
    ``Union[Decoder, List[Decoder]]`` lets an interface stand for its subclasses."""
    source = """\
        import torch.nn as nn


        class Decoder(nn.Module):
            def forward(self, x):
                raise NotImplementedError


        class Basic(Decoder):
            def __init__(self, c):
                super().__init__()
                self.proj = nn.Linear(c, c)


        class Multimodal(Decoder):
            def __init__(self, modalities: dict[str, Decoder], index_dims: dict[str, Decoder] | None = None):
                super().__init__()
                self.modalities = nn.ModuleDict(modalities)
                self.index_dims = index_dims
        """
    assert found(tmp_path, source) == []


def test_the_one_or_several_idiom_in_pep_604_spelling(tmp_path):
    source = """\
        import torch.nn as nn


        class Squeeze(nn.Module):
            pass


        class Project(Squeeze):
            def __init__(self, c):
                super().__init__()
                self.proj = nn.Conv1d(c, c, 1)


        class Encoder(nn.Module):
            def __init__(self, squeeze: Squeeze | list[Squeeze] = ()):
                super().__init__()
                self.squeezes = list(squeeze) if isinstance(squeeze, (list, tuple)) else [squeeze]
        """
    assert [code for code, _, _ in found(tmp_path, source)] == ["TL007"]
