"""Output formats: one formatter a file, each ``render(result, options) -> str``."""

from __future__ import annotations

from typing import Callable

from torchlint.report import concise, full, json_format

FORMATTERS: dict[str, Callable] = {
    "text": full.render,
    "full": full.render,
    "concise": concise.render,
    "json": json_format.render,
}
