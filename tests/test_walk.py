"""The fast read-only walk (analysis/walk.py) and the typo pre-check built on it: both
stand in for slower, obviously-correct code, so they are checked against it."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from torchlint.analysis import walk
from torchlint.analysis.context import FileContext
from torchlint.analysis.project import ProjectIndex
from torchlint.analysis.typos import collect_typos, may_contain_typo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIXTURE_FILES = sorted(FIXTURES.rglob("*.py"))
# The node kinds rules look at.
KINDS = ("Name", "Attribute", "Call", "Arg", "Assign", "AnnAssign", "AugAssign", "If", "For", "With",
         "FunctionDef", "ClassDef", "Lambda", "NamedExpr", "SimpleString", "Subscript", "Return")


def _recorders():
    seen_libcst: list[tuple[str, int]] = []
    seen_walk: list[tuple[str, int]] = []

    def hooks(seen):
        return {f"visit_{kind}": (lambda kind: lambda self, node: seen.append((kind, id(node))))(kind) for kind in KINDS}

    reference = type("Reference", (cst.CSTVisitor,), hooks(seen_libcst))()
    fast = type("Fast", (walk.Visitor,), hooks(seen_walk))()
    return reference, seen_libcst, fast, seen_walk


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_walk_reaches_the_same_nodes_in_the_same_order_as_libcst(path):
    try:
        module = cst.parse_module(path.read_bytes())
    except cst.ParserSyntaxError:
        pytest.skip("does not parse (a TL000 fixture)")
    reference, seen_libcst, fast, seen_walk = _recorders()
    module.visit(reference)
    walk.visit(module, fast)
    assert seen_walk == seen_libcst and seen_walk


def test_walk_skips_children_when_visit_returns_false_and_calls_leave():
    module = cst.parse_module("def f():\n    g(1)\nh(2)\n")
    calls, left = [], []

    class Calls(walk.Visitor):
        def visit_FunctionDef(self, node):
            return False

        def leave_FunctionDef(self, node):
            left.append(node.name.value)

        def visit_Call(self, node):
            calls.append(node.func.value)

    walk.visit(module, Calls())
    assert calls == ["h"] and left == ["f"]


def _typos(path: Path, text: str):
    index = ProjectIndex()
    facts = index.add_source(path, text)
    ctx = FileContext(path, str(path), text, cst.parse_module(text), facts, index)
    return collect_typos(ctx)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_typo_precheck_never_skips_a_file_with_a_typo(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        found = _typos(path, text)
    except cst.ParserSyntaxError:
        pytest.skip("does not parse (a TL000 fixture)")
    if found:
        assert may_contain_typo(text)


@pytest.mark.parametrize("text", [
    "p.require_grad = True\n",
    "import torch\nx = torch.zeros(3, requires_gard=True)\n",
    "setattr(p, 'require_grad', False)\n",
    "setattr(p, '\\x72equire_grad', False)\n",  # spelt with escapes
    "setattr(p, 'require_\\N{LATIN SMALL LETTER G}rad', False)\n",
    "p.requiré_grad = True  # non-ASCII name\n",
    "p.Requires_Grad = True\n",
    "p.requires_grad_(False)\np.requires_grad_ = True\n",
    "setattr(p, 'requires_grad_', True)\n",
])
def test_typo_precheck_keeps_every_spelling(tmp_path, text):
    assert _typos(tmp_path / "m.py", text), "the reference walk finds it"
    assert may_contain_typo(text)


def test_typo_precheck_skips_the_usual_grad_vocabulary():
    text = (
        "import torch\nwith torch.no_grad():\n    p.requires_grad = False\n    p.requires_grad_(True)\n"
        "grad_norm = clip_grad_norm_(ps, 1.0)\ngradient_checkpointing = True\n# a comment on gradients\n"
    )
    assert not may_contain_typo(text)
    # `requires_grad_` is right called and a typo assigned to
    assert may_contain_typo(text.replace("p.requires_grad_(True)", "p.requires_grad_ = True"))
