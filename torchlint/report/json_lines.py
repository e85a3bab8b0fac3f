"""JSON Lines: one finding a line, the same objects as ``--output-format json``."""

from __future__ import annotations

import json


def render(result, quiet: bool = False) -> str:
    return "".join(json.dumps(d.to_json(), ensure_ascii=False) + "\n" for d in result.diagnostics)
