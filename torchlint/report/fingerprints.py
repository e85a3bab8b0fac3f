"""Fingerprints that follow a finding across unrelated edits.

A fingerprint hashes the file's repository-relative path, the rule code, the text of
the reported line with its whitespace normalised, and which occurrence of that
(path, code, text) triple it is. The line *number* is left out on purpose: adding a
line above a finding must not turn it into a new finding in GitLab's merge-request
widget or GitHub code scanning.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from torchlint.diagnostics import Diagnostic


def normalized_line(diagnostic: Diagnostic) -> str:
    return " ".join((diagnostic.source_line or "").split())


def fingerprints(diagnostics: list[Diagnostic], paths: list[str]) -> list[str]:
    """One fingerprint per diagnostic (in order); ``paths`` are their relative paths."""
    seen: Counter = Counter()
    result = []
    for diagnostic, path in zip(diagnostics, paths):
        key = (path, diagnostic.code, normalized_line(diagnostic))
        occurrence = seen[key]
        seen[key] += 1
        text = "\0".join([*key, str(occurrence)])
        result.append(hashlib.sha256(text.encode("utf-8")).hexdigest())
    return result
