"""Fuzz torchlint with generated programs: it must never raise.

    python benchmarks/fuzz.py --examples 100000 [--seed N]

Programs come from hypothesmith (random programs from Python's grammar), alone and
wrapped in Module-like classes (``class M(nn.Module): def __init__(self): ...``), and
from a strategy that builds Module classes whose ``__init__`` assigns, registers,
appends and calls with generated expressions, so the construction analysis and every
rule see unusual code. Each program is linted in-process (project index, prefilter,
libcst, rules, positions); an exception or an internal error is a failure, printed
with the program that caused it (hypothesis shrinks it first). tests/test_fuzz.py runs
a short version of the same properties.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchlint.config import load_settings
from torchlint.engine import Linter

HEADER = "import torch\nimport torch.nn as nn\nfrom torch.nn import Parameter\n\n\n"
# Built once: hypothesmith compiles Python's grammar for each new strategy.
GRAMMAR_PROGRAMS = hypothesmith.from_grammar()
GRAMMAR_EXPRESSIONS = hypothesmith.from_grammar(start="eval_input").map(str.strip)
_IDENTIFIERS = st.sampled_from(["x", "w", "layers", "table", "weight", "bias", "blocks", "h", "pe", "_cache"])


def _indent(code: str, spaces: int) -> str:
    return textwrap.indent(code, " " * spaces) if code.strip() else " " * spaces + "pass\n"


@st.composite
def wrapped_programs(draw) -> str:
    """A generated program as the body of a Module's ``__init__`` (or of the class)."""
    body = draw(GRAMMAR_PROGRAMS)
    where = draw(st.sampled_from(["init", "class", "method"]))
    base = draw(st.sampled_from(["nn.Module", "torch.nn.Module", "nn.ModuleList", "Base"]))
    prefix = "class Base(nn.Module):\n    pass\n\n\n" if base == "Base" else ""
    if where == "class":
        return HEADER + prefix + f"class M({base}):\n" + _indent(body, 4)
    super_call = draw(st.sampled_from(["        super().__init__()\n", ""]))
    if where == "init":
        return HEADER + prefix + f"class M({base}):\n    def __init__(self):\n" + super_call + _indent(body, 8)
    return (HEADER + prefix + f"class M({base}):\n    def __init__(self):\n" + super_call
            + "        self._build()\n\n    def _build(self):\n" + _indent(body, 8))


@st.composite
def construction_programs(draw) -> str:
    """Module classes whose construction uses generated expressions in the places the
    rules look at: assignments to self, registrations, containers, super calls."""
    expressions = st.one_of(
        GRAMMAR_EXPRESSIONS,
        st.sampled_from(["torch.zeros(3)", "nn.Linear(2, 2)", "Parameter(torch.ones(1))", "[nn.ReLU()]",
                         "None", "self.w", "x * 2", "torch.randn(2).cuda()", "{'a': nn.Linear(1, 1)}"]),
    )
    statements = []
    for _ in range(draw(st.integers(1, 6))):
        name = draw(_IDENTIFIERS)
        value = draw(expressions).replace("\n", " ")
        form = draw(st.sampled_from(["assign", "local", "register", "append", "item", "super", "aug"]))
        statements.append({
            "assign": f"self.{name} = ({value})",
            "local": f"{name} = ({value})",
            "register": f"self.register_buffer({name!r}, ({value}))",
            "append": f"self.{name}.append(({value}))",
            "item": f"self.{name}[0] = ({value})",
            "super": "super().__init__()",
            "aug": f"self.{name} += ({value})",
        }[form])
    body = "\n".join(statements) + "\n"
    return HEADER + "class M(nn.Module):\n    def __init__(self, x=1):\n" + _indent(body, 8)


PROGRAMS = st.one_of(GRAMMAR_PROGRAMS, wrapped_programs(), construction_programs())


class Checker:
    """Lints generated sources in one directory with one linter, as a worker does."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="torchlint-fuzz-"))
        self.linter = Linter(load_settings(self.directory))
        self.count = 0
        self.report_every = 0

    def check(self, source: str) -> None:
        self.count += 1
        if self.report_every and self.count % self.report_every == 0:
            print(f"{self.count} programs linted, no failure so far", flush=True)
        path = self.directory / f"generated_{self.count}.py"  # a new name: a new index entry
        result = self.linter.lint(path, path.name, source.encode("utf-8", "surrogatepass"))
        assert not result.internal_errors, result.internal_errors[0] + "\n--- program ---\n" + source


def run(examples: int, seed: int | None = None, report_every: int = 0) -> int:
    checker = Checker()
    checker.report_every = report_every
    checker.check("x = 1\n")  # starts the lint thread (and its recursion limit) before hypothesis runs

    @settings(max_examples=examples, deadline=None, database=None, derandomize=seed is not None,
              suppress_health_check=list(HealthCheck))
    @given(PROGRAMS)
    def never_raises(source: str) -> None:
        checker.check(source)

    never_raises()
    return checker.count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, help="derandomize (reproducible run)")
    args = parser.parse_args()
    started = time.perf_counter()
    try:
        count = run(args.examples, args.seed, report_every=1000)
    except Exception as error:  # hypothesis re-raises the shrunk failure
        print(f"FAILED after {time.perf_counter() - started:.0f} s: {type(error).__name__}: {error}")
        return 1
    print(f"{count} programs linted (hypothesis ran {args.examples} examples, plus shrinking/replays), "
          f"no failure, {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
