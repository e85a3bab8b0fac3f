"""A JSON list of findings in ruff's shape (described in the README), plus ``origin`` and ``runtime``."""

from __future__ import annotations

import json


def render(result, quiet: bool = False) -> str:
    return json.dumps([d.to_json() for d in result.diagnostics], indent=2) + "\n"
