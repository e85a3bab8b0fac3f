"""Generated Module code for the fuzzer: program ``index`` of ``seed`` is always the same text.

``program(seed, index)`` writes a file of one to three ``nn.Module`` classes (and the
code around them) that mixes every static rule's patterns, reported and clean forms,
with ordinary code and unusual syntax: 3.12 ``type`` statements and PEP 695 generics,
decorators, nested classes, walrus, ``match``, unicode names, async defs, f-strings,
backslash continuations, semicolons, one-line compound statements, comments, noqa
markers, tab or two-space indentation and CRLF line endings. Only the ``random.Random``
seeded with ``f"{seed}:{index}"`` decides, so a program is reproduced from its two numbers
on any machine and in any worker.
"""

from __future__ import annotations

import random
import re
from typing import Callable

Lines = list[tuple[int, str]]  # (indentation level relative to the block, text)

# A small pool, so that snippets often touch the same attribute (a tensor later
# registered under its name, a list later wrapped, a parameter moved twice...).
ATTRIBUTES = ["w", "pe", "table", "blocks", "heads", "scale", "mask", "bias_", "_cache", "__hidden",
              "λ", "权重", "café", "Ωmega", "layers", "weight", "emb", "ﬁlter"]
LOCALS = ["t", "x", "m", "p", "items", "value", "ε", "β2"]


# A module next to every program (``fuzz_bases.py``): base classes from another file of
# the project, which the cross-file index must follow.
BASES_MODULE = "fuzz_bases"
BASES = """import torch
import torch.nn as nn


class PlainBase(nn.Module):
    pass


class BufferBase(nn.Module):
    def __init__(self, d=4):
        super().__init__()
        self.register_buffer("pe", None)
        self.register_buffer("mask", torch.zeros(1))
        self.table = nn.Parameter(torch.zeros(d))


class ArgsBase(nn.Module):
    def __init__(self, d, *, cfg=None):
        super().__init__()
        self.d = d

    @property
    def scale(self):
        return 1.0


class NotAModule:
    def __init__(self):
        self.w = torch.zeros(1)
"""
BASE_NAMES = ["PlainBase", "BufferBase", "ArgsBase", "NotAModule"]


