"""Rule documentation, rendered from the rules themselves.

Every text here comes from a rule class: its code, name, summary, ``fixable`` and
``origin`` attributes, its module docstring (What it does / Why is this bad? /
Example / Fix) and its VALID/INVALID examples. ``--list-rules``, ``--explain`` and the
pages under ``docs/rules/`` (written by ``scripts/gen_rule_docs.py``) all use it, so
a new rule in ``torchlint.rules.ALL_RULES`` is documented everywhere by re-running
that script.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Optional

from torchlint.diagnostics import RULE_DOC_PATH
from torchlint.rules import ALL_RULES, FILE_NOT_LINTED, Rule

REGENERATE = "python scripts/gen_rule_docs.py"


def find_rule(code_or_name: str) -> Optional[type[Rule]]:
    wanted = code_or_name.strip()
    for rule in ALL_RULES:
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            return rule
    return None


def _markdown_text(text: str) -> str:
    """Plain text in Markdown: `__init__` must not turn bold, a pipe must not end a cell."""
    for char in ("\\", "_", "*", "|"):
        text = text.replace(char, "\\" + char)
    return text


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def rules_table() -> str:
    """``--list-rules``: one row a rule."""
    rows = [("code", "name", "fixable", "origin")]
    rows += [(r.code, r.name, _yes_no(r.fixable), r.origin) for r in ALL_RULES]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows) + "\n"


def explain(rule: type[Rule]) -> str:
    """``--explain CODE``: the rule's own documentation and where its page is."""
    text = f"{rule.documentation()}\n\nFixable: {_yes_no(rule.fixable)}. Origin: {rule.origin}.\n"
    return text + (f"Documentation: {rule.url()}\n" if rule.url() else "")


def body(rule: type[Rule]) -> str:
    """The docstring without its ``TL001 unregistered-tensor`` title line."""
    doc = rule.documentation()
    first, _, rest = doc.partition("\n")
    return rest.strip() if first.split()[:1] == [rule.code] else doc.strip()


def what_it_does(rule: type[Rule]) -> str:
    """The text of the "## What it does" section (SARIF's fullDescription)."""
    text = body(rule)
    start = text.find("## What it does")
    if start == -1:
        return rule.summary
    section = text[start + len("## What it does"):]
    end = section.find("\n## ")
    return " ".join((section if end == -1 else section[:end]).split())


def _source_file(rule: type[Rule]) -> str:
    path = Path(inspect.getsourcefile(rule) or "")
    package_parent = Path(__file__).resolve().parent.parent
    try:
        return path.resolve().relative_to(package_parent).as_posix()
    except ValueError:
        return path.name


def _examples(title: str, examples: tuple[str, ...]) -> list[str]:
    out = [title, ""]
    for example in examples:
        out += ["```python", example.strip("\n"), "```", ""]
    return out


def page(rule: type[Rule]) -> str:
    suppression = "cannot be suppressed" if rule.code == FILE_NOT_LINTED else f"`# noqa: {rule.code}`"
    lines = [
        f"<!-- Generated from {_source_file(rule)} by `{REGENERATE}`: edit the rule, not this page. -->",
        "",
        f"# {rule.code}: {rule.name}",
        "",
        _markdown_text(rule.summary),
        "",
        "| origin | fixable | suppression |",
        "|---|---|---|",
        f"| {rule.origin} | {_yes_no(rule.fixable)} | {suppression} |",
        "",
        body(rule),
        "",
    ]
    if rule.INVALID or rule.VALID:
        lines += ["## Examples from the test suite", ""]
        lines += ["The test suite checks that torchlint reports each of these and stays silent on the others.", ""]
        if rule.INVALID:
            lines += _examples(f"Reported as {rule.code}:", rule.INVALID)
        if rule.VALID:
            lines += _examples(f"Not reported as {rule.code}:", rule.VALID)
    return "\n".join(lines).rstrip("\n") + "\n"


def index_page() -> str:
    lines = [
        f"<!-- Generated from torchlint.rules.ALL_RULES by `{REGENERATE}`: do not edit. -->",
        "",
        "# torchlint rules",
        "",
        "`torchlint --list-rules` prints this table; `torchlint --explain CODE` prints a rule's page.",
        "",
        "| code | name | summary | origin | fixable |",
        "|---|---|---|---|---|",
    ]
    for rule in ALL_RULES:
        link = Path(RULE_DOC_PATH.format(code=rule.code)).name
        lines.append(
            f"| [{rule.code}]({link}) | {rule.name} | {_markdown_text(rule.summary)} | {rule.origin} "
            f"| {_yes_no(rule.fixable)} |"
        )
    return "\n".join(lines) + "\n"


def pages() -> dict[str, str]:
    """Every generated page, by path relative to the repository root."""
    rule_pages = {RULE_DOC_PATH.format(code=rule.code): page(rule) for rule in ALL_RULES}
    return {**rule_pages, RULE_DOC_PATH.format(code="index"): index_page()}
