"""Verdicts that mean what they say: a finding is confirmed only by its rule's own
runtime fact; any other error leaves it unverified with the build failure as reason."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import run_cli

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

FOREIGN = """\
import torch
import torch.nn as nn


class Clash(nn.Module):
    def __init__(self, dim=8):
        super().__init__()
        self.mask = None
        raise TypeError("unsupported mask layout")
        self.register_buffer("mask", torch.ones(dim))


class Real(nn.Module):
    def __init__(self, dim=8):
        super().__init__()
        self.mask = None
        self.register_buffer("mask", torch.ones(dim))


class Head(nn.Module):
    def __init__(self, dim=8, act="relu"):
        super().__init__()
        self.head = None
        self.add_module("head", nn.Sequential(nn.Linear(dim, dim), act))


class Late(nn.Module):
    def __init__(self, dim=8, table=None):
        self.fc = nn.Linear(dim, table["dim"])
        super().__init__()


class Mimic(nn.Module):
    def __init__(self, dim=8):
        self.size = dim
        raise AttributeError("cannot assign module before Module.__init__() call")
        self.fc = nn.Linear(dim, dim)
"""


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    root = tmp_path_factory.mktemp("foreign")
    (root / "foreign.py").write_text(FOREIGN)
    result = run_cli("foreign.py", "--runtime", "--show-refuted", "--output-format", "json", "--exit-zero",
                     "--no-cache", cwd=root)
    assert result.returncode == 0, result.stderr.decode()
    return {(d["code"], d["location"]["row"]): d for d in json.loads(result.stdout)}


def test_a_foreign_exception_leaves_the_finding_unverified_with_the_build_failure(verdicts):
    clash = verdicts[("TL010", 10)]["runtime"]
    assert clash["verdict"] == "unverified"
    assert clash["detail"].startswith("build failed: TypeError: unsupported mask layout; `Clash` was tried with ")
    late = verdicts[("TL002", 29)]["runtime"]
    assert late["verdict"] == "unverified"
    assert late["detail"].startswith("build failed: TypeError: 'NoneType' object is not subscriptable")


def test_the_rules_own_error_confirms(verdicts):
    real = verdicts[("TL010", 17)]["runtime"]
    assert real == {**real, "verdict": "confirmed"}
    assert "KeyError: attribute 'mask' already exists" in real["detail"]


def test_an_error_torch_raised_for_another_name_does_not_confirm(verdicts):
    # nn.Sequential rejects the string first (a registration error, for the name "1"):
    # the clash on "head" is confirmed by its own KeyError, seen when the probe goes on
    head = verdicts[("TL010", 24)]["runtime"]
    assert head["verdict"] == "confirmed"
    assert "attribute 'head' already exists" in head["detail"] and "Module subclass" not in head["detail"]


def test_the_same_text_raised_by_user_code_is_not_torchs_error(verdicts):
    mimic = verdicts[("TL003", 34)]["runtime"]
    assert mimic["verdict"] == "unverified"
    assert mimic["detail"].startswith(
        "build failed: AttributeError: cannot assign module before Module.__init__() call; `Mimic` was tried")


@pytest.fixture(scope="module")
def aliases():
    from conftest import FIXTURES

    result = run_cli(str(FIXTURES / "runtime" / "registered_alias.py"), "--runtime", "--show-refuted",
                     "--output-format", "json", "--exit-zero", "--no-cache")
    assert result.returncode == 0, result.stderr.decode()
    return {(d["code"], d["location"]["row"]): d for d in json.loads(result.stdout)}


def test_a_tensor_registered_under_another_name_is_not_tl001s_fact(aliases):
    # TL001's runtime fact is a tensor missing from named_buffers()/state_dict(): the very
    # object registered as `offsets` is not that; the stale-alias risk stays, unverified
    alias = aliases[("TL001", 13)]["runtime"]
    assert alias["verdict"] == "unverified"
    assert "the very same tensor is registered as `offsets`" in alias["detail"]
    scratch = aliases[("TL001", 19)]["runtime"]
    assert scratch["verdict"] == "confirmed"
    assert "plain tensor of shape [4, 4] in `self.scratch`" in scratch["detail"]
    assert len(aliases) == 2  # no runtime-only double for the alias
