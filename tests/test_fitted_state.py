"""TL012 tensor-stored-after-construction: state a Module computes in a method its user
calls after construction (fit, calibrate, set_*) and forward reads."""

from __future__ import annotations

import textwrap

import pytest

from conftest import lint_source


def estimator(init: str, fit: str, forward: str = "return x * self.stats", extra: str = "") -> str:
    return textwrap.dedent("""\
        import torch
        import torch.nn as nn


        class Estimator(nn.Module):
            def __init__(self, dim=3):
                super().__init__()
        {init}

            def fit(self, data, device=None):
        {fit}

            def forward(self, x):
        {forward}
        {extra}
        """).format(init=textwrap.indent(init, " " * 8), fit=textwrap.indent(fit, " " * 8),
                    forward=textwrap.indent(forward, " " * 8), extra=textwrap.indent(extra, " " * 4))


def tl012(tmp_path, source: str) -> list:
    return [d for d in lint_source(source, tmp_path) if d.code == "TL012"]


@pytest.mark.parametrize("fit", [
    "self.stats = torch.ones(data.shape[1])",
    "self.stats = torch.mean(data, dim=0)",
    "mean = data.mean(0)\nself.stats = torch.zeros_like(mean) + 1",
    "_, _, v = torch.linalg.svd(data)\nself.stats = v[:2]",
    "u, s, _ = torch.svd_lowrank(data.T)\nself.stats = u.T",
    "self._refit(data)",
])
def test_fitted_tensors_that_forward_reads_are_reported(tmp_path, fit):
    extra = "def _refit(self, data):\n    self.stats = torch.std(data, dim=0)\n"
    found = tl012(tmp_path, estimator("self.stats = None", fit, extra=extra))
    assert len(found) == 1 and "`self.stats` is set to a plain tensor in" in found[0].message


@pytest.mark.parametrize("init, fit, forward", [
    # registered: a tensor stored later goes into the buffer
    ('self.register_buffer("stats", None)', "self.stats = torch.mean(data, dim=0)", "return x * self.stats"),
    ('self.stats = nn.Buffer(torch.zeros(3))', "self.stats = torch.mean(data, dim=0)", "return x * self.stats"),
    # an argument stored as it is, or moved: data handed in
    ("self.stats = None", "self.stats = data", "return x * self.stats"),
    ("self.stats = None", "self.stats = data.to('cpu').clone()", "return x * self.stats"),
    # made on the device the caller gives: the caller places it
    ("self.stats = None", "self.stats = torch.ones(3, device=device)", "return x * self.stats"),
    # forward moves it by hand wherever it reads it
    ("self.stats = None", "self.stats = torch.ones(3)", "return x * self.stats.to(x.device)"),
    # forward replaces it itself: a per-call capture
    ("self.stats = None", "self.stats = torch.ones(3)", "self.stats = x.mean(0)\nreturn x * self.stats"),
    # forward never reads it
    ("self.stats = None", "self.stats = torch.ones(3)", "return x"),
    # a Parameter moved after construction is TL011's kind: `.cpu()` may return the Parameter itself
    ("self.stats = None", "self.stats = nn.Parameter(torch.ones(3)).cpu()", "return x * self.stats"),
    # construction stores a plain tensor under the name: one defect, TL001's finding
    ("self.stats = torch.zeros(3)", "self.stats = torch.ones(3)", "return x * self.stats"),
    # the author says so
    ("self.stats = None", "self.stats = torch.ones(3)  # not a buffer on purpose: kept out of state_dict",
     "return x * self.stats"),
])
def test_what_is_not_fitted_state_or_is_registered_is_left_alone(tmp_path, init, fit, forward):
    assert tl012(tmp_path, estimator(init, fit, forward)) == []


def test_construction_store_is_tl001_not_tl012(tmp_path):
    source = estimator("self.stats = torch.zeros(3)", "self.stats = torch.ones(3)")
    assert sorted(d.code for d in lint_source(source, tmp_path)) == ["TL001"]


def test_methods_forward_reaches_and_hooks_are_not_after_construction(tmp_path):
    source = estimator("self.stats = None\nself.register_forward_pre_hook(self._hook)",
                       "pass", "self._prepare(x)\nreturn x * self.stats * self.other",
                       extra="def _prepare(self, x):\n    self.stats = torch.ones(3)\n\n"
                             "def _hook(self, module, inputs):\n    self.other = torch.ones(1)\n")
    assert tl012(tmp_path, source) == []


def test_a_property_forward_reads_counts_as_a_read(tmp_path):
    source = estimator("self._basis = None", "_, _, v = torch.linalg.svd(data)\nself._basis = v",
                       "return x @ self.basis.T",
                       extra="@property\ndef basis(self):\n    return self._basis[:2]\n")
    found = tl012(tmp_path, source)
    assert [(d.location.row, d.location.column) for d in found] == [(12, 9)]


@pytest.mark.parametrize("init, expected", [
    ("self.stats = None", 'write `self.register_buffer("stats", None)` in `__init__` in place of `self.stats = None`'),
    ("pass", 'add `self.register_buffer("stats", None)` to `__init__` (after `super().__init__()`)'),
])
def test_the_advice_says_where_to_register(tmp_path, init, expected):
    found = tl012(tmp_path, estimator(init, "self.stats = torch.ones(3)"))
    assert len(found) == 1 and expected in found[0].help


@pytest.mark.torch
def test_the_advice_registers_what_works(tmp_path):
    """Following the advice: the fitted tensor is a buffer, saved and moved with the model."""
    torch = pytest.importorskip("torch")
    namespace: dict = {}
    source = estimator('self.register_buffer("stats", None)', "self.stats = torch.mean(data, dim=0)")
    exec(compile(source, "<estimator>", "exec"), namespace)
    model = namespace["Estimator"]()
    model.fit(torch.ones(4, 3))
    assert list(model.state_dict()) == ["stats"]
    assert model.double().stats.dtype == torch.float64
