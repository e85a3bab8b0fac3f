"""Constructor arguments for a Module class nobody told us how to build.

Parameters with defaults keep them. Required ones are synthesised from their
annotation, then from their name: ints for sizes (chosen so that the usual
divisibility constraints hold: ``dim % heads == 0``, an even head size), floats for
rates, bools for flags, strings from ``Literal[...]``, a config class annotated on
the parameter (or found next to the class, as transformers' ``config``) built with
its own defaults. A few schemes are tried in turn; each gives different values.
"""

from __future__ import annotations

import argparse
import ast
import collections.abc
import copy
import dataclasses
import enum
import functools
import importlib
import inspect
import re
import sys
import textwrap
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, Optional

SCHEMES = 3  # how many argument sets a class gets before it is given up

# Sizes per scheme: dims divisible by every head count, head sizes even. The first
# scheme gives each size parameter its own value, so that a weight built with the
# wrong one (Linear(in, out) given (in, hid)) shows; the others use one value for all.
_DISTINCT_DIMS = (64, 32, 96, 48, 128, 80)
_DIM = (64, 32, 16)
_HEADS = (4, 2, 1)
_COUNT = (2, 1, 3)
_CHANNELS_IN = (64, 3, 16)
_VOCAB = (128, 64, 32)
_LENGTH = (32, 16, 64)
# A feature map's side (`resolution`, `window_resolution`): attention-bias tables loop over
# every pair of its points (side**4 steps), so it stays small; divisible by the patch size 4.
_RESOLUTION = (16, 8, 16)


# `act`, `hidden_act`, `act_layer`, `activation_fn`: whole words (not `factor`, `extract`)
_ACTIVATION = re.compile(r"(^|_)(act|activation|nonlinearity)s?(_|$)")
_CONFIG_NAME = re.compile(r"(Config|Cfg|Configuration)$")
_SEQUENCES = (list, tuple, set, frozenset, collections.abc.Sequence, collections.abc.MutableSequence,
              collections.abc.Iterable, collections.abc.Collection)


class CannotSynthesise(Exception):
    """A required argument for which no value can be made up."""


# Sections of a nested configuration (`config.model.n_embd`, `args.data.root`): a namespace.
_SECTIONS = frozenset({
    "model", "models", "net", "network", "arch", "architecture", "encoder", "decoder", "backbone", "neck", "data",
    "dataset", "train", "training", "trainer", "optim", "optimizer", "system", "params", "hparams", "hp",
    "hyperparameters", "args", "cfg", "config", "conf", "opt", "opts", "options", "settings", "experiment", "exp",
    "common", "task", "generator", "discriminator", "transformer", "vae", "unet", "text", "vision", "audio",
})
_SECTION_SUFFIX = re.compile(r"_(config|cfg|conf|args|opts|options|params|hparams|settings)$")


