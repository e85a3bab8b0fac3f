"""Reading, decoding and parsing one file; every failure becomes a ``NotLinted``."""

from __future__ import annotations

import ast
import io
import sys
import tokenize
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst


@dataclass
class NotLinted(Exception):
    reason: str
    row: int = 1
    column: int = 1
    help: Optional[str] = None  # what to do about it, when the reason alone does not say

    def __str__(self) -> str:
        return self.reason


def read_bytes(path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise NotLinted("file vanished before it could be read") from None
    except IsADirectoryError:
        raise NotLinted("is a directory, not a file") from None
    except OSError as error:
        raise NotLinted(f"could not read the file: {error.strerror or error}") from None


def _row_col(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def encoding_of(data: bytes) -> str:
    """The encoding a file declares (PEP 263 cookie or BOM: ``utf-8-sig``), UTF-8 by default."""
    try:
        return tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError:
        return "utf-8"


def _encoding_help(encoding: str, data: bytes) -> str:
    declared = any(b"coding" in line for line in data.splitlines()[:2])
    if declared:
        return (f"The bytes do not match the file's coding line ({encoding}): declare the encoding the file is "
                f"written in, e.g. `# -*- coding: latin-1 -*-`, or save it as {encoding}")
    return ("Save the file as UTF-8, or declare the encoding it is written in on its first or second line, "
            "e.g. `# -*- coding: latin-1 -*-`")


def decode(data: bytes) -> str:
    """Decode with the file's declared encoding (PEP 263, BOM), UTF-8 by default."""
    null = data.find(b"\x00")
    if null != -1:
        row, column = _row_col(data, null)
        raise NotLinted("source contains a null byte", row, column)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if "invalid or missing" in str(error):  # no coding line, and bytes that are not UTF-8 in the first two lines
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as bad:
                row, column = _row_col(data, bad.start)
                raise NotLinted(f"bytes that are not valid utf-8 (byte 0x{data[bad.start]:02x})", row, column,
                                _encoding_help("utf-8", data)) from None
        raise NotLinted(f"invalid encoding declaration: {error}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        row, column = _row_col(data, error.start)
        raise NotLinted(f"bytes that are not valid {encoding} (byte 0x{data[error.start]:02x})", row, column,
                        _encoding_help(encoding, data)) from None
    except LookupError:
        raise NotLinted(f"unknown encoding {encoding!r}") from None


def _unchecked(node) -> None:
    """``CSTNode.__post_init__`` while the parser builds a tree: see ``parse``."""


_CHECKED = None  # libcst's own ``CSTNode.__post_init__``, restored after every parse


def parse(source: str) -> "cst.Module":
    import libcst as cst  # here, not at the top: a run answered from the cache never parses

    # Every node libcst builds checks itself in ``__post_init__`` (``_validate``: e.g. a
    # regular expression over each piece of whitespace), a guard for trees built by hand.
    # The parser's nodes are valid by construction and the checks only raise, never
    # change a node: skipping them while the parser runs gives the same tree for about a
    # tenth less of the parse. Only the lint thread builds nodes while it parses; nodes
    # built afterwards (fixes) are checked as usual.
    global _CHECKED
    current = cst.CSTNode.__dict__["__post_init__"]
    if current is not _unchecked:  # another thread's parse may have it switched off right now
        _CHECKED = current
    cst.CSTNode.__post_init__ = _unchecked
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        python = python_error(source)
        if python is not None:
            raise python from None
        message = str(error.message).strip().splitlines()[0] if error.message else "invalid syntax"
        raise NotLinted(f"syntax error: {message}", error.raw_line, error.raw_column + 1) from None
    except RecursionError:
        raise NotLinted("the file is nested too deeply to parse") from None
    except (MemoryError, ValueError) as error:
        raise NotLinted(f"could not parse the file: {error}") from None
    finally:
        cst.CSTNode.__post_init__ = _CHECKED


# Python's default: what the interpreter can compile is what the linter accepts. It also
# bounds the depth libcst is asked to parse (its parser is quadratic on long chains).
PYTHON_RECURSION_LIMIT = 1000


def python_ast(source: Union[str, bytes]) -> ast.Module:
    """``ast.parse`` as a default Python would do it: RecursionError for code nested
    deeper than the interpreter compiles (the linter's threads run with a higher limit)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(PYTHON_RECURSION_LIMIT)  # RecursionError if already deeper
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the user's SyntaxWarnings are not ours to print
            return ast.parse(source)
    finally:
        sys.setrecursionlimit(previous)


def python_error(source: str):
    """Python's own account of why it cannot parse ``source`` (clearer message, exact
    position), or None when it can."""
    try:
        python_ast(source)
    except SyntaxError as error:
        return NotLinted(f"syntax error: {error.msg}", error.lineno or 1, error.offset or 1)
    except RecursionError:
        return NotLinted("the file is nested too deeply to parse")
    except MemoryError:
        return NotLinted("the file is too large to parse")
    except ValueError:
        return None
    return None
