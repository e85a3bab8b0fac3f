"""Rule documentation: --list-rules, --explain, and the generated pages in docs/rules/."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli
from torchlint.diagnostics import RULE_DOC_PATH
from torchlint.rule_docs import REGENERATE, page, pages
from torchlint.rules import ALL_RULES, Rule

SCRIPT = ROOT / "scripts" / "gen_rule_docs.py"


def load_script():
    spec = importlib.util.spec_from_file_location("gen_rule_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_pages_match_the_rules():
    """Fails when a rule's docstring or examples changed without regenerating its page."""
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, f"{result.stdout}\nRegenerate with: {REGENERATE}"


def test_drift_is_detected_and_named(tmp_path):
    script = load_script()
    assert sorted(script.write(tmp_path)) == sorted(pages())
    assert script.drift(tmp_path) == []
    (tmp_path / "docs/rules/TL001.md").write_text("# hand-edited\n")
    (tmp_path / "docs/rules/TL002.md").unlink()
    (tmp_path / "docs/rules/TL999.md").write_text("# a rule that does not exist\n")
    assert script.drift(tmp_path) == [
        "docs/rules/TL001.md: differs from the rule's docs",
        "docs/rules/TL002.md: missing",
        "docs/rules/TL999.md: no rule has this page",
    ]
    assert script.write(tmp_path) == ["docs/rules/TL001.md", "docs/rules/TL002.md"]


def test_check_mode_says_how_to_regenerate(tmp_path, capsys):
    script = load_script()
    assert script.main(["--check"], root=tmp_path) == 1
    out = capsys.readouterr().out
    assert "docs/rules/TL001.md: missing" in out and f"run `{REGENERATE}`" in out
    assert script.main([], root=tmp_path) == 0
    assert script.main(["--check"], root=tmp_path) == 0


def test_generation_covers_every_rule_automatically():
    """A rule added to ALL_RULES gets a page and an index row with no other change."""
    generated = pages()
    assert set(generated) == {RULE_DOC_PATH.format(code=r.code) for r in ALL_RULES} | {"docs/rules/index.md"}
    index = generated["docs/rules/index.md"]
    for rule in ALL_RULES:
        assert f"| [{rule.code}]({rule.code}.md) | {rule.name} |" in index
        text = generated[RULE_DOC_PATH.format(code=rule.code)]
        assert text.splitlines()[2] == f"# {rule.code}: {rule.name}"
        for heading in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
            assert heading in text
        for example in rule.INVALID + rule.VALID:
            assert example.strip("\n") in text

    class TL999(Rule):
        """TL999 made-up-rule

        ## What it does
        Finds nothing.
        """

        code, name, summary = "TL999", "made-up-rule", "A rule that only exists in this test"
        INVALID = ("x = 1\n",)

    text = page(TL999)
    assert "# TL999: made-up-rule" in text and "x = 1" in text and "`# noqa: TL999`" in text


def test_every_finding_url_points_at_its_page():
    """With `--docs-url` (or `docs-url`) naming where docs/rules/ is served, every
    finding's url is its rule's page there; without it, no url (nothing untrue)."""
    base = "https://example.org/torchlint/blob/v1/docs/rules"
    result = run_cli("fixtures", "--output-format", "json", "--select", "ALL", "--docs-url", base + "/")
    data = json.loads(result.stdout)
    assert {d["code"] for d in data} >= {"TL001", "TL002", "TL003", "TL007", "TL008", "TL010"}
    for finding in data:
        assert finding["url"] == f"{base}/{finding['code']}.md"
        assert (ROOT / RULE_DOC_PATH.format(code=finding["code"])).is_file()
    default = json.loads(run_cli("fixtures", "--output-format", "json", "--select", "ALL").stdout)
    assert len(default) == len(data) and all(finding["url"] is None for finding in default)
    for rule in ALL_RULES:
        assert rule.url() is None
        assert (ROOT / RULE_DOC_PATH.format(code=rule.code)).is_file()


def test_list_rules_table():
    result = run_cli("--list-rules")
    assert result.returncode == 0 and result.stderr == b""
    header, *rows = result.stdout.decode().splitlines()
    assert header.split() == ["code", "name", "fixable", "origin"]
    assert [row.split() for row in rows] == [
        [rule.code, rule.name, "yes" if rule.fixable else "no", rule.origin] for rule in ALL_RULES
    ]
    fixable = {rule.code for rule in ALL_RULES if rule.fixable}
    assert fixable == {"TL001", "TL002", "TL003", "TL004", "TL005", "TL006", "TL007", "TL008", "TL011"}
    assert Rule.fixable is False


@pytest.mark.parametrize("spelling", ["TL001", "tl001", "unregistered-tensor"])
def test_explain_prints_the_rule_documentation(spelling):
    from torchlint.rules import RULES_BY_CODE

    rule = RULES_BY_CODE["TL001"]
    result = run_cli("--explain", spelling)
    assert result.returncode == 0
    text = result.stdout.decode()
    assert text.startswith(rule.documentation() + "\n")
    assert text.startswith("TL001 unregistered-tensor\n\n## What it does\n")
    assert text.rstrip().endswith("Fixable: yes. Origin: static.")  # no link without `docs-url`
    linked = run_cli("--explain", spelling, "--docs-url", "https://example.org/rules/{code}")
    assert linked.stdout.decode() == text + "Documentation: https://example.org/rules/TL001\n"


def test_explain_unknown_rule_is_a_usage_error():
    result = run_cli("--explain", "TL999")
    assert result.returncode == 2
    assert b"unknown rule 'TL999'" in result.stderr and b"--list-rules" in result.stderr


def test_the_code_list_config_uses_matches_the_rule_registry():
    from torchlint import codes
    from torchlint.rules import FILE_NOT_LINTED, RUNTIME_RULES

    assert codes.STATIC_CODES == tuple(rule.code for rule in ALL_RULES)
    assert codes.RUNTIME_CODES == tuple(rule.code for rule in RUNTIME_RULES)
    assert codes.FILE_NOT_LINTED == FILE_NOT_LINTED


def test_a_run_answered_from_the_cache_never_imports_libcst(tmp_path):
    """The rules, the analysis and libcst load only when a file is linted."""
    (tmp_path / "net.py").write_text("import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n"
                                     "    def __init__(self):\n        super().__init__()\n        self.t = torch.zeros(1)\n")
    command = [sys.executable, "-c", "import sys; from torchlint.cli import main; code = main(); "
               "print('libcst' in sys.modules, 'torchlint.rules' in sys.modules); sys.exit(code)",
               "--cache-dir", str(tmp_path / "cache"), "--output-format", "concise", str(tmp_path / "net.py")]
    cold = subprocess.run(command, capture_output=True, text=True)
    warm = subprocess.run(command, capture_output=True, text=True)
    assert cold.stdout.splitlines()[-1] == "True True"
    assert warm.stdout.splitlines()[-1] == "False False"
    assert "TL001" in warm.stdout and warm.returncode == 1
