"""TL001 on a line before `super().__init__()` that cannot move below it (code in between
reads the attribute): the line stays, and right after the super call the plain attribute
it set is taken over by a registration (`n = self.n`, `del self.n`, then the registration:
torch refuses to register a name the instance already holds). Golden before/after,
idempotent, refusals, and torch builds the fixed model."""

from __future__ import annotations

import ast

import pytest

from conftest import lint_source
from test_fixes import NN_ALIASES, dedent, fixed, namespace_of

MODEL = """\
    import torch
    {imports}

    class Structured({nn}.Module):
        def __init__(self, size, layers):
            self.size = size
            self.n = torch.prod(torch.tensor(size))  # the input length
            self.depth = int(self.n) * layers
            super().__init__()
            self.proj = {nn}.Linear(self.depth, 1)
"""


def source(template: str = MODEL, imports: str = "import torch.nn as nn\n", nn: str = "nn") -> str:
    return dedent(template.format(imports=imports.rstrip("\n"), nn=nn))


def taken_over(before: str, registration: str, super_line: str = "        super().__init__()\n") -> str:
    return before.replace(super_line, super_line + "        n = self.n\n        del self.n\n" + f"        {registration}\n")


@pytest.mark.parametrize("imports,nn", NN_ALIASES)
def test_the_value_is_registered_after_the_super_call(tmp_path, imports, nn):
    before = source(MODEL, imports, nn)
    after = taken_over(before, 'self.register_buffer("n", n, persistent=False)')
    result = fixed(tmp_path, before)
    assert result == after
    ast.parse(result)
    assert fixed(tmp_path, result, unsafe=True) == result
    assert not [d for d in lint_source(result, tmp_path / "again")]


def test_persistent_with_unsafe_fixes_and_the_message(tmp_path):
    before = source()
    found = [d for d in lint_source(before, tmp_path / "lint") if d.code == "TL001"]
    assert len(found) == 1 and found[0].fix.applicability == "safe"
    assert "taking over the plain attribute this line sets" in found[0].fix.message
    assert fixed(tmp_path, before, unsafe=True) == taken_over(before, 'self.register_buffer("n", n)')


def test_a_local_named_like_the_attribute_is_not_shadowed(tmp_path):
    before = source().replace("self.depth = int(self.n) * layers", "n = int(self.n)\n        self.depth = n * layers")
    result = fixed(tmp_path, before)
    assert "        n_ = self.n\n        del self.n\n        self.register_buffer(\"n\", n_, persistent=False)\n" in result


def test_tabs_and_crlf(tmp_path):
    before = source().replace("    ", "\t").replace("\n", "\r\n")
    result = fixed(tmp_path, before, raw=True).decode()
    assert result == before.replace(
        "\t\tsuper().__init__()\r\n",
        '\t\tsuper().__init__()\r\n\t\tn = self.n\r\n\t\tdel self.n\r\n\t\tself.register_buffer("n", n, persistent=False)\r\n')


def test_a_user_base_makes_it_unsafe(tmp_path):
    before = source(MODEL.replace("class Structured({nn}.Module):",
                                  "class Base({nn}.Module):\n        pass\n\n\n    class Structured(Base):"))
    found = [d for d in lint_source(before, tmp_path / "lint") if d.code == "TL001"]
    assert len(found) == 1 and found[0].fix.applicability == "unsafe"
    assert fixed(tmp_path, before) == before


HELPER = MODEL.replace("            self.depth = int(self.n) * layers\n",
                      "            self.depth = self.count(layers)\n") + """
        def count(self, layers):
            return int(self.n) * layers
"""


def test_a_method_called_in_between_is_read_too(tmp_path):
    before = source(HELPER)
    assert "        del self.n\n" in fixed(tmp_path, before)
    deleting = source(HELPER.replace("return int(self.n) * layers", "value = int(self.n) * layers\n"
                                     "            del self.n\n            return value"))
    assert "        del self.n\n        self.register" not in fixed(tmp_path, deleting, unsafe=True)
    inherited = source(MODEL.replace("self.depth = int(self.n) * layers", "self.depth = self.inherited(layers)"))
    assert fixed(tmp_path, inherited, unsafe=True) == inherited


REFUSED = {
    "deleted in between": MODEL.replace("            super().__init__()\n",
                                        "            del self.size\n            super().__init__()\n"),
    "set through setattr in between": MODEL.replace("            super().__init__()\n",
                                                    "            setattr(self, 'k', 1)\n            super().__init__()\n"),
    "in a branch": MODEL.replace("            self.n = torch.prod(torch.tensor(size))  # the input length\n",
                                 "            if size:\n                self.n = torch.prod(torch.tensor(size))\n"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused(tmp_path, name):
    before = source(REFUSED[name])
    assert "del self.n" not in fixed(tmp_path, before, unsafe=True)


@pytest.mark.torch
def test_torch_the_fixed_model_builds_and_registers(tmp_path):
    torch = pytest.importorskip("torch")
    old = namespace_of(source())["Structured"]((2, 3), 2)
    new = namespace_of(fixed(tmp_path, source()))["Structured"]((2, 3), 2)
    assert list(old.state_dict()) == list(new.state_dict()) == ["proj.weight", "proj.bias"]
    assert [name for name, _ in new.named_buffers()] == ["n"] and "n" not in new.__dict__
    assert torch.equal(new.n, old.n) and new.depth == old.depth == 12
    persistent = namespace_of(fixed(tmp_path, source(), unsafe=True))["Structured"]((2, 3), 2)
    assert list(persistent.state_dict()) == ["n", "proj.weight", "proj.bias"]
