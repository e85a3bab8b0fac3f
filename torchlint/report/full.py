"""ruff's full format: the finding, the source line with a caret under the span, the fix."""

from __future__ import annotations

from torchlint.diagnostics import Diagnostic
from torchlint.report.concise import line
from torchlint.report.summary import fix_hint, summary_line


def block(d: Diagnostic) -> str:
    out = [line(d)]
    if d.source_line is not None:
        source = d.source_line.expandtabs(1).rstrip("\r\n")
        gutter = " " * len(str(d.location.row))
        start = d.location.column - 1
        end = d.end_location.column - 1 if d.end_location.row == d.location.row else len(source)
        width = max(1, min(end, len(source)) - start)
        out += [
            f"{gutter} |",
            f"{d.location.row} | {source}",
            f"{gutter} | {' ' * start}{'^' * width} {d.code}",
            f"{gutter} |",
        ]
        if d.help:
            out.append(f"{gutter} = help: {d.help}")
        if d.runtime is not None:
            out.append(f"{gutter} = runtime: {d.runtime['verdict']}: {d.runtime['detail']}")
    else:
        if d.help:
            out.append(f"  = help: {d.help}")
        if d.runtime is not None:
            out.append(f"  = runtime: {d.runtime['verdict']}: {d.runtime['detail']}")
    return "\n".join(out) + "\n"


def render(result, quiet: bool = False) -> str:
    parts = [block(d) for d in result.diagnostics]
    if not quiet:
        hint = fix_hint(result)
        parts.append((hint + "\n" if hint else "") + summary_line(result) + "\n")
    return "\n".join(parts)