class FilledNamespace(argparse.Namespace):
    """An ``args``/``opt``/``hparams`` object nobody gave: like ``argparse.Namespace``, but a
    field read for the first time is made up from its name and kept (``args.n_embd`` -> 64,
    ``args.dropout`` -> 0.1, ``args.use_bias`` -> False, ``args.model`` -> another namespace).
    ``get(name, default)`` returns the author's default."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = namespace_field(name)
        setattr(self, name, value)
        return value

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        if name not in vars(self) and default is not None:
            setattr(self, name, default)
        return getattr(self, name)


def namespace_field(name: str) -> Any:
    n = name.lower()
    if n in _SECTIONS or _SECTION_SUFFIX.search(n):
        return FilledNamespace()
    return field_value(name)


def namespace_reads(value: Any, prefix: str = "") -> list[str]:
    """The fields the build read from a namespace we made (``n_embd=64``), nested ones dotted."""
    if not isinstance(value, FilledNamespace):
        return []
    shown = []
    for key, field_ in vars(value).items():
        if isinstance(field_, FilledNamespace):
            shown += namespace_reads(field_, f"{prefix}{key}.")
        else:
            shown.append(f"{prefix}{key}={_short(field_)}")
    return shown


# Config factories the author wrote: minGPT's `GPT.get_default_config()`, a module's
# `default_config()`, a config class's `ModelConfig.small()` classmethod returning its type.
_FACTORY_NAMES = ("get_default_config", "default_config", "get_default_cfg", "default_cfg", "get_config")


@dataclass
class Plan:
    kwargs: dict[str, Any]
    described: str  # shown in reasons: "dim=64, heads=4"
    how: str = "synthesised arguments"  # the construction path: defaults, a config factory, ...


# A parameter that lists names (`stat_names`, `keys`, `columns`): iterated as strings.
_NAME_LIST = re.compile(r"(^|_)(names|keys|fields|columns|attrs|attributes|tasks)$")


def _name_rule(name: str) -> Optional[str]:
    """What a parameter name says its value is: a size kind, 'float', 'bool', 'config', ..."""
    n = name.lower()
    if n in {"config", "cfg", "conf", "model_config", "hparams", "hp", "configuration", "params", "opt", "args"} \
            or n.endswith("_config") or n.endswith("_cfg"):
        return "config"
    if re.search(r"(^|_)(heads?|num_heads|n_heads?|nhead|groups?|num_groups|n_groups|kv_heads)($|_)", n) \
            or n in {"h", "nh", "num_kv_heads", "num_key_value_heads", "num_attention_heads"}:
        return "heads"
    if re.search(r"(^|_)(idx|index|id|rank|seed|offset|start)$", n) or n in {"layer_idx", "layer_id", "i", "idx"}:
        return "index"
    # a number OF scales or rates (`n_scales`, `num_rates`) counts them: an int
    if not re.match(r"^(n|num)_", n) and \
            re.search(r"(dropout|drop|prob|rate|(^|_)eps($|_)|epsilon|alpha|beta|gamma|momentum|temperature|temp|"
                      r"scale|theta|lr|margin|std|sigma|smoothing|threshold|decay|weight_decay|tau|^p$|_p$)", n):
        return "float"
    if re.search(r"^(use|is|has|with|enable|apply|return|add|learn|do|no|share|tie|zero)_|"
                 r"(^|_)(bias|affine|causal|batch_first|bidirectional|residual|inplace|training|"
                 r"pre_norm|norm_first|normalize|elementwise_affine|track_running_stats|first|last|flag)$", n):
        return "bool"
    if re.match(r"^(n|num)_(layer|block)s?$", n):
        return "count"  # minGPT's `n_layer`: not a layer factory
    if re.search(r"(_num$|_per_)", n) and not re.search(r"(embd|embed|dim|hidden|feat|channel|chs|width)", n):
        return "count"  # `block_num`, `layer_per_block`: a size there builds 96 blocks
    if _ACTIVATION.search(n) or re.search(r"(_fn$|_layer$|norm_layer|block$|_cls$|factory|"
                 r"downsample|upsample)", n):
        return "callable"
    if re.search(r"(kernel|ksize|kernel_size)", n):
        return "kernel"
    if re.search(r"(stride|dilation)", n):
        return "stride"
    if re.search(r"padding", n):
        return "padding"
    if re.search(r"(vocab|num_embeddings|n_tokens|num_tokens|n_vocab|num_classes|n_classes|classes|labels|"
                 r"num_labels|n_class|ntoken|n_token|num_codes|codebook)", n):
        return "vocab"
    if re.search(r"(len|length|seq|block_size|max_pos|positions|context|n_ctx|time|steps|tokens)", n):
        return "length"
    if re.search(r"(in_ch|in_chans|in_channels|input_channels|channels_in|c_in|in_planes|inplanes)", n):
        return "channels_in"
    if re.search(r"(embd|embed|emb$|emb_|dim|hidden|feat|channel|width|units|d_model)", n) \
            and not re.search(r"(layers|blocks|depth|stages|levels)", n):
        return None  # a size (`n_embd`, `num_features`, `n_hidden`), not a count
    if re.search(r"(depth|layers|num_layers|n_layers|nlayers|n_blocks|num_blocks|blocks|stages|levels|"
                 r"^num_|^n_|count|repeats)", n):
        return "count"
    if re.search(r"(ratio|mult|factor|expansion|expand)", n):
        return "ratio"
    if "resolution" in n:  # a feature map's side (`resolution_in`): loops over it grow with its square or more
        return "resolution"
    if re.search(r"(image_size|img_size|input_size|image|img)", n):
        return "image"
    if re.search(r"(patch|window)", n):
        return "patch"
    return None


def _int_for(kind: Optional[str], scheme: int, nth_dim: int = 0) -> int:
    if kind is None and scheme == 0:
        return _DISTINCT_DIMS[nth_dim % len(_DISTINCT_DIMS)]
    return {
        "heads": _HEADS[scheme], "index": 0, "count": _COUNT[scheme], "kernel": 3, "stride": 1,
        "padding": 1, "vocab": _VOCAB[scheme], "length": _LENGTH[scheme], "channels_in": _CHANNELS_IN[scheme],
        "ratio": 4, "image": 32, "patch": 4, "resolution": _RESOLUTION[scheme],
    }.get(kind or "", _DIM[scheme])


def _float_for(name: str, scheme: int) -> float:
    n = name.lower()
    if "eps" in n:
        return 1e-5
    if "theta" in n or n == "base":
        return 10000.0
    if "ratio" in n or "mult" in n or "factor" in n:
        return 4.0
    if "scale" in n or "temperature" in n or "std" in n or "sigma" in n:
        return 1.0
    return (0.1, 0.0, 0.5)[scheme]


class Synthesiser:
    """Builds the keyword arguments for one class under one scheme."""

    def __init__(self, torch_module, nn_module, module_globals: dict[str, Any], build_nested: Callable):
        self.torch = torch_module
        self.nn = nn_module
        self.globals = module_globals
        self.build_nested = build_nested  # (cls) -> instance, for parameters annotated with a Module class
        self._filled: dict[int, tuple[Any, str]] = {}  # configs with sizes filled in, and how they are shown
        self._made_by: dict[int, tuple[Any, str]] = {}  # configs from factories/namespaces, and how they are shown
        self._paths: list[str] = []

    def plan(self, cls: type, scheme: int) -> Plan:
        try:
            signature = inspect.signature(cls)
        except (TypeError, ValueError) as error:
            raise CannotSynthesise(f"no readable signature ({error})") from None
        init = cls.__init__
        forwarded = _forwarded_to(cls, signature) if scheme > 0 else None
        if forwarded is not None:  # `__init__(self, *args, **kwargs)` passing all on to its base
            init, signature = forwarded
        try:
            hints = typing.get_type_hints(init)
        except Exception:  # unresolvable forward references: fall back to names
            hints = {}
        kwargs: dict[str, Any] = {}
        shown: list[str] = []
        self._dims_given = 0
        self._paths: list[str] = []  # how config-like values were made (a factory, a dataclass, ...)
        synthesised = False
        for parameter in signature.parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            if parameter.default is not parameter.empty:
                # a default config whose sizes the enclosing model fills in (`cfg: BlockCfg = BlockCfg()`
                # with `window_size=None`): a copy with them made up
                filled = _sizes_filled(parameter.default, scheme) if scheme > 0 and _is_record_class(
                    type(parameter.default)) else None
                if filled is not None:
                    kwargs[parameter.name] = filled[0]
                    self._filled[id(filled[0])] = filled
                    shown.append(f"{parameter.name}={filled[1]}")
                    continue
                # `widths: Tuple[int, ...] = ()`: per-stage sizes the presets fill in; made up
                # (two stages) in the later schemes
                if scheme > 0 and type(parameter.default) in (tuple, list) and not parameter.default \
                        and is_size_name(parameter.name) and not _NAME_LIST.search(parameter.name.lower()):
                    kind = _name_rule(parameter.name)
                    made = [self._int(kind if kind not in ("float", "bool", "config", "callable") else None, scheme)
                            for _ in range(2)]
                    kwargs[parameter.name] = type(parameter.default)(made)
                    shown.append(f"{parameter.name}={_short(kwargs[parameter.name])}")
                    continue
                # `layer_idx: Optional[int] = None` often must be an index after all, and
                # `hidden_size=None` a size
                if parameter.default is None and scheme > 0 and _may_be_int(hints.get(parameter.name, parameter.annotation)):
                    if _name_rule(parameter.name) == "index":
                        kwargs[parameter.name] = 0
                    elif is_size_name(parameter.name):
                        kwargs[parameter.name] = self._int(_name_rule(parameter.name), scheme)
                    else:
                        continue
                    shown.append(f"{parameter.name}={kwargs[parameter.name]}")
                continue
            annotation = hints.get(parameter.name, parameter.annotation)
            paths = len(self._paths)
            value = self.value(parameter.name, annotation, scheme, cls)
            synthesised = synthesised or len(self._paths) == paths
            kwargs[parameter.name] = value
            filled = self._filled.get(id(value))
            made = self._made_by.get(id(value))
            shown.append(f"{parameter.name}="
                         f"{filled[1] if filled and filled[0] is value else made[1] if made and made[0] is value else _short(value)}")
        paths = list(dict.fromkeys(self._paths))
        if not kwargs:
            how = "the signature's defaults"
        elif paths:
            how = "; ".join(paths) + ("; other arguments synthesised" if synthesised else "")
        else:
            how = "synthesised arguments"
        return Plan(kwargs, ", ".join(shown) or "no arguments", how)

    # -- one value ----------------------------------------------------------------------

    def value(self, name: str, annotation: Any, scheme: int, owner: type) -> Any:
        if annotation is inspect.Parameter.empty or annotation is Any or annotation is None:
            return self._by_name(name, scheme, owner)
        if isinstance(annotation, str):  # unresolved forward reference
            resolved = self.globals.get(annotation.strip("'\""))
            if resolved is None:
                return self._by_name(name, scheme, owner)
            annotation = resolved
        origin = typing.get_origin(annotation)
        arguments = typing.get_args(annotation)
        if origin is typing.Literal:
            return arguments[min(scheme, len(arguments) - 1)]
        if origin is typing.Union or type(annotation).__name__ == "UnionType":
            members = [a for a in arguments if a is not type(None)]
            if scheme == SCHEMES - 1 and len(members) < len(arguments):
                return None
            return self.value(name, members[0], scheme, owner) if members else None
        if origin in _SEQUENCES or annotation in (list, tuple):
            element = arguments[0] if arguments else int
            if element is Ellipsis or element is inspect.Parameter.empty:
                element = int
            items = [self.value(name.rstrip("s"), element, scheme, owner) for _ in range(2)]
            return tuple(items) if origin is tuple or annotation is tuple else items
        if origin is dict or annotation is dict:
            return {}
        if origin is collections.abc.Callable or annotation in (Callable, collections.abc.Callable):
            return self._callable(name, scheme)
        if annotation is bool:
            return scheme != 1
        if annotation is int:
            kind = _name_rule(name)
            return self._int(kind if kind not in ("float", "bool", "config", "callable") else None, scheme)
        if annotation is float:  # an expansion ratio multiplies a size: the int 4 is a float too
            return _float_for(name, scheme) if _name_rule(name) != "ratio" else 4
        if annotation is str:
            compared = compared_strings(owner, name)  # `if forward == "slicing": ...`
            return compared[scheme % len(compared)] if compared else self._string(name)
        if isinstance(annotation, type):
            return self._instance_of(annotation, name, scheme, owner)
        return self._by_name(name, scheme, owner)

    def _by_name(self, name: str, scheme: int, owner: type) -> Any:
        if _NAME_LIST.search(name.lower()):
            return ["first", "second"]  # names of buffers, fields, columns: strings, not sizes
        kind = _name_rule(name)
        if kind == "float":
            return _float_for(name, scheme)
        if kind == "bool":
            return scheme != 1
        if kind == "config":
            return self._config_for(owner, name, scheme)
        if kind == "callable":
            return self._callable(name, scheme)
        return self._int(kind, scheme)

    def _int(self, kind: Optional[str], scheme: int) -> int:
        value = _int_for(kind, scheme, self._dims_given)
        if kind is None:
            self._dims_given += 1
        return value

    def _callable(self, name: str, scheme: int = 0) -> Any:
        n = name.lower()
        if _ACTIVATION.search(n) and not n.endswith(("layer", "cls", "factory")):
            # an activation: a module instance (works called, or registered), a name, a class
            return (self.nn.GELU(), "gelu", self.nn.GELU)[scheme]
        # nn.Identity accepts any arguments: a stand-in for norm/act layer factories.
        return self.nn.Identity

    def _string(self, name: str) -> str:
        n = name.lower()
        if _ACTIVATION.search(n):
            return "gelu"
        if "norm" in n:
            return "layernorm"
        if "pad" in n:
            return "zeros"
        if "reduction" in n:
            return "mean"
        if "device" in n:
            return "cpu"
        return "default"

    def _instance_of(self, annotation: type, name: str, scheme: int, owner: type) -> Any:
        torch, nn = self.torch, self.nn
        if issubclass(annotation, enum.Enum):
            return next(iter(annotation))
        if annotation is torch.Tensor or issubclass(annotation, torch.Tensor):
            return torch.zeros(_DIM[scheme])
        if annotation is torch.device:
            return torch.device("cpu")
        if annotation is torch.dtype:
            return torch.float32
        if issubclass(annotation, nn.Module):
            if annotation is nn.Module:
                return nn.Identity()
            return self.build_nested(annotation)
        if annotation in (argparse.Namespace, types.SimpleNamespace):
            return self._namespace(name)
        if _CONFIG_NAME.search(annotation.__name__) or _is_record_class(annotation):
            # `config: CLIPConfig` on an encoder that really takes the text or vision part
            generated = generated_twin(annotation) or annotation
            return self._config_among([generated], generated, owner, name, scheme)
        return _default_instance(annotation, name)

    def _config_for(self, owner: type, name: str, scheme: int) -> Any:
        """An unannotated ``config``: the class's ``config_class``, else the ``*Config``
        classes of its module; a config factory the author wrote comes first, a namespace
        filled from attribute reads last."""
        declared = getattr(owner, "config_class", None)
        classes = [declared] if isinstance(declared, type) else []
        classes += [value for key, value in self.globals.items()
                    if isinstance(value, type) and _CONFIG_NAME.search(key)
                    and not issubclass(value, self.nn.Module) and value is not declared]
        generated = [generated_twin(cls) or cls for cls in classes]
        return self._config_among(generated, generated[0] if declared is not None else None, owner, name, scheme,
                                  namespace=True)

    def _namespace(self, name: str) -> Any:
        value = FilledNamespace()
        self._made_by[id(value)] = (value, "Namespace(<filled from attribute reads>)")
        self._paths.append(f"`{name}`: a namespace filled from attribute reads")
        return value

    def _factories(self, owner: type, config_classes: list) -> list[tuple[str, Callable[[], Any], Optional[type]]]:
        """Config factories the author wrote, best first: ``get_default_config()`` /
        ``default_config()`` on the Module class, on a config class or in the module, and
        classmethods of a config class that take no arguments and return its type."""
        found: list[tuple[str, Callable[[], Any], Optional[type]]] = []
        seen: set[int] = set()

        def add(label: str, function: Any, expected: Optional[type]) -> None:
            if callable(function) and id(function) not in seen and _callable_without_arguments(function):
                seen.add(id(function))
                found.append((label, function, expected))

        for holder in (owner, *config_classes):
            for factory in _FACTORY_NAMES:
                raw = _static_lookup(holder, factory)
                if isinstance(raw, (staticmethod, classmethod)):
                    add(f"{holder.__name__}.{factory}()", getattr(holder, factory), None if holder is owner else holder)
        for factory in _FACTORY_NAMES:
            function = self.globals.get(factory)
            if inspect.isfunction(function):
                add(f"{factory}()", function, None)
        for cls in config_classes:
            for key, raw in vars(cls).items():
                if key.startswith("_") or not isinstance(raw, (staticmethod, classmethod)):
                    continue
                if _returns(raw.__func__, cls):
                    add(f"{cls.__name__}.{key}()", getattr(cls, key), cls)
        return found

    def _from_factories(self, owner: type, classes: list, name: str) -> list[tuple[str, Any]]:
        made = []
        for label, function, expected in self._factories(owner, classes):
            try:
                value = function()
            except Exception:  # the author's factory needs something we do not have
                continue
            if value is None or isinstance(value, (self.nn.Module, type, int, float, str, bool)):
                continue
            if expected is not None and not isinstance(value, expected):
                continue
            made.append((label, value))
        return made

    def _config_among(self, classes: list, preferred: Any, owner: type, name: str, scheme: int,
                      namespace: bool = False) -> Any:
        """The construction paths for a config, in the order the author's intent is clearest:
        a config factory the author wrote; a config class built with its own defaults
        (dataclass, attrs and pydantic required fields made up from their names), or one of
        its sub-configs (``text_config``, ``vision_config``, ...), the preferred class first,
        then best name match with the owner; for an unannotated ``args``/``config``, a
        namespace filled from attribute reads. Each scheme takes the next candidate."""
        candidates: list[tuple[tuple, Any, str]] = []
        problem = "no config class annotated or found in the module"
        config_classes = [c for c in classes if isinstance(c, type)]
        for label, value in self._from_factories(owner, config_classes, name):
            # the Module's own factory (or the module's) first; a config class's with that class
            made_for = next((c for c in config_classes if isinstance(value, c) and label.startswith(c.__name__ + ".")),
                            None)
            if made_for is None:
                key = (-1, len(candidates), 0)
            else:
                rank = config_classes.index(made_for)
                key = (0 if rank == 0 and made_for is preferred else 1,
                       -_common_prefix(made_for.__name__, owner.__name__), -1)
            candidates.append((key, value, f"`{name}`: the config factory {label}"))
            self._made_by[id(value)] = (value, label)
        for rank, cls in enumerate(classes):
            try:
                instance, filled_required = self._record_instance(cls, name, scheme, owner)
            except CannotSynthesise as error:
                problem = str(error)
                continue
            kind = _record_kind(cls)
            # a template's Module, the generated config: say where it came from
            home = f" (from {cls.__module__.rpartition('.')[2]}.py)" if generated_twin_of_template(owner, cls) else ""
            path = f"`{name}`: {kind} `{cls.__name__}`{home} with its defaults" + (
                f" ({', '.join(filled_required[:3])} made up)" if filled_required else "")
            if filled_required:
                self._made_by[id(instance)] = (instance, f"{cls.__name__}({', '.join(filled_required[:3])})")
            first = 0 if rank == 0 and cls is preferred else 1
            score = -_common_prefix(cls.__name__, owner.__name__)
            candidates.append(((first, score, 0), instance, path))
            for attribute, value in fields_of(instance).items():
                if attribute.endswith("_config") and re.search(r"Config$", type(value).__name__):
                    candidates.append(((1, -_common_prefix(type(value).__name__, owner.__name__), 1), value,
                                       f"`{name}`: the `{attribute}` part of `{cls.__name__}`"))
            filled = _sizes_filled(instance, scheme)
            if filled is not None:  # defaults left unset (`vocab_size=None`): tried last
                candidates.append(((2, score, 2), filled[0], f"`{name}`: `{cls.__name__}` with unset sizes made up"))
                self._filled[id(filled[0])] = filled
        if namespace:
            # before config classes that have nothing to do with this Module (no factory of
            # its own, not its `config_class`, no common name prefix), after the others
            related = any(key[0] <= 0 or key[1] < 0 for key, _, _ in candidates)
            value = FilledNamespace()
            self._made_by[id(value)] = (value, "Namespace(<filled from attribute reads>)")
            candidates.append(((3, 0, 0) if related else (-1, 0, 1), value,
                               f"`{name}`: a namespace filled from attribute reads"))
        if not candidates:
            raise CannotSynthesise(f"`{name}`: {problem}" if not problem.startswith("`") else problem)
        candidates.sort(key=lambda item: item[0])
        _, value, path = candidates[min(scheme, len(candidates) - 1)]
        self._paths.append(path)
        return value

    def _record_instance(self, cls: type, name: str, scheme: int, owner: type) -> tuple[Any, list[str]]:
        """``cls()``; for a dataclass, attrs or pydantic config with required fields, those
        fields made up from their names and annotations (shown as made up)."""
        try:
            return cls(), []
        except Exception as error:
            if not _is_record_class(cls):
                raise CannotSynthesise(f"`{name}`: {cls.__name__}() needs arguments "
                                       f"({type(error).__name__}: {_first_line(error)})") from None
            first = error
        try:
            signature = inspect.signature(cls)
            hints = typing.get_type_hints(cls)
        except Exception:
            hints = {}
        kwargs, shown = {}, []
        try:
            for parameter in signature.parameters.values():
                if parameter.default is not parameter.empty or parameter.kind in (parameter.VAR_POSITIONAL,
                                                                                   parameter.VAR_KEYWORD):
                    continue
                kwargs[parameter.name] = self.value(parameter.name, hints.get(parameter.name, parameter.annotation),
                                                    scheme, owner)
                shown.append(f"{parameter.name}={_short(kwargs[parameter.name])}")
            return cls(**kwargs), shown
        except Exception as error:
            raise CannotSynthesise(f"`{name}`: {cls.__name__}() needs arguments "
                                   f"({type(first).__name__}: {_first_line(first)}; made up: "
                                   f"{type(error).__name__}: {_first_line(error)})") from None


def field_value(name: str, size: int = 64) -> Any:
    """A value for a config field nobody set, made up from its name; None when the name
    does not tell (``interpolate_mode``, ``layer_types``, a sub-config)."""
    kind = _name_rule(name)
    n = name.lower()
    if re.search(r"(^|_)(act|activation|hidden_act|nonlinearity)$", n):
        return "gelu"
    if kind in ("config", "callable") or re.search(
            r"(_mode|_type|_types|_method|_name|_implementation|_style|_kind|_fn|_cls|_map|_dict|_mapping)$", n):
        return None
    if kind == "float":
        return _float_for(name, 0)
    if kind == "bool":
        return False  # a feature nobody switched on
    if kind in (None, "channels_in"):
        return size
    return _int_for(kind, 0)


def is_config_name(name: str) -> bool:
    return _name_rule(name) == "config"


def is_layer_factory_name(name: str) -> bool:
    """``norm_layer``, ``act_layer``, ``block_cls``: a class or factory called to make a layer."""
    return _name_rule(name) == "callable"


def is_spatial_name(name: str) -> bool:
    """Sizes that come as (height, width) pairs: resolution, image/patch/window size, kernel..."""
    return bool(re.search(r"(resolution|size|shape|grid|kernel|stride|dilation|padding)s?$", name.lower()))


def _may_be_int(annotation: Any) -> bool:
    if annotation in (inspect.Parameter.empty, Any, int):
        return True
    return int in typing.get_args(annotation)


def fields_of(instance: Any) -> dict[str, Any]:
    """An object's fields (a dict's items): a config's values."""
    if isinstance(instance, dict):
        return instance
    try:
        return dict(vars(instance))
    except TypeError:  # __slots__
        return {}


