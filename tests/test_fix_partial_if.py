"""TL001: a name set or registered on some arms of an `if` only (no `else`, or an arm that
stores nothing). The fix registers None under it, non-persistent, right before that `if`:
every path's stores then go into the buffer, a registration in an arm keeps its own form,
and the path that stores nothing holds None (no state_dict key). Golden before/after,
idempotent, refusals where it would change behaviour, and torch on every path."""

from __future__ import annotations

import ast

import pytest

from conftest import lint_source
from test_fixes import NN_ALIASES, dedent, fixed, namespace_of

SOLVER = """\
    import numpy as np
    import torch
    from torch import Tensor
    {imports}

    class Solver({nn}.Module):
        def __init__(self, timesteps=None, steps=4, device=None):
            super().__init__()
            if timesteps is None:
                timesteps = torch.linspace(0, 1, steps)
            if isinstance(timesteps, np.ndarray):
                self.timesteps = torch.from_numpy(timesteps.copy())
            elif isinstance(timesteps, Tensor):
                self.timesteps = timesteps
            self.device_name = device
            if device is not None:
                self.timesteps = self.timesteps.to(device)
"""

WHITENING = """\
    import torch
    {imports}

    class Whitening({nn}.Module):
        def __init__(self, n, track):
            super().__init__()
            if track:  # keep the running covariance
                self.register_buffer("cov", None)
            self.cov = torch.eye(n)
"""


def solver(imports: str = "import torch.nn as nn\n", nn: str = "nn") -> str:
    return dedent(SOLVER.format(imports=imports.rstrip("\n"), nn=nn))


def whitening(imports: str = "import torch.nn as nn\n", nn: str = "nn") -> str:
    return dedent(WHITENING.format(imports=imports.rstrip("\n"), nn=nn))


def before_if(source: str, marker: str, line: str) -> str:
    """``source`` with ``line`` inserted above the line containing ``marker``, at its indentation."""
    head, tail = source.split(marker, 1)
    start = head.rfind("\n") + 1
    indent = head[start:]
    return head[:start] + indent + line + "\n" + indent + marker + tail


@pytest.mark.parametrize("imports,nn", NN_ALIASES)
def test_whitening_registers_none_before_the_if(tmp_path, imports, nn):
    before = whitening(imports, nn)
    after = before_if(before, "if track:", 'self.register_buffer("cov", None, persistent=False)')
    result = fixed(tmp_path, before)
    assert result == after
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result  # nothing left, idempotent


def test_solver_registers_before_the_if_and_the_arms_with_unsafe_fixes(tmp_path):
    before = solver()
    after = before_if(before, "if isinstance(timesteps, np.ndarray):",
                      'self.register_buffer("timesteps", None, persistent=False)')
    after = after.replace("self.timesteps = torch.from_numpy(timesteps.copy())",
                          'self.register_buffer("timesteps", torch.from_numpy(timesteps.copy()))')
    after = after.replace("self.timesteps = timesteps\n", 'self.register_buffer("timesteps", timesteps)\n')
    result = fixed(tmp_path, before, unsafe=True)
    assert result == after
    assert fixed(tmp_path, result, unsafe=True) == result


def test_the_safe_fixes_leave_no_finding(tmp_path):
    result = fixed(tmp_path, solver())
    assert 'self.register_buffer("timesteps", None, persistent=False)\n        if isinstance' in result
    assert [d for d in lint_source(result, tmp_path / "again") if d.code == "TL001"] == []
    assert fixed(tmp_path, result) == result


def test_comments_tabs_and_crlf(tmp_path):
    before = whitening().replace("    ", "\t").replace("\n", "\r\n")
    result = fixed(tmp_path, before, raw=True)
    assert result == before.replace("\t\tif track:", '\t\tself.register_buffer("cov", None, persistent=False)\r\n'
                                    "\t\tif track:").encode()


REFUSED = {
    "in a loop": WHITENING.replace("            if track:  # keep the running covariance\n"
                                   "                self.register_buffer(\"cov\", None)\n",
                                   "            for _ in range(2):\n                if track:\n"
                                   "                    self.register_buffer(\"cov\", None)\n"),
    "asked by name": WHITENING + "\n        def reset(self):\n            if hasattr(self, \"cov\"):\n"
                                 "                del self.cov\n",
    "in a helper": """\
    import torch
    import torch.nn as nn

    class Whitening(nn.Module):
        def __init__(self, n, track):
            super().__init__()
            self.setup(n, track)

        def setup(self, n, track):
            if track:
                self.register_buffer("cov", None)
            self.cov = torch.eye(n)
""",
    "before super": """\
    import torch
    import torch.nn as nn

    class Solver(nn.Module):
        def __init__(self, t, device=None):
            if isinstance(t, torch.Tensor):
                self.t = t.clone()
            super().__init__()
            self.t = self.t.to(device)
""",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused(tmp_path, name):
    before = dedent(REFUSED[name].format(imports="import torch.nn as nn", nn="nn"))
    result = fixed(tmp_path, before)
    assert 'register_buffer("cov", None, persistent=False)' not in result
    assert 'register_buffer("t", None, persistent=False)' not in result


@pytest.mark.torch
def test_torch_every_path_keeps_its_checkpoint_and_registers(tmp_path):
    torch = pytest.importorskip("torch")
    np = pytest.importorskip("numpy")
    old = namespace_of(whitening())
    new = namespace_of(fixed(tmp_path, whitening()))
    for track in (True, False):
        a, b = old["Whitening"](3, track), new["Whitening"](3, track)
        assert list(a.state_dict()) == list(b.state_dict())  # checkpoints unchanged on each path
        assert [n for n, _ in b.named_buffers()] == ["cov"]  # moved by .to() on every path
        assert torch.equal(b.cov, torch.eye(3))
    assert list(new["Whitening"](3, True).state_dict()) == ["cov"]

    old = namespace_of(solver())
    new = namespace_of(fixed(tmp_path, solver()))
    for value in (np.arange(3.0), torch.arange(3.0)):
        a, b = old["Solver"](value, device="cpu"), new["Solver"](value, device="cpu")
        assert torch.equal(a.timesteps, b.timesteps)
        assert list(a.state_dict()) == list(b.state_dict()) == []
        assert [n for n, _ in b.named_buffers()] == ["timesteps"]
    # the path that stores nothing: the attribute was missing, it now holds None
    a, b = old["Solver"]([0.0, 1.0]), new["Solver"]([0.0, 1.0])
    assert not hasattr(a, "timesteps") and b.timesteps is None
    assert list(b.state_dict()) == []
