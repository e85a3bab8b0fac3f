"""The lines after the findings: the count, and per-code statistics."""

from __future__ import annotations

from collections import Counter

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.engine import RunResult


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(result: "RunResult") -> str:
    runtime = f"\n{result.runtime_summary}" if result.runtime_summary else ""
    if not result.diagnostics:
        return "All checks passed!" + runtime
    files = len({d.path for d in result.diagnostics})
    return f"Found {_plural(len(result.diagnostics), 'error')} in {_plural(files, 'file')}.{runtime}"


def statistics(result: "RunResult") -> str:
    counts = Counter((d.code, d.name) for d in result.diagnostics)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = max((len(str(n)) for _, n in rows), default=1)
    return "\n".join(f"{n:>{width}}\t{code}\t{name}" for (code, name), n in rows)
