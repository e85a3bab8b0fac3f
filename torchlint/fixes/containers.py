"""The fix shared by TL007 and TL008: wrap a plain container in its registering twin
(``nn.ModuleList``/``nn.ModuleDict``, ``nn.ParameterList``/``nn.ParameterDict``).

Unsafe: the wrapped objects become registered, which adds ``state_dict`` keys
(``layers.0.weight``) that checkpoints saved before the fix lack.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from torchlint.analysis.attributes import single_assignment
from torchlint.analysis.construction import AttrAssign
from torchlint.diagnostics import Fix
from torchlint.fixes.edits import UNSAFE, Imports, code, fix, replace


def wrap_container_fix(ctx, event: AttrAssign, list_wrapper: str, dict_wrapper: str) -> Optional[Fix]:
    statement = single_assignment(event)
    container = event.value.container
    if statement is None or event.before_super or container not in ("list", "tuple", "dict"):
        return None
    value = statement.value
    if container == "dict" and isinstance(value, cst.Dict) and not all(
        isinstance(element, cst.DictElement) and isinstance(element.key, (cst.SimpleString, cst.FormattedString))
        for element in value.elements
    ):
        return None  # ModuleDict/ParameterDict keys must be strings
    wrapper = dict_wrapper if container == "dict" else list_wrapper
    nn, imports = Imports(ctx).nn()
    empty = (isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements) or (
        isinstance(value, cst.Call) and not value.args and code(ctx, value.func) in ("list", "dict", "tuple")
    )
    new = f"{nn}.{wrapper}()" if empty else f"{nn}.{wrapper}({code(ctx, value)})"
    return fix(
        UNSAFE,
        f"Wrap it in `{nn}.{wrapper}` (registers the contents: adds `state_dict` keys older checkpoints lack)",
        replace(ctx, value, new),
        *imports,
    )
