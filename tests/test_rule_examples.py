"""Each rule's own VALID and INVALID examples (Fixit style)."""

from __future__ import annotations

import pytest

from torchlint.rules import ALL_RULES

VALID = [(rule.code, i, src) for rule in ALL_RULES for i, src in enumerate(rule.VALID)]
INVALID = [(rule.code, i, src) for rule in ALL_RULES for i, src in enumerate(rule.INVALID)]


@pytest.mark.parametrize("code,index,source", VALID, ids=[f"{c}-valid-{i}" for c, i, _ in VALID])
def test_valid_examples_give_no_finding(code, index, source, codes):
    assert code not in codes(source)


@pytest.mark.parametrize("code,index,source", INVALID, ids=[f"{c}-invalid-{i}" for c, i, _ in INVALID])
def test_invalid_examples_are_found(code, index, source, codes):
    assert code in codes(source)


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_every_rule_is_documented_and_exemplified(rule):
    doc = rule.documentation()
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert heading in doc, f"{rule.code} docs lack {heading!r}"
    assert rule.INVALID, f"{rule.code} has no INVALID example"
    assert rule.code.startswith("TL") and rule.name == rule.name.lower()


def test_codes_are_unique_and_match_the_catalogue():
    codes = [rule.code for rule in ALL_RULES]
    assert len(codes) == len(set(codes))
    names = {rule.code: rule.name for rule in ALL_RULES}
    assert names == {
        "TL000": "file-not-linted",
        "TL001": "unregistered-tensor",
        "TL002": "registration-before-super-init",
        "TL003": "missing-super-init",
        "TL004": "requires-grad-plain-tensor",
        "TL005": "requires-grad-typo",
        "TL006": "inplace-init-outside-no-grad",
        "TL007": "module-in-plain-container",
        "TL008": "parameter-in-plain-container",
        "TL009": "layer-created-in-forward",
        "TL010": "buffer-name-conflict",
        "TL011": "moved-parameter",
        "TL012": "tensor-stored-after-construction",
    }


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_fixable_flag_tells_the_truth(rule, tmp_path):
    """A fixable rule offers a fix on its INVALID examples; the others never do."""
    from conftest import lint_source

    offered = []
    for index, source in enumerate(rule.INVALID):
        found = [d for d in lint_source(source, tmp_path / str(index)) if d.code == rule.code]
        offered.extend(d.fix is not None for d in found)
    if rule.code == "TL000":
        return  # reported by the engine, never fixed
    assert any(offered) if rule.fixable else not any(offered)
