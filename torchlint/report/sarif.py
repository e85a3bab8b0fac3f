"""SARIF 2.1.0, as GitHub code scanning reads it (``github/codeql-action/upload-sarif``).

One run: ``tool.driver`` describes torchlint and every rule (id, name, descriptions
and help from the rule's own documentation, ``helpUri`` to its page when ``docs-url`` is set); each result has
the rule, level, message and a location relative to the repository root
(``uriBaseId`` ``%SRCROOT%``) with a region in 1-based lines and columns counted in
Unicode code points, as torchlint counts them.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from torchlint import __version__
from torchlint.report.fingerprints import fingerprints
from torchlint.report.paths import file_lines, in_cell, relative_path, report_root

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "torchlint/v1"


def rule_descriptor(rule) -> dict:
    from torchlint.rule_docs import body, what_it_does

    doc = body(rule)
    descriptor = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": what_it_does(rule)},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["pytorch", "correctness", rule.origin]},
    }
    if rule.url():  # the `url` of its findings: set by `docs-url`, else none (the help is inline)
        descriptor["helpUri"] = rule.url()
    return descriptor


def _result(d, index: int, path: str, fingerprint: str) -> dict:
    message = d.message if not d.help else f"{d.message}\nHelp: {d.help}"
    if d.cell is not None:
        return _notebook_result(d, index, path, fingerprint, message)
    return {
        "ruleId": d.code,
        "ruleIndex": index,
        "level": "error",
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT},
                    "region": {
                        "startLine": d.location.row,
                        "startColumn": d.location.column,
                        "endLine": d.end_location.row,
                        "endColumn": d.end_location.column,
                    },
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        **({"properties": {"origin": d.origin, "runtime": d.runtime}} if d.runtime is not None else {}),
    }


def _notebook_result(d, index: int, path: str, fingerprint: str, message: str) -> dict:
    """A notebook finding: the region is the .ipynb file's lines holding the cell's source
    lines (code scanning shows lines of files); the message and the properties name the
    cell, its id, and the line and column inside it."""
    first, last = file_lines(d)
    properties = {"cell": d.cell, "cellLine": d.location.row, "cellColumn": d.location.column,
                  "cellEndLine": d.end_location.row, "cellEndColumn": d.end_location.column}
    if d.cell_id is not None:
        properties["cellId"] = d.cell_id
    return {
        "ruleId": d.code,
        "ruleIndex": index,
        "level": "error",
        "message": {"text": f"In {in_cell(d)}: {message}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT},
                    "region": {"startLine": first, "endLine": last},
                },
                "logicalLocations": [{"name": f"cell {d.cell}", "kind": "module",
                                      "fullyQualifiedName": f"{path}:cell {d.cell}"}],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": properties,
    }


def _notifications(result) -> list[dict]:
    problems = [f"{path}: no such file or directory" for path in result.missing_paths]
    problems += list(result.internal_errors)
    return [{"level": "error", "message": {"text": text}} for text in problems]


def render(result, quiet: bool = False) -> str:
    from torchlint.rules import ALL_RULES  # here: the other formats never need the rules

    root = report_root(result)
    index = {rule.code: i for i, rule in enumerate(ALL_RULES)}
    paths = [relative_path(d, root) for d in result.diagnostics]
    results = [
        _result(d, index[d.code], path, fingerprint)
        for d, path, fingerprint in zip(result.diagnostics, paths, fingerprints(result.diagnostics, paths))
    ]
    notifications = _notifications(result)
    invocation: dict = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "torchlint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [rule_descriptor(rule) for rule in ALL_RULES],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [invocation],
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
