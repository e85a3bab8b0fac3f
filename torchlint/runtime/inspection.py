"""What torch registered versus what sits in a built instance.

For every submodule whose class is defined in a linted file this gives the facts the
verdicts need (per attribute: registered parameter/buffer/module, plain tensor, plain
container of modules or parameters, ``None``, another value) and the runtime
findings: unregistered tensors (TL001, TL004 when they require grad), plain
containers of unregistered stateful modules (TL007) or Parameters (TL008),
misspelt ``requires_grad`` attributes on tensors (TL005), and standard layers whose
weight does not fit their configuration (TL101). Everything here is device-blind:
the meta and CPU builds give the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch
from torch import nn

from torchlint.analysis.spelling import is_requires_grad_typo
from torchlint.runtime import layers, messages
from torchlint.runtime.instantiate import class_file, realpath
from torchlint.runtime.verdicts import merge_facts

_MODULE_INTERNALS = frozenset(nn.Module().__dict__)
_CONTAINERS = (list, tuple, dict, set, frozenset)
_MAX_ITEMS = 10_000


@dataclass
class Inspection:
    facts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (file, qualname) -> facts
    findings: list[dict[str, Any]] = field(default_factory=list)


def inspect_model(root: nn.Module, owned: Callable[[str], bool], where=None, typo_where=None) -> Inspection:
    """``where``: instance -> {attribute: (file, line)} recorded while building, if any;
    ``typo_where``: (tensor, attribute) -> (file, line) where a misspelt ``requires_grad``
    was set on a tensor while building, if recorded."""
    result = Inspection()
    names_by_id: dict[int, str] = {}
    for name, tensor in root.named_parameters(remove_duplicate=False):
        names_by_id.setdefault(id(tensor), name)
    for name, tensor in root.named_buffers(remove_duplicate=False):
        names_by_id.setdefault(id(tensor), name)
    module_ids = {id(m) for m in root.modules()}
    modules = list(root.named_modules())
    path_of = {id(m): prefix for prefix, m in modules}
    by_path = {prefix: m for prefix, m in modules}
    seen_typos: set[int] = set()

    for prefix, module in modules:
        cls = type(module)
        filename = class_file(cls)
        owner = _owned_ancestor(prefix, by_path, owned)
        _layer_findings(module, prefix, owner, where, owned, result)
        if filename is None or not owned(filename):
            continue
        key = (filename, cls.__qualname__)
        facts = _class_facts(module, names_by_id, module_ids)
        result.facts[key] = merge_facts(result.facts.get(key), facts)
        recorded = _recorded(where, module)
        for attribute, fact in facts["attrs"].items():
            for code, (message, help) in _attribute_findings(attribute, fact, facts):
                result.findings.append(_finding(code, filename, recorded.get(attribute), owned, cls.__qualname__,
                                                attribute, message, help))
        for typo, tensor_path, tensor in _typos(module, prefix, path_of, by_path, owned, seen_typos):
            value = tensor.__dict__.get(typo)
            fact = {"tensor": tensor_path, "value": repr(value)[:40], "requires_grad": bool(tensor.requires_grad),
                    "unchanged": not isinstance(value, bool) or bool(tensor.requires_grad) != value}
            result.facts[key]["typos"].setdefault(typo, fact)
            if not fact["unchanged"]:
                continue  # `requires_grad` already holds what the misspelt name asked for: harmless here
            message, help = messages.requires_grad_typo(typo, tensor_path)
            set_at = typo_where(tensor, typo) if typo_where is not None else None
            result.findings.append(_finding("TL005", filename, set_at, owned, cls.__qualname__, typo, message, help))
    return result


def _finding(code, filename, recorded, owned, qualname, attribute, message, help) -> dict[str, Any]:
    file, line = filename, None
    if recorded is not None and owned(recorded[0]):
        file, line = recorded
    return {"code": code, "file": file, "line": line, "qualname": qualname, "attribute": attribute,
            "message": message, "help": help, "class_file": filename}


def _recorded(where, module: nn.Module) -> dict[str, tuple[str, int]]:
    if where is None:
        return {}
    try:
        return where.get(module, {})
    except TypeError:
        return {}


def _owned_ancestor(prefix: str, by_path: dict[str, nn.Module], owned) -> Optional[tuple[str, nn.Module]]:
    """The nearest enclosing module (itself excluded) whose class is defined in a linted file."""
    parts = prefix.split(".") if prefix else []
    while parts:
        parts.pop()
        candidate = by_path.get(".".join(parts))
        filename = class_file(type(candidate)) if candidate is not None else None
        if filename and owned(filename):
            return ".".join(parts), candidate
    return None


# -- facts ------------------------------------------------------------------------------

def _class_facts(module: nn.Module, names_by_id: dict[int, str], module_ids: set[int]) -> dict[str, Any]:
    attrs: dict[str, dict[str, Any]] = {}
    for slot, kind in ((module._parameters, "parameter"), (module._buffers, "buffer"), (module._modules, "module")):
        for name, value in slot.items():
            attrs[name] = {"kind": kind if value is not None else "registered_none"}
            if value is not None and kind != "module":
                attrs[name]["shape"] = tuple(value.shape)
    for name, value in vars(module).items():
        if name in _MODULE_INTERNALS or name in attrs:
            continue
        attrs[name] = _value_fact(value, names_by_id, module_ids)
    cls = type(module)
    return {
        "attrs": attrs,
        "typos": {},
        "moves_by_hand": cls._apply is not nn.Module._apply or cls.__setattr__ is not nn.Module.__setattr__,
    }


def _value_fact(value: Any, names_by_id: dict[int, str], module_ids: set[int]) -> dict[str, Any]:
    if value is None:
        return {"kind": "none"}
    if isinstance(value, torch.Tensor):
        return {"kind": "tensor", "shape": tuple(value.shape), "requires_grad": bool(value.requires_grad),
                "parameter": isinstance(value, nn.Parameter), "alias_of": names_by_id.get(id(value))}
    if isinstance(value, _CONTAINERS):
        counts = {"unregistered_modules": 0, "stateless_modules": 0, "registered_modules": 0,
                  "unregistered_parameters": 0, "registered_parameters": 0}
        for leaf in _leaves(value):
            if isinstance(leaf, nn.Module):
                if id(leaf) in module_ids:
                    counts["registered_modules"] += 1
                elif not _has_state(leaf):
                    counts["stateless_modules"] += 1
                elif _state_missing(leaf, names_by_id):  # TL007's fact: state missing from the model's
                    counts["unregistered_modules"] += 1
                else:  # every tensor it holds is registered through another path (shared weights)
                    counts["registered_modules"] += 1
            elif isinstance(leaf, nn.Parameter):
                counts["registered_parameters" if id(leaf) in names_by_id else "unregistered_parameters"] += 1
        return {"kind": "container", "container": _container_name(value), "size": len(value), **counts}
    return {"kind": "value", "type": type(value).__name__}


def _leaves(value: Any, depth: int = 0):
    """Modules and Parameters inside nested plain containers (bounded)."""
    stack = [(value, depth)]
    count = 0
    while stack and count < _MAX_ITEMS:
        item, level = stack.pop()
        count += 1
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, _CONTAINERS):
            children = list(item)
        else:
            yield item
            continue
        if level < 3:
            stack.extend((child, level + 1) for child in children)


def _state_missing(module: nn.Module, names_by_id: dict[int, str]) -> bool:
    """Does the module hold a parameter or buffer that the root's ``named_parameters()`` /
    ``named_buffers()`` do not reach?"""
    return any(id(t) not in names_by_id for t in (*module.parameters(), *module.buffers()))


def _has_state(module: nn.Module) -> bool:
    return any(True for _ in module.parameters()) or any(True for _ in module.buffers())


def _container_name(value: Any) -> str:
    return {dict: "dict", tuple: "tuple", set: "set", frozenset: "set"}.get(type(value), "list") \
        if type(value) in (list, tuple, dict, set, frozenset) else type(value).__name__


# -- findings ---------------------------------------------------------------------------

def _attribute_findings(attribute: str, fact: dict[str, Any], facts: dict[str, Any]):
    if fact["kind"] == "tensor" and not fact["parameter"]:
        if facts["moves_by_hand"]:
            return  # the class moves its own tensors (an `_apply` or `__setattr__` override)
        if fact["requires_grad"]:  # one defect, one finding: the more specific code names both consequences
            yield "TL004", messages.requires_grad_tensor(attribute)
        else:
            yield "TL001", messages.unregistered_tensor(attribute, fact["shape"], fact["alias_of"])
    elif fact["kind"] == "container":
        if fact["unregistered_modules"]:
            yield "TL007", messages.modules_in_container(attribute, fact["container"], fact["unregistered_modules"])
        if fact["unregistered_parameters"]:
            yield "TL008", messages.parameters_in_container(attribute, fact["container"],
                                                            fact["unregistered_parameters"])


def _typos(module, prefix, path_of, by_path, owned, seen: set[int]):
    """Misspelt ``requires_grad`` attributes on the tensors this module holds directly."""
    tensors = [(n, t) for n, t in (*module._parameters.items(), *module._buffers.items()) if t is not None]
    tensors += [(n, v) for n, v in vars(module).items() if isinstance(v, torch.Tensor)]
    for child_name, child in module._modules.items():  # torch layers' weights, set from this module
        if child is None:
            continue
        filename = class_file(type(child))
        if filename is not None and owned(filename):
            continue
        tensors += [(f"{child_name}.{n}", t) for n, t in child._parameters.items() if t is not None]
    for name, tensor in tensors:
        if id(tensor) in seen or not getattr(tensor, "__dict__", None):
            continue
        for attribute in list(tensor.__dict__):
            if is_requires_grad_typo(attribute):
                seen.add(id(tensor))
                yield attribute, f"self.{name}", tensor


def _layer_findings(layer, prefix, owner, where, owned, result: Inspection) -> None:
    found = layers.mismatches(layer)
    if not found:
        return
    if not getattr(type(layer).forward, "__module__", "").startswith("torch."):
        return  # a subclass with its own forward may shape its weights its own way
    recorded = _recorded(where, layer)
    for name, actual, expected in found:
        location = recorded.get(name)
        if where is not None and (location is None or not owned(location[0])):
            continue  # replaced by library code (weight tying), not by the linted code
        if where is None and owner is None:
            continue  # check_model(): no recorded lines, and no class of the user's to point at
        owner_prefix, owner_module = owner if owner is not None else ("", None)
        relative = prefix[len(owner_prefix) + 1:] if owner_prefix else prefix
        owner_file = class_file(type(owner_module)) if owner_module is not None else location[0]
        qualname = type(owner_module).__qualname__ if owner_module is not None else None
        dotted = f"{relative}.{name}" if relative else name
        message, help = messages.shape_mismatch(f"self.{dotted}", layers.describe(layer), actual, expected)
        result.findings.append(_finding("TL101", owner_file, location, owned, qualname, dotted, message, help))


__all__ = ["Inspection", "inspect_model", "is_requires_grad_typo", "realpath"]
