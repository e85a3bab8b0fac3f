"""The read-ahead child (torchlint.readahead) indexes what a one-file run imports while the
run imports libcst: a run must give the same findings with it and without it, take only
entries of the bytes it reads itself, and never leave a process behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from torchlint import readahead

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "fixtures" / "project"

pytestmark = pytest.mark.skipif(not readahead.enabled(), reason="read-ahead needs fork (Linux) and two cores")


def lint_one(path: Path, read_ahead: bool) -> list[dict]:
    env = dict(os.environ, TORCHLINT_READAHEAD="1" if read_ahead else "0")
    done = subprocess.run([sys.executable, "-m", "torchlint", "--no-cache", "--output-format", "json", str(path)],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode in (0, 1), done.stderr
    return [{key: d[key] for key in ("code", "filename", "location", "message")} for d in json.loads(done.stdout)]


@pytest.mark.parametrize("name", ["models/blocks.py", "models/heads.py", "models/stages.py", "train.py"])
def test_one_file_runs_give_the_same_findings_with_and_without_read_ahead(name):
    with_child = lint_one(PROJECT / name, read_ahead=True)
    assert with_child == lint_one(PROJECT / name, read_ahead=False)


def make_package(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    package = root / "demo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in files.items():
        (package / name).write_text(text)
    return package


def test_the_cross_file_findings_need_the_imported_modules(tmp_path):
    # the subclass's finding depends on the base in another module: read ahead or not, it is found
    package = make_package(tmp_path, {"base.py": "import torch.nn as nn\n\n\nclass Backbone(nn.Module):\n    pass\n"})
    (package / "model.py").write_text(textwrap.dedent("""\
        import torch
        from demo.base import Backbone


        class Scaler(Backbone):
            def __init__(self, dim):
                super().__init__()
                self.scale = torch.ones(dim)

            def forward(self, x):
                return x * self.scale
        """))
    for read_ahead in (True, False):
        findings = lint_one(package / "model.py", read_ahead)
        assert [(f["code"], f["location"]["row"], f["location"]["column"]) for f in findings] == [("TL001", 8, 9)]


@pytest.fixture
def demo_package(tmp_path):
    return make_package(tmp_path, {
        "layers.py": "import torch.nn as nn\n\n\nclass Gate(nn.Module):\n    pass\n",
        "unused.py": "VALUE = 1\n",
        "model.py": "from demo.layers import Gate\n\n\nclass Model(Gate):\n    pass\n",
    })


# The child is forked only from a process with no other thread (forking threads is unsafe),
# and a test session may have some: each case below runs in a fresh interpreter.
_CASE = """
import json, os, sys
from pathlib import Path
from torchlint import readahead
from torchlint.analysis.project import ProjectIndex, content_digest

package = Path(sys.argv[1])
model, layers, unused = (package / name for name in ("model.py", "layers.py", "unused.py"))
layers, unused = layers.resolve(), unused.resolve()
report = {}
exec(sys.argv[2])
print(json.dumps(report))
"""


def run_case(package: Path, body: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TORCHLINT_READAHEAD"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", _CASE, str(package), textwrap.dedent(body)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_child_sends_the_modules_the_file_imports(demo_package):
    report = run_case(demo_package, """
        ahead = readahead.ReadAhead.start([model], ())
        entry = ahead.take(layers, layers.read_bytes())
        report["classes"] = sorted(entry[1].classes) if entry else None
        report["unused"] = ahead.take(unused, unused.read_bytes())  # never imported: never sent
        ahead.close()
        """)
    assert report == {"classes": ["Gate"], "unused": None}


def test_an_entry_of_other_bytes_is_not_taken(demo_package):
    report = run_case(demo_package, """
        ahead = readahead.ReadAhead.start([model], ())
        changed = layers.read_bytes() + b"\\n\\nclass Extra(nn.Module):\\n    pass\\n"
        report["taken"] = ahead.take(layers, changed) is not None  # the file changed after the child read it
        ahead.close()
        """)
    assert report == {"taken": False}


def test_the_index_uses_entries_only_when_its_own_read_matches(demo_package):
    report = run_case(demo_package, """
        index = ProjectIndex()
        index.read_ahead = readahead.ReadAhead.start([model], ())
        facts = index.facts_for(layers)
        report["classes"] = sorted(facts.classes)
        report["digest"] = index.dependency_state(layers)[0] == content_digest(layers, layers.read_bytes())
        index.read_ahead.close()
        """)
    assert report == {"classes": ["Gate"], "digest": True}


def test_the_child_is_reaped_when_closed(demo_package):
    report = run_case(demo_package, """
        ahead = readahead.ReadAhead.start([model], ())
        ahead.close()
        try:
            os.waitpid(ahead._pid, os.WNOHANG)
            report["left"] = True
        except ChildProcessError:  # no zombie left: it was waited for
            report["left"] = False
        """)
    assert report == {"left": False}


def test_a_killed_child_only_means_the_run_indexes_for_itself(demo_package):
    report = run_case(demo_package, """
        ahead = readahead.ReadAhead.start([model], ())
        os.kill(ahead._pid, 9)
        index = ProjectIndex()
        index.read_ahead = ahead
        report["classes"] = sorted(index.facts_for(layers).classes)
        ahead.close()
        """)
    assert report == {"classes": ["Gate"]}


def test_no_child_while_other_threads_run(demo_package):
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert readahead.ReadAhead.start([demo_package / "model.py"], ()) is None  # forking threads is unsafe
    finally:
        stop.set()
        thread.join()


def test_turned_off_by_the_environment(demo_package, monkeypatch):
    monkeypatch.setenv("TORCHLINT_READAHEAD", "0")
    assert readahead.ReadAhead.start([demo_package / "model.py"], ()) is None


def test_a_child_that_never_answers_is_ended_and_the_run_goes_on(demo_package):
    report = run_case(demo_package, """
        import time
        readahead._LIFETIME_SECONDS = 0.5
        readahead._index_imports = lambda *args: time.sleep(60)  # a question that never returns
        ahead = readahead.ReadAhead.start([model], ())
        started = time.monotonic()
        report["entry"] = ahead.take(layers, layers.read_bytes())
        report["waited_briefly"] = time.monotonic() - started < 10
        ahead.close()
        """)
    assert report == {"entry": None, "waited_briefly": True}
