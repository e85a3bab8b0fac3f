"""Output formats: one formatter a file, each ``render(result, quiet=False) -> str``."""

from __future__ import annotations

from typing import Callable

from torchlint.report import concise, full, github, gitlab, json_format, json_lines, junit, sarif

FORMATTERS: dict[str, Callable] = {
    "text": full.render,
    "full": full.render,
    "concise": concise.render,
    "json": json_format.render,
    "json-lines": json_lines.render,
    "github": github.render,
    "gitlab": gitlab.render,
    "sarif": sarif.render,
    "junit": junit.render,
}