def _sizes_filled(config: Any, scheme: int) -> Optional[tuple[Any, str]]:
    """A copy of ``config`` whose size-like fields left at None (``vocab_size``,
    ``intermediate_size``, ``num_layers``) hold synthesised ints, and how to show it;
    None if it has no such field."""
    unset = [name for name, value in fields_of(config).items()
             if value is None and not name.startswith("_") and is_size_name(name)]
    if not unset:
        return None
    try:
        filled = copy.copy(config)
        for name in unset:
            setattr(filled, name, _int_for(_name_rule(name), scheme, 1))
    except Exception:  # frozen or validating configs: leave them be
        return None
    shown = ", ".join(f"{name}={getattr(filled, name)}" for name in unset[:3]) + (", ..." if len(unset) > 3 else "")
    return filled, f"{type(config).__name__}({shown})"


def is_width_name(name: str) -> bool:
    """A width (``dim``, ``hidden_size``, ``in_chs``, ``out_channels``), not a count, kernel or stride."""
    return _name_rule(name) in (None, "channels_in") and is_size_name(name)


def is_size_name(name: str) -> bool:
    kind = _name_rule(name)
    if kind in ("float", "bool", "config", "callable", "index"):
        return False
    return kind is not None or bool(re.search(r"(size|dim|channels|chs|features|width|hidden|units)", name.lower()))


