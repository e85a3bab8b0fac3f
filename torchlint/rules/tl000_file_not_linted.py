"""TL000 file-not-linted

## What it does
Reports a file torchlint could not lint: a syntax error (with its line and column),
bytes that do not decode in the file's encoding, a null byte, or a file that could not
be read (permissions, vanished between discovery and reading).

## Why is this bad?
A linter that skips a file silently gives false confidence: the bugs in it are not
reported. The run goes on with the other files and the skipped one is named.

## Example
```python
class Net(nn.Module)   # missing colon
    ...
```

## Fix
Fix the file so that Python can parse it. This finding cannot be suppressed with
`# noqa`.
"""

from __future__ import annotations

from typing import Iterator

from torchlint.rules.base import WHOLE_FILE, Finding, Rule


class FileNotLinted(Rule):
    code = "TL000"
    name = "file-not-linted"
    summary = "A file could not be linted (syntax error, bad encoding, unreadable)"
    INVALID = ("class Net(nn.Module)\n    pass\n",)
    scope = WHOLE_FILE

    @classmethod
    def could_report(cls, text: str) -> bool:
        return False  # the engine reports it before any rule runs

    def check(self, ctx) -> Iterator[Finding]:
        # Emitted by the engine, which is the only place that sees unparsable input.
        return iter(())
