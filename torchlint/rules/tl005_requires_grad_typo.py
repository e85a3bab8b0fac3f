"""TL005 requires-grad-typo

## What it does
Finds misspellings of `requires_grad`, anywhere in a file (not only in Module
classes):
- assignments to a misspelt attribute on any object: `p.require_grad = False`,
  `requires_grads`, `require_grads`, `requires_gradient`, `required_grad`,
  `requiresgrad`, assigning to the method `requires_grad_`, and near misses within
  two edits that keep the `grad` stem; also `setattr(p, "require_grad", False)`;
- misspelt keywords in torch calls: `torch.zeros(3, require_grad=True)`.

An attribute that the same file also reads (`if self.require_grad:`) is the
program's own name, consistently spelt, and is not reported.

## Why is this bad?
Python lets you set any attribute: `p.require_grad = False` creates a new attribute
and leaves `p.requires_grad` untouched, so the "frozen" backbone silently keeps
training (or the tensor you meant to train stays constant). The keyword form fails
with `TypeError: zeros() got an unexpected keyword argument 'require_grad'`.

## Example
```python
for p in model.backbone.parameters():
    p.require_grad = False
```

## Fix
```python
for p in model.backbone.parameters():
    p.requires_grad = False      # or: model.backbone.requires_grad_(False)
```
"""

from __future__ import annotations

from typing import Iterator

import libcst as cst

from torchlint.analysis.typos import CORRECT, find_typos, may_contain_typo
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import SAFE, fix, replace
from torchlint.rules.base import WHOLE_FILE, Finding, Rule


class RequiresGradTypo(Rule):
    code = "TL005"
    name = "requires-grad-typo"
    summary = "A misspelling of requires_grad: sets a new attribute and nothing happens"
    fixable = True
    scope = WHOLE_FILE  # misspellings are found anywhere, not only in Module classes

    @classmethod
    def could_report(cls, text: str) -> bool:
        return may_contain_typo(text)
    VALID = (
        """
import torch

def freeze(model):
    for p in model.parameters():
        p.requires_grad = False
    model.requires_grad_(False)
    return torch.zeros(3, requires_grad=True)

class Options:
    def __init__(self, require_grad):
        self.require_grad = require_grad

    def enabled(self):
        return self.require_grad
""",
    )
    INVALID = (
        """
def freeze(model):
    for p in model.backbone.parameters():
        p.require_grad = False
""",
        """
import torch

x = torch.zeros(3, require_grad=True)
""",
    )

    def check(self, ctx) -> Iterator[Finding]:
        for typo in find_typos(ctx):
            if typo.form == "keyword":
                yield Finding(
                    typo.node,
                    f"`{typo.name}=` is not a keyword of this torch call (did you mean `{CORRECT}`?): it raises "
                    f"`TypeError: got an unexpected keyword argument '{typo.name}'`",
                    f"Use `{CORRECT}=`",
                    _rename(ctx, typo),
                )
                continue
            yield Finding(
                typo.node,
                f"`{typo.name}` is a misspelling of `{CORRECT}`: the assignment creates a new attribute and "
                f"{_consequence(typo.value)}",
                f"Use `{CORRECT}`",
                _rename(ctx, typo),
            )


def _rename(ctx, typo) -> Fix:
    node = typo.node
    if isinstance(node, cst.SimpleString):  # setattr(p, "require_grad", ...)
        new = f"{node.prefix}{node.quote}{CORRECT}{node.quote}"
    else:
        new = CORRECT
    return fix(SAFE, f"Rename to `{CORRECT}`", replace(ctx, node, new))


def _consequence(value) -> str:
    if isinstance(value, cst.Name) and value.value == "False":
        return "nothing is frozen: the parameters keep `requires_grad=True` and keep training"
    if isinstance(value, cst.Name) and value.value == "True":
        return "the tensor does not start requiring gradients"
    return "`requires_grad` does not change"