def _is_record_class(cls: type) -> bool:
    """A dataclass, attrs or pydantic class: its fields are its constructor's parameters."""
    return isinstance(cls, type) and (dataclasses.is_dataclass(cls) or hasattr(cls, "__attrs_attrs__")
                                      or hasattr(cls, "model_fields") or hasattr(cls, "__fields__"))


def _record_kind(cls: type) -> str:
    if dataclasses.is_dataclass(cls):
        return "dataclass"
    if hasattr(cls, "__attrs_attrs__"):
        return "attrs class"
    if hasattr(cls, "model_fields") or hasattr(cls, "__fields__"):
        return "pydantic model"
    return "config"


def _static_lookup(holder: type, name: str) -> Any:
    for klass in getattr(holder, "__mro__", (holder,)):
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _callable_without_arguments(function: Any) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in signature.parameters.values())


def _returns(function: Any, cls: type) -> bool:
    """Is ``function`` annotated to return ``cls`` (by the class, its name, or ``Self``)?"""
    annotation = getattr(function, "__annotations__", {}).get("return")
    if annotation is None:
        return False
    if annotation is cls:
        return True
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    return text.strip("'\"").split(".")[-1] in (cls.__name__, "Self")


# Among several factories of one class (timm's `resnet18`, `resnet50`, ... all `-> ResNet`),
# the small presets first: fewer layers to build.
_SMALL_PRESET = re.compile(r"(tiny|nano|pico|femto|atto|micro|mini|small|xxs|xs|_s$|_t$|18|_050)", re.I)
MODULE_FACTORIES = 2  # how many of a class's factories are tried


