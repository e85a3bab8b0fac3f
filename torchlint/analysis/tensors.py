"""Does this expression make a tensor, a Parameter, a Module, a list of modules ...?

``Evaluator.eval`` maps a libcst expression to an abstract ``Value``, following local
variables, arithmetic, indexing, tensor-method chains and the project's own
functions. What happens to ``self`` (helper calls, registrations, the super call) is
delegated to a ``Host``: the construction walker during ``__init__``, or a host that
ignores ``self`` when inferring what a free function returns.
"""

from __future__ import annotations

import copy

import re
from typing import TYPE_CHECKING, Optional, Sequence

import libcst as cst

from torchlint.analysis import known
from torchlint.analysis.project import ClassRef, External, FunctionRef
from torchlint.analysis.values import (
    TENSOR_LIKE, Kind, Move, Value, element_of, join, mark_registered, unknown,
)

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import FileContext

_LIST_BUILDERS = frozenset({"list", "tuple", "set", "sorted", "reversed", "frozenset"})
_CONTAINER_ADDERS = frozenset({"append", "extend", "insert", "update", "setdefault", "add", "__setitem__"})
# Parameter methods that may return the Parameter itself (a no-op move), so the
# result is not known to be a plain tensor.
# In-place methods that change flags, not values: allowed on a leaf that requires grad.
_NOT_DATA_MUTATIONS = frozenset({"requires_grad_", "share_memory_", "retain_grad_", "detach_"})
# Parameter methods that (on CPU at construction, in the default dtype) return a new,
# plain tensor.
CONVERTING_METHODS = frozenset({"cuda", "double", "half", "bfloat16"})
_MAYBE_IDENTITY_METHODS = frozenset({"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "type", "type_as", "contiguous"})
# nn.Module methods that return the Module itself (``Layer(a, b).to(device)`` is still that Layer).
_MODULE_RETURNING_METHODS = frozenset(
    {"to", "cuda", "cpu", "xpu", "mtia", "ipu", "half", "float", "double", "bfloat16", "type", "train", "eval",
     "requires_grad_", "apply", "share_memory", "to_empty"}
)
# Tensor methods that move a Parameter to another device or dtype: the result is the
# Parameter itself when nothing is copied, else a plain tensor (TL011).
# ``nn.Module`` under the names a resolved reference can carry
MODULE_ROOTS = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module", "torch.nn.modules.Module"})

# Tensor methods whose result shares storage with the tensor (a view): an in-place write to a
# view of a Parameter is an in-place write to the leaf (`.data` and `.detach()` are not views
# autograd tracks).
VIEW_METHODS = frozenset({"view", "view_as", "reshape", "reshape_as", "t", "transpose", "swapaxes", "swapdims",
                          "permute", "movedim", "unsqueeze", "squeeze", "narrow", "select", "unflatten", "flatten",
                          "expand", "expand_as", "diagonal", "as_strided", "unfold"})

MOVING_METHODS = frozenset({"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "type"})


class Host:
    """What the evaluator asks about ``self``. This base ignores ``self`` entirely."""

    self_name: Optional[str] = None
    arguments: frozenset = frozenset()  # names of the walked ``__init__``'s arguments

    def argument(self, name: str, node: cst.Name) -> Value:
        """The value of the walked ``__init__``'s argument ``name``."""
        return unknown()

    def self_attribute(self, name: str) -> Value:
        return unknown()

    def self_call(self, method: str, call: cst.Call, evaluator: "Evaluator") -> Value:
        return unknown()

    def init_call(self, call: cst.Call, skips_module_init: bool = False) -> None:
        pass

    def function_call(self, name: str, call: cst.Call, args: list[Value]) -> None:
        """A function of this file is called with a Parameter (or a view of one) among ``args``."""

    def setattr_call(self, call: cst.Call, evaluator: "Evaluator") -> None:
        pass

    def tensor_mutated(self, value: Value, node: cst.CSTNode, method: str) -> None:
        pass

    def module_argument(self, name: str) -> bool:
        """Is the walked ``__init__``'s argument ``name`` annotated as a Module instance?"""
        return False


def dotted(node: cst.BaseExpression) -> Optional[list[str]]:
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return parts[::-1]
    return None


def literal_string(node: Optional[cst.BaseExpression]) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def argument(call: cst.Call, position: int, keyword: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[position].value if position < len(positional) else None


def is_true(node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


class Evaluator:
    def __init__(self, ctx: "FileContext", host: Host, local_names: Optional[dict[str, Value]] = None):
        self.ctx = ctx
        self.host = host
        self.locals: dict[str, Value] = local_names if local_names is not None else {}
        # parameters of the walked function whose default is a string (`window="hann_window"`):
        # `getattr(torch, window)(n)` makes what that default names
        self.string_defaults: dict[str, cst.SimpleString] = {}

    # -- entry point ----------------------------------------------------------------------

    def eval(self, node: Optional[cst.BaseExpression]) -> Value:
        if node is None:
            return Value(Kind.NONE)
        method = getattr(self, "_eval_" + type(node).__name__, None)
        if method is None:
            return unknown()
        return method(node)

    # -- atoms ----------------------------------------------------------------------------

    def _eval_Name(self, node: cst.Name) -> Value:
        name = node.value
        if name in self.locals:
            return self.locals[name]
        if name == self.host.self_name:
            return Value(Kind.SELF, node)
        if name == "None":
            return Value(Kind.NONE, node)
        if name in ("True", "False"):
            return Value(Kind.SCALAR, node)
        if name in self.host.arguments:
            return self.host.argument(name, node)
        return self.ctx.global_value(name)

    def _scalar(self, node: cst.CSTNode) -> Value:
        return Value(Kind.SCALAR, node)

    _eval_Integer = _eval_Float = _scalar

    def _eval_Imaginary(self, node: cst.Imaginary) -> Value:
        value = Value(Kind.SCALAR, node)
        value.complex = True  # `1j * t` makes a complex tensor
        return value

    _eval_SimpleString = _eval_ConcatenatedString = _eval_FormattedString = _scalar

    def _sequence(self, node, container: str) -> Value:
        value = Value(Kind.CONTAINER, node, container=container)
        for element in node.elements:
            item = self.eval(element.value)
            if isinstance(element, cst.StarredElement):
                if item.kind is Kind.CONTAINER:
                    value.items.extend(item.items)
                    value.open |= item.open
                else:
                    value.open = True
            else:
                value.items.append(item)
        return value

    def _eval_List(self, node: cst.List) -> Value:
        return self._sequence(node, "list")

    def _eval_Tuple(self, node: cst.Tuple) -> Value:
        return self._sequence(node, "tuple")

    def _eval_Set(self, node: cst.Set) -> Value:
        return self._sequence(node, "set")

    def _eval_Dict(self, node: cst.Dict) -> Value:
        value = Value(Kind.CONTAINER, node, container="dict")
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                self.eval(element.key)
                value.items.append(self.eval(element.value))
            else:
                value.open = True
        return value

    def _comprehension(self, node, element: cst.BaseExpression, container: str) -> Value:
        inner = Evaluator(self.ctx, self.host, dict(self.locals))
        comp: Optional[cst.CompFor] = node.for_in
        while comp is not None:
            iterable = inner.eval(comp.iter)
            inner.bind_loop_target(comp.target, iterable)
            comp = comp.inner_for_in
        return Value(Kind.CONTAINER, node, items=[inner.eval(element)], container=container)

    def _eval_ListComp(self, node: cst.ListComp) -> Value:
        return self._comprehension(node, node.elt, "list")

    def _eval_SetComp(self, node: cst.SetComp) -> Value:
        return self._comprehension(node, node.elt, "set")

    def _eval_GeneratorExp(self, node: cst.GeneratorExp) -> Value:
        return self._comprehension(node, node.elt, "generator")

    def _eval_DictComp(self, node: cst.DictComp) -> Value:
        return self._comprehension(node, node.value, "dict")

    # -- compound expressions -------------------------------------------------------------

    def _eval_Attribute(self, node: cst.Attribute) -> Value:
        receiver = node.value
        if isinstance(receiver, cst.Name) and receiver.value == self.host.self_name and receiver.value not in self.locals:
            return self.host.self_attribute(node.attr.value)
        base = self.eval(receiver)
        if base.kind is Kind.UNKNOWN and base.origin is None and dotted(node) and dotted(node)[0] not in self.locals:
            resolved = self.ctx.resolve(node)
            if isinstance(resolved, External) and resolved.dotted in known.TENSOR_FACTORIES:
                return _function_reference(resolved.dotted, node)  # `window_fn=torch.hann_window`
        if base.kind in TENSOR_LIKE and node.attr.value in known.TENSOR_ATTRIBUTES:
            result = Value(Kind.TENSOR, node)
            if node.attr.value in ("T", "mT"):
                result.leaf = _leaf_of(base)
            return _complex(result, (base,)) if node.attr.value not in ("real", "imag") else result
        if base.kind is Kind.MODULE and not base.stateless and node.attr.value in known.LAYER_PARAMETERS:
            return _submodule_parameter(base, node)
        return unknown()

    def _torch_function_reference(self, owner: cst.BaseExpression, name: cst.BaseExpression) -> Value:
        """``getattr(torch, "hann_window")`` or ``getattr(torch, f"{kind}_window")``: a
        reference to a torch factory (a Value whose origin names it), when every torch
        factory the name can spell makes a tensor."""
        namespace = getattr(self.ctx.resolve(owner), "dotted", None)
        if namespace is None or namespace.split(".")[0] != "torch":
            return unknown()
        literal = literal_string(name)
        if literal is None and isinstance(name, cst.Name) and name.value not in self.locals \
                and name.value in self.string_defaults:
            literal = literal_string(self.string_defaults[name.value])
            if literal is not None and f"{namespace}.{literal}" not in known.TENSOR_FACTORIES:
                literal = None  # what the default names must make a tensor, whatever else a caller passes
        if literal is not None:
            return _function_reference(f"{namespace}.{literal}", name)
        if isinstance(name, cst.FormattedString):
            fixed = [p.value for p in name.parts if isinstance(p, cst.FormattedStringText)]
            if sum(len(p) for p in fixed) >= 4:
                pattern = re.compile(".*".join(re.escape(p) for p in
                                               [p.value if isinstance(p, cst.FormattedStringText) else "" for p in name.parts]))
                prefix = namespace + "."
                matches = [n for n in known.TENSOR_FACTORIES if n.startswith(prefix) and pattern.fullmatch(n[len(prefix):])]
                if matches:
                    return _function_reference(sorted(matches)[0], name)
        return unknown()

    def _eval_Subscript(self, node: cst.Subscript) -> Value:
        base = self.eval(node.value)
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                self.eval(element.slice.value)
        if base.kind in TENSOR_LIKE or base.kind is Kind.TENSOR_TUPLE:
            result = _complex(Value(Kind.TENSOR, node), (base,))
            if base.kind in TENSOR_LIKE and all(_basic_index(element) for element in node.slice):
                result.leaf = _leaf_of(base)  # `p[:, 4]`: a write through it is a write to p
            return result
        if base.kind is Kind.CONTAINER and base.items and not base.open:
            return join(base.items)
        return unknown()

    def _eval_BinaryOperation(self, node: cst.BinaryOperation) -> Value:
        left, right = self.eval(node.left), self.eval(node.right)
        if left.kind in TENSOR_LIKE or right.kind in TENSOR_LIKE:
            return _complex(_derived(Value(Kind.TENSOR, node), (left, right)), (left, right))
        if left.kind is Kind.CONTAINER and right.kind is Kind.CONTAINER and isinstance(node.operator, cst.Add):
            return Value(Kind.CONTAINER, node, items=left.items + right.items, container=left.container,
                         open=left.open or right.open)
        if isinstance(node.operator, cst.Multiply) and Kind.CONTAINER in (left.kind, right.kind):
            # `[layer] * n`: the same items, repeated
            sequence, count = (left, right) if left.kind is Kind.CONTAINER else (right, left)
            if count.kind in (Kind.SCALAR, Kind.UNKNOWN) and sequence.container in ("list", "tuple"):
                return Value(Kind.CONTAINER, node, items=list(sequence.items), container=sequence.container,
                             open=sequence.open)
        if left.kind is Kind.SCALAR and right.kind is Kind.SCALAR:
            return _complex(Value(Kind.SCALAR, node), (left, right))
        return _complex(unknown(), (left, right))  # `2j * math.pi`: still complex

    def _eval_UnaryOperation(self, node: cst.UnaryOperation) -> Value:
        operand = self.eval(node.expression)
        if operand.kind in TENSOR_LIKE and not isinstance(node.operator, cst.Not):
            return _complex(_derived(Value(Kind.TENSOR, node), (operand,)), (operand,))
        return Value(Kind.SCALAR, node) if operand.kind is Kind.SCALAR else unknown()

    def _eval_Comparison(self, node: cst.Comparison) -> Value:
        values = [self.eval(node.left)] + [self.eval(c.comparator) for c in node.comparisons]
        plain_compare = all(isinstance(c.operator, (cst.LessThan, cst.GreaterThan, cst.LessThanEqual,
                                                    cst.GreaterThanEqual, cst.Equal, cst.NotEqual))
                            for c in node.comparisons)
        if plain_compare and any(v.kind in TENSOR_LIKE for v in values):
            return Value(Kind.TENSOR, node)
        return unknown()

    def _eval_IfExp(self, node: cst.IfExp) -> Value:
        self.eval(node.test)
        found = self.narrowing(node.test)
        if found is None:
            body, orelse = self.eval(node.body), self.eval(node.orelse)
            for plain, other, on_true in ((body, orelse, True), (orelse, body, False)):
                if plain.kind is Kind.TENSOR and not plain.assumed and other.kind in (Kind.PARAMETER, Kind.BUFFER):
                    one_arm = copy.copy(plain)  # the arm's own value is shared: mark a copy
                    one_arm.plain_when = (node.test, on_true)
                    return one_arm
            return join([body, orelse], tensor_wins=True)
        name, narrowed, negated = found
        arms = [node.body, node.orelse]
        values = []
        for index, arm in enumerate(arms):
            if index == (1 if negated else 0):  # `w if isinstance(w, nn.Parameter) else nn.Parameter(w)`
                saved = self.locals.get(name)
                self.locals[name] = narrowed
                values.append(self.eval(arm))
                if saved is None:
                    del self.locals[name]
                else:
                    self.locals[name] = saved
            else:
                values.append(self.eval(arm))
        return join(values, tensor_wins=True)

    def narrowing(self, test: cst.BaseExpression) -> Optional[tuple[str, Value, bool]]:
        """``isinstance(w, nn.Parameter)`` -> ("w", a Parameter, False); under ``not``, True."""
        negated = False
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, negated = test.expression, True
        if not (isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "isinstance"
                and len(test.args) == 2 and isinstance(test.args[0].value, cst.Name)):
            return None
        classes = test.args[1].value
        elements = [e.value for e in classes.elements] if isinstance(classes, cst.Tuple) else [classes]
        names = [getattr(self.ctx.resolve(e), "dotted", None) for e in elements]
        if all(n in known.PARAMETER_CONSTRUCTORS for n in names):
            kind = Kind.PARAMETER
        elif all(n in known.BUFFER_CONSTRUCTORS for n in names):
            kind = Kind.BUFFER
        else:
            return None
        value = Value(kind, test)
        value.requires_grad = kind is Kind.PARAMETER
        return test.args[0].value.value, value, negated

    def _eval_BooleanOperation(self, node: cst.BooleanOperation) -> Value:
        return join([self.eval(node.left), self.eval(node.right)])

    def _eval_NamedExpr(self, node: cst.NamedExpr) -> Value:
        value = self.eval(node.value)
        if isinstance(node.target, cst.Name):
            self.locals[node.target.value] = value
        return value

    # -- calls ----------------------------------------------------------------------------

    def _eval_Call(self, node: cst.Call) -> Value:
        value = self._call_value(node)
        if value.kind is Kind.UNKNOWN and value.origin is None and value.function is None:
            callee = dotted(node.func)
            if callee and callee[0] not in self.locals and tuple(callee) in self.ctx.module_factories:
                return Value(Kind.MODULE, node)  # a factory whose results the file registers elsewhere
        return value

    def _call_value(self, node: cst.Call) -> Value:
        func = node.func
        if isinstance(func, cst.Attribute):
            result = self._method_call(node, func)
            if result is not None:
                return result
        args = [self.eval(arg.value) for arg in node.args]
        if not isinstance(func, (cst.Name, cst.Attribute)) or (isinstance(func, cst.Name) and func.value in self.locals):
            callee = self.eval(func)  # `getattr(torch, f"{name}_window")(n)`, a local `window_fn(n)`
            if callee.function is not None:
                return self._lambda_call(callee, node, args)
            if callee.kind is Kind.UNKNOWN and isinstance(callee.origin, External):
                return self._external_call(node, callee.origin.dotted, args)
        registry = self._registry_of(func)
        if registry:  # `MODELS[key](...)`: one of a registry's Module classes
            built = [self._external_call(node, ref.dotted, args) if isinstance(ref, External)
                     else self._project_module(node, ref, args) for ref in registry]
            result = built[0]
            result.stateless = all(value.stateless for value in built)  # a list of them loses nothing
            return result
        resolved = self.ctx.resolve(func)
        if isinstance(resolved, External):
            return self._external_call(node, resolved.dotted, args)
        if isinstance(resolved, ClassRef):
            if self.ctx.index.is_module_class(resolved):
                return self._project_module(node, resolved, args)
            return unknown()
        if isinstance(resolved, FunctionRef):
            if args and self.ctx.index.lists_its_argument(resolved):
                return _as_list(args[0], node)  # `to_list(blocks)`: the items (or the one Module) in a list
            if resolved.path == self.ctx.path:
                if any(_leaf_of(value) is not None for value in args):
                    self.host.function_call(resolved.name, node, args)  # it may write into the Parameter
                if any(value.function is not None for value in args):
                    # `map_values(lambda d: nn.Linear(d, 1), sizes)`: what it returns depends on the lambda
                    return self.ctx.function_return_value_for(resolved.name, node, args)
                value = _per_call(self.ctx.function_return_value(resolved.name), node)
                if value.kind is Kind.UNKNOWN and value.origin is None and any(a.kind in TENSOR_LIKE for a in args):
                    # `def flat(x): return x.reshape(-1)` called with a tensor
                    value = self.ctx.function_return_value_for(resolved.name, node, args)
                return value
            if self.ctx.index.returns_tensor(resolved):
                return Value(Kind.TENSOR, node)
            if args and self.ctx.index.passes_its_argument(resolved):
                return args[0]  # `check(x, "x", ndim=1)`: the very value it was given
            if self.ctx.index.converts_to_tensor(resolved):
                # `as_tensor(x)`: a Parameter or buffer comes back as itself
                if args and args[0].kind in (Kind.PARAMETER, Kind.BUFFER):
                    return args[0]
                return Value(Kind.TENSOR, node)
            owns = self.ctx.index.function_module(resolved)
            if owns is None:
                return unknown()
            module = Value(Kind.MODULE, node)  # a new Module built by a builder of another file
            module.stateless = not owns
            return module
        if isinstance(func, cst.Name) and func.value not in self.locals:
            return self._builtin_call(node, func.value, args)
        return unknown()

    def _eval_Lambda(self, node: cst.Lambda) -> Value:
        value = unknown()
        value.node = node
        value.function = (node, self)
        return value

    def _lambda_call(self, callee: Value, node: cst.Call, args: list[Value]) -> Value:
        """The value of calling a lambda seen in this file: its body, evaluated where it was made
        with the call's arguments bound (a few nested calls deep at most)."""
        if any(arg.star for arg in node.args):
            return unknown()
        positional = [v for a, v in zip(node.args, args) if a.keyword is None]
        keywords = {a.keyword.value: v for a, v in zip(node.args, args) if a.keyword is not None}
        return self._apply_lambda(callee, positional, keywords)

    def _apply_lambda(self, callee: Value, positional: list[Value], keywords: dict[str, Value]) -> Value:
        lam, closure = callee.function
        depth = self.ctx.__dict__.get("_lambda_depth", 0)
        if depth >= 3:
            return unknown()
        params = list(lam.params.posonly_params) + list(lam.params.params)
        bound = dict(closure.locals)
        for param in [*params, *lam.params.kwonly_params, lam.params.star_arg, lam.params.star_kwarg]:
            if isinstance(param, cst.Param):
                bound.pop(param.name.value, None)
        for param, value in zip(params, positional):
            bound[param.name.value] = value
        bound.update(keywords)
        self.ctx.__dict__["_lambda_depth"] = depth + 1
        try:
            return Evaluator(self.ctx, closure.host, bound).eval(lam.body)
        finally:
            self.ctx.__dict__["_lambda_depth"] = depth

    def _mapped(self, node: cst.Call, args: list[Value]) -> Value:
        """``map(fn, xs)``: an iterator of what ``fn`` makes of each item, for a lambda or a
        Module class as ``fn``."""
        elements = [element_of(iterated(arg), node) for arg in args[1:]]
        function = args[0]
        if function.function is not None:
            item = self._apply_lambda(function, elements, {})
        else:
            resolved = self.ctx.resolve(node.args[0].value)
            if isinstance(resolved, External) and known.is_module_base(resolved.dotted, self.ctx.index.extra_module_bases):
                item = _module(node, resolved, [])
                item.stateless = known.is_stateless_module(resolved.dotted, set())
            elif isinstance(resolved, ClassRef) and self.ctx.index.is_module_class(resolved):
                item = _module(node, resolved, [])
            else:
                return unknown()
        return Value(Kind.CONTAINER, node, items=[item], container="generator")

    def _project_module(self, node: cst.Call, resolved: ClassRef, args: list[Value]) -> Value:
        """A Module class of the project built here: it owns what it is given."""
        for value in args:
            mark_registered(value)
        _adopt(node, args, self.ctx.index.registered_arguments(resolved))
        return _module(node, resolved, args)

    def _registry_of(self, func: cst.BaseExpression):
        """The Module classes ``REGISTRY[key]`` or ``REGISTRY.get(key)`` may be, for a
        module-level dict literal of Module classes (``FileContext.module_class_registry``)."""
        if isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute) and func.func.attr.value == "get":
            func = func.func.value
        elif isinstance(func, cst.Subscript):
            func = func.value
        else:
            return None
        if not isinstance(func, cst.Name) or func.value in self.locals or func.value in self.host.arguments:
            return None
        return self.ctx.module_class_registry(func.value)

    def _super_above_module(self, receiver: cst.BaseExpression) -> bool:
        """``super(nn.Module, self)`` (or ``super(object, self)``): the lookup starts after
        ``nn.Module`` in the MRO, so ``nn.Module.__init__`` itself never runs."""
        if not (isinstance(receiver, cst.Call) and dotted(receiver.func) == ["super"] and receiver.args):
            return False
        first = receiver.args[0].value
        if isinstance(first, cst.Name) and first.value == "object" and "object" not in self.locals:
            return self.ctx.resolve(first) is None
        return getattr(self.ctx.resolve(first), "dotted", None) in MODULE_ROOTS

    def _method_call(self, node: cst.Call, func: cst.Attribute) -> Optional[Value]:
        method = func.attr.value
        receiver = func.value
        if method == "__init__" and (
            (isinstance(receiver, cst.Call) and dotted(receiver.func) == ["super"])
            or self._first_arg_is_self(node)
            or self.ctx.resolve(receiver) is not None  # `nn.Module.__init__(...)`, `Base.__init__(...)`
        ):
            self.host.init_call(node, skips_module_init=self._super_above_module(receiver))
            return Value(Kind.NONE, node)
        if isinstance(receiver, cst.Name) and receiver.value == self.host.self_name and receiver.value not in self.locals:
            return self.host.self_call(method, node, self)
        owner = self._class_of(receiver)
        if owner is not None and method in owner.methods:
            for arg in node.args:
                self.eval(arg.value)
            return _per_call(self.ctx.method_return_value(owner, method), node)
        if isinstance(receiver, cst.Name) and receiver.value not in self.locals and self.ctx.resolve(receiver) is not None:
            return None  # a module or class: `torch.zeros`, `nn.init.normal_`
        if isinstance(receiver, cst.Attribute) and self._is_module_path(receiver):
            return None
        target = self.eval(receiver)
        args = [self.eval(arg.value) for arg in node.args]
        if target.kind is Kind.CONTAINER and method in _CONTAINER_ADDERS:
            self._add_items(target, method, node, args)
            return Value(Kind.NONE, node)
        if target.kind is Kind.CONTAINER and target.container == "dict" and method in ("values", "items"):
            # the same objects: registering them (`add_module(k, m)` in a loop, `nn.ModuleList(d.values())`)
            # registers the dict's items
            items = list(target.items) if method == "values" else [Value(
                Kind.CONTAINER, node, items=[Value(Kind.SCALAR, node), element_of(target, node)], container="tuple")]
            return Value(Kind.CONTAINER, node, items=items, container="list", open=target.open)
        if target.kind in TENSOR_LIKE or target.kind is Kind.TENSOR_TUPLE:
            return self._tensor_method(node, method, target)
        if target.kind is Kind.MODULE and method in _MODULE_RETURNING_METHODS:
            return target  # `Layer(a, b).to(device)` returns the very Layer
        return unknown()

    def _class_of(self, receiver: cst.BaseExpression):
        """The class of this file that ``Cls``, ``type(self)`` or ``self.__class__`` names."""
        self_name = self.host.self_name
        if (isinstance(receiver, cst.Call) and dotted(receiver.func) == ["type"] and len(receiver.args) == 1
                and dotted(receiver.args[0].value) == [self_name]) or dotted(receiver) == [self_name, "__class__"]:
            return getattr(self.host, "info", None)
        if isinstance(receiver, cst.Name) and receiver.value not in self.locals:
            resolved = self.ctx.resolve(receiver)
            if isinstance(resolved, ClassRef) and resolved.path == self.ctx.path:
                return self.ctx.class_info(resolved.name)
        return None

    def _is_module_path(self, node: cst.Attribute) -> bool:
        """``torch.nn.init`` in ``torch.nn.init.normal_(...)``: a dotted path that
        resolves to something outside, not an object."""
        parts = dotted(node)
        return bool(parts) and parts[0] not in self.locals and parts[0] != self.host.self_name and \
            isinstance(self.ctx.resolve(node), External)

    def _first_arg_is_self(self, node: cst.Call) -> bool:
        first = node.args[0].value if node.args else None
        return isinstance(first, cst.Name) and first.value == self.host.self_name

    def _add_items(self, target: Value, method: str, node: cst.Call, args: Sequence[Value]) -> None:
        if method in ("append", "add"):
            target.items.extend(args[:1])
        elif method == "insert" or method == "setdefault" or method == "__setitem__":
            target.items.extend(args[1:2])
        else:  # extend, update
            for value in args[:1]:
                if value.kind is Kind.CONTAINER:
                    target.items.extend(value.items)
                    target.open |= value.open
                else:
                    target.open = True

    def _tensor_method(self, node: cst.Call, method: str, target: Value) -> Value:
        if method == "requires_grad_":
            flag = argument(node, 0, "requires_grad")
            if flag is None or is_true(flag):
                target.requires_grad = True
                target.requires_grad_node = node
            elif isinstance(flag, cst.Name) and flag.value == "False":
                target.requires_grad = False
            return target
        if method in MOVING_METHODS and (target.kind is Kind.PARAMETER or target.moved is not None) and (
                node.args or method not in ("to", "type")):  # `.to()` is a no-op, `.type()` a type name
            return _moved(node, method, target)
        if method in known.NON_TENSOR_METHODS:
            return unknown()
        if method.endswith("_") and not method.startswith("_"):
            if method not in _NOT_DATA_MUTATIONS:
                self.host.tensor_mutated(target, node, f"`{method}`")
            return target
        if method in known.TENSOR_TUPLE_METHODS:
            return Value(Kind.TENSOR_TUPLE, node)
        if target.kind is Kind.PARAMETER and method in CONVERTING_METHODS:
            copy = _requiring_grad(Value(Kind.TENSOR, node), node)  # a copy: no longer a Parameter
            copy.derived = True
            return copy
        if target.kind is Kind.PARAMETER and method in _MAYBE_IDENTITY_METHODS:
            return unknown()
        result = self._complex_method(node, method, target, Value(Kind.TENSOR, node))
        # `t.float()` / `t.to(device)` of an argument annotated `Tensor` may return the very
        # object, a Parameter if the caller passed one
        result.assumed = target.assumed and method in _MAYBE_IDENTITY_METHODS
        if method in VIEW_METHODS:
            result.leaf = _leaf_of(target)
        if target.requires_grad and method not in ("detach", "numpy"):
            _requiring_grad(result, target.requires_grad_node or node)  # autograd carries it through
            result.derived = target.derived or target.kind is Kind.PARAMETER
        return result

    def _complex_method(self, node: cst.Call, method: str, target: Value, result: Value) -> Value:
        """``t.cfloat()``, ``t.to(torch.complex64)`` make a complex tensor; most methods
        keep a complex input complex (``.abs()``, ``.float()`` do not)."""
        if method in known.COMPLEX_METHODS:
            result.complex = True
        elif method in ("to", "type"):
            dtype = next((d for d in map(self._dtype_of, (arg.value for arg in node.args)) if d), None)
            result.complex = dtype in known.COMPLEX_DTYPES if dtype is not None else target.complex
        elif method not in known.REAL_METHODS:
            result.complex = target.complex
        return result

    def _dtype_of(self, node: Optional[cst.BaseExpression]) -> Optional[str]:
        """``torch.cfloat`` -> "torch.cfloat"; None when ``node`` is not a torch dtype."""
        if node is None or not isinstance(node, (cst.Attribute, cst.Name)):
            return None
        dotted_name = getattr(self.ctx.resolve(node), "dotted", None)
        return dotted_name if dotted_name and dotted_name.startswith("torch.") else None

    def _external_call(self, node: cst.Call, name: str, args: list[Value]) -> Value:
        if name in known.PARAMETER_CONSTRUCTORS:
            parameter = Value(Kind.PARAMETER, node)
            flag = argument(node, 1, "requires_grad")
            parameter.requires_grad = not (isinstance(flag, cst.Name) and flag.value == "False")
            return parameter
        if name in known.BUFFER_CONSTRUCTORS:
            return Value(Kind.BUFFER, node)
        if name in known.TENSOR_TUPLE_FACTORIES:  # before the namespaces: `torch.linalg.svd` gives three tensors
            _adopt(node, args, known.registered_arguments(name))
            return Value(Kind.TENSOR_TUPLE, node)
        if name in known.TENSOR_FACTORIES or name.startswith(known.TENSOR_NAMESPACES):
            value = _derived(Value(Kind.TENSOR, node), args)
            if name in known.COMPLEX_FACTORIES or self._dtype_of(argument(node, 99, "dtype")) in known.COMPLEX_DTYPES:
                value.complex = True
            elif name not in known.REAL_FROM_COMPLEX:
                _complex(value, args)
            flag = argument(node, 99, known.REQUIRES_GRAD_KEYWORD)
            if is_true(flag):
                value.requires_grad = True
                value.requires_grad_node = node
            if name.endswith("Variable") and len(node.args) > 1 and node.args[1].keyword is None \
                    and is_true(node.args[1].value):
                value.requires_grad = True
                value.requires_grad_node = node
            return value
        _adopt(node, args, known.registered_arguments(name))
        if name.startswith(known.INIT_NAMESPACE):
            return args[0] if args else unknown()
        if known.is_module_base(name, self.ctx.index.extra_module_bases):
            for value in args:
                mark_registered(value)
            module = _module(node, External(name), args)
            module.stateless = known.is_stateless_module(name, {a.keyword.value for a in node.args if a.keyword})
            return module
        if name.rsplit(".", 1)[-1][:1].isupper() and name.split(".")[0] != "torch" \
                and self.ctx.index.resolves_to_module(External(name)):
            # a Module class of an installed package (read from its source, never imported)
            for value in args:
                mark_registered(value)
            module = _module(node, External(name), args)
            module.stateless = not self.ctx.index.external_owns_parameters(name)
            return module
        if name in known.NUMPY_ARRAY_FACTORIES or name.startswith("numpy.random.") and name not in known.NUMPY_NOT_ARRAYS:
            return Value(Kind.ARRAY, node)
        if name == "copy.copy" and args and args[0].kind is Kind.MODULE:
            return args[0]  # a shallow copy shares the Module's parameter and submodule dicts
        if name in ("copy.deepcopy", "copy.copy") and args:
            source = args[0]
            given = node.args[0].value
            if name == "copy.deepcopy" and source.kind is Kind.UNKNOWN and isinstance(given, cst.Name) and given.value not in self.locals \
                    and self.host.module_argument(given.value):
                # `copy.deepcopy(head)` with `head: nn.Module`: a new Module nobody else owns
                source = Value(Kind.MODULE, given)
            return _fresh_copy(source, node)
        if name == "collections.OrderedDict":
            return _ordered_dict(node, args)
        if name == "torch.jit.Attribute" and args:
            # a TorchScript attribute declaration: a ScriptModule stores the value itself
            return args[0]
        return unknown()

    def _builtin_call(self, node: cst.Call, name: str, args: list[Value]) -> Value:
        if name in _LIST_BUILDERS:
            container = "list" if name in ("sorted", "reversed") else name
            if not args:
                return Value(Kind.CONTAINER, node, container=container)
            source = args[0]
            if source.kind is Kind.CONTAINER:
                return Value(Kind.CONTAINER, node, items=list(source.items), container=container, open=source.open)
            return Value(Kind.CONTAINER, node, container=container, open=True)
        if name == "map" and len(args) >= 2 and not any(arg.star or arg.keyword for arg in node.args):
            return self._mapped(node, args)
        if name == "enumerate" and args:
            # (index, item) pairs: unpacking gives the item, which stands for every element
            return Value(Kind.CONTAINER, node, items=[Value(Kind.CONTAINER, node, items=[Value(Kind.SCALAR, node),
                         element_of(iterated(args[0]), node)], container="tuple")], container="list")
        if name == "zip" and args and all(arg.star == "" for arg in node.args):
            # tuples of one item of each: unpacking `for conv, s in zip(self.convs, strides)` gives each
            return Value(Kind.CONTAINER, node, items=[Value(Kind.CONTAINER, node, items=[
                element_of(iterated(arg), node) for arg in args], container="tuple")], container="list")
        if name == "dict":
            items = [self.eval(arg.value) for arg in node.args if arg.keyword is not None]
            return Value(Kind.CONTAINER, node, items=items, container="dict",
                         open=any(arg.keyword is None for arg in node.args))
        if name == "setattr":
            self.host.setattr_call(node, self)
        if name == "getattr" and len(node.args) >= 2:
            return self._torch_function_reference(node.args[0].value, node.args[1].value)
        if name in ("len", "int", "float", "str", "bool", "isinstance", "hasattr", "callable"):
            return Value(Kind.SCALAR, node)
        return unknown()

    # -- binding --------------------------------------------------------------------------

    def bind_loop_target(self, target: cst.BaseExpression, iterable: Value) -> None:
        if iterable.kind in TENSOR_LIKE:
            element = Value(Kind.TENSOR, target)
        else:
            element = element_of(iterated(iterable), target)
        self.bind_name_target(target, element)

    def bind_name_target(self, target: cst.BaseExpression, value: Value) -> None:
        """Bind plain names (and tuples of names) in ``target``; other targets are the
        caller's business."""
        if isinstance(target, cst.Name):
            self.locals[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            for index, element in enumerate(target.elements):
                self.bind_name_target(element.value, unpack(value, index, len(target.elements)))


def _ordered_dict(node: cst.Call, args: list[Value]) -> Value:
    """``OrderedDict()``, ``OrderedDict(a=layer)`` or ``OrderedDict([("a", layer), ...])``: a
    plain dict of those values."""
    value = Value(Kind.CONTAINER, node, container="dict")
    for arg, item in zip(node.args, args):
        if arg.keyword is not None:
            value.items.append(item)
        elif item.kind is Kind.CONTAINER and not item.open and all(
                pair.kind is Kind.CONTAINER and len(pair.items) == 2 for pair in item.items):
            value.items.extend(pair.items[1] for pair in item.items)
        else:
            value.open = True
    return value


def _function_reference(dotted_name: str, node: cst.CSTNode) -> Value:
    """A torch function used as a value (``window_fn = torch.hann_window``)."""
    reference = Value(Kind.UNKNOWN, node)
    reference.origin = External(dotted_name)
    return reference


_MODULE_SEQUENCES = frozenset({"torch.nn.ModuleList", "torch.nn.Sequential",
                               "torch.nn.modules.container.ModuleList", "torch.nn.modules.container.Sequential"})


def iterated(value: Value) -> Value:
    """What ``for x in value`` goes over: a ``ModuleList``/``Sequential`` built in view
    iterates the modules it was given."""
    if value.kind is Kind.MODULE and getattr(value.origin, "dotted", None) in _MODULE_SEQUENCES and value.parts:
        if "Sequential" in value.origin.dotted:
            return Value(Kind.CONTAINER, value.node, items=list(value.parts), container="list")
        if len(value.parts) == 1 and value.parts[0].kind is Kind.CONTAINER:
            return value.parts[0]
    return value


def _basic_index(element: cst.SubscriptElement) -> bool:
    """A slice, an integer, ``None`` or ``...``: indexing that returns a view, not a copy."""
    index = element.slice
    if isinstance(index, cst.Slice):
        return True
    value = index.value
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        value = value.expression
    return isinstance(value, (cst.Integer, cst.Ellipsis)) or (isinstance(value, cst.Name) and value.value == "None")


def _leaf_of(value: Value) -> Optional[Value]:
    """The Parameter a value is (a view of), else None."""
    if value.kind is Kind.PARAMETER:
        return value
    return value.leaf


def _derived(result: Value, operands) -> Value:
    """Autograd: a tensor computed from tensors that require grad requires grad too (a
    non-leaf: computed once here, never trained itself)."""
    for operand in operands:
        if operand.kind is Kind.PARAMETER and operand.requires_grad or (
                operand.kind is Kind.TENSOR and operand.requires_grad):
            result.requires_grad = True
            result.requires_grad_node = operand.requires_grad_node or operand.node
            result.derived = True
            break
    return result


def _per_call(value: Value, node: cst.CSTNode) -> Value:
    """What one call of a project function returns: a tensor or Module made anew on each call,
    so what happens to one call's result (registered, handed to a child) is not another's."""
    if value.kind not in (Kind.TENSOR, Kind.PARAMETER, Kind.BUFFER, Kind.MODULE):
        return value
    copy = Value(value.kind, node, items=value.items)
    for slot in ("requires_grad", "requires_grad_node", "stateless", "origin", "parts", "derived", "complex"):
        setattr(copy, slot, getattr(value, slot))
    return copy


def _adopt(node: cst.Call, args: list[Value], registered: dict[str, int]) -> None:
    """Mark the values a child Module's constructor registers (``nn.CrossEntropyLoss(weight=w)``,
    ``registered``: keyword -> position): the child saves and moves that very object."""
    if not registered:
        return
    positions = set(registered.values())
    position = 0
    for arg, value in zip(node.args, args):
        if arg.keyword is not None:
            if arg.keyword.value in registered:
                value.adopted = True
        elif not arg.star:
            if position in positions:
                value.adopted = True
            position += 1


def _complex(result: Value, operands) -> Value:
    """A tensor computed from a complex operand (``1j * t``, ``freqs[:n]``) is complex."""
    if any(operand.complex for operand in operands):
        result.complex = True
    return result


def _moved(node: cst.Call, method: str, target: Value) -> Value:
    """``p.to(device)``, ``p.double()``: a copy that is no longer a Parameter whenever it copies.
    Marked, so that TL011 reports it (and TL001/TL010 leave it to TL011)."""
    result = Value(Kind.TENSOR, node)
    if target.moved is not None:  # `nn.Parameter(t).to(device).half()`: still the same move
        result.moved = Move(target.moved.method, node, target.moved.source, target.moved.fresh)
    else:
        result.moved = Move(method, node, target, not target.registered)
    if target.requires_grad:
        _requiring_grad(result, target.requires_grad_node or node)
    result.derived = True
    return result


def _requiring_grad(value: Value, node: cst.CSTNode) -> Value:
    value.requires_grad = True
    value.requires_grad_node = node
    return value


def _module(node: cst.Call, origin, args: list[Value]) -> Value:
    module = Value(Kind.MODULE, node)
    module.origin = origin
    module.parts = args
    return module


def _submodule_parameter(module: Value, node: cst.Attribute) -> Value:
    """``self.fc.weight``: the same Value each time it is read, so marks stick."""
    for item in module.items:
        if item.node is not None and getattr(item.node, "attr", None) is not None and item.node.attr.value == node.attr.value:
            return item
    parameter = Value(Kind.PARAMETER, node)
    parameter.registered = True
    parameter.requires_grad = True
    module.items.append(parameter)
    return parameter


def _as_list(value: Value, node: cst.CSTNode) -> Value:
    """What ``to_list(value)`` gives: the same items in a list, a single value in a list."""
    if value.kind is Kind.CONTAINER:
        return Value(Kind.CONTAINER, node, items=list(value.items), container="list", open=value.open)
    if value.kind is Kind.UNKNOWN:
        return unknown()
    return Value(Kind.CONTAINER, node, items=[value], container="list", open=True)


def unpack(value: Value, index: int, count: int) -> Value:
    if value.kind is Kind.TENSOR_TUPLE:
        return Value(Kind.TENSOR, value.node)
    if value.kind is Kind.CONTAINER and not value.open and len(value.items) == count and value.container != "dict":
        return value.items[index]
    return unknown()


def _fresh_copy(value: Value, node: cst.CSTNode) -> Value:
    if value.kind is Kind.CONTAINER:
        return Value(Kind.CONTAINER, node, items=[_fresh_copy(v, node) for v in value.items],
                     container=value.container, open=value.open)
    if value.kind in (Kind.MODULE, Kind.PARAMETER, Kind.TENSOR, Kind.BUFFER):
        copy = Value(value.kind, node)
        if value.kind is Kind.MODULE:  # the same class, as stateless as the original
            copy.origin, copy.stateless, copy.parts = value.origin, value.stateless, value.parts
        return copy
    return unknown()
