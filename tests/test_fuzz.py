"""A short fuzz run (benchmarks/fuzz.py runs the long one, in parallel): generated
Module programs never crash torchlint, and every fix re-parses, is idempotent and is
not reported again; hypothesmith's grammar programs never make it raise."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import fuzz  # noqa: E402
import fuzz_programs  # noqa: E402

BROKEN = "import torch.nn as nn\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"


def test_generated_module_programs_pass_every_check():
    summary = fuzz.fuzz(programs=40, seed=7, jobs=1)
    assert summary["programs"] == 40
    assert summary["failures"] == {}, summary["records"]
    # the programs exercise the rules and their fixes
    assert len(summary["findings"]) >= 8 and len(summary["fixes_applied"]) >= 5, summary


def test_parallel_run_checks_the_same_programs():
    """Two worker processes check the same programs as one process: same findings and
    fixes per rule, whatever order the workers finish in."""
    parallel, serial = fuzz.fuzz(programs=6, seed=5, jobs=2), fuzz.fuzz(programs=6, seed=5, jobs=1)
    assert parallel["programs"] == serial["programs"] == 6
    assert (parallel["findings"], parallel["fixes_applied"]) == (serial["findings"], serial["fixes_applied"])
    assert parallel["findings"]


def test_generation_is_deterministic_and_varied():
    assert fuzz_programs.program(3, 11) == fuzz_programs.program(3, 11)
    texts = {fuzz_programs.program(3, i)[0] for i in range(30)}
    assert len(texts) == 30
    every = "".join(text for text, _ in (fuzz_programs.program(0, i) for i in range(300)))
    for piece in ("type ", "match ", ":=", "async def", "\r\n", "\t", "@", "f'", "\\\n", "register_buffer",
                  "requires_grad=True", "require_grad", ".to(device)", "for _ in range", "super().__init__()"):
        assert piece in every, piece


def test_checker_reports_internal_errors_as_crashes(monkeypatch):
    from torchlint.rules.tl001_unregistered_tensor import UnregisteredTensor

    def broken(self, ctx):
        raise ValueError("boom")

    monkeypatch.setattr(UnregisteredTensor, "check", broken)
    failure = fuzz.FixChecker().check(BROKEN)
    assert failure.kind == "crash" and "boom" in failure.detail


def test_checker_reports_a_fix_that_is_not_idempotent(monkeypatch):
    """A fix whose output offers the same fix again (here: every TL005 rename made to
    leave a new misspelling behind) is caught by the second pass."""
    from torchlint.fixes import apply

    real = apply.apply_fixes

    def growing(text, fixes):
        new, applied = real(text, fixes)
        return new + "        self.w.require_grad = False\n", applied

    monkeypatch.setattr(apply, "apply_fixes", growing)
    program = BROKEN + "        self.w = nn.Parameter(torch.ones(1))\n        self.w.require_grad = False\n"
    failure = fuzz.FixChecker().check("import torch\n" + program)
    assert failure is not None and failure.kind == "not-idempotent"


def test_a_finding_revealed_in_another_class_is_not_a_fixed_one_come_back():
    """TL005 correcting `require_grad=True` in one class exposes a TL004 (no fix there:
    before the super call) with the same message as the TL004 fixed in another class."""
    program = ("import torch\nimport torch.nn as nn\n\n\nclass A(nn.Module):\n"
               "    def __init__(self): self.w = torch.zeros(3, require_grad=True); super().__init__()\n\n\n"
               "class B(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
               "        self.w = torch.zeros(3, requires_grad=True)\n")
    checker = fuzz.FixChecker()
    assert checker.check(program) is None
    assert checker.applied["TL004"] == 1 and checker.applied["TL005"] == 1


def test_checker_reports_a_fixed_finding_that_comes_back_without_a_fix(monkeypatch):
    """The finding whose fix was applied is reported again, now without a fix."""
    import dataclasses

    real = fuzz.fix_text

    def sticky(text, lint, unsafe):
        outcome = real(text, lint, unsafe)
        for _, finding in outcome.applied_findings:
            outcome.diagnostics.append(dataclasses.replace(finding, fix=None))
        return outcome

    monkeypatch.setattr(fuzz, "fix_text", sticky)
    failure = fuzz.FixChecker().check("import torch\n" + BROKEN + "        self.w = torch.zeros(3)\n")
    assert failure is not None and failure.kind == "fixed-finding-reported" and "TL001" in failure.detail


def test_a_fix_another_rule_made_impossible_is_not_a_fixed_one_come_back():
    """Both stores of `self.scale` get TL001 with a fix; the TL005 fix of the first
    (`require_grad` -> `requires_grad`) makes it a trainable tensor (TL004), and the
    second store's registration is then rightly refused: no fix of that finding was
    applied, so its staying is no failure (the 100 k fuzz run's five reports)."""
    program = ("import torch\nimport torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self):\n"
               "        self.scale = torch.zeros(3, require_grad=True)\n        super().__init__()\n"
               "        self.scale = torch.ones(1).unsqueeze(0)\n")
    checker = fuzz.FixChecker()
    assert checker.check(program) is None
    assert checker.found["TL001"] == 2 and checker.applied == {"TL005": 1}


def test_a_failure_is_shrunk_to_a_small_reproducer(tmp_path, monkeypatch):
    from torchlint.rules.tl007_module_in_plain_container import ModuleInPlainContainer

    def broken(self, ctx):
        if "[nn.ReLU()]" in ctx.source:
            raise ValueError("boom")
        return iter(())

    monkeypatch.setattr(ModuleInPlainContainer, "check", broken)
    program = BROKEN + "        self.a = 1\n        self.b = [nn.ReLU()]\n        self.c = 2\n"
    checker = fuzz.FixChecker()
    failure = checker.check(program)
    small = fuzz.shrink(program, failure, checker, None)
    assert "[nn.ReLU()]" in small and "self.a" not in small and "self.c" not in small
    written = fuzz.write_reproducer(tmp_path, 0, 5, failure, program, small)
    assert written.read_text().startswith("# fuzz failure: crash (python benchmarks/fuzz.py --seed 0 --only 5)")


def test_generated_programs_never_raise():
    pytest.importorskip("hypothesmith")
    assert fuzz.run(examples=60) >= 60
