"""With torch: a safe fix never changes what a checkpoint holds.

Every fixture model is built before and after `torchlint --fix` (safe fixes only) and
the keys of its `state_dict()` are compared. A model that does not build before the fix
(the bug raises at construction) is only required to build after it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import inspect
import shutil
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def build(cls):
    """An instance from small integer arguments for the required parameters; None when
    the class cannot be built that way."""
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    args = [4 for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    torch.manual_seed(0)
    try:
        return cls(*args)
    except Exception:
        return None


def modules_of(module):
    return {name: value for name, value in vars(module).items()
            if inspect.isclass(value) and issubclass(value, torch.nn.Module) and value.__module__ == module.__name__}


@pytest.fixture(scope="module")
def fixed_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("safe")
    for folder in ("buggy", "clean"):
        shutil.copytree(FIXTURES / folder, root / folder)
    result = run_cli(str(root / "buggy"), str(root / "clean"), "--fix", "--exit-zero", "--no-cache")
    assert b"Traceback" not in result.stderr, result.stderr
    return root


def _dropped_by_moves() -> dict[str, set[str]]:
    """File name -> the attributes TL011 reports (``self.w = nn.Parameter(t).double()``)."""
    result = run_cli(str(FIXTURES / "buggy"), "--select", "TL011", "--output-format", "json", "--no-cache")
    dropped: dict[str, set[str]] = {}
    for finding in json.loads(result.stdout):
        name = re.match(r"`self\.(\w+)`", finding["message"]).group(1)
        dropped.setdefault(Path(finding["filename"]).name, set()).add(name)
    return dropped


def test_safe_fixes_keep_state_dict_keys(fixed_copy):
    compared = changed_files = 0
    dropped_by_moves = _dropped_by_moves()
    assert dropped_by_moves, "the TL011 fixture should report moved Parameters"
    for folder in ("buggy", "clean"):
        for path in sorted((FIXTURES / folder).glob("*.py")):
            after_path = fixed_copy / folder / path.name
            if after_path.read_bytes() != path.read_bytes():
                changed_files += 1
            try:
                before = load(path, f"before_{folder}_{path.stem}")
            except ImportError:
                continue  # a fixture for a library not installed here (Lightning)
            after = load(after_path, f"after_{folder}_{path.stem}")
            for name, cls in modules_of(before).items():
                old, new = build(cls), build(modules_of(after)[name])
                if old is None:
                    continue  # the bug (or our made-up arguments) stops construction
                assert new is not None, f"{path.name}:{name} no longer builds after the safe fixes"
                try:
                    old.state_dict()
                except AttributeError:
                    continue  # built, but never initialised as a Module (TL003): it has no checkpoint
                # the one key a safe fix may add: a Parameter that TL011 says a copying move dropped
                restored = set(new.state_dict()) - set(old.state_dict())
                assert restored <= dropped_by_moves.get(path.name, set()), f"{path.name}:{name}"
                assert set(old.state_dict()) <= set(new.state_dict()), f"{path.name}:{name}"
                compared += 1
    assert changed_files >= 5 and compared >= 20, (changed_files, compared)


MANGLED = '''\
import torch
import torch.nn as nn


class StreamingNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.__mean = torch.zeros(dim)

    def forward(self, x):
        return x - self.__mean
'''


@pytest.mark.parametrize("style", ["register_buffer", "nn.Buffer"])
def test_fixed_name_mangled_buffer_is_the_one_forward_reads(tmp_path, style):
    (tmp_path / "pyproject.toml").write_text(f'[tool.torchlint]\nbuffer-style = "{style}"\n')
    path = tmp_path / "norm.py"
    path.write_text(MANGLED)
    assert run_cli(str(path), "--fix", "--no-cache", cwd=tmp_path).returncode == 0
    model = load(path, f"mangled_{style.replace('.', '_')}").StreamingNorm(3)
    assert dict(model.named_buffers()).keys() == {"_StreamingNorm__mean"}
    assert model.double()(torch.ones(3, dtype=torch.float64)).dtype == torch.float64  # the buffer followed .double()
    assert "_StreamingNorm__mean" not in model.state_dict()  # safe: non-persistent, checkpoints unchanged