class Generator:
    def __init__(self, rng: random.Random):
        self.r = rng
        self.nn = "nn"  # how the file names torch.nn
        self.param = "nn.Parameter"
        self.helpers: list[str] = []  # project functions that return a tensor
        self.modules: list[str] = []  # project Module classes defined so far
        self.new_syntax = False  # uses syntax Python 3.11 cannot parse
        self.bases: list[str] = []  # imported from BASES_MODULE

    # -- small pieces -------------------------------------------------------------
    def pick(self, items):
        return self.r.choice(items)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def attr(self) -> str:
        return self.pick(ATTRIBUTES)

    def local(self) -> str:
        return self.pick(LOCALS)

    def size(self) -> str:
        return self.pick(["3", "d", "2, 2", "d, d", "(4,)", "n", "1", "0", "d * 2", "*shape"])

    def tensor(self, depth: int = 0) -> str:
        """An expression that makes a plain tensor."""
        nn = self.nn
        choices = [
            lambda: f"torch.zeros({self.size()})",
            lambda: f"torch.ones({self.size()})",
            lambda: f"torch.randn({self.size()})",
            lambda: "torch.arange(8)",
            lambda: "torch.eye(3)",
            lambda: "torch.linspace(0, 1, 5)",
            lambda: "torch.tensor([1.0, 2.0])",
            lambda: "torch.FloatTensor(3)",
            lambda: "torch.LongTensor([1, 2])",
            lambda: "torch.empty(0)",
            lambda: "torch.Tensor()",
            lambda: "torch.full((2,), 7.0)",
            lambda: "torch.from_numpy(arr)",
            lambda: "torch.zeros(3, dtype=torch.long, device=device)",
            lambda: "torch.polar(torch.ones(2), torch.zeros(2))",
            lambda: f"torch.empty({self.size()}).normal_()",
            lambda: f"{nn}.functional.one_hot(torch.arange(3))",
        ]
        if self.helpers:
            choices.append(lambda: f"{self.pick(self.helpers)}(4)")
        value = self.pick(choices)()
        if depth < 2 and self.chance(0.35):
            value = self.pick([
                lambda: f"{value}.float()",
                lambda: f"{value}.to(device)",
                lambda: f"{value}.cuda()",
                lambda: f"{value}.unsqueeze(0)",
                lambda: f"{value}.view(-1)",
                lambda: f"{value}[None]",
                lambda: f"({value} * 2 + 1)",
                lambda: f"{value}.T",
                lambda: f"({value} if flag else None)",
                lambda: f"{self.tensor(depth + 1)} @ {value}",
                lambda: f"torch.cat([{value}, {self.tensor(depth + 1)}])",
            ])()
        return value

    def module(self) -> str:
        nn = self.nn
        choices = [f"{nn}.Linear(d, d)", f"{nn}.Conv2d(3, 8, 3)", f"{nn}.ReLU()", f"{nn}.LayerNorm(d)",
                   f"{nn}.Embedding(10, d)", f"{nn}.Dropout(0.1)", f"{nn}.BatchNorm1d(d)",
                   f"{nn}.Sequential({nn}.Linear(2, 2), {nn}.GELU())", f"{nn}.Linear(d, d).to(device)",
                   f"{nn}.GRU(d, d, batch_first=True)"]
        choices += [f"{name}(d)" for name in self.modules]
        return self.pick(choices)

    def parameter(self) -> str:
        return self.pick([
            f"{self.param}({self.tensor()})",
            f"{self.param}(torch.randn(d))",
            f"{self.param}(torch.zeros(d), requires_grad=False)",
            f"{self.param}(data=torch.ones(3))",
        ])

    def value(self) -> str:
        """Anything that can be stored."""
        return self.pick([self.tensor, self.module, self.parameter, lambda: "None", lambda: "d", lambda: "'name'",
                          lambda: "[]", lambda: "{}", lambda: "(1, 2)", lambda: "self.w", lambda: "x * 2",
                          lambda: "cfg.get('k', 3)", lambda: "lambda v: v + 1"])()

    def trailing(self, text: str) -> str:
        """Sometimes a comment or a noqa marker after a simple statement."""
        if self.chance(0.05):
            return text + "  # noqa: " + self.pick(["TL001", "TL007", "TL002, TL011", "E501", ""]).rstrip()
        if self.chance(0.05):
            return text + "  # note: " + self.pick(["keep", "ünïcode", "TODO", "'quote"])
        return text

    def simple(self, text: str) -> Lines:
        """One simple statement, sometimes written with a continuation or split over lines."""
        if "=" in text and " = " in text and self.chance(0.08):
            target, value = text.split(" = ", 1)
            return [(0, f"{target} = \\\n        {value}")]
        if text.endswith(")") and "(" in text and self.chance(0.06):
            head, _, rest = text.partition("(")
            return [(0, f"{head}(\n    {rest[:-1]}\n)")] if rest[:-1].strip() else [(0, text)]
        return [(0, self.trailing(text))]

    # -- rule patterns in construction ------------------------------------------
    def construction_snippet(self) -> Lines:
        """A piece of ``__init__``: a rule's pattern (reported or clean) or plain code."""
        nn, n = self.nn, self.attr()
        t = self.local()
        kinds: list[Callable[[], Lines]] = [
            # TL001 and its clean twins
            lambda: self.simple(f"self.{n} = {self.tensor()}"),
            lambda: [(0, f"{t} = {self.tensor()}"), (0, f"self.{n} = {t} * 2")],
            lambda: self.simple(f"self.register_buffer({n!r}, {self.tensor()})"),
            lambda: self.simple(f"self.register_buffer({n!r}, {self.tensor()}, persistent=False)"),
            lambda: self.simple(f"self.{n} = {nn}.Buffer({self.tensor()})"),
            lambda: [(0, f"self.register_buffer({n!r}, None)"), (0, f"self.{n} = {self.tensor()}")],
            lambda: [(0, "if flag:"), (1, f"self.{n} = {self.param}({self.tensor()})"), (0, "else:"),
                     (1, f"self.{n} = {self.tensor()}")],
            # TL002 (before the super call when it is placed later)
            lambda: self.simple(f"self.{n} = {self.module()}"),
            lambda: self.simple(f"self.add_module({n!r}, {self.module()})"),
            lambda: self.simple(f"self.register_parameter({n!r}, {self.parameter()})"),
            # TL004
            lambda: self.simple(f"self.{n} = torch.zeros({self.size()}, requires_grad=True)"),
            lambda: [(0, f"{t} = {self.tensor()}"), (0, f"{t}.requires_grad = True"), (0, f"self.{n} = {t}")],
            lambda: self.simple(f"self.{n} = {self.tensor()}.requires_grad_()"),
            # TL005
            lambda: self.simple(f"self.{n}.{self.pick(['require_grad', 'requires_grads', 'requiresgrad', 'required_grad'])} = False"),
            lambda: [(0, "for p in self.parameters():"), (1, f"p.{self.pick(['require_grad', 'requires_gradient'])} = False")],
            lambda: self.simple(f"self.{n} = torch.zeros(3, require_grad=True)"),
            lambda: self.simple(f"setattr(self.{n}, 'require_grad', False)"),
            # TL006 and clean twins
            lambda: [(0, f"self.{n} = {self.parameter()}"),
                     (0, f"self.{n}.{self.pick(['uniform_()', 'normal_(0, 0.02)', 'zero_()', 'fill_(1.0)', 'copy_(x)'])}")],
            lambda: [(0, f"self.{n} = {nn}.Linear(d, d)"), (0, f"self.{n}.bias.zero_()")],
            lambda: [(0, f"self.{n} = {self.parameter()}"), (0, f"self.{n} += 1")],
            lambda: [(0, f"self.{n} = {self.parameter()}"), (0, f"self.{n}[0] = 1.0")],
            lambda: [(0, f"self.{n} = {self.parameter()}"), (0, "with torch.no_grad():"), (1, f"self.{n}.uniform_()")],
            lambda: [(0, f"self.{n} = {self.parameter()}"), (0, f"{nn}.init.normal_(self.{n}, std=0.02)")],
            lambda: [(0, f"self.{n} = {self.parameter()}"), (0, f"self.{n}.data.fill_(0.5)")],
            # TL007 / TL008
            lambda: self.simple(f"self.{n} = [{self.module()} for _ in range(3)]"),
            lambda: self.simple(f"self.{n} = [{self.module()}, {self.module()}]"),
            lambda: self.simple(f"self.{n} = ({self.module()},)"),
            lambda: self.simple(f"self.{n} = {{'a': {self.module()}, 'b': {self.module()}}}"),
            lambda: self.simple(f"self.{n} = {{f'h{{i}}': {self.module()} for i in range(2)}}"),
            lambda: self.simple(f"self.{n} = {{str(i): {self.module()} for i in range(2)}}"),
            lambda: [(0, f"self.{n} = []"), (0, "for i in range(depth):"), (1, f"self.{n}.append({self.module()})")],
            lambda: [(0, f"self.{n} = []"), (0, f"self.{n} += [{self.module()}]")],
            lambda: [(0, f"self.{n} = []"), (0, f"self.{n}.extend([{self.module()}, {self.module()}])")],
            lambda: [(0, f"self.{n} = []"), (0, f"self.{n}.insert(0, {self.module()})")],
            lambda: [(0, f"self.{n} = []"), (0, f"self.{n} = self.{n} + [{self.module()}]")],
            lambda: [(0, f"self.{n} = {{}}"), (0, "for name in ['a', 'b']:"), (1, f"self.{n}[name] = {self.module()}")],
            lambda: [(0, f"{t} = []"), (0, "for _ in range(2):"), (1, f"{t}.append({self.module()})"),
                     (0, f"self.{n} = {t}")],
            lambda: [(0, f"self.{n} = [{self.module()}]"), (0, f"self.{n} = {nn}.ModuleList(self.{n})")],
            lambda: self.simple(f"self.{n} = {nn}.ModuleList([{self.module()} for _ in range(2)])"),
            lambda: self.simple(f"self.{n} = [{self.parameter()} for _ in range(3)]"),
            lambda: self.simple(f"self.{n} = {{'k': {self.parameter()}}}"),
            lambda: [(0, f"self.{n} = []"), (0, f"self.{n}.append({self.parameter()})")],
            lambda: self.simple(f"self.{n} = {nn}.ParameterList([{self.parameter()}])"),
            lambda: self.simple(f"self.{n} = list(map(lambda v: {self.module()}, range(2)))"),
            lambda: self.simple(f"self.{n} = list(map({nn}.{self.pick(['Linear', 'LayerNorm', 'ReLU'])}, [2, 3]))"),
            lambda: self.simple(f"self.{n} = (lambda *a, **k: [{self.module()}])(1, k=2)"),
            lambda: [(0, f"{t} = lambda v: {self.pick([self.module, self.tensor])()}"), (0, f"self.{n} = [{t}(i) for i in range(2)]")],
            lambda: self.simple(f"self.{n} = [__import__('copy').deepcopy({self.module()}) for _ in range(2)]"),
            # TL010
            lambda: [(0, f"self.{n} = None"), (0, f"self.register_buffer({n!r}, {self.tensor()})")],
            lambda: self.simple(f"self.register_buffer('{n}.sub', {self.tensor()})"),
            lambda: self.simple(f"self.register_buffer({n!r}, [1, 2, 3])"),
            lambda: self.simple(f"self.register_buffer('__{n.strip('_')}', {self.tensor()})"),
            lambda: self.simple(f"self.add_module({n!r}, functools.partial({nn}.Linear, d))"),
            # TL011 and clean twins
            lambda: self.simple(f"self.{n} = {self.parameter()}.{self.pick(['to(device)', 'cuda()', 'half()', 'double()', 'cpu()', 'bfloat16()', 'type(torch.float16)'])}"),
            lambda: [(0, f"self.{n} = {self.parameter()}"), (0, f"self.{n} = self.{n}.{self.pick(['double()', 'to(device)', 'half()'])}")],
            lambda: [(0, f"{t} = {self.parameter()}"), (0, f"self.{n} = {t}.cuda()")],
            lambda: self.simple(f"self.register_parameter({n!r}, {self.param}({self.tensor()}).to(device))"),
            lambda: self.simple(f"self.{n} = {self.param}(({self.tensor()} * 2).to(device))"),
            # other shapes of a store
            lambda: self.simple(f"self.{n}: {self.pick(['torch.Tensor', 'list', 'nn.Parameter', 'Optional[torch.Tensor]'])} = "
                                f"{self.pick([self.tensor, self.module, self.parameter, lambda: f'[{self.module()}]'])()}"),
            lambda: self.simple(f"self.{n} = ({t} := {self.tensor()})"),
            lambda: self.simple(f"self.{n} = self.{self.attr()} = {self.value()}"),
            lambda: self.simple(f"self.{n}, self.{self.attr()} = {self.value()}, {self.value()}"),
            lambda: self.simple(f"setattr(self, {n!r}, {self.value()})"),
            lambda: [(0, f"self.{n} = {self.value()}"), (0, f"del self.{n}")],
            lambda: [(0, f"self.{n} = {self.module()}"), (0, f"self.{n}.weight.requires_grad = False")],
            # calls into the rest of construction
            lambda: self.simple(self.pick(["self._build()", "self.reset_parameters()", "self.apply(self._init)"])),
        ]
        kinds += [self.plain_statement] * 12
        return self.pick(kinds)()

    def construction_piece(self) -> Lines:
        """A construction snippet, sometimes nested in a block, joined by semicolons or
        written as a one-line compound statement."""
        lines = self.construction_snippet()
        if not any(text and not text.startswith("#") for _, text in lines):
            return lines
        simple = all(depth == 0 and _is_simple(text) for depth, text in lines)
        roll = self.r.random()
        if simple and len(lines) > 1 and roll < 0.1:
            return [(0, "; ".join(text for _, text in lines))]
        # (not `if x: name: int = 3`, which Python accepts and libcst 1.9 does not)
        if simple and len(lines) == 1 and roll < 0.16 and not re.match(r"\w+:", lines[0][1]):
            head = self.pick(["if flag:", "for _ in range(1):", "with torch.no_grad():", "while flag:"])
            return [(0, f"{head} {lines[0][1]}")]
        if roll < 0.28:
            head = self.pick([[(0, "if flag:")], [(0, "for i in range(depth):")], [(0, "with contextlib.suppress(Exception):")],
                              [(0, "if d > 1:"), (1, "pass"), (0, "elif flag:")]])
            tail = self.pick([[], [], [(0, "else:"), (1, "pass")]]) if head[-1][1].startswith(("if", "elif", "for")) else []
            return head + [(depth + 1, text) for depth, text in lines] + tail
        if roll < 0.33:
            return [(0, "try:")] + [(depth + 1, text) for depth, text in lines] + [(0, "except Exception:"), (1, "raise")]
        return lines

    # -- ordinary and unusual code -----------------------------------------------
    def plain_statement(self) -> Lines:
        n, t = self.attr(), self.local()
        kinds: list[Callable[[], Lines]] = [
            lambda: self.simple(f"self.{n} = {self.pick(['d', 'd * 4', repr('gelu'), 'cfg', 'None', '0.1', '(1, 2)'])}"),
            lambda: self.simple(f"{t} = {self.value()}"),
            lambda: self.simple(f"{t}: int = 3"),
            lambda: [(0, f"{t}: 'torch.Tensor'")],
            lambda: [(0, f"if ({t} := d // 2) > 1:"), (1, f"self.{n} = {t}")],
            lambda: [(0, f"if d > 2: self.{n} = {self.value()}")],
            lambda: [(0, f"{t} = 1; self.{n} = {self.value()}; pass")],
            lambda: [(0, "match mode:"), (1, "case 'a' | 'b':"), (2, f"self.{n} = {self.value()}"),
                     (1, "case {'k': v, **rest}:"), (2, f"{t} = v"),
                     (1, "case [first, *others] if first:"), (2, "pass"),
                     (1, "case Point(x=0, y=yy):"), (2, f"self.{n} = {self.tensor()}"),
                     (1, "case _:"), (2, "...")],
            lambda: [(0, f"for i, ({t}, other) in enumerate(zip(xs, ys)):"), (1, "if i % 2:"), (2, "continue"),
                     (1, f"self.{n} = {self.value()}"), (0, "else:"), (1, "pass")],
            lambda: [(0, "while depth > 0:"), (1, "depth -= 1"), (1, f"self.{n} = {self.value()}"),
                     (1, "break")],
            lambda: [(0, "try:"), (1, f"self.{n} = {self.value()}"), (0, "except (ValueError, TypeError) as error:"),
                     (1, "raise RuntimeError(f\"bad {error!r:>{width}}\") from error"),
                     (0, "else:"), (1, "pass"), (0, "finally:"), (1, f"{t} = None")],
            lambda: [(0, "try:"), (1, "pass"), (0, "except* OSError:"), (1, f"self.{n} = {self.value()}")],
            lambda: [(0, "with torch.no_grad(), open(path) as handle:"), (1, f"self.{n} = {self.value()}")],
            lambda: self.simple(f"self.{n} = lambda v, *a, k=1, **kw: v * torch.sigmoid(v)"),
            lambda: self.simple("assert d > 0, f\"bad {d=} {'x'!r}\""),
            lambda: [(0, f"{t} = f'{{d:>{{width}}}}' \\"), (1, "    f'{n!s}' 'tail'")],
            lambda: self.simple(f"{t} = [*xs, *ys]; {t}2 = {{**cfg, 'k': 1}}"),
            lambda: self.simple(f"{t} = 0x_ff + 1_000 + 1e-3j.real + 0o7 + 0b1"),
            lambda: self.simple(f"{t} = rb'\\d+' + b'\\x00'"),
            lambda: [(0, f"{t} = '''text"), (0, "  with\tlines"), (0, "'''")],
            lambda: self.simple(f"del {t}" if self.chance(0.1) else f"print({t} if 0 < d <= 3 != 4 else -d, sep='')"),
            lambda: [(0, "global COUNTER")] if self.chance(0.2) else [(0, "COUNTER_LOCAL = 1")],
            lambda: [(0, "k_ = 1"), (0, "def inner(v):"), (1, "nonlocal k_"), (1, "k_ = v"), (1, "return v"),
                     (0, f"self.{n} = inner")],
            lambda: [(0, "@staticmethod"), (0, f"def helper({t}, /, *, k=2):"), (1, f"return {t} * k")],
            lambda: [(0, "class Inner:"), (1, "x: int = 1")],
            lambda: [(0, f"{t} = {{k: v for k, v in cfg.items() if k}} | {{1, 2}} and (x for x in xs)")],
            lambda: [(0, "# a comment"), (0, "")],
            lambda: [(0, f"{t} = (yield)")] if self.chance(0.0) else [(0, "pass")],
        ]
        return self.pick(kinds)()

    def forward_snippet(self) -> Lines:
        nn, t, n = self.nn, self.local(), self.attr()
        kinds: list[Callable[[], Lines]] = [
            lambda: [(0, f"layer = {self.module()}"), (0, "x = layer(x)")],
            lambda: self.simple(f"x = {nn}.Linear(x.shape[-1], 4)(x)"),
            lambda: [(0, f"w = {self.parameter()}"), (0, "x = x @ w")],
            lambda: [(0, f"if self.{n} is None:"), (1, f"self.{n} = {self.module()}")],
            lambda: [(0, "opt = torch.optim.SGD(probe.parameters(), lr=0.1)"), (0, f"probe = {nn}.Linear(2, 2)")],
            lambda: self.simple(f"x = {nn}.ReLU()(x)"),
            lambda: self.simple(f"x = {nn}.functional.gelu(x)"),
            lambda: self.simple(f"self.{n} = x.detach()"),
            lambda: self.simple(f"x = x + self.{n}.to(x.device)"),
            lambda: self.simple(f"x = x * self.{n}"),
            lambda: self.simple("x = x - self.stats"),
            lambda: [(0, f"if ({t} := x.shape[0]) > 1:"), (1, f"x = x[:{t}:2, ...]")],
            lambda: [(0, "match x.dim():"), (1, "case 2:"), (2, "x = x[None]"), (1, "case _:"), (2, "pass")],
            lambda: self.simple(f"{t} = self._helper(x)"),
            lambda: [(0, "for p in self.parameters():"), (1, "p.requires_grads = False")],
            lambda: self.simple("x = torch.where(x > 0, x, torch.zeros_like(x))"),
        ]
        return self.pick(kinds)()

    # -- functions and classes ---------------------------------------------------
    def block(self, lines: Lines, level: int = 1) -> Lines:
        """Lines as a block's body (``pass`` when they hold no statement)."""
        if not any(text and not text.startswith("#") for _, text in lines):
            lines = lines + [(0, "pass")]
        return [(level + depth, text) for depth, text in lines]

    def init_signature(self) -> str:
        return self.pick([
            "self, d=4",
            "self, d: int = 4, depth=2, *args, device=None, **kwargs",
            "self, d=4, /, table: torch.Tensor | None = None",
            "self, d=4, *, cfg=None, flag=False",
            "self, d=4, table: 'torch.Tensor' = torch.zeros(2), encoder: nn.Module = None",
            "self, d=4, *shape, device='cpu'",
        ])

    def super_call(self, cls: str) -> str:
        return self.pick(["super().__init__()"] * 6 + [f"super({cls}, self).__init__()",
                                                       f"{self.nn}.Module.__init__(self)",
                                                       f"super({self.nn}.Module, self).__init__()",
                                                       "super().__init__(**kwargs)"])

    def module_class(self, name: str, base: str, level: int = 0) -> Lines:
        r = self.r
        lines: Lines = []
        for _ in range(r.choice([0, 0, 0, 1, 2])):
            lines.append((level, self.pick(["@register('model')", "@dataclasses.dataclass(eq=False)", "@final",
                                            "@registry.add(name='x',\n    kind=1)", "@torch.jit.interface"])))
        params = ""
        if self.chance(0.03):
            params = self.pick(["[T]", "[T: (int, str)]", "[*Ts, **P]", "[T: torch.Tensor]"])
            self.new_syntax = True
        header = f"class {name}{params}({base}):"
        if self.chance(0.05):
            header = f"class {name}{params}({base}, metaclass=Meta):"
        lines.append((level, header))
        body: Lines = []
        if self.chance(0.3):
            body.append((0, '"""A block.\n\n    Odd ünïcode, a \\"quote\\" and \\\\ backslash.\n    """'))
        if self.chance(0.2):
            body.append((0, self.pick(["dims: int = 3", "__constants__ = ['d']", "scale = 1.0; name = 'm'"])))
        # __init__: rule snippets with the super call somewhere (or nowhere)
        init: Lines = []
        snippets = [self.construction_piece() for _ in range(r.choice([1, 2, 2, 3, 3, 4, 5, 6]))]
        position = r.choice([0, 0, 0, 0, 1, len(snippets), None, r.randint(0, len(snippets))])
        for i, snippet in enumerate(snippets):
            if i == position:
                init.append((0, self.super_call(name)))
            init.extend(snippet)
        if position == len(snippets):
            init.append((0, self.super_call(name)))
        if all(depth == 0 and _is_simple(text) for depth, text in init) and init and self.chance(0.3):
            body.append((0, f"def __init__({self.init_signature()}): " + "; ".join(text for _, text in init)))
        else:
            body.append((0, f"def __init__({self.init_signature()}):"))
            body.extend(self.block(init))
        if self.chance(0.4):  # a method construction calls
            body.append((0, ""))
            body.append((0, self.pick(["def _build(self):", "def reset_parameters(self) -> None:"])))
            body.extend(self.block([line for _ in range(r.randint(1, 3)) for line in self.construction_piece()]))
        if self.chance(0.8):
            body.append((0, ""))
            forward = [line for _ in range(r.choice([0, 1, 1, 2, 3])) for line in self.forward_snippet()] + [(0, "return x")]
            decorator = self.pick(["", "", "", "@torch.no_grad()", "@torch.compile(mode='max-autotune')"])
            if decorator:
                body.append((0, decorator))
            body.append((0, self.pick(["def forward(self, x):", "def forward(self, x: torch.Tensor, *args) -> torch.Tensor:"]
                                      + ["def forward[T](self, x: T) -> T:"] * self.chance(0.05))))
            if body[-1][1].startswith("def forward["):
                self.new_syntax = True
            body.extend(self.block(forward))
        if self.chance(0.2):
            body.append((0, ""))
            body.append((0, "def _helper(self, x):"))
            body.extend(self.block([line for _ in range(r.randint(1, 2)) for line in self.forward_snippet()] + [(0, "return x")]))
        if self.chance(0.15):
            body.append((0, "async def stream(self, source):"))
            body.append((1, "async with source as s:"))
            body.append((2, "async for item in s:"))
            body.append((3, f"yield await self.step(item, layer={self.nn}.Linear(2, 2))"))
        if self.chance(0.15):
            prop = self.attr().strip('_') or 'p'
            body.extend([(0, "@property"), (0, f"def {prop}(self):"), (1, "return self.w")])
            if self.chance(0.5):  # a setter construction may run by assigning the property
                body.extend([(0, f"@{prop}.setter"), (0, f"def {prop}(self, value):")])
                body.extend(self.pick([
                    [(1, "self._store = value")],
                    [(1, f"self._store = {self.tensor()} if value is None else value")],
                    [(1, "if not hasattr(self, '_store'):"), (2, f"self.register_buffer('_store', {self.tensor()})"),
                     (1, "elif value:"), (2, f"self._store, self.{self.attr()} = {self.tensor()}, {self.tensor()}")],
                    [(1, f"self.{prop} = value")],  # recursion through the setter
                ]))
        if self.chance(0.12):  # TL012: state a method computes after construction (and clean twins)
            n, t = "stats", self.local()  # forward reads `self.stats` in one of its snippets
            body.append((0, ""))
            body.append((0, self.pick(["def fit(self, data):", "def calibrate(self, data: torch.Tensor) -> None:",
                                       "def set_state(self, data, device=None):"])))
            body.extend(self.block(self.pick([
                [(0, f"self.{n} = {self.tensor()}")],
                [(0, f"{t} = torch.mean(data, dim=0)"), (0, f"self.{n} = {t}")],
                [(0, f"_, _, {t} = torch.linalg.svd(data)"), (0, f"self.{n} = {t}[:2]")],
                [(0, f"self.{n} = data")],
                [(0, f"self.{n} = {self.param}({self.tensor()}).cpu()")],
                [(0, f"self.register_buffer({n!r}, {self.tensor()})")],
                [(0, f"self.{n}, self.{self.attr()} = {self.tensor()}, {self.tensor()}")],
            ])))
            body.append((0, self.pick(["def predict(self, x):", "def forward_fitted(self, x):"])))
            body.extend(self.block([(0, f"return x * self.{n}")]))
        if self.chance(0.1):  # TL007/TL008: a container a method fills after construction (and clean twins)
            n = self.attr()
            body.append((0, ""))
            body.append((0, self.pick(["def add_task(self, n):", "def grow(self, n, device=None):", "def _initialize(self, n):"])))
            body.extend(self.block(self.pick([
                [(0, f"self.{n} = [{self.nn}.Linear(n, n) for _ in range(2)]")],
                [(0, f"self.{n} = []"), (0, "for _ in range(n):"), (1, f"self.{n}.append({self.nn}.Linear(n, 1))")],
                [(0, f"self.{n} = {{}}"), (0, f"self.{n}['a'] = {self.param}({self.tensor()})")],
                [(0, f"self.{n} = {self.nn}.ModuleList()"), (0, f"self.{n}.append({self.nn}.Linear(n, n))")],
                [(0, f"self.{n} += [{self.nn}.Conv1d(n, n, 3)]")],
                [(0, f"self.{n} = [self.{self.attr()}]")],
                [(0, f"self.{n} = [{self.nn}.ReLU()] * n")],
            ])))
        if self.chance(0.1):
            body.extend([(0, "def extra_repr(self) -> str:"), (1, "return f\"d={self.d!r}, {'nested'!s:^{10}}\"")])
        if self.chance(0.08):  # a nested Module class
            inner = f"Inner{self.r.randint(0, 9)}"
            body.append((0, ""))
            body.extend(self.module_class(inner, f"{self.nn}.Module", 0) if level < 1 else [(0, "pass")])
        lines.extend(self.block(body, level + 1))
        return lines

    def header(self) -> Lines:
        lines: Lines = []
        if self.chance(0.1):
            lines.append((0, '"""Generated models."""'))
        if self.chance(0.2):
            lines.append((0, "from __future__ import annotations"))
        style = self.r.randint(0, 4)
        lines.append((0, "import torch"))
        if style == 0:
            lines += [(0, "import torch.nn as nn"), (0, "from torch.nn import Parameter")]
            self.param = self.pick(["nn.Parameter", "Parameter"])
        elif style == 1:
            lines.append((0, "from torch import nn"))
        elif style == 2:
            lines.append((0, "import torch.nn as N"))
            self.nn = "N"
            self.param = "N.Parameter"
        elif style == 3:
            lines.append((0, "import torch.nn as nn, functools, dataclasses"))
        else:
            self.nn = "torch.nn"
            self.param = "torch.nn.Parameter"
        if self.nn == "nn" or self.chance(0.3):
            lines.append((0, "import functools, dataclasses"))
        if self.chance(0.3):
            lines.append((0, "from typing import final"))
        if self.chance(0.25):
            self.bases = self.r.sample(BASE_NAMES, self.r.randint(1, len(BASE_NAMES)))
            lines.append((0, f"from {BASES_MODULE} import {', '.join(self.bases)}"))
        if self.chance(0.03):
            lines.append((0, "type Shape = tuple[int, ...]"))
            self.new_syntax = True
        if self.chance(0.02):
            lines.append((0, "type Pair[T] = tuple[T, T]"))
            self.new_syntax = True
        return lines

    def helper_function(self) -> Lines:
        name = self.pick(["make_table", "causal_mask", "sinusoid"])
        if name in self.helpers:
            return []
        self.helpers.append(name)
        generic = ""
        if self.chance(0.05):
            generic = "[T]"
            self.new_syntax = True
        return self.pick([
            [(0, f"def {name}{generic}(n) -> torch.Tensor:"), (1, "return torch.arange(n)")],
            [(0, f"def {name}{generic}(n):"), (1, "m = torch.ones(n, n)"), (1, "return m.triu(1)")],
            [(0, f"def {name}{generic}(n, *, base=10_000):"), (1, "if n < 0:"), (2, "raise ValueError(n)"),
             (1, "return torch.zeros(n) + base")],
        ])

    def footer(self) -> Lines:
        m = self.pick(self.modules)
        return self.pick([
            [(0, 'if __name__ == "__main__":'), (1, f"model = {m}(4)"),
             (1, f"model.w.{self.pick(['require_grad', 'requires_grads', 'requires_grad'])} = False"),
             (1, "print(model)")],
            [(0, f"model = {m}(d=8, table=torch.ones(3))")],
            [(0, "for p in model.parameters(): p.requiresgrad = True")],
            [],
        ])

    def program(self) -> Lines:
        lines = self.header()
        lines.append((0, ""))
        for _ in range(self.r.randint(0, 2)):
            lines += [(0, "")] + self.helper_function()
        if self.chance(0.3):
            lines += [(0, ""), (0, "class Point:"), (1, "x: int = 0"), (1, "y: int = 0")]
        if self.chance(0.1):
            lines += [(0, ""), (0, f"class Tiny({self.nn}.Module): pass")]
        bases = [f"{self.nn}.Module", f"{self.nn}.Module", f"{self.nn}.Module", f"{self.nn}.Sequential",
                 f"{self.nn}.ModuleList", "torch.nn.Module"]
        for i in range(self.r.choice([1, 1, 1, 2, 2, 3])):
            name = self.pick(["Block", "Encoder", "Ĥead", "Модель", "Net", "_Private", "MixerΩ"]) + str(i)
            base = self.pick(bases + self.modules + self.bases * 2)
            lines += [(0, ""), (0, "")] + self.module_class(name, base)
            self.modules.append(name)
        lines += [(0, "")] + self.footer()
        return lines


