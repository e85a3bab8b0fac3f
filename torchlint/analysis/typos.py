"""Misspellings of ``requires_grad``.

An assignment to ``p.require_grad`` creates a new Python attribute and changes
nothing; ``torch.zeros(3, require_grad=True)`` is a TypeError. A name is a typo when it
is close to ``requires_grad`` (a known misspelling, or within two edits) and the
program never *reads* that attribute: a project that consistently uses its own
``require_grad`` attribute is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import libcst as cst

from torchlint.analysis import walk
from torchlint.analysis.spelling import CORRECT, KNOWN_TYPOS, is_requires_grad_typo  # noqa: F401 (re-exported)
from torchlint.analysis.project import External
from torchlint.analysis.tensors import literal_string

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import FileContext

# Every typo contains `grad` or `gard` (case-insensitive): the coarse test.
_CANDIDATE_TEXT = re.compile(r"grad|gard", re.IGNORECASE)
# In ASCII text every name (attribute, keyword, identifier string) is a whole run of these;
# where names may hold non-ASCII letters, a run of these and any non-ASCII characters is a
# superset of every name it meets.
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# Escapes a string literal may spell a name with (`"\x72equire_grad"`).
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}\n]*\}|[0-7]{1,3})")


@dataclass
class Typo:
    node: cst.CSTNode  # where to point: the misspelt name
    name: str
    form: str  # "attribute" | "keyword"
    value: Optional[cst.BaseExpression] = None  # what was assigned, for the message


class _Collector(walk.Visitor):
    def __init__(self, ctx: "FileContext"):
        self.ctx = ctx
        self.stores: list[Typo] = []
        self.keywords: list[Typo] = []
        self.loaded: set[str] = set()
        self._targets: set[int] = set()
        self._call_funcs: set[int] = set()

    def _store(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression]) -> None:
        if isinstance(target, cst.Attribute):
            self._targets.add(id(target))
            if is_requires_grad_typo(target.attr.value):
                self.stores.append(Typo(target.attr, target.attr.value, "attribute", value))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._store(element.value, None)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._store(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._store(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node.target, None)

    def visit_Call(self, node: cst.Call) -> None:
        self._call_funcs.add(id(node.func))
        func = node.func
        if isinstance(func, cst.Name) and func.value in ("setattr", "getattr", "hasattr") and len(node.args) >= 2:
            name = literal_string(node.args[1].value)
            # only a name could be meant as an attribute (and may_contain_typo relies on it)
            if name is not None and name.isidentifier() and is_requires_grad_typo(name):
                if func.value == "setattr" and len(node.args) == 3:
                    self.stores.append(Typo(node.args[1].value, name, "attribute", node.args[2].value))
                else:
                    self.loaded.add(name)
        for arg in node.args:
            if arg.keyword is not None and is_requires_grad_typo(arg.keyword.value):
                resolved = self.ctx.resolve(func)
                if isinstance(resolved, External) and resolved.dotted.split(".")[0] == "torch":
                    self.keywords.append(Typo(arg.keyword, arg.keyword.value, "keyword", arg.value))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = node.attr.value
        if id(node) in self._targets or not is_requires_grad_typo(name):
            return
        if name.endswith("_") and id(node) in self._call_funcs:
            return  # calling `requires_grad_()` is right; only assigning to it is a typo
        self.loaded.add(name)


def may_contain_typo(text: str) -> bool:
    """Conservative: False only when no misspelling can occur in ``text``.

    Nearly every model file mentions ``requires_grad`` or ``no_grad``, so the test is on
    the names themselves: a file is walked only if some word in it is a misspelling, or
    holds a non-ASCII character (many files have non-ASCII text somewhere; only a word
    mentioning ``grad`` with such a character in it is kept on the coarse test)."""
    if "\\" in text:
        text += "\n" + _ESCAPE.sub(_unescape, text)
    if not _CANDIDATE_TEXT.search(text):
        return False
    ascii_only = text.isascii()
    for start, end in _words_with_grad(text, ascii_only):
        word = text[start:end]
        if not ascii_only and not word.isascii():
            return True  # a name with non-ASCII letters (or one beside other text): keep the coarse test
        if not is_requires_grad_typo(word):
            continue
        # `p.requires_grad_(False)` is a call, the right spelling: only a store is a typo
        if not (word.endswith("_") and text[end:end + 80].lstrip(" \t").startswith("(")):
            return True
    return False


def _words_with_grad(text: str, ascii_only: bool):
    """(start, end) of each run of name characters holding ``grad`` or ``gard``, in order:
    found from those few places in the text, not by matching every word of it."""
    def name_character(character: str) -> bool:
        return character in _NAME_CHARACTERS or (not ascii_only and not character.isascii())

    end = -1
    for match in _CANDIDATE_TEXT.finditer(text):
        if match.start() < end:
            continue  # a second `grad` in the run just found
        start = match.start()
        while start > 0 and name_character(text[start - 1]):
            start -= 1
        end = match.end()
        while end < len(text) and name_character(text[end]):
            end += 1
        yield start, end


def _unescape(match: re.Match) -> str:
    try:
        return match.group(0).encode("ascii").decode("unicode_escape")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return match.group(0)


def find_typos(ctx: "FileContext") -> list[Typo]:
    return collect_typos(ctx) if may_contain_typo(ctx.source) else []


def collect_typos(ctx: "FileContext") -> list[Typo]:
    """The typos of the file, found by walking the whole tree."""
    collector = _Collector(ctx)
    walk.visit(ctx.module, collector)
    stores = [typo for typo in collector.stores if typo.name not in collector.loaded]
    return stores + collector.keywords
