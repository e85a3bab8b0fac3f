"""Did the author say, in the code, that an attribute is kept out of the module tree?

A plain tensor or a plain list of Modules is sometimes deliberate: a scratch tensor that
must not reach checkpoints, per-rank modules that a sharding wrapper registers itself.
When the author says so in a comment next to the store, or the class manages its own
module tree (it overrides ``state_dict``/``named_parameters``/... or registers
state-dict hooks), reporting the attribute is noise: these questions let TL001, TL007
and TL008 stay silent. A comment that flags a problem (TODO, FIXME, "should be
registered") is not such a statement.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.construction import AttrAssign
    from torchlint.analysis.context import ClassInfo, FileContext

_TREE = (r"(?:regist\w*|state[_ ]?dicts?|checkpoints?|serializ\w*|persist\w*|sav(?:e|ed|ing)\b|module tree|"
         r"_modules|_buffers|_parameters|parameters\(\)|\.to\(|(?:a|as)\s+(?:buffer|parameter|submodule|child)s?\b)")
# words that may stand between a negation and what it negates ("not be registered",
# "don't want these in the checkpoint"); any other word breaks the phrase ("not one of
# the registered names" says nothing about intent)
_FILLER = (r"(?:(?:be|to|get|gets|it|this|them|these|those|is|are|in|into|the|as|a|an|part|of|from|out|"
           r"off|included|meant|want|wanted|need|needed|we|so|that|any|its|by|with|under|on)\W+){0,5}")
_DELIBERATE = re.compile(
    r"(?:not|n't|never|avoid|without|no need to|rather than|instead of|prevent|exclude[sd]?|excluding|hide|hidden|keep|kept|stay|stays)"
    r"\W+" + _FILLER + _TREE
    + r"|(?:on purpose|intentionally|deliberately|by design)\W+(?:\w+\W+){0,6}?" + _TREE
    + r"|" + _TREE + r"\W+(?:\w+\W+){0,6}?(?:on purpose|intentionally|deliberately|by design)",
    re.IGNORECASE,
)
_PROBLEM = re.compile(
    r"\b(?:TODO|FIXME|BUG|XXX|HACK)\b|(?:should|must|needs? to|ought to) be (?:a )?regist|forg[eo]t",
    re.IGNORECASE,
)
_NEARBY_LINES = 8  # comments this far above the store count when they name the attribute

# Methods that take over what nn.Module would do with registered children and tensors when
# saving or listing them (loading overrides usually only rename keys: not counted).
_TREE_METHODS = frozenset(
    """state_dict _save_to_state_dict named_parameters
    named_buffers named_modules named_children parameters buffers children modules""".split()
)
_HOOKS = re.compile(r"\._?register_state_dict_(?:pre_|post_)?hook\(")


def _comment(line: str) -> str:
    """The comment of a source line (a ``#`` outside the simplest string literals)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[index + 1:]
    return ""


def said_unregistered(ctx: "FileContext", event: "AttrAssign") -> bool:
    """Does a comment on the store's line, directly above it, or a few lines above it naming
    the attribute, say it is kept out of the module tree on purpose?"""
    lines = ctx.lines
    line = ctx.position(event.statement or event.target).start.line - 1
    above = line - 1
    while above >= 0 and lines[above].strip().startswith("#"):  # the comment block right above
        above -= 1
    word = re.compile(rf"\b{re.escape(event.name)}\b")
    comments = [text for text in map(_comment, lines[max(0, line - _NEARBY_LINES): above + 1])
                if text and word.search(text)]
    comments += [line_text.strip()[1:] for line_text in lines[above + 1: line]]  # in reading order
    comments.append(_comment(lines[line]) if line < len(lines) else "")
    text = " ".join(c for c in comments if c.strip())
    return bool(text) and bool(_DELIBERATE.search(text)) and not _PROBLEM.search(text)


def manages_module_tree(info: "ClassInfo") -> bool:
    """Does the class take over what nn.Module does with its children and tensors?"""
    if _TREE_METHODS.intersection(info.methods):
        return True
    return "state_dict_" in info.ctx.source and any(_HOOKS.search(info.ctx.source_of(method)) for method in info.methods.values())
