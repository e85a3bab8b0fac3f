"""TL007/TL008 for plain containers a Module fills after construction (add_task, fit, an
_initialize the first fit calls): the walk starts from the state construction left, so a
list made in `__init__` and filled later is the same list."""

from __future__ import annotations

import textwrap

import pytest

from conftest import lint_source


def grower(init: str, method: str, extra_params: str = "") -> str:
    return textwrap.dedent("""\
        import copy

        import torch
        import torch.nn as nn


        class Grower(nn.Module):
            def __init__(self, dim=3):
                super().__init__()
                self.dim = dim
        {init}

            def grow(self, n{extra}):
        {method}

            def forward(self, x):
                return x
        """).format(init=textwrap.indent(init, " " * 8), method=textwrap.indent(method, " " * 8),
                    extra=extra_params)


def codes(tmp_path, source: str) -> list[tuple[str, int]]:
    return [(d.code, d.location.row) for d in lint_source(source, tmp_path) if d.code in ("TL007", "TL008")]


@pytest.mark.parametrize("init, method, code, line", [
    ("self.layers = []", "self.layers.append(nn.Linear(self.dim, n))", "TL007", 11),
    ("self.layers = []", "self.layers.extend([nn.Linear(self.dim, n), nn.LayerNorm(n)])", "TL007", 11),
    ("self.layers = []", "self.layers += [nn.Conv1d(self.dim, n, 3)]", "TL007", 11),
    ("self.heads = {}", 'self.heads["main"] = nn.Linear(self.dim, n)', "TL007", 11),
    ("self.layers = None", "self.layers = [nn.Linear(self.dim, self.dim) for _ in range(n)]", "TL007", 14),
    ("self.weights = []", "self.weights.append(nn.Parameter(torch.randn(n)))", "TL008", 11),
    ("self.copies = None", "self.copies = [copy.deepcopy(nn.Linear(2, 2)) for _ in range(n)]", "TL007", 14),
])
def test_containers_filled_after_construction_are_reported(tmp_path, init, method, code, line):
    found = codes(tmp_path, grower(init, method))
    assert found == [(code, line)]
    message = lint_source(grower(init, method), tmp_path)[0].message
    assert "filled in `grow()` after construction" in message


@pytest.mark.parametrize("init, method, extra", [
    # registered containers, made in __init__ or by the method
    ("self.layers = nn.ModuleList()", "self.layers.append(nn.Linear(self.dim, n))", ""),
    ("self.layers = None", "self.layers = nn.ModuleList([nn.Linear(self.dim, n)])", ""),
    ("self.layers = []", "self.layers.append(nn.Linear(self.dim, n))\nself.layers = nn.ModuleList(self.layers)", ""),
    # layers without parameters
    ("self.acts = []", "self.acts.append(nn.ReLU())", ""),
    # a Module handed in is owned by the caller
    ("self.members = []", "self.members.append(n)", ""),
    ("self.members = []", "self.members.append(n)", ": nn.Linear"),
    # copies placed on the devices the caller gives: kept out of the tree on purpose
    ("self.replicas = []", "self.replicas = [copy.deepcopy(self) .to(d) for d in n]", ", devices=None"),
    # the author says so
    ("self.shadow = []", "# kept out of the module tree on purpose: an EMA copy\nself.shadow = [nn.Linear(2, 2)]", ""),
])
def test_later_stores_that_are_not_bugs(tmp_path, init, method, extra):
    assert codes(tmp_path, grower(init, method, extra)) == []


def test_a_container_construction_already_fills_is_reported_once(tmp_path):
    source = grower("self.layers = [nn.Linear(2, 2)]", "self.layers.append(nn.Linear(self.dim, n))")
    found = lint_source(source, tmp_path)
    assert [(d.code, d.location.row) for d in found] == [("TL007", 11)]
    assert "filled in" not in found[0].message

