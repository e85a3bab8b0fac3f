"""Python's private-name mangling, as torch sees it.

Inside ``class C``, ``self.__x`` is the attribute ``_C__x``; a string passed to
``register_buffer``/``setattr`` is used as written. So ``register_buffer("_C__x", t)``
registers what ``self.__x`` reads, and ``register_buffer("__x", t)`` registers a name that
no ``self.__x`` in the class reaches.
"""

from __future__ import annotations

import unicodedata
from typing import Optional


def identifier(name: str) -> str:
    """An identifier as Python stores it: NFKC-normalised (``self.ﬁlter`` is ``self.filter``),
    unlike a string literal, which ``register_buffer``/``setattr`` use as written."""
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


def mangled_name(class_name: str, name: str) -> Optional[str]:
    """The name Python stores ``self.<name>`` under inside ``class <class_name>``, when it
    differs from ``name`` (``__x`` -> ``_C__x``)."""
    if not name.startswith("__") or name.endswith("__"):
        return None
    stripped = class_name.lstrip("_")
    return f"_{stripped}{name}" if stripped else None


UNREACHABLE = "\0"  # prefix of a registered name no `self.<attr>` of the class can spell


def attribute_key(class_name: str, literal: str) -> str:
    """The key under which construction tracks a name registered as the string
    ``literal``: the way ``self.<attr>`` spells it inside the class (``"_C__x"`` ->
    ``"__x"``), or a key no attribute matches (``"__x"``, which ``self.__x`` never reads)."""
    if mangled_name(class_name, literal):
        return UNREACHABLE + literal
    stripped = class_name.lstrip("_")
    prefix = f"_{stripped}__"
    if stripped and literal.startswith(prefix) and not literal.endswith("__") and len(literal) > len(prefix):
        return "__" + literal[len(prefix):]
    return literal
