"""Output formats: one formatter a file, each ``render(result, quiet=False) -> str``.

A formatter's module is imported when the run asks for it (``formatter(name)``): a run
never loads the XML, SARIF or GitLab writers it does not print with."""

from __future__ import annotations

import importlib
from typing import Callable

# format name -> the module under torchlint.report that renders it
FORMAT_MODULES: dict[str, str] = {
    "text": "full",
    "full": "full",
    "concise": "concise",
    "json": "json_format",
    "json-lines": "json_lines",
    "github": "github",
    "gitlab": "gitlab",
    "sarif": "sarif",
    "junit": "junit",
}


def formatter(name: str) -> Callable:
    """The ``render`` function of the output format ``name``."""
    return importlib.import_module(f"torchlint.report.{FORMAT_MODULES[name]}").render


def __getattr__(name: str):
    if name == "FORMATTERS":  # every format, loaded (for callers that want them all)
        return {format_name: formatter(format_name) for format_name in FORMAT_MODULES}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
