"""The README's "Pre-commit and CI" snippets are real: their YAML parses, every
``torchlint ...`` command in them is accepted by the CLI's own parser, and the files
they write are the files they upload."""

from __future__ import annotations

import re
import shlex

import pytest

from conftest import ROOT
from torchlint import __version__
from torchlint.cli import build_parser

yaml = pytest.importorskip("yaml", reason="PyYAML is a dev dependency: pip install -e '.[dev]'")

SECTION = "## Pre-commit and CI"


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no {SECTION!r} section"
    body = text.split(SECTION, 1)[1]
    return re.split(r"^## ", body, maxsplit=1, flags=re.MULTILINE)[0]


def yaml_blocks() -> list:
    blocks = re.findall(r"^```yaml\n(.*?)^```", section(), flags=re.MULTILINE | re.DOTALL)
    return [yaml.safe_load(block) for block in blocks]


def by_shape():
    blocks = yaml_blocks()
    precommit = [b for b in blocks if isinstance(b, dict) and "repos" in b]
    workflows = [b for b in blocks if isinstance(b, dict) and "jobs" in b]
    step_lists = [b for b in blocks if isinstance(b, list)]
    gitlab = [b for b in blocks if isinstance(b, dict) and any(isinstance(v, dict) and "script" in v for v in b.values())]
    assert len(precommit) == len(workflows) == len(gitlab) == 1 and len(step_lists) == 1
    return precommit[0], workflows[0], step_lists[0], gitlab[0]


def workflow_steps() -> list[dict]:
    _, workflow, extra_steps, _ = by_shape()
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    return steps + extra_steps


def shell_lines() -> list[str]:
    _, _, _, gitlab = by_shape()
    lines = [line for step in workflow_steps() if "run" in step for line in step["run"].splitlines()]
    for job in gitlab.values():
        lines += job["script"]
    return [line.strip() for line in lines if line.strip()]


def torchlint_commands() -> list[list[str]]:
    return [shlex.split(line) for line in shell_lines() if line.startswith("torchlint ")]


def test_every_torchlint_command_is_accepted_by_the_cli_parser():
    commands = torchlint_commands()
    assert len(commands) == 3  # the changed-files gate and GitLab's two reports (the action runs the rest)
    parser = build_parser()
    for argv in commands:
        try:
            args = parser.parse_args(argv[1:])
        except SystemExit as error:
            pytest.fail(f"the CLI rejects the README's command {shlex.join(argv)!r} (exit {error.code})")
        assert args.output_format in {"sarif", "github", "gitlab", "junit"}


def test_the_parser_rejects_what_the_cli_rejects():
    """The check above can fail: a misspelt flag is refused."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--output-format", "sarif2", "."])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--output-fil", "x", "--changed-only", "--diff-against", "main"])


VENDORED = "tools/torchlint"  # where the snippets expect the copy of this repository


def test_github_workflow_uses_the_action_and_uploads_the_sarif_it_writes():
    """The workflow's one torchlint step is this repository's action, given inputs it
    declares; inside the action, the SARIF step writes the file the upload reads and
    never stops the upload, and the gate fails the job (tests/test_action.py runs it)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    steps = workflow_steps()
    uses = [step["uses"] for step in steps if "uses" in step]
    assert any(u.startswith("actions/checkout@") for u in uses)
    (step,) = [step for step in steps if step.get("uses") == f"./{VENDORED}"]
    assert set(step.get("with", {})) <= set(action["inputs"])
    assert str(step["with"]["sarif"]).lower() == "true"
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["submodules"] is True
    _, workflow, _, _ = by_shape()
    assert workflow["permissions"]["security-events"] == "write"

    action_steps = action["runs"]["steps"]
    report = next(s for s in action_steps if "--output-format sarif" in s.get("run", ""))
    upload = next(s for s in action_steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert report["env"]["TORCHLINT_SARIF"] == upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert '--output-file "$TORCHLINT_SARIF" --exit-zero' in report["run"]
    assert report["if"] == upload["if"] == "inputs.sarif == 'true'"
    gate = action_steps[-1]
    assert gate["run"].count("--exit-zero") == 1 and '[ "$TORCHLINT_FAIL" = "false" ] && args+=(--exit-zero)' in gate["run"]
    github_gate = [build_parser().parse_args(a[1:]) for a in torchlint_commands() if "github" in a]
    assert github_gate and not any(g.exit_zero for g in github_gate)


def test_every_snippet_installs_torchlint_from_the_copy_the_readme_sets_up():
    pip = [line for line in shell_lines() if line.startswith("pip install")]
    assert pip and all(line == f"pip install ./{VENDORED}" for line in pip)
    text = section()
    assert f"git submodule add <the URL you cloned torchlint from> {VENDORED}" in text
    assert f"git -C {VENDORED} checkout v{__version__}" in text
    assert f'extend-exclude = ["{VENDORED}/"]' in text  # its bundled buggy models are not the user's
    assert "pip install torchlint\n" not in text and "github.com/torchlint" not in text


def test_gitlab_job_reports_the_files_it_writes():
    _, _, _, gitlab = by_shape()
    (job,) = gitlab.values()
    reports = job["artifacts"]["reports"]
    written = {}
    for argv in torchlint_commands():
        args = build_parser().parse_args(argv[1:])
        if args.output_format in ("gitlab", "junit"):
            written[args.output_format] = str(args.output_file)
    assert written == {"gitlab": reports["codequality"], "junit": reports["junit"]}
    assert job["artifacts"]["when"] == "always"


def test_pre_commit_snippet_names_the_real_hook():
    precommit, _, _, _ = by_shape()
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (repo,) = precommit["repos"]
    assert repo["rev"] == f"v{__version__}"
    assert repo["repo"] == VENDORED  # tests/test_readme_precommit.py runs it as written
    assert {h["id"] for h in repo["hooks"]} <= {h["id"] for h in hooks}


def test_hook_definition():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    hook = hooks["torchlint"]
    assert hook["entry"] == "torchlint" and hook["language"] == "python"
    assert hook["types_or"] == ["python", "jupyter"] and "types" not in hook  # notebooks too
    assert hooks["torchlint-fix"]["types_or"] == ["python", "jupyter"]
    assert hook.get("pass_filenames", True) is True
    assert "torch" not in hook.get("additional_dependencies", [])


def test_exit_codes_are_documented():
    text = " ".join(section().split())
    assert "`0` no findings, `1` findings, `2` error" in text and "--exit-zero" in text
    from torchlint.cli import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, EXIT_CODES_HELP

    assert (EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR) == (0, 1, 2)
    assert EXIT_CODES_HELP in " ".join(build_parser().format_help().split())  # --help says it too
