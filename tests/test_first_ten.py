"""What a new user meets in the first ten minutes: the real entry point
(``python -m torchlint``) in a subprocess, its stdout, stderr and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

BUGGY = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = torch.zeros(10)
    """
)
CLEAN = "import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.py").write_text(BUGGY)
    (tmp_path / "models" / "ok.py").write_text(CLEAN)
    return tmp_path


def merged(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """stdout and stderr through one pipe, in the order the user sees them."""
    return subprocess.run(
        [sys.executable, "-m", "torchlint", *args], cwd=cwd, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )


# -- 1. a missing path ------------------------------------------------------------------------


def test_a_missing_path_alone_never_claims_success(project):
    result = run_cli("does_not_exist.py", cwd=project)
    assert result.returncode == 2
    assert result.stderr.decode() == "torchlint: error: does_not_exist.py: no such file or directory\n"
    assert result.stdout.decode() == "Nothing was linted. 1 path not found: does_not_exist.py.\n"
    assert b"All checks passed" not in result.stdout


def test_a_missing_path_beside_clean_files_is_in_the_summary(project):
    result = run_cli("models/ok.py", "nope.py", "gone/", cwd=project)
    assert result.returncode == 2
    assert result.stdout.decode() == "No findings in the 1 file linted. 2 paths not found: nope.py, gone/.\n"
    assert result.stderr.decode().splitlines() == [
        "torchlint: error: nope.py: no such file or directory",
        "torchlint: error: gone/: no such file or directory",
    ]


def test_a_missing_path_is_reported_before_the_findings(project):
    result = merged("models", "nope.py", "--output-format", "concise", cwd=project)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0] == "torchlint: error: nope.py: no such file or directory"
    assert lines[1].startswith("models/net.py:8:9: TL001 ")
    assert lines[-1] == "Found 1 error in 1 file. 1 path not found: nope.py."
    assert sum("nope.py" in line for line in lines) == 2  # the error once, the summary once


# -- 2. no references to material users do not have -------------------------------------------

# The project grew from notes (a rule catalogue, numbered seed tutorials) that ship with
# neither the repository nor the package: the product never points at them.
OUTSIDE = [
    (r"(?i)\bseeds?\s*#?\s*\d", "a numbered seed"),
    (r"(?i)\bseed tutorials?\b", "the seed tutorials"),
    (r"(?i)shared/", "a ../shared/ path"),
    (r"(?i)\bRULES\.md\b", "RULES.md"),
    (r"(?i)\.\./\.\./", "a path above the repository"),
]


def product_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / ".pre-commit-hooks.yaml"]
    files += sorted((ROOT / "docs").rglob("*.md")) + sorted((ROOT / "torchlint").rglob("*.py"))
    files += sorted((ROOT / "fixtures").rglob("*.py"))  # the bundled examples the set-up command lints
    files += [p for p in (ROOT / "action.yml",) if p.is_file()]
    return files


def test_no_reference_to_material_outside_the_repository():
    import re

    problems = []
    for path in product_files():
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for pattern, what in OUTSIDE:
                if re.search(pattern, text):
                    problems.append(f"{path.relative_to(ROOT)}:{number}: {what}: {text.strip()}")
    assert not problems, "\n".join(problems)


def test_the_grep_finds_what_it_looks_for():
    import re

    for line in ("(seed 000)", "Seed 003's custom", "see `../shared/RULES.md`", "the seed tutorials"):
        assert any(re.search(pattern, line) for pattern, _ in OUTSIDE), line
    assert not any(re.search(p, "a random seed, np.random.seed(0) and seeded runs") for p, _ in OUTSIDE)


def test_explain_stands_alone():
    result = run_cli("--explain", "TL001")
    assert result.returncode == 0 and result.stderr == b""
    text = result.stdout.decode()
    assert "seed" not in text.lower() and "RULES.md" not in text


# -- 3. finding URLs: one setting, nothing untrue by default ----------------------------------


def test_docs_url_from_the_configuration_sets_url_helpuri_and_explain(project):
    import json

    (project / "pyproject.toml").write_text(
        '[tool.torchlint]\ndocs-url = "https://example.org/torchlint/rules/{code}.html"\n'
    )
    findings = json.loads(run_cli("models", "--output-format", "json", cwd=project).stdout)
    assert [(d["code"], d["url"]) for d in findings] == [("TL001", "https://example.org/torchlint/rules/TL001.html")]
    sarif = json.loads(run_cli("models", "--output-format", "sarif", cwd=project).stdout)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["TL001"]["helpUri"] == findings[0]["url"]  # SARIF's link is the findings' link
    assert all(r["helpUri"] == f"https://example.org/torchlint/rules/{code}.html" for code, r in rules.items())
    explain = run_cli("--explain", "TL001", cwd=project).stdout.decode()
    assert explain.endswith("Documentation: https://example.org/torchlint/rules/TL001.html\n")
    # the flag wins over the file
    flagged = json.loads(run_cli("models", "--output-format", "json", "--docs-url", "https://b.example/r", cwd=project).stdout)
    assert flagged[0]["url"] == "https://b.example/r/TL001.md"


