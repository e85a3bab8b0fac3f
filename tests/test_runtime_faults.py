"""User code that misbehaves while torchlint imports or builds it never stops the run:
the class (or file) is unverified with the reason, the worker is replaced, and no
process is left running."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from conftest import run_cli

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

HEADER = """\
import os
import subprocess
import sys
import time

import torch
import torch.nn as nn

"""
# A class with a finding after the faulty one: it must still be built and confirmed.
GOOD = """

class Good(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = torch.zeros(3)
"""

FAULTS = {
    "exception": ('raise ValueError("boom")', "ValueError: boom", "ValueError"),
    "sys_exit": ("sys.exit(3)", "called sys.exit(3)", "sys.exit()"),
    "os_exit": ("os._exit(7)", "the worker process exited with code 7", "worker exited"),
    # stopped by the class's time budget (80 % of the 3 s timeout): the worker lives on
    "hang": ("while True:\n            time.sleep(0.05)", "timed out: building took over 2.4 s, the class's time budget",
             "timeout"),
    # swallows the budget's interruption too: the worker is killed at the timeout
    "stubborn_hang": ("while True:\n            try:\n                time.sleep(0.05)\n"
                      "            except BaseException:\n                pass", "timed out after 3 s", "timeout"),
    "memory": ("chunks = []\n        while True:\n            chunks.append(bytearray(100_000_000))",
               "exceeded the worker's memory limit", "memory limit"),
    "segfault": ("import ctypes\n        ctypes.string_at(0)", "the worker crashed with SIGSEGV", "worker crashed"),
    "spawn": ("subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', MARKER])\n"
              "        subprocess.Popen([sys.executable, '-c', 'import subprocess, sys; subprocess.Popen([sys.executable, "
              "\"-c\", \"import time; time.sleep(300)\", sys.argv[1]], start_new_session=True)', MARKER]).wait()",
              "construction started 2 process(es); they were ended", "started processes"),
    "spawn_and_hang": ("subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', MARKER],"
                       " start_new_session=True)\n        time.sleep(300)", "timed out: building took over 2.4 s", "timeout"),
}


def _processes_with(marker: str) -> list[int]:
    """Processes of this interpreter whose command line holds ``marker`` (workers of
    other virtualenvs on the machine, e.g. a concurrent CI run, are not ours)."""
    found = []
    ours = sys.executable.encode() + b"\0"  # argv[0]: every venv's python resolves to one binary
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
        except OSError:
            continue
        if marker.encode() in command and command.startswith(ours):
            found.append(int(entry))
    return found


def _project(tmp_path: Path, marker: str, faulty_body: str, at_import: bool = False) -> Path:
    fault = f"\nMARKER = {marker!r}\n\n"
    if at_import:
        fault += faulty_body.replace("\n        ", "\n") + "\n"
        fault += "\n\nclass Faulty(nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
                 "        self.cache = torch.zeros(2)\n"
    else:
        fault += (
            "\nclass Faulty(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self.cache = torch.zeros(2)\n"
            f"        {faulty_body}\n"
        )
    (tmp_path / "faulty.py").write_text(HEADER + fault + GOOD)
    (tmp_path / "pyproject.toml").write_text("[tool.torchlint.runtime]\ntimeout = 3\nmemory-limit = 1500\n")
    return tmp_path


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_in_construction(tmp_path, fault):
    body, reason, category = FAULTS[fault]
    marker = f"torchlint-test-{uuid.uuid4().hex}"
    project = _project(tmp_path, marker, body)
    started = time.monotonic()
    result = run_cli("faulty.py", "--runtime", cwd=project)
    assert time.monotonic() - started < 120
    text = result.stdout.decode()
    assert result.returncode == 1, text + result.stderr.decode()
    faulty, good = text.split("TL001 `self.cache`")[1], text.split("TL001 `self.table`")[1]
    assert "[runtime: unverified]" in faulty.splitlines()[0]
    detail = next(line for line in faulty.splitlines() if "= runtime:" in line)
    assert f"= runtime: unverified: build failed: {reason}" in detail and "`Faulty`" in detail, detail
    assert "[runtime: confirmed]" in good.splitlines()[0]  # the run went on, in a new worker
    assert f"2 Module classes found, 1 built, 0 skipped, 1 failed ({category}: 1)" in text, text
    time.sleep(0.2)
    assert _processes_with(marker) == [], "a process started by the model is still running"


@pytest.mark.parametrize("fault", ["exception", "sys_exit", "os_exit", "segfault", "hang", "spawn"])
def test_fault_at_import(tmp_path, fault):
    body, _, _ = FAULTS[fault]
    marker = f"torchlint-test-{uuid.uuid4().hex}"
    project = _project(tmp_path, marker, body, at_import=True)
    (project / "other.py").write_text(HEADER + GOOD)
    result = run_cli(".", "--runtime", "--output-format", "json", cwd=project)
    assert result.returncode == 1, result.stderr.decode()
    data = json.loads(result.stdout)
    faulty = next(d for d in data if d["filename"].endswith("faulty.py") and "self.cache" in d["message"])
    assert faulty["runtime"]["verdict"] == "unverified"
    assert faulty["runtime"]["detail"].startswith("the file could not be imported: ")
    other = next(d for d in data if d["filename"].endswith("other.py"))
    assert other["runtime"]["verdict"] == "confirmed"
    time.sleep(0.2)
    assert _processes_with(marker) == []


def _processes_in_environment(marker: str) -> list[int]:
    """Processes whose environment holds ``marker``: this run's workers inherit it, the
    workers of other runs on the machine do not."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if marker.encode() in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def test_no_worker_outlives_the_run(tmp_path):
    (tmp_path / "model.py").write_text(HEADER + GOOD)
    marker = f"torchlint-test-{uuid.uuid4().hex}"
    result = run_cli("model.py", "--runtime", cwd=tmp_path, env={"TORCHLINT_TEST_RUN": marker})
    assert result.returncode == 1
    time.sleep(0.2)
    assert _processes_in_environment(marker) == []


def test_user_output_does_not_disturb_the_protocol(tmp_path):
    (tmp_path / "noisy.py").write_text(HEADER + textwrap.dedent("""\
        print("import-time noise")
        sys.stderr.write("more noise\\n")

        class Noisy(nn.Module):
            def __init__(self):
                super().__init__()
                print("x" * 100000)
                self.buf = torch.ones(1)
    """))
    result = run_cli("noisy.py", "--runtime", "--output-format", "concise", cwd=tmp_path)
    text = result.stdout.decode()
    assert "noise" not in text and "xxxx" not in text
    assert "TL001" in text and "[runtime: confirmed]" in text
    assert result.stderr == b""


def test_one_file_cannot_affect_the_next(tmp_path):
    """Each file is imported in a fresh child of the fork server: monkeypatches,
    module state and leaked objects of one file do not reach the next."""
    (tmp_path / "a_patches.py").write_text(HEADER + textwrap.dedent("""\
        import builtins
        builtins.TORCHLINT_LEAK = True
        nn.Linear.__init__ = lambda self, *args, **kwargs: None
    """))
    (tmp_path / "b_victim.py").write_text(HEADER + textwrap.dedent("""\
        import builtins

        class Victim(nn.Module):
            def __init__(self):
                super().__init__()
                if hasattr(builtins, "TORCHLINT_LEAK"):
                    raise RuntimeError("state leaked from another file")
                self.fc = nn.Linear(2, 2)
                self.table = torch.zeros(2)
    """))
    result = run_cli(".", "--runtime", "--jobs", "1", "--output-format", "concise", cwd=tmp_path)
    text = result.stdout.decode()
    assert "b_victim.py:17:9: TL001 `self.table`" in text and "[runtime: confirmed]" in text, text
    assert "1 Module class found, 1 built" in text


def test_killed_workers_leave_no_temporary_files(tmp_path):
    # a temporary directory of this run's own: other runs on the machine leave theirs elsewhere
    private = tmp_path / "tmp"
    private.mkdir()
    project = _project(tmp_path, f"torchlint-test-{uuid.uuid4().hex}", FAULTS["stubborn_hang"][0])
    assert run_cli("faulty.py", "--runtime", cwd=project, env={"TMPDIR": str(private)}).returncode == 1
    assert list(private.glob("torchlint-imports-*")) == []
