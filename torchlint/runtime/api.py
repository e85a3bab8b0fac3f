"""``torchlint.check_model(model)``: the runtime findings of a model you built yourself.

No subprocess and no argument synthesis here: the model exists. Findings point at
the class of the offending submodule (assignment lines are only known when torchlint
builds the model itself, under ``--runtime``).
"""

from __future__ import annotations

import os
from typing import Iterable

import torch
from torch import nn

from torchlint.diagnostics import Diagnostic, Location
from torchlint.rules import RULES_BY_CODE
from torchlint.runtime.inspection import inspect_model
from torchlint.runtime.instantiate import realpath
from torchlint.runtime.subjects import FileClasses

_TORCH_DIR = os.path.dirname(realpath(torch.__file__)) + os.sep


def check_model(model: nn.Module, ignore: Iterable[str] = ()) -> list[Diagnostic]:
    """Unregistered tensors, plain containers of modules/Parameters, ``requires_grad``
    typos and mis-shaped layer weights in ``model`` and every submodule whose class is
    not torch's own."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"check_model() needs an nn.Module, not {type(model).__name__}")
    ignored = {code.upper() for code in ignore}
    inspection = inspect_model(model, lambda filename: not filename.startswith(_TORCH_DIR))
    classes: dict[str, tuple[FileClasses, list[str]]] = {}
    found: list[Diagnostic] = []
    for finding in inspection.findings:
        if finding["code"] in ignored:
            continue
        filename = finding["file"] or finding["class_file"] or "<unknown>"
        row, column, line = _class_line(filename, finding.get("qualname"), classes)
        rule = RULES_BY_CODE.get(finding["code"])
        found.append(Diagnostic(
            code=finding["code"], name=rule.name if rule else finding["code"].lower(), message=finding["message"],
            path=os.path.relpath(filename) if not os.path.relpath(filename).startswith("..") else filename,
            location=Location(row, column), end_location=Location(row, max(column + 1, len(line) + 1)),
            help=finding["help"], noqa_row=row, origin="runtime",
            runtime={"verdict": "confirmed", "reason": "found in the model instance",
                     "detail": f"found in a {type(model).__name__} instance"},
            source_line=line or None,
        ))
    return sorted(found, key=Diagnostic.sort_key)


def assert_registered(model: nn.Module, ignore: Iterable[str] = ()) -> None:
    """Fail (AssertionError) listing every runtime finding of ``model``."""
    findings = check_model(model, ignore=ignore)
    if findings:
        listed = "\n".join(f"  {d.path}:{d.location.row}: {d.code} {d.message}" for d in findings)
        raise AssertionError(
            f"{type(model).__name__} has {len(findings)} registration problem{'s' if len(findings) != 1 else ''}:\n"
            f"{listed}"
        )


def _class_line(filename: str, qualname, cache) -> tuple[int, int, str]:
    if filename not in cache:
        try:
            with open(filename, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError):
            text = ""
        cache[filename] = (FileClasses(text), text.splitlines())
    classes, lines = cache[filename]
    span = classes.by_qualname(qualname) if qualname else None
    if span is None:
        return 1, 1, lines[0] if lines else ""
    return span.row, span.column, lines[span.row - 1]