def test_by_default_no_link_and_junit_names_explain(project):
    import json

    findings = json.loads(run_cli("models", "--output-format", "json", cwd=project).stdout)
    assert findings[0]["url"] is None
    sarif = run_cli("models", "--output-format", "sarif", cwd=project).stdout.decode()
    assert "helpUri" not in sarif and "github.com/torchlint" not in sarif
    junit = run_cli("models", "--output-format", "junit", cwd=project).stdout.decode()
    assert "torchlint --explain TL001" in junit


def test_a_docs_url_that_is_not_a_url_is_a_configuration_error(project):
    (project / "pyproject.toml").write_text('[tool.torchlint]\ndocs-url = "docs/rules"\n')
    result = run_cli("models", cwd=project)
    assert result.returncode == 2 and result.stdout == b""
    assert "`docs-url` in " in result.stderr.decode() and "must be a URL" in result.stderr.decode()


# -- 4. what the README and the messages tell users to run ------------------------------------


def test_the_version_is_in_step_with_pyproject_and_the_readme():
    import re

    from torchlint import __version__

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^version = "([^"]+)"$', pyproject, re.MULTILINE).group(1) == __version__
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"\bv\d+\.\d+\.\d+\b", readme)) == {f"v{__version__}"}
    assert run_cli("--version").stdout.decode() == f"torchlint {__version__}\n"


def test_runtime_without_torch_names_a_command_that_works_here(tmp_path, project):
    hide = tmp_path / "hide-torch"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text('import sys\nsys.modules["torch"] = None  # find_spec("torch") is None\n')
    path = os.pathsep.join([str(ROOT), str(hide)])
    result = run_cli("models", "--runtime", cwd=project, env={"PYTHONPATH": path})
    assert result.returncode == 2 and result.stdout == b""
    error = result.stderr.decode()
    assert error == (
        f"torchlint: error: --runtime needs torch, which this Python ({sys.executable}) cannot import: "
        f"`{sys.executable} -m pip install torch` (the CPU-only build: add "
        "`--index-url https://download.pytorch.org/whl/cpu`)\n"
    )
    assert "torchlint[runtime]" not in error  # not on PyPI: that command cannot work


# -- 7. the set-up commands do what the README says they do -----------------------------------


def test_the_setup_command_exits_1_by_design_and_the_clean_examples_pass():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Set-up: the two commands", 1)[1].split("\n## ", 1)[0]
    assert "pip install . && torchlint fixtures/" in setup and "exits with status 1, by design" in setup
    buggy = run_cli("fixtures/", "--no-cache")
    assert buggy.returncode == 1 and buggy.stderr == b""
    found = re.search(r"^Found (\d+) errors in (\d+) files\.$", buggy.stdout.decode(), re.MULTILINE)
    # "some three hundred findings in about a hundred and seventeen files"
    assert found and 200 <= int(found.group(1)) <= 320 and 80 <= int(found.group(2)) <= 130
    clean = run_cli("fixtures/clean/", "--no-cache")
    assert (clean.returncode, clean.stdout) == (0, b"All checks passed!\n")
    assert "python -m pytest -m torch" in setup and "pip install torch==2.13.0 --index-url" in setup


