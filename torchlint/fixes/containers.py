"""The fix shared by TL007 and TL008: wrap a plain container in its registering twin
(``nn.ModuleList``/``nn.ModuleDict``, ``nn.ParameterList``/``nn.ParameterDict``).

Unsafe: the wrapped objects become registered, which adds ``state_dict`` keys
(``layers.0.weight``) that checkpoints saved before the fix lack.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from torchlint.analysis.attributes import single_assignment
from torchlint.analysis.construction import MODULE_API, AttrAssign
from torchlint.analysis.values import Kind, Value
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import UNSAFE, Imports, code, fix, replace


# What code may call on the attribute once it is wrapped (besides nn.Module's methods).
_LIST_METHODS = frozenset({"append", "extend", "insert", "pop", "__len__", "__iter__", "__getitem__"})
_DICT_METHODS = frozenset({"keys", "values", "items", "update", "pop", "clear", "__getitem__", "__contains__"})
_ITEM_KIND = {"ModuleList": Kind.MODULE, "ParameterList": Kind.PARAMETER}


def wrap_container_fix(ctx, event: AttrAssign, list_wrapper: str, dict_wrapper: str) -> Optional[Fix]:
    statement = single_assignment(event)
    container = event.value.container
    if statement is None or event.before_super or container not in ("list", "tuple", "dict"):
        return None
    wrapper = dict_wrapper if container == "dict" else list_wrapper
    if not _only(event.value, _ITEM_KIND[list_wrapper]) or not _keys_are_names(statement.value, container):
        return None  # the wrapper would reject (or silently change) some of the contents
    if len(ctx.attribute_stores.get(event.name, [])) > 1:
        return None  # stored again elsewhere: the wrap could be undone or break there
    allowed = _DICT_METHODS if container == "dict" else _LIST_METHODS
    if ctx.attribute_calls.get(event.name, set()) - allowed - MODULE_API:
        return None  # e.g. `.reverse()`: a list method the wrapper does not have
    value = statement.value
    spelling = Imports(ctx).nn()
    if spelling is None:
        return None
    nn, imports = spelling
    empty = (isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements) or (
        isinstance(value, cst.Call) and not value.args and code(ctx, value.func) in ("list", "dict", "tuple")
    )
    new = f"{nn}.{wrapper}()" if empty else f"{nn}.{wrapper}({ctx.source_of(value)})"
    return fix(
        UNSAFE,
        f"Wrap it in `{nn}.{wrapper}` (registers the contents: adds `state_dict` keys older checkpoints lack)",
        replace(ctx, value, new),
        *imports,
    )


def _only(container: Value, kind: Kind) -> bool:
    """Every item is a ``kind`` (no nested lists, no functions or plain tensors), and
    there is at least one."""
    return bool(container.items) and not container.open and all(item.kind is kind for item in container.items)


def _keys_are_names(value: cst.BaseExpression, container: str) -> bool:
    """ModuleDict/ParameterDict keys must be strings without dots."""
    if container != "dict":
        return True
    if isinstance(value, cst.Dict):
        return all(
            isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString)
            and "." not in str(element.key.evaluated_value)
            for element in value.elements
        ) and bool(value.elements)
    return False  # a comprehension, `{}` filled later, `dict(...)`: keys we cannot see
