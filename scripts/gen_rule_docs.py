"""Write the rule pages under docs/rules/ from the rules' own docs and examples.

    python scripts/gen_rule_docs.py          # (re)write the pages
    python scripts/gen_rule_docs.py --check  # exit 1 when the committed pages drift

Everything comes from ``torchlint.rules.ALL_RULES`` (see ``torchlint/rule_docs.py``):
after adding a rule, re-run this script and commit docs/rules/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # document this checkout's rules, installed or not

from torchlint.diagnostics import RULE_DOC_PATH  # noqa: E402
from torchlint.rule_docs import REGENERATE, pages  # noqa: E402


def drift(root: Path = ROOT) -> list[str]:
    """Pages that are missing, different from what would be generated, or stale."""
    expected = pages()
    problems = []
    for relative, text in expected.items():
        path = root / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{relative}: differs from the rule's docs")
    docs_dir = (root / RULE_DOC_PATH).parent
    if docs_dir.is_dir():
        for path in sorted(docs_dir.glob("*.md")):
            relative = path.relative_to(root).as_posix()
            if relative not in expected:
                problems.append(f"{relative}: no rule has this page")
    return problems


def write(root: Path = ROOT) -> list[str]:
    written = []
    for relative, text in pages().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(relative)
    return written


def main(argv=None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift instead of writing")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift(root)
        for problem in problems:
            print(problem)
        if problems:
            print(f"The rule pages are out of date: run `{REGENERATE}` and commit docs/rules/.")
            return 1
        print("The rule pages are up to date.")
        return 0
    for relative in write(root):
        print(f"wrote {relative}")
    stale = [p for p in drift(root) if p.endswith("no rule has this page")]
    for problem in stale:
        print(problem)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