def test_the_torch_marker_selects_every_test_that_needs_torch():
    """`python -m pytest -m torch` (the README) runs every test that skips without torch."""
    import re

    for path in sorted((ROOT / "tests").glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        module_level = re.search(r"""^torch = pytest\.importorskip\(["']torch["']""", text, re.MULTILINE)
        if module_level:
            assert "pytestmark = pytest.mark.torch" in text, f"{path.name} skips without torch but is not marked `torch`"
        # a test that skips itself without torch carries the marker
        starts = [m.start() for m in re.finditer(r"^(?:@pytest[^\n]*\n)*def test_", text, re.MULTILINE)]
        for test in (text[a:b] for a, b in zip(starts, [*starts[1:], len(text)])):
            if re.search(r"""importorskip\(["']torch["']""", test) and "pytestmark = pytest.mark.torch" not in text:
                assert "@pytest.mark.torch" in test, f"{path.name}: {test.split('(')[0]} skips without torch but is not marked"


# -- 8. small wording ------------------------------------------------------------------------


def test_tl000_says_the_other_files_were_linted_only_when_there_were_others(project):
    (project / "models" / "broken.py").write_text("class Net(nn.Module)\n    pass\n")
    alone = run_cli("models/broken.py", "--output-format", "concise", "--no-cache", cwd=project)
    assert "  = help" not in alone.stdout.decode()
    full = run_cli("models/broken.py", "--no-cache", cwd=project).stdout.decode()
    assert "  = help: Fix the file so that Python can read and parse it\n" in full
    with_others = run_cli("models", "--no-cache", cwd=project).stdout.decode()
    assert "  = help: Fix the file so that Python can read and parse it; the other files were linted\n" in with_others
    # the cache keeps the file's own help: the run decides what it adds
    run_cli("models/broken.py", cwd=project)
    cached = run_cli("models/broken.py", cwd=project).stdout.decode()
    assert "  = help: Fix the file so that Python can read and parse it\n" in cached


def test_after_fix_no_more_safe_fixes(project):
    (project / "models" / "net.py").write_text(BUGGY + "        self.blocks = [nn.Linear(2, 2)]\n")
    before = run_cli("models/net.py", cwd=project).stdout.decode()
    assert "[*] 1 fixable with `--fix` (1 more with `--fix --unsafe-fixes`)." in before
    fixed = run_cli("models/net.py", "--fix", cwd=project)
    text = fixed.stdout.decode()
    assert fixed.returncode == 1
    assert "[*] no more safe fixes (1 more with `--fix --unsafe-fixes`)." in text
    assert text.rstrip().endswith("Found 2 errors (1 fixed, 1 remaining).")
    (project / "models" / "other.py").write_text(
        "import torch.nn as nn\n\n\nclass Other(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.blocks = [nn.Linear(2, 2)]\n"
    )
    assert "[*] no safe fixes (1 more" in run_cli("models/other.py", cwd=project).stdout.decode()


@pytest.mark.parametrize("content, row, column, help", [
    (b"# caf\xe9\nx = 1\n", 1, 6, "Save the file as UTF-8, or declare the encoding it is written in on its first or "
     "second line, e.g. `# -*- coding: latin-1 -*-`"),
    (b"x = 1\ny = 'caf\xe9'\n", 2, 9, "Save the file as UTF-8, or declare the encoding it is written in on its "
     "first or second line, e.g. `# -*- coding: latin-1 -*-`"),
    (b"# -*- coding: ascii -*-\ny = 'caf\xe9'\n", 2, 9, "The bytes do not match the file's coding line (ascii): "
     "declare the encoding the file is written in, e.g. `# -*- coding: latin-1 -*-`, or save it as ascii"),
])
def test_an_undecodable_file_suggests_a_coding_line(project, content, row, column, help):
    import json

    (project / "models" / "latin.py").write_bytes(content)
    data = json.loads(run_cli("models/latin.py", "--output-format", "json", "--no-cache", cwd=project).stdout)
    assert [(d["code"], d["location"]["row"], d["location"]["column"]) for d in data] == [("TL000", row, column)]
    assert "not valid" in data[0]["message"]
    assert data[0]["help"] == help
    # and the suggestion works
    (project / "models" / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\n" + content.split(b"\n", 1)[1])
    assert run_cli("models/latin.py", cwd=project).returncode == 0


@pytest.mark.parametrize("toml, error", [
    ('[tool.torchlint]\nextend_exclude = ["x"]\n', "unknown key 'extend_exclude' in [tool.torchlint] of {}; "
     "did you mean 'extend-exclude'? known keys: "),
    ('[tool.torchlint]\nselct = ["TL001"]\n', "unknown key 'selct' in [tool.torchlint] of {}; did you mean 'select'?"),
    ("[tool.torchlint.runtime]\ntimout = 3\n", "unknown key 'timout' in [tool.torchlint.runtime] of {}; "
     "did you mean 'timeout'?"),
    ("[tool.torchlint]\nbanana = 1\n", "unknown key 'banana' in [tool.torchlint] of {}; known keys: "),
])
def test_an_unknown_config_key_suggests_the_nearest(project, toml, error):
    (project / "pyproject.toml").write_text(toml)
    result = run_cli("models", cwd=project)
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode().startswith("torchlint: error: " + error.format(project / "pyproject.toml"))


@pytest.mark.parametrize("fmt", ["json", "json-lines", "sarif", "concise"])
def test_diff_refuses_a_report_format(project, fmt):
    before = (project / "models" / "net.py").read_text()
    result = run_cli("models", "--diff", "--output-format", fmt, cwd=project)
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode() == (
        f"torchlint: error: --diff prints a unified diff, not a {fmt} report; for the fixes as JSON, use "
        "--output-format json without --diff: each finding's `fix` lists its edits\n"
    )
    assert (project / "models" / "net.py").read_text() == before
    assert run_cli("models", "--diff", "--output-format", "text", cwd=project).stdout.decode().startswith("--- ")


def test_help_says_what_no_path_means_and_what_runtime_does():
    text = " ".join(run_cli("--help").stdout.decode().split())
    assert "With no path, the current directory is linted." in text
    assert "(default: the current directory; '-' for stdin)" in text
    assert "it IMPORTS AND RUNS YOUR CODE (module-level code and every constructor" in text
