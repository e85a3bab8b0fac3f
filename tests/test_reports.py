"""CI output formats, parsed back and checked field by field against the JSON output.

Every format is produced by the real CLI (a subprocess) on a project that sits in a
sub-directory of a repository, so the paths CI systems need (relative to the
repository root) differ from the paths the user typed (relative to the current
directory).
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import ROOT, run_cli
from torchlint.report.github import escape_data, escape_property

SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "1c49a0f2b60444c71bb14878e21e0d882198eff4c539861b133093ad89ed798c"

BUGGY = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = torch.zeros(10)
        self.layers = [nn.Linear(2, 2)]
"""
TWIN_LINES = """\
import torch
import torch.nn as nn


class A(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = torch.ones(3)


class B(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = torch.ones(3)
"""
ODD_NAME = "models/odd,name:1 %.py"  # a comma, a colon, a space and a percent sign


def make_repo(tmp_path: Path) -> Path:
    """``repo/`` (a git checkout) holding the project in ``repo/sub``."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    project = tmp_path / "repo" / "sub"
    (project / "models").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (project / "models" / "net.py").write_text(BUGGY)
    (project / "models" / "twins.py").write_text(TWIN_LINES)
    (project / "models" / "broken.py").write_text("class Net(nn.Module)\n    pass\n")
    (project / ODD_NAME).write_text(BUGGY)
    return project


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """Shared by the tests that only read it (each writes its outputs elsewhere)."""
    return make_repo(tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="module")
def findings(repo) -> list[dict]:
    data = json.loads(lint(repo, "json"))
    assert sorted({d["filename"] for d in data}) == sorted(
        ["models/net.py", "models/twins.py", "models/broken.py", ODD_NAME]
    )
    assert [d["code"] for d in data].count("TL000") == 1
    return data


def lint(project: Path, fmt: str, *extra: str):
    result = run_cli("models", "--output-format", fmt, *extra, cwd=project)
    assert result.returncode == 1, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    return result.stdout.decode()


def in_repo(filename: str) -> str:
    return f"sub/{filename}"


# -- github --------------------------------------------------------------------------------------


def test_github_escaping_follows_the_toolkit():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a,b:c%d\ne") == "a%2Cb%3Ac%25d%0Ae"
    assert escape_data("a,b:c") == "a,b:c"  # only properties escape , and :


def _unescape(text: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, char)
    return text


def parse_github(line: str) -> tuple[str, dict[str, str], str]:
    assert line.startswith("::")
    head, _, message = line[2:].partition("::")
    kind, _, props = head.partition(" ")
    properties = dict(part.split("=", 1) for part in props.split(","))
    return kind, {k: _unescape(v) for k, v in properties.items()}, _unescape(message)


def test_github_workflow_commands(repo, findings):
    lines = lint(repo, "github").splitlines()
    assert lines[-1] == f"Found {len(findings)} errors in 4 files."
    commands = lines[:-1]
    assert len(commands) == len(findings)
    for line, expected in zip(commands, findings):
        kind, props, message = parse_github(line)
        assert kind == "error"
        assert list(props) == ["file", "line", "col", "endLine", "endColumn", "title"]
        assert props["file"] == in_repo(expected["filename"])
        assert int(props["line"]) == expected["location"]["row"]
        assert int(props["col"]) == expected["location"]["column"]
        assert int(props["endLine"]) == expected["end_location"]["row"]
        assert int(props["endColumn"]) == expected["end_location"]["column"]
        assert props["title"] == f"{expected['code']} ({expected['name']})"
        first, *rest = message.split("\n")
        assert first == expected["message"]
        assert rest == ([f"help: {expected['help']}"] if expected["help"] else [])
    odd = next(line for line in commands if "odd" in line)
    assert "file=sub/models/odd%2Cname%3A1 %25.py," in odd  # escaped in the raw command
    assert "\n" not in "".join(commands)


def test_github_quiet_prints_only_commands(repo, findings):
    lines = lint(repo, "github", "-q").splitlines()
    assert len(lines) == len(findings) and all(line.startswith("::error file=") for line in lines)


# -- sarif ---------------------------------------------------------------------------------------


def test_sarif_schema_is_the_recorded_copy():
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256


def validate_sarif(log: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a dev dependency: pip install -e '.[dev]'")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    errors = sorted(validator(schema).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_sarif_is_valid_and_complete(repo, findings):
    from torchlint import __version__
    from torchlint.rules import ALL_RULES

    log = json.loads(lint(repo, "sarif"))
    validate_sarif(log)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "torchlint" and driver["version"] == __version__
    assert "informationUri" not in driver  # torchlint has no public home to point at
    assert [r["id"] for r in driver["rules"]] == [rule.code for rule in ALL_RULES]
    for descriptor, rule in zip(driver["rules"], ALL_RULES):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"] and descriptor["fullDescription"]["text"] in " ".join(
            rule.documentation().split()
        )
        assert "## Why is this bad?" in descriptor["help"]["text"]
        assert descriptor["help"]["markdown"] == descriptor["help"]["text"]
        assert "helpUri" not in descriptor  # no `docs-url`: the help is inline
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == (repo.parent.resolve().as_uri() + "/")
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"] == [{"executionSuccessful": True}]

    results = run["results"]
    assert len(results) == len(findings)
    for result, expected in zip(results, findings):
        assert result["ruleId"] == expected["code"]
        assert driver["rules"][result["ruleIndex"]]["id"] == expected["code"]
        assert result["level"] == "error"
        assert result["message"]["text"].split("\n")[0] == expected["message"]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert unquote(artifact["uri"]) == in_repo(expected["filename"])
        region = location["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (expected["location"]["row"], expected["location"]["column"])
        assert (region["endLine"], region["endColumn"]) == (
            expected["end_location"]["row"],
            expected["end_location"]["column"],
        )
        assert len(result["partialFingerprints"]["torchlint/v1"]) == 64
    odd = next(r for r in results if "odd" in unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]))
    assert odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "sub/models/odd%2Cname%3A1%20%25.py"


def test_sarif_of_a_clean_run_and_of_a_missing_path(repo):
    clean = repo / "clean"
    clean.mkdir(exist_ok=True)
    (clean / "ok.py").write_text("import torch.nn as nn\n")
    result = run_cli("clean", "--output-format", "sarif", cwd=repo)
    assert result.returncode == 0
    log = json.loads(result.stdout)
    validate_sarif(log)
    assert log["runs"][0]["results"] == []
    result = run_cli("clean", "nope.py", "--output-format", "sarif", cwd=repo)
    assert result.returncode == 2
    log = json.loads(result.stdout)
    validate_sarif(log)
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "nope.py: no such file or directory"


# -- junit ---------------------------------------------------------------------------------------


def test_junit_one_testcase_per_finding_grouped_by_file(repo, findings):
    root = ET.fromstring(lint(repo, "junit"))
    assert root.tag == "testsuites" and root.get("name") == "torchlint"
    assert root.get("tests") == str(len(findings))
    assert root.get("failures") == str(len(findings) - 1) and root.get("errors") == "1"
    suites = root.findall("testsuite")
    expected_files = []
    for d in findings:
        if in_repo(d["filename"]) not in expected_files:
            expected_files.append(in_repo(d["filename"]))
    assert [s.get("name") for s in suites] == expected_files
    cases = [(suite, case) for suite in suites for case in suite.findall("testcase")]
    assert len(cases) == len(findings)
    for (suite, case), expected in zip(cases, findings):
        path = in_repo(expected["filename"])
        assert suite.get("name") == path
        assert case.get("classname") == path and case.get("file") == path
        assert case.get("line") == str(expected["location"]["row"])
        row, column = expected["location"]["row"], expected["location"]["column"]
        assert case.get("name") == f"{expected['code']} ({expected['name']}) at line {row}, column {column}"
        (problem,) = list(case)
        assert problem.tag == ("error" if expected["code"] == "TL000" else "failure")
        assert problem.get("type") == expected["code"]
        assert problem.get("message") == expected["message"]
        assert problem.text.splitlines()[0] == f"{path}:{row}:{column}: {expected['code']} {expected['message']}"
        assert problem.text.splitlines()[-1] == f"torchlint --explain {expected['code']}"
    for suite in suites:
        count = len(suite.findall("testcase"))
        errors = len(suite.findall("testcase/error"))
        assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == (str(count), str(count - errors), str(errors))


def test_junit_clean_run_is_one_passing_test(repo):
    result = run_cli("models/net.py", "--select", "TL003", "--output-format", "junit", cwd=repo)
    assert result.returncode == 0
    root = ET.fromstring(result.stdout)
    (case,) = root.iter("testcase")
    assert case.get("name") == "no findings in 1 file" and list(case) == []
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")


# -- gitlab --------------------------------------------------------------------------------------


def test_gitlab_code_quality(repo, findings):
    issues = json.loads(lint(repo, "gitlab"))
    assert len(issues) == len(findings)
    for issue, expected in zip(issues, findings):
        assert issue["check_name"] == expected["code"]
        assert issue["description"] == f"{expected['code']} ({expected['name']}): {expected['message']}"
        assert issue["severity"] == "major"
        assert issue["location"]["path"] == in_repo(expected["filename"])
        assert issue["location"]["lines"] == {"begin": expected["location"]["row"], "end": expected["end_location"]["row"]}
        assert len(issue["fingerprint"]) == 64
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints)  # identical twin lines too


def _gitlab(project: Path) -> dict[tuple, str]:
    issues = json.loads(lint(project, "gitlab"))
    return {(i["location"]["path"], i["check_name"], i["location"]["lines"]["begin"]): i["fingerprint"] for i in issues}


def test_gitlab_fingerprints_survive_unrelated_edits(tmp_path):
    repo = make_repo(tmp_path)
    before = _gitlab(repo)
    net = repo / "models" / "net.py"
    # unrelated edits: lines added above, spacing inside the flagged line changed
    edited = "# a comment\n\n" + BUGGY.replace("class Net", "# the net\nclass Net")
    net.write_text(edited.replace("self.table = torch.zeros(10)", "self.table  =  torch.zeros(10)"))
    after = _gitlab(repo)
    assert set(before.values()) == set(after.values())
    moved = {k[2] for k in after if k[0] == "sub/models/net.py"}
    assert moved == {k[2] + 3 for k in before if k[0] == "sub/models/net.py"}
    # the twins' fingerprints depend on their order, not their line numbers
    twins = repo / "models" / "twins.py"
    twins.write_text("\n\n" + TWIN_LINES)
    assert set(_gitlab(repo).values()) == set(before.values())
    # changing the flagged line itself makes it a different finding
    net.write_text(BUGGY.replace("self.table = torch.zeros(10)", "self.table = torch.zeros(20)"))
    changed = _gitlab(repo)
    assert changed[("sub/models/net.py", "TL001", 8)] != before[("sub/models/net.py", "TL001", 8)]
    assert changed[("sub/models/net.py", "TL007", 9)] == before[("sub/models/net.py", "TL007", 9)]


# -- json-lines, concise, --output-file -----------------------------------------------------------


def test_json_lines_are_the_json_objects(repo, findings):
    lines = lint(repo, "json-lines").splitlines()
    assert [json.loads(line) for line in lines] == findings


def test_concise_lines(repo, findings):
    lines = lint(repo, "concise", "-q").splitlines()
    assert lines == [
        f"{d['filename']}:{d['location']['row']}:{d['location']['column']}: {d['code']} {d['message']}" for d in findings
    ]


@pytest.mark.parametrize("fmt", ["sarif", "github", "text"])  # the same code path for every format
def test_output_file_gets_the_report_and_stdout_stays_quiet(repo, fmt):
    expected = lint(repo, fmt)
    target = f"reports/{fmt}/out.txt"  # the directories are created
    result = run_cli("models", "--output-format", fmt, "--output-file", target, cwd=repo)
    assert result.returncode == 1
    assert result.stdout == b"" and result.stderr == b""
    assert (repo / target).read_text(encoding="utf-8") == expected


def test_output_file_errors_still_go_to_stderr(repo, findings):
    result = run_cli("models", "nope.py", "--output-file", "out.json", "--output-format", "json", cwd=repo)
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"nope.py: no such file or directory" in result.stderr
    assert json.loads((repo / "out.json").read_text()) == findings


def test_unwritable_output_file_is_an_error(repo):
    (repo / "taken").write_text("a file, not a directory")
    result = run_cli("models", "--output-file", "taken/out.sarif", cwd=repo)
    assert result.returncode == 2
    assert b"cannot write taken/out.sarif" in result.stderr and b"Traceback" not in result.stderr


def test_every_format_is_offered_by_the_cli():
    from torchlint.cli import build_parser
    from torchlint.report import FORMATTERS

    action = next(a for a in build_parser()._actions if a.dest == "output_format")
    assert set(action.choices) == set(FORMATTERS) >= {
        "text", "full", "concise", "json", "json-lines", "github", "sarif", "junit", "gitlab"
    }
