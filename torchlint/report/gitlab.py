"""GitLab Code Quality: a JSON list of issues for ``artifacts:reports:codequality``.

Each issue has ``description``, ``check_name``, ``fingerprint`` (stable across
unrelated edits, see ``fingerprints.py``), ``severity`` and ``location`` with the
repository-relative ``path`` and ``lines.begin``.
"""

from __future__ import annotations

import json

from torchlint.report.fingerprints import fingerprints
from torchlint.report.paths import file_lines, in_cell, relative_path, report_root

SEVERITY = "major"  # every torchlint rule finds a bug, not a style issue


def render(result, quiet: bool = False) -> str:
    root = report_root(result)
    paths = [relative_path(d, root) for d in result.diagnostics]
    issues = [
        {
            "type": "issue",
            "check_name": d.code,
            "description": f"{d.code} ({d.name}): {d.message}" + (f" (in {in_cell(d)})" if d.cell is not None else ""),
            "categories": ["Bug Risk"],
            "severity": SEVERITY,
            "fingerprint": fingerprint,
            "location": {"path": path, "lines": dict(zip(("begin", "end"), file_lines(d)))},
        }
        for d, path, fingerprint in zip(result.diagnostics, paths, fingerprints(result.diagnostics, paths))
    ]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
