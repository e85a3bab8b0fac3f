"""The real-bug recall scorer (benchmarks/recall_corpus.py) and the release-diff heuristics
(benchmarks/release_diff.py) on synthetic data: no download, no third-party code."""

from __future__ import annotations

import csv
import sys
import textwrap

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import recall_corpus  # noqa: E402
import release_diff  # noqa: E402

FIXED_SRC = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn


    class Enc(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.register_buffer("table", torch.zeros(n))
            self.blocks = nn.ModuleList([nn.Linear(n, n) for _ in range(2)])
    """
)


def _ref(**kw):
    base = dict(id="r1", package="pkg", buggy_version="0.1", fixed_version="0.2", buggy_path="pkg/m.py",
                fixed_path="pkg/m.py", cls="Enc", buggy_lines=[(8, 9)], codes=["TL001"], attr="table",
                fixed_class="Enc", fixed_lines=[(8, 8)], description="table kept as a plain tensor")
    base.update(kw)
    return recall_corpus.Ref(**base)


def _finding(code, row, message="`self.table` holds a plain tensor"):
    return {"code": code, "location": {"row": row, "column": 9}, "message": message}


def test_parse_lines():
    assert recall_corpus.parse_lines("12") == [(12, 12)]
    assert recall_corpus.parse_lines("12-14;30") == [(12, 14), (30, 30)]
    assert recall_corpus.parse_lines("") == []


def test_found_needs_expected_code_on_a_buggy_line():
    ref = _ref()
    assert recall_corpus.is_found(ref, [_finding("TL001", 9)])
    assert not recall_corpus.is_found(ref, [_finding("TL001", 10)])  # outside the statement
    assert not recall_corpus.is_found(ref, [_finding("TL007", 8)])  # another rule
    assert recall_corpus.is_found(_ref(codes=["TL004", "TL001"]), [_finding("TL001", 8)])  # an accepted alternative


def test_twin_dirty_on_fixed_line_or_attribute_in_fixed_class():
    ref = _ref()
    span = recall_corpus.class_range(FIXED_SRC, "Enc")
    assert span == (5, 9)
    assert recall_corpus.twin_findings(ref, [_finding("TL001", 8)], span)
    assert recall_corpus.twin_findings(ref, [_finding("TL001", 7)], span)  # names `self.table` inside the class
    other = _finding("TL001", 7, "`self.other` holds a plain tensor")
    assert not recall_corpus.twin_findings(ref, [other], span)  # another attribute: another bug, not the twin
    assert not recall_corpus.twin_findings(ref, [_finding("TL001", 20)], span)  # outside the class
    assert not recall_corpus.twin_findings(ref, [_finding("TL009", 8)], span)


def test_score_counts_per_rule_and_unavailable():
    refs = [_ref(id="a"), _ref(id="b", codes=["TL007"], attr="blocks", buggy_lines=[(9, 9)], fixed_lines=[(9, 9)]),
            _ref(id="c", package="gone")]

    def findings_for(package, version, path):
        if package == "gone":
            return None
        if version == "0.1":
            return [_finding("TL001", 8)]
        return [_finding("TL007", 9, "`self.blocks` keeps submodules in a plain list")]

    result = recall_corpus.score(refs, findings_for, lambda *a: FIXED_SRC)
    assert [r.id for r in result.found["TL001"]] == ["a"]
    assert [r.id for r in result.missed["TL007"]] == ["b"]
    assert [r.id for r, _ in result.dirty_twins] == ["b"]
    assert [r.id for r in result.unavailable] == ["c"]
    assert result.recall("TL001") == 1.0 and result.recall() == 0.5


def test_committed_refs_parse():
    refs = recall_corpus.load_refs()
    assert refs, "benchmarks/recall_refs.csv holds references"
    for ref in refs:
        assert ref.buggy_lines and ref.codes and all(c.startswith("TL") for c in ref.codes), ref.id
    assert len({r.id for r in refs}) == len(refs)
    with open(recall_corpus.REFS, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(line for line in fh if not line.startswith("#")))
    assert header == recall_corpus.FIELDS


OLD = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.pe = torch.zeros(n)
            self.blocks = [nn.Linear(n, n) for _ in range(2)]
            self.w = torch.randn(n, requires_grad=True)

        def forward(self, x):
            proj = nn.Linear(x.shape[-1], 4)
            return proj(x + self.pe)
    """
)
NEW = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.register_buffer("pe", torch.zeros(n))
            self.blocks = nn.ModuleList([nn.Linear(n, n) for _ in range(2)])
            self.w = nn.Parameter(torch.randn(n))
            self.proj = nn.Linear(n, 4)

        def forward(self, x):
            return self.proj(x + self.pe)
    """
)


def test_release_diff_heuristics_find_each_fix():
    cands = release_diff.compare(OLD, NEW, "m.py", "m.py")
    got = {(c.code, c.attr, c.old_lines[0]) for c in cands}
    assert got == {("TL001", "pe", 8), ("TL007", "blocks", 9), ("TL004", "w", 10), ("TL009", "Linear", 13)}
    assert release_diff.compare(NEW, NEW, "m.py", "m.py") == []


def test_pair_files_tolerates_a_moved_root():
    old = {"pkg/models/net.py": None, "pkg/__init__.py": None}
    new = {"pkg_new/models/net.py": None, "pkg_new/__init__.py": None}
    assert ("pkg/models/net.py", "pkg_new/models/net.py") in release_diff.pair_files(old, new)


def test_a_reference_with_a_field_too_many_is_refused(tmp_path):
    header = "id,package,buggy_version,fixed_version,buggy_path,fixed_path,class,buggy_lines,codes,attr,fixed_class,fixed_lines,description,source\n"
    row = "p-1,p,0.1,0.2,p/m.py,p/m.py,M,3,TL001,x,M,3,kept plain, then fixed,diff\n"  # unquoted comma
    path = tmp_path / "refs.csv"
    path.write_text(header + row)
    try:
        recall_corpus.load_refs(path)
    except ValueError as error:
        assert "'p-1'" in str(error)
    else:
        raise AssertionError("a malformed reference was read")
