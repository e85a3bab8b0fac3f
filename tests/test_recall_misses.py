"""Recall misses from real bug reports: argument kinds (TL002/TL010), super(nn.Module, self)
(TL003), NumPy buffers (TL010), and runtime evidence that must come from the user's code."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import run_cli


def _findings(tmp_path, source: str, *args: str) -> list[tuple[str, int, int]]:
    (tmp_path / "model.py").write_text(textwrap.dedent(source))
    result = run_cli("model.py", "--select", "ALL", "--output-format", "json", "--exit-zero", *args, cwd=tmp_path)
    return [(d["code"], d["location"]["row"], d["location"]["column"]) for d in json.loads(result.stdout)]


def test_super_naming_module_skips_its_init_and_is_fixed_to_plain_super(tmp_path):
    source = """\
        import torch.nn as nn

        class Loss(nn.Module):
            def __init__(self, p):
                super(nn.Module, self).__init__()
                self.p = p
    """
    assert _findings(tmp_path, source) == [("TL003", 4, 9)]
    run_cli("model.py", "--select", "TL003", "--fix", cwd=tmp_path)
    assert "super().__init__()" in (tmp_path / "model.py").read_text()
    assert _findings(tmp_path, (tmp_path / "model.py").read_text()) == []


def test_an_argument_callers_pass_different_kinds_stays_silent(tmp_path):
    source = """\
        import torch
        import torch.nn as nn

        class Holder(nn.Module):
            def __init__(self, value):
                super().__init__()
                self.register_buffer("value", value)

        def build(flag):
            listed = [torch.zeros(1)]
            return Holder(listed) if flag else Holder(torch.zeros(2))
    """
    assert _findings(tmp_path, source) == []


def test_an_argument_rebound_in_the_caller_is_not_followed(tmp_path):
    source = """\
        import torch
        import torch.nn as nn

        class Holder(nn.Module):
            def __init__(self, value):
                super().__init__()
                self.register_buffer("value", value)

        def build():
            value = [torch.zeros(1), torch.zeros(1)]
            value = torch.stack(value)
            return Holder(value)
    """
    assert _findings(tmp_path, source) == []


def test_module_argument_from_callers_before_super(tmp_path):
    source = """\
        import torch.nn as nn

        class Wrap(nn.Module):
            def __init__(self, inner, name="w"):
                self.name = name
                self.inner = inner
                super().__init__()

        def build():
            return Wrap(nn.Linear(2, 2))
    """
    assert _findings(tmp_path, source) == [("TL002", 6, 9)]


@pytest.mark.torch
def test_runtime_does_not_confirm_a_rejection_of_a_made_up_argument(tmp_path):
    pytest.importorskip("torch")
    source = """\
        import torch
        import torch.nn as nn

        class Layer(nn.Module):
            def __init__(self, n, storage):
                super().__init__()
                self.register_buffer("shared", storage, persistent=False)
                self.fc = nn.Linear(n, n)

        class Block(nn.Module):
            def __init__(self, n=4, size=8):
                super().__init__()
                storage = torch.zeros(size)
                self.layers = nn.ModuleList(Layer(n, storage) for _ in range(2))
    """
    assert _findings(tmp_path, source, "--runtime") == []
