"""When a fix that registers an attribute would break the program, it is not offered.

``self.x = t`` -> ``register_buffer("x", t)`` (or ``nn.Parameter``) is wrong when
torch would refuse the name (a class attribute, a Module method, a name already set),
when other code stores a non-tensor under that name later (``m.grid = [...]``: a
buffer only takes tensors or None), and in ``torch.jit.ScriptModule`` subclasses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING


from torchlint.analysis import known
from torchlint.analysis.construction import AttrAssign
from torchlint.analysis.project import External
from torchlint.analysis.tensors import Evaluator, Host
from torchlint.analysis.values import Kind

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo, FileContext

_TENSOR_OR_NONE = frozenset({Kind.TENSOR, Kind.NONE, Kind.BUFFER, Kind.PARAMETER})


def _moved_by_hand(value, name: str) -> bool:
    """``self.x = self.x.to(x.device)`` (also ``self.x[:n].float()``): the attribute itself,
    passed through tensor methods that return a tensor, stored back. It stays a tensor (and
    a buffer stays a buffer): the classic symptom of the bug, not a reason to refuse."""
    import libcst as cst

    moved = False
    while True:
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            method = value.func.attr.value
            if method in known.NON_TENSOR_METHODS or method.startswith("_") or method.endswith("_"):
                return False
            value, moved = value.func.value, True
        elif isinstance(value, cst.Subscript):
            value = value.value
        elif isinstance(value, cst.Attribute):
            return moved and value.attr.value == name and isinstance(value.value, cst.Name) and value.value.value == "self"
        else:
            return False


def can_register(ctx: "FileContext", info: "ClassInfo", event: AttrAssign) -> bool:
    name = event.name
    if event.prior_state is not None or name in info.class_attributes or name in known.MODULE_ATTRIBUTES:
        return False  # torch: KeyError "attribute ... already exists"
    if any(isinstance(base, External) and base.dotted.startswith("torch.jit.")
           for base in (ctx.index.resolve(ctx.facts, parts) for parts in info.base_parts) if ctx.facts):
        return False  # ScriptModule: no non-persistent buffers
    statement_value = getattr(event.statement, "value", None)
    evaluator = Evaluator(ctx, Host())
    for value in ctx.attribute_stores.get(name, []):
        if value is statement_value:
            continue
        if value is None or (evaluator.eval(value).kind not in _TENSOR_OR_NONE and not _moved_by_hand(value, name)):
            return False  # some code stores a non-tensor (or something unknown) there
    return True
