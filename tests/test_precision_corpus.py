"""The precision benchmark's joining and scoring (benchmarks/precision_corpus.py) on synthetic
data: no download, no lint run. The real run is the script itself."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import precision_corpus as pc  # noqa: E402


def finding(library, path, line, code="TL001"):
    return pc.Finding(library, path, line, code, "msg")


def test_findings_join_with_their_triage_rows_and_unmatched_rows_are_stale():
    sizes = {"alpha": (3, 200_000), "beta": (1, 100_000)}
    findings = [
        finding("alpha", "alpha/a.py", 10),
        finding("alpha", "alpha/a.py", 12),
        finding("alpha", "alpha/b.py", 5, "TL007"),
        finding("beta", "beta/x.py", 1),
    ]
    triage = {
        ("alpha", "alpha/a.py", 10, "TL001"): ("real", "plain tensor"),
        ("alpha", "alpha/a.py", 12, "TL001"): ("false", "alias of a buffer"),
        ("alpha", "alpha/gone.py", 3, "TL001"): ("real", "fixed upstream"),  # stale
        ("gamma", "gamma/z.py", 3, "TL001"): ("real", "library not linted this run"),  # not stale
        ("beta", "beta/x.py", 1, "TL001"): ("bad-advice", "advice runs before super().__init__()"),
    }
    result = pc.score(sizes, findings, triage)

    alpha = result.rows["alpha"]
    assert (alpha.files, alpha.lines, alpha.findings) == (3, 200_000, 3)
    assert alpha.counts == {"real": 1, "false": 1, "bad-advice": 0, "untriaged": 1}
    assert alpha.false_rate == pytest.approx(0.5)
    assert result.rows["beta"].counts["bad-advice"] == 1
    assert result.stale == [("alpha", "alpha/gone.py", 3, "TL001")]

    total = result.total
    assert (total.files, total.lines, total.findings) == (4, 300_000, 4)
    assert total.false_rate == pytest.approx(1 / 3)

    problems = result.failures()
    assert any("1 untriaged" in p for p in problems)
    assert any("overall" in p for p in problems)  # 0.33 > 0.3 per 100k
    assert any("would break" in p for p in problems)
    assert not any(p.startswith("alpha:") for p in problems)  # 0.5 <= 2 per 100k

    text = pc.render(result, "untriaged")
    assert "[untriaged] alpha alpha/b.py:5 TL007" in text
    assert "[stale] alpha alpha/gone.py:3 TL001" in text


def test_a_clean_corpus_passes_and_a_noisy_library_fails_on_its_own():
    sizes = {"big": (10, 10_000_000), "small": (1, 40_000)}
    triage = {("small", "small/m.py", 7, "TL001"): ("false", "placeholder replaced before use")}
    result = pc.score(sizes, [finding("small", "small/m.py", 7)], triage)
    assert result.total.false_rate < pc.OVERALL_FALSE_BUDGET
    assert result.rows["small"].false_rate == pytest.approx(2.5)
    assert result.failures() == ["small: false findings 2.50 per 100k lines (budget 2.0)"]

    assert pc.score(sizes, [], {}).failures() == []


def test_triage_file_rejects_unknown_verdicts_and_duplicates(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(
        "library,path,line,code,verdict,reason\n"
        'lib,lib/a.py,3,TL001,real,"plain tensor, moved by hand"\n',
        encoding="utf-8",
    )
    assert pc.load_triage(good) == {("lib", "lib/a.py", 3, "TL001"): ("real", "plain tensor, moved by hand")}

    bad = tmp_path / "bad.csv"
    bad.write_text("library,path,line,code,verdict,reason\nlib,lib/a.py,3,TL001,false-positive,x\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="verdict"):
        pc.load_triage(bad)

    twice = tmp_path / "twice.csv"
    twice.write_text(
        "library,path,line,code,verdict,reason\nlib,lib/a.py,3,TL001,real,x\nlib,lib/a.py,3,TL001,false,y\n",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit, match="duplicate"):
        pc.load_triage(twice)


@pytest.mark.parametrize(
    ("member", "sdist", "kept"),
    [
        ("pkg/models/net.py", False, "pkg/models/net.py"),
        ("pkg/tests/test_net.py", False, None),  # the package's own tests are not unpacked
        ("pkg/docs/conf.py", False, None),
        ("pkg/build/gen.py", False, None),  # torchlint's default excludes
        ("pkg/data/weights.bin", False, None),
        ("other/thing.py", False, None),  # another top-level package of the wheel
        ("pkg-1.0.dist-info/METADATA", False, None),
        ("pkg-1.0/pkg/layers.py", True, "pkg/layers.py"),
        ("pkg-1.0/src/pkg/layers.py", True, "pkg/layers.py"),
        ("pkg-1.0/setup.py", True, None),
        ("pkg-1.0/tests/test_layers.py", True, None),
    ],
)
def test_only_the_package_sources_are_unpacked(member, sdist, kept):
    assert pc._keep(member, ("pkg",), sdist) == kept


def test_committed_triage_is_well_formed():
    """Every row names a corpus library, a valid verdict and a reason (no network needed)."""
    names = {library.name for library in pc.LIBRARIES}
    rows = pc.load_triage()
    assert rows, "benchmarks/precision_triage.csv is empty"
    for (library, path, line, code), (verdict, reason) in rows.items():
        assert library in names, library
        assert line > 0 and code.startswith("TL") and not path.startswith("/")
        assert verdict in pc.VERDICTS and reason.strip()
    assert len(names) >= 30
    assert all("==" in library.requirement for library in pc.LIBRARIES)


def test_no_excluded_or_tuned_package_is_in_the_corpus():
    dists = {library.requirement.split("==")[0].lower().replace("_", "-").replace(".", "-") for library in pc.LIBRARIES}
    assert not dists & pc.EXCLUDED
    assert len({library.name for library in pc.LIBRARIES}) == len(pc.LIBRARIES)
