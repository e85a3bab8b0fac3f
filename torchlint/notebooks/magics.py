"""IPython syntax in code cells, masked so that Python can parse the cell while every
line keeps its number (and every other line its columns).

``%matplotlib inline``, ``!pip install x``, ``?obj``, ``obj?``, ``%%time`` and
``files = !ls`` are not Python. Each such line becomes a Python line of the same
indentation that does nothing (``pass``, or ``files = None`` for an assignment), with a
comment carrying the line's number in the cell, so that the original line can be put
back byte for byte after a fix moved it. A cell magic that runs something other than
Python (``%%bash``, ``%%html``, ``%%writefile``) masks its whole cell.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

# Cell magics whose body is Python run by IPython in the notebook's namespace.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3", "ipython",
                                "skip", "memit", "lprun", "snakeviz", "pyinstrument", "scalene", "autoreload",
                                "tensorflow_version", "local", "spark"})

MARK = "torchlint-magic:"
_MARKED = re.compile(r"#\s*" + re.escape(MARK) + r"(\d+)\s*$")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_ASSIGNED = re.compile(r"^(\s*)([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[%!]")
_TRAILING_COMMENT = re.compile(r"#[^'\"]*$")


def split_lines(text: str) -> list[str]:
    """Lines as Python counts them (``\\n``, ``\\r\\n``, ``\\r``), each with its ending."""
    return _LINE.findall(text)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


@dataclass
class Masked:
    text: str  # the cell as Python sees it
    originals: dict[int, str]  # line index (0-based) -> the original line, for each masked line


def _is_magic(stripped: str) -> bool:
    if not stripped:
        return False
    if stripped[0] in "%!?":
        return True
    if stripped[0] in "/;," and len(stripped) > 1 and stripped[1].isalpha():
        return True  # IPython's autocall: `/f x`, `;f x`, `,f x`
    code = _TRAILING_COMMENT.sub("", stripped).rstrip()
    return code.endswith("?") and bool(re.match(r"^[\w.\[\]()'\"]+\?{1,2}$", code))


def _complete(buffer: str) -> bool:
    """Is ``buffer`` one or more whole logical lines (no open bracket, string or
    backslash continuation)?"""
    try:
        for _ in tokenize.generate_tokens(io.StringIO(buffer).readline):
            pass
    except tokenize.TokenError:
        return False
    except (SyntaxError, ValueError):
        return True  # broken in another way: let the parser say so
    return True


def _marker(index: int) -> str:
    return f"# {MARK}{index}"


def marked(index: int, line: str) -> str:
    """Line ``index`` of a cell as a comment that ``unmask`` turns back into ``line``."""
    return _marker(index) + _ending(line)


def mask(source: str) -> Masked:
    """The cell with its IPython lines masked."""
    lines = split_lines(source)
    originals: dict[int, str] = {}
    out = list(lines)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].lstrip()[2:].split(None, 1)[0] if lines[first].strip() != "%%" else ""
        masked = range(first, first + 1) if name in PYTHON_CELL_MAGICS else range(len(lines))
        for i in masked:
            originals[i] = lines[i]
            out[i] = _marker(i) + _ending(lines[i])
        if name not in PYTHON_CELL_MAGICS:
            return Masked("".join(out), originals)
    start = 0  # where the code since the last masked line begins (tokenized only when needed)
    continuing = False  # inside a magic that ends with a backslash
    for i, line in enumerate(lines):
        if i in originals:
            start = i + 1
            continue
        if continuing:
            originals[i] = line
            out[i] = _marker(i) + _ending(line)
            continuing = line.rstrip("\r\n").endswith("\\")
            start = i + 1
            continue
        stripped = line.strip()
        assigned = _ASSIGNED.match(line)
        if not (assigned or _is_magic(stripped)):
            continue
        if not _complete("".join(lines[start:i])):
            continue  # inside a string, brackets or a continued line: not a statement
        originals[i] = line
        if assigned:
            out[i] = f"{assigned.group(1)}{assigned.group(2)} = None  {_marker(i)}{_ending(line)}"
        else:
            indent = line[:len(line) - len(line.lstrip(" \t"))]
            out[i] = f"{indent}pass  {_marker(i)}{_ending(line)}"
        continuing = line.rstrip("\r\n").endswith("\\")
        start = i + 1
    return Masked("".join(out), originals)


def unmask(text: str, originals: dict[int, str]) -> str:
    """``text`` (a masked cell, perhaps edited) with each marked line put back as it was."""
    lines = split_lines(text)
    for i, line in enumerate(lines):
        if MARK in line:
            found = _MARKED.search(line.rstrip("\r\n"))
            if found and int(found.group(1)) in originals:
                lines[i] = originals[int(found.group(1))]
    return "".join(lines)