def module_factories(cls: type, module_globals: dict[str, Any]) -> list[tuple[str, Callable[[], Any]]]:
    """Functions of the class's own module that the author wrote to build it: annotated
    to return the class (``def resnet18(pretrained=False, **kwargs) -> ResNet``) and
    callable without arguments; small presets first, then in the file's order."""
    found = []
    for order, (name, function) in enumerate(module_globals.items()):
        if not inspect.isfunction(function) or name.startswith("_") \
                or getattr(function, "__module__", None) != cls.__module__:
            continue
        if _returns(function, cls) and _callable_without_arguments(function):
            found.append((not _SMALL_PRESET.search(name), order, name, function))
    found.sort(key=lambda item: item[:2])
    return [(f"{name}()", function) for _, _, name, function in found[:MODULE_FACTORIES]]


def generated_twin(cls: type) -> Optional[type]:
    """For a config class of a transformers modular template (``models/x/modular_x.py``,
    which the library's converter expands into ``modeling_x.py`` and ``configuration_x.py``;
    a template's ``__post_init__`` may call its base's unbound, ``Base.__post_init__(**kwargs)``,
    and cannot run as written): the class of the same name in the generated
    ``configuration_x.py`` next to it, when that module is importable; else None."""
    module = getattr(cls, "__module__", "") or ""
    package, _, stem = module.rpartition(".")
    if not stem.startswith("modular_") or not package:
        return None
    sibling = sys.modules.get(f"{package}.configuration_{stem[len('modular_'):]}")
    if sibling is None:
        try:
            sibling = importlib.import_module(f"{package}.configuration_{stem[len('modular_'):]}")
        except Exception:  # no generated file, or it fails to import
            return None
    twin = getattr(sibling, cls.__name__, None)
    return twin if isinstance(twin, type) and twin is not cls else None


