"""``path:row:col: CODE message``, one line a finding."""

from __future__ import annotations

from torchlint.diagnostics import Diagnostic
from torchlint.report.summary import fix_hint, summary_line


def line(d: Diagnostic) -> str:
    return f"{d.where}:{d.location.row}:{d.location.column}: {d.code} {d.message}{verdict_tag(d)}"


def verdict_tag(d: Diagnostic) -> str:
    """`` [runtime: confirmed]``, `` [found at runtime]`` under --runtime; empty otherwise."""
    if d.runtime is None:
        return ""
    if d.origin == "runtime":
        return " [found at runtime]"
    return f" [runtime: {d.runtime['verdict']}]"


def render(result, quiet: bool = False) -> str:
    lines = [line(d) for d in result.diagnostics]
    if not quiet:
        hint = fix_hint(result)
        lines.extend([hint] if hint else [])
        lines.append(summary_line(result))
    return "\n".join(lines) + ("\n" if lines else "")
