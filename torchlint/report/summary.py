"""The lines after the findings: the count, and per-code statistics."""

from __future__ import annotations

from collections import Counter

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.engine import RunResult


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _missing(result: "RunResult") -> str:
    """`` 1 path not found: nope.py.``: a run that could not read what it was given."""
    missing = list(getattr(result, "missing_paths", None) or ())
    if not missing:
        return ""
    return f" {_plural(len(missing), 'path')} not found: {', '.join(missing)}."


def summary_line(result: "RunResult") -> str:
    runtime = f"\n{result.runtime_summary}" if getattr(result, "runtime_summary", None) else ""
    missing = _missing(result)
    fixed = sum(result.fixed.values())
    remaining = len(result.diagnostics)
    if fixed:
        return f"Found {_plural(fixed + remaining, 'error')} ({fixed} fixed, {remaining} remaining).{missing}{runtime}"
    if not remaining and missing:  # never a success line for a run that missed a path
        linted = result.files_checked
        done = f"No findings in the {_plural(linted, 'file')} linted." if linted else "Nothing was linted."
        return f"{done}{missing}{runtime}"
    if not remaining and getattr(result, "found_nothing", False):  # never a success line for reading nothing
        return "Nothing was linted." + runtime
    if not remaining:
        return "All checks passed!" + runtime
    files = len({d.path for d in result.diagnostics})
    return f"Found {_plural(remaining, 'error')} in {_plural(files, 'file')}.{missing}{runtime}"


def fix_hint(result: "RunResult") -> str:
    """``[*] 3 fixable with `--fix` (1 more with `--fix --unsafe-fixes`).``, or ``""``."""
    safe = sum(1 for d in result.diagnostics if d.fix and d.fix.applicability == "safe")
    unsafe = sum(1 for d in result.diagnostics if d.fix and d.fix.applicability == "unsafe")
    if not (safe or unsafe):
        return ""
    none = "[*] no more safe fixes" if sum(result.fixed.values()) else "[*] no safe fixes"  # after --fix: more
    hint = f"[*] {safe} fixable with `--fix`" if safe else none
    if unsafe:
        hint += f" ({unsafe} more with `--fix --unsafe-fixes`)"
    return hint + "."


def fix_summary(result: "RunResult", would: bool) -> str:
    """``Fixed 3 errors in 2 files:`` and a line per rule (``--show-fixes``, ``--diff``)."""
    fixed = sum(result.fixed.values())
    verb = "Would fix" if would else "Fixed"
    if not fixed:
        return "No fixes available." if would else "No errors fixed."
    lines = [f"{verb} {_plural(fixed, 'error')} in {_plural(len(result.fixed_files), 'file')}:"]
    for code, count in sorted(result.fixed.items()):
        if count:
            lines.append(f"  {count} x {code}")
    return "\n".join(lines)


def statistics(result: "RunResult") -> str:
    counts = Counter((d.code, d.name) for d in result.diagnostics)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = max((len(str(n)) for _, n in rows), default=1)
    return "\n".join(f"{n:>{width}}\t{code}\t{name}" for (code, name), n in rows)
