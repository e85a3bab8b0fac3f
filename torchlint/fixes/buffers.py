"""How to register a tensor attribute, written so that following the advice works where
it is given.

Three things decide the spelling:
- the buffer style: ``self.register_buffer("x", t)`` or ``self.x = nn.Buffer(t)``
  (torch >= 2.5). ``buffer-style`` in ``[tool.torchlint]`` sets it; unset, the form the
  file already uses; a file using neither gets ``nn.Buffer`` when the project needs
  torch >= 2.5 (``torch-version``) and ``register_buffer`` otherwise;
- name mangling: inside ``class C``, ``self.__x`` is the attribute ``_C__x``, so
  ``register_buffer("__x", t)`` stores a name that ``self.__x`` never reads; the
  advice uses the mangled name (or ``nn.Buffer``, to which mangling applies);
- order: before ``super().__init__()`` torch refuses every registration
  (``cannot assign buffer before Module.__init__() call``), so the advice there is to
  register after the super call.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from torchlint.config import BUFFER_STYLES

if TYPE_CHECKING:  # pragma: no cover
    from torchlint.analysis.context import ClassInfo, FileContext

REGISTER_BUFFER, NN_BUFFER = BUFFER_STYLES
_REGISTER_CALLS = re.compile(r"\.\s*register_buffer\s*\(")
_BUFFER_CALLS = re.compile(r"(?<![\w.])(?:torch\.)?nn\.Buffer\s*\(|(?<![\w.])Buffer\s*\(")


def buffer_style(ctx: "FileContext") -> str:
    """``register_buffer`` or ``nn.Buffer``: the setting, else the file's own habit, else
    what the project's torch allows."""
    settings = ctx.settings
    chosen = getattr(settings, "buffer_style", None)
    if chosen in BUFFER_STYLES:
        return chosen
    calls = len(_REGISTER_CALLS.findall(ctx.source))
    wrappers = len(_BUFFER_CALLS.findall(ctx.source)) if "Buffer" in ctx.source else 0
    if wrappers > calls:
        return NN_BUFFER
    if calls > wrappers:
        return REGISTER_BUFFER
    version = getattr(settings, "torch_version", None)
    return NN_BUFFER if version is not None and version >= (2, 5) else REGISTER_BUFFER


def mangled_name(class_name: str, name: str) -> Optional[str]:
    """The name Python stores ``self.<name>`` under inside ``class <class_name>``, when it
    differs from ``name`` (``__x`` -> ``_C__x``)."""
    if not name.startswith("__") or name.endswith("__"):
        return None
    stripped = class_name.lstrip("_")
    return f"_{stripped}{name}" if stripped else None


def stored_name(info: "ClassInfo", name: str) -> str:
    """The attribute name torch sees for ``self.<name>`` written in ``info``'s class."""
    return mangled_name(info.name, name) or name


def runs_before_super(info: "ClassInfo", event) -> bool:
    """Does this construction event run before ``nn.Module.__init__`` (where torch
    refuses registrations)? A metaclass that initialises the Module makes it unknowable."""
    return bool(event.before_super) and not info.custom_metaclass


BEFORE_SUPER = ("this line runs before `super().__init__()`, where torch raises `AttributeError: cannot assign "
                "{what} before Module.__init__() call`: keep the value in a local until then and, after "
                "`super().__init__()`, {action}")


def buffer_spelling(ctx: "FileContext", info: "ClassInfo", name: str) -> str:
    """How to register ``self.<name>`` as a buffer, e.g. ``self.register_buffer("x", ...)``."""
    mangled = mangled_name(info.name, name)
    if buffer_style(ctx) == NN_BUFFER:
        return f"`self.{name} = nn.Buffer(...)`"
    if mangled:
        return (f'`self.register_buffer("{mangled}", ...)` (the mangled name that `self.{name}` reads inside '
                f"`{info.name}`) or `self.{name} = nn.Buffer(...)` (torch >= 2.5)")
    return f'`self.register_buffer("{name}", ...)`'


def register_buffer_help(ctx: "FileContext", info: "ClassInfo", event) -> str:
    """The help of a plain-tensor finding (TL001)."""
    spelling = buffer_spelling(ctx, info, event.name)
    return after_super(
        info, event, "buffer", f"register it: {spelling}, or wrap it in `nn.Parameter(...)` if it should be learned",
        f"Register it: {spelling}, or wrap it in `nn.Parameter(...)` if it should be learned")


def after_super(info: "ClassInfo", event, what: str, action: str, advice: str) -> str:
    """``advice``, or, on a line before ``super().__init__()``, the same told to happen after it."""
    if not runs_before_super(info, event):
        return advice
    text = BEFORE_SUPER.format(what=what, action=action)
    return text[0].upper() + text[1:]
