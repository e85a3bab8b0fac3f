"""Every fixture file gives exactly the findings listed in fixtures/expected.json."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, ROOT, run_cli

EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def _actual() -> dict[str, list[list]]:
    result = run_cli("fixtures", "--output-format", "json", "--exit-zero")
    assert result.returncode == 0, result.stderr.decode()
    found: dict[str, list[list]] = {}
    for diagnostic in json.loads(result.stdout):
        relative = diagnostic["filename"].split("fixtures/", 1)[1]
        found.setdefault(relative, []).append(
            [diagnostic["code"], diagnostic["location"]["row"], diagnostic["location"]["column"]]
        )
    return found



@pytest.fixture(scope="module")
def actual():
    return _actual()


# Real bugs torchlint does not catch yet: kept with their true expectations in
# benchmarks/recall_search_refs.csv, out of expected.json until a rule catches them.
PENDING = "real_bugs_pending"


def test_every_fixture_is_listed():
    on_disk = sorted(
        p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.py") if PENDING not in p.relative_to(FIXTURES).parts
    )
    assert on_disk == sorted(EXPECTED), "add new fixture files to fixtures/expected.json"


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_fixture_findings(relative, actual):
    assert sorted(actual.get(relative, [])) == sorted(EXPECTED[relative])


def test_clean_fixtures_are_clean():
    result = run_cli("fixtures/clean")
    assert result.returncode == 0, result.stdout.decode()
    assert result.stdout.decode().strip() == "All checks passed!"


def test_cross_file_base_seen_when_linting_one_file():
    """A Module base defined in an unchanged file is found although only one file is linted."""
    result = run_cli("fixtures/project/models/blocks.py", "--output-format", "concise")
    lines = result.stdout.decode().splitlines()
    assert any(":12:9: TL001" in line for line in lines)
    assert any(":18:9: TL007" in line for line in lines)


def test_every_fixture_parses_as_python():
    import ast

    for path in FIXTURES.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))
    assert (ROOT / "fixtures" / "expected.json").is_file()
