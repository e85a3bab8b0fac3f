"""The text of runtime findings and verdicts (no torch needed: the parent renders them)."""

from __future__ import annotations

from typing import Optional


def unregistered_tensor(name: str, shape: tuple, alias_of: Optional[str]) -> tuple[str, str]:
    alias = f" (the same tensor as the registered `{alias_of}`, which `.to()` replaces and this does not)" \
        if alias_of else ""
    return (
        f"`self.{name}` holds a plain tensor of shape {_shape(shape)}{alias} that torch did not register: it is "
        "missing from `parameters()` and `state_dict()`, is never trained or saved, and is not moved by "
        "`.to(device)`",
        f'Register it: `self.register_buffer("{name}", ...)`, or wrap it in `nn.Parameter(...)` if it should '
        "be learned",
    )


def requires_grad_tensor(name: str) -> tuple[str, str]:
    return (
        f"`self.{name}` is a plain tensor with `requires_grad=True`, not a Parameter: the optimizer built from "
        "`model.parameters()` never updates it, and torch did not register it either, so it is missing from "
        "`state_dict()` and not moved by `.to(device)`",
        "Make it `nn.Parameter(...)` (it requires grad by default)",
    )


def modules_in_container(name: str, container: str, count: int) -> tuple[str, str]:
    wrapper = "nn.ModuleDict" if container == "dict" else "nn.ModuleList"
    return (
        f"`self.{name}` keeps {count} submodule{'s' if count != 1 else ''} with parameters or buffers in a plain "
        f"{container} that torch did not register: they are invisible to `parameters()`, the optimizer, "
        "`state_dict()` and `.to(device)`",
        f"Use `{wrapper}(...)` instead of a plain {container}",
    )


def parameters_in_container(name: str, container: str, count: int) -> tuple[str, str]:
    wrapper = "nn.ParameterDict" if container == "dict" else "nn.ParameterList"
    return (
        f"`self.{name}` keeps {count} Parameter{'s' if count != 1 else ''} in a plain {container} that torch did "
        "not register: they are missing from `parameters()` and `state_dict()`, so the optimizer never updates them",
        f"Use `{wrapper}(...)` instead of a plain {container}",
    )


def requires_grad_typo(typo: str, tensor: str) -> tuple[str, str]:
    return (
        f"`{tensor}.{typo}` was set: a new Python attribute of the tensor, not `requires_grad`; the tensor's "
        "`requires_grad` did not change",
        f"Write `requires_grad` instead of `{typo}`",
    )


def shape_mismatch(path: str, layer: str, actual: tuple, expected: tuple) -> tuple[str, str]:
    return (
        f"`{path}` has shape {_shape(actual)} but `{layer}` expects {_shape(expected)}: the forward pass fails "
        "with a shape error, or silently computes with the wrong weights",
        f"Give the Parameter the layer's shape {_shape(expected)}",
    )


def construction_error(code: str, message: str) -> tuple[str, str]:
    """A runtime-only finding from an error torch raised while building the model."""
    helps = {
        "TL002": "Move the `super().__init__()` call above it",
        "TL003": "Call `super().__init__()` as the first statement of `__init__`",
        "TL006": "Wrap the in-place initialisation in `with torch.no_grad():` or use `nn.init.*`",
        "TL010": "Register the name once, under a valid name, with a value of the right type",
    }
    return f"Building the model raised `{message}`", helps.get(code, "")


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
