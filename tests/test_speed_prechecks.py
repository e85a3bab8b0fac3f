"""Cheap first looks that let the analysis skip work: each must never skip a case the full
analysis would report, so each is checked against the full analysis it stands in for."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from torchlint.analysis import forward
from torchlint.analysis.context import FileContext
from torchlint.analysis.project import ProjectIndex
from torchlint.analysis.typos import collect_typos, may_contain_typo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIXTURE_FILES = sorted(FIXTURES.rglob("*.py"))


def _context(path: Path, text: str) -> FileContext:
    index = ProjectIndex()
    facts = index.add_source(path, text)
    return FileContext(path, str(path), text, cst.parse_module(text), facts, index)


# -- the requires_grad typo precheck on text with non-ASCII characters ----------------------

@pytest.mark.parametrize("text", [
    "# Copyright: Zoë\np.require_grad = True\n",  # non-ASCII elsewhere in the file
    "p.requiré_grad = True\n",  # a non-ASCII name
    "p.rеquires_grad = True  # a Cyrillic е\n",
    "p.requireｓ_grad = True  # a full-width s\n",
    "x = 'Zoë'\nsetattr(p, 'require_grad', False)\n",
    "x = 'Zoë'\np.requires_grad_(False)\np.requires_grad_ = True\n",
])
def test_typo_precheck_keeps_typos_in_files_with_non_ascii_text(tmp_path, text):
    assert collect_typos(_context(tmp_path / "m.py", text)), "the reference walk finds it"
    assert may_contain_typo(text)


def test_typo_precheck_skips_non_ascii_files_with_the_usual_grad_vocabulary():
    text = (
        '"""Encoder (Zoë Müller, 2024): gradient ∇ of the loss."""\nimport torch\n'
        "with torch.no_grad():\n    p.requires_grad = False\n    p.requires_grad_(True)\n"
        "grad_norm = clip_grad_norm_(ps, 1.0)  # ‖g‖\n"
    )
    assert not may_contain_typo(text)
    # a name holding a non-ASCII character next to `grad` keeps the coarse test
    assert may_contain_typo(text + "p.gradé = 1\n")


# -- TL009: the cheap look at forward before the full scan ---------------------------------

@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_forward_look_never_skips_a_layer_the_full_scan_reports(path):
    text = path.read_text(encoding="utf-8")
    try:
        ctx = _context(path, text)
    except cst.ParserSyntaxError:
        pytest.skip("does not parse (a TL000 fixture)")
    for info in ctx.module_classes:
        if forward.ENTRY not in info.methods:
            continue
        classes = {other.name: other for other in ctx.module_classes}
        construction = info.construction.methods_walked
        looks = forward._reached(info, classes, construction, forward._Look)
        scans = forward._reached(info, classes, construction, forward._Constructions)
        assert list(looks) == list(scans)  # the same methods, in the same order
        for name, scan in scans.items():
            assert looks[name].self_calls == scan.self_calls
            assert looks[name].constructs == bool(scan.candidates)