def _is_simple(text: str) -> bool:
    """A one-line simple statement that can share a line with others."""
    return bool(text) and "\n" not in text and not text.startswith(("#", "@")) and "#" not in text \
        and not text.rstrip().endswith((":", "\\")) and not text.startswith(("if ", "for ", "while ", "with ", "try",
                                                                                 "match ", "def ", "class "))


def render(lines: Lines, rng: random.Random) -> str:
    """Lines to text in one of the layouts Python accepts (indentation unit, line endings,
    trailing whitespace, final newline)."""
    unit = rng.choice(["    ", "    ", "    ", "  ", "\t", "        "])
    out = []
    for level, text in lines:
        if not text:
            out.append(rng.choice(["", "", "", unit, "\f"]) if rng.random() < 0.1 else "")
            continue
        text = text.replace("\n", "\n" + unit * level) if "'''" not in text and '"""' not in text else text
        out.append(unit * level + text + (" " if rng.random() < 0.03 and not text.endswith("\\") else ""))
    text = "\n".join(out) + rng.choice(["\n", "\n", "\n", "\n\n", ""])
    if rng.random() < 0.15:
        text = text.replace("\n", "\r\n")
    return text


def program(seed: int, index: int) -> tuple[str, bool]:
    """Program ``index`` of ``seed``: its text and whether it uses syntax newer than 3.11."""
    rng = random.Random(f"{seed}:{index}")
    generator = Generator(rng)
    lines = generator.program()
    return render(lines, rng), generator.new_syntax


def buffer_style(seed: int, index: int) -> str | None:
    """The ``buffer-style`` setting program ``index`` of ``seed`` is fixed with."""
    return random.Random(f"style:{seed}:{index}").choice([None, None, "register_buffer", "nn.Buffer"])