def generated_twin_of_template(owner: type, cls: type) -> bool:
    """Is ``cls`` a generated config class standing in for the template's one (``owner``
    being a Module of a transformers modular template)?"""
    stem = owner.__module__.rpartition(".")[2]
    return stem.startswith("modular_") and cls.__module__.endswith(".configuration_" + stem[len("modular_"):])


def _forwarded_to(cls: type, signature: inspect.Signature) -> Optional[tuple[Any, inspect.Signature]]:
    """For a class whose constructor takes only ``*args, **kwargs`` (a variant that passes
    them on, ``super().__init__(*args, **kwargs)``): the first base constructor with named
    parameters, and its signature without ``self``."""
    if not signature.parameters or any(p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                                       for p in signature.parameters.values()):
        return None
    for base in cls.__mro__[1:]:
        init = base.__dict__.get("__init__")
        if init is None or not inspect.isfunction(init):
            continue
        try:
            base_signature = inspect.signature(init)
        except (TypeError, ValueError):
            return None
        parameters = list(base_signature.parameters.values())[1:]
        if all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters):
            continue  # forwards too: look further up
        return init, base_signature.replace(parameters=parameters)
    return None


@functools.lru_cache(maxsize=1024)
def compared_strings(cls: type, name: str) -> tuple[str, ...]:
    """The strings a constructor compares its parameter ``name`` with (``forward == "slicing"``,
    ``mode in ("sum", "mean")``): the values it accepts, when nothing else tells them."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls.__init__)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return ()
    found: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == name):
            continue
        for operator, other in zip(node.ops, node.comparators):
            if isinstance(operator, (ast.Eq, ast.NotEq)):
                items = [other]
            elif isinstance(operator, (ast.In, ast.NotIn)) and isinstance(other, (ast.Tuple, ast.List, ast.Set)):
                items = other.elts
            else:
                continue
            found += [item.value for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)]
    return tuple(dict.fromkeys(found))


def _default_instance(cls: type, name: str) -> Any:
    try:
        return cls()
    except Exception as error:
        raise CannotSynthesise(
            f"`{name}`: {cls.__name__}() needs arguments ({type(error).__name__}: {_first_line(error)})"
        ) from None


def _common_prefix(a: str, b: str) -> int:
    size = 0
    for x, y in zip(a, b):
        if x != y:
            break
        size += 1
    return size


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else ""


def _short(value: Any) -> str:
    if isinstance(value, type):
        return value.__name__
    text = repr(value) if isinstance(value, (int, float, bool, str, tuple, list, type(None))) else type(value).__name__ + "()"
    return text if len(text) <= 40 else text[:37] + "..."
