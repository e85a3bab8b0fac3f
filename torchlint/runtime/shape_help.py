"""TL101's help in the code's own words: the shape a layer's weight or bias must have,
spelt with the expressions the layer was built from (``(out_dim, hid)`` for
``nn.Linear(hid, out_dim)``), not with the numbers a synthesised build happened to use.

Runs in the linter's process (no torch): it reads the class's source with ``ast``,
finds the one ``self.<layer> = nn.<Layer>(...)`` the finding's attribute belongs to,
and maps the layer's configuration to the call's arguments. Anything it cannot map
with certainty (an unknown layer, a layer built elsewhere, ``**kwargs``, a kernel
size held in a variable) keeps the numbers the build observed for that part, or the
help the worker wrote.
"""

from __future__ import annotations

import ast
import re
from typing import Optional, Sequence

_CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups")
_CONV_T = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups")
# torch's constructor parameters, in order, as far as the shapes need them.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "Linear": ("in_features", "out_features"),
    "Bilinear": ("in1_features", "in2_features", "out_features"),
    **{f"Conv{n}d": _CONV for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": _CONV_T for n in (1, 2, 3)},
    "Embedding": ("num_embeddings", "embedding_dim"),
    "EmbeddingBag": ("num_embeddings", "embedding_dim"),
    **{f"{kind}{n}d": ("num_features",) for kind in ("BatchNorm", "InstanceNorm") for n in (1, 2, 3)},
    "SyncBatchNorm": ("num_features",),
    "GroupNorm": ("num_groups", "num_channels"),
    "LayerNorm": ("normalized_shape",),
    "RMSNorm": ("normalized_shape",),
    "PReLU": ("num_parameters",),
}
DEFAULTS = {"groups": "1", "num_parameters": "1"}

_LAYER = re.compile(r"but `nn\.(\w+)\(")
_EXPECTED = re.compile(r"shape (\([^)]*\))$")
_SIMPLE = (ast.Name, ast.Attribute, ast.Constant, ast.Call, ast.Subscript)


def shape_help(finding: dict, source_lines: Sequence[str]) -> Optional[str]:
    """The help for a TL101 ``finding`` phrased in the source's expressions, or None."""
    layer = _LAYER.search(finding.get("message") or "")
    expected = _EXPECTED.search(finding.get("help") or "")
    parts = (finding.get("attribute") or "").split(".")
    if layer is None or expected is None or len(parts) != 2 or layer.group(1) not in SIGNATURES:
        return None
    kind, (owner, name) = layer.group(1), parts
    try:
        numbers = [int(n) for n in expected.group(1).strip("()").split(",") if n.strip()]
        tree = ast.parse("\n".join(source_lines))
    except (ValueError, SyntaxError):
        return None
    call = _layer_call(tree, finding.get("qualname") or "", owner, kind, finding.get("line"))
    if call is None:
        return None
    arguments = _arguments(call, SIGNATURES[kind])
    if arguments is None:
        return None
    dims = _dims(kind, name, arguments, numbers)
    if dims is None or len(dims) != len(numbers):
        return None
    shape = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
    built = f"self.{owner} = {ast.get_source_segment(chr(10).join(source_lines), call)}"
    return f"Give the Parameter the layer's shape, `{shape}` for `{built}`"


def _layer_call(tree: ast.Module, qualname: str, owner: str, kind: str, before: Optional[int]) -> Optional[ast.Call]:
    """The call in ``self.<owner> = ...<kind>(...)`` of class ``qualname``: the last one
    before the line that replaced the Parameter, when several build it."""
    body: Sequence[ast.stmt] = tree.body
    cls: Optional[ast.ClassDef] = None
    for part in qualname.split("."):
        cls = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == part), None)
        if cls is None:
            return None
        body = cls.body
    if cls is None:
        return None
    calls = []
    for node in ast.walk(cls):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call)):
            continue
        target, func = node.targets[0], node.value.func
        if not (isinstance(target, ast.Attribute) and target.attr == owner and isinstance(target.value, ast.Name)
                and target.value.id == "self"):
            continue
        callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if callee == kind and (before is None or node.lineno < before):
            calls.append(node.value)
    return max(calls, key=lambda c: c.lineno) if calls else None


def _arguments(call: ast.Call, names: tuple[str, ...]) -> Optional[dict[str, ast.expr]]:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None  # *args / **kwargs: which argument is which cannot be told
    given = dict(zip(names, call.args))
    given.update({k.arg: k.value for k in call.keywords if k.arg in names})
    return given


def _text(node: Optional[ast.expr], name: str) -> Optional[str]:
    if node is None:
        return DEFAULTS.get(name)
    return ast.unparse(node)


def _floordiv(left: ast.expr, groups: Optional[ast.expr]) -> str:
    text = ast.unparse(left)
    if groups is None or (isinstance(groups, ast.Constant) and groups.value == 1):
        return text
    wrap = lambda n: ast.unparse(n) if isinstance(n, _SIMPLE) else f"({ast.unparse(n)})"  # noqa: E731
    return f"{wrap(left)} // {wrap(groups)}"


def _dims(kind: str, name: str, given: dict[str, ast.expr], numbers: list[int]) -> Optional[list[str]]:
    def one(parameter: str) -> Optional[list[str]]:
        text = _text(given.get(parameter), parameter)
        return None if text is None else [text]

    if kind in ("Linear", "Bilinear"):
        if name == "bias":
            return one("out_features")
        inputs = ("in_features",) if kind == "Linear" else ("in1_features", "in2_features")
        dims = [_text(given.get(p), p) for p in ("out_features", *inputs)]
        return None if None in dims else dims  # type: ignore[return-value]
    if kind.startswith("Conv"):
        transposed = kind.startswith("ConvTranspose")
        if name == "bias":
            return one("out_channels")
        first, divided = ("in_channels", "out_channels") if transposed else ("out_channels", "in_channels")
        if first not in given or divided not in given or "kernel_size" not in given:
            return None
        kernel = given.get("kernel_size")
        rank = len(numbers) - 2
        if isinstance(kernel, (ast.Tuple, ast.List)) and len(kernel.elts) == rank:
            kernel_dims = [ast.unparse(e) for e in kernel.elts]
        elif isinstance(kernel, ast.Constant) and isinstance(kernel.value, int):
            kernel_dims = [str(kernel.value)] * rank
        else:
            kernel_dims = [str(n) for n in numbers[2:]]  # a variable may hold an int or a tuple: as built
        return [ast.unparse(given[first]), _floordiv(given[divided], given.get("groups")), *kernel_dims]
    if kind in ("Embedding", "EmbeddingBag"):
        dims = [_text(given.get(p), p) for p in ("num_embeddings", "embedding_dim")]
        return None if None in dims else dims  # type: ignore[return-value]
    if kind in ("LayerNorm", "RMSNorm"):
        shape = given.get("normalized_shape")
        if isinstance(shape, (ast.Tuple, ast.List)):
            return [ast.unparse(e) for e in shape.elts]
        return [ast.unparse(shape)] if shape is not None and len(numbers) == 1 else None
    if kind == "GroupNorm":
        return one("num_channels")
    if kind == "PReLU":
        return one("num_parameters")
    return one("num_features")
