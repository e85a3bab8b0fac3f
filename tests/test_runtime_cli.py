"""``torchlint --runtime`` end to end: verdicts, runtime-only findings, output, config."""

from __future__ import annotations

import importlib.util
import json
import textwrap

import pytest

from conftest import FIXTURES, run_cli

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

EXPECTED = json.loads((FIXTURES / "runtime_expected.json").read_text())
# Needs a package the fixture imports; not installed here, so the file is unverified.
OPTIONAL = {"buggy/lightning_model.py": "lightning"}


@pytest.fixture(scope="module")
def fixture_run():
    result = run_cli("fixtures", "--runtime", "--show-refuted", "--output-format", "json", "--exit-zero")
    assert result.returncode == 0, result.stderr.decode()
    found: dict[str, list] = {}
    data = json.loads(result.stdout)
    for d in data:
        relative = d["filename"].split("fixtures/", 1)[1]
        found.setdefault(relative, []).append(
            [d["code"], d["location"]["row"], d["location"]["column"], d["origin"], d["runtime"]["verdict"]]
        )
    return found, data


@pytest.mark.parametrize("relative", sorted(set(EXPECTED) | {"clean/containers_done_right.py"}))
def test_fixture_verdicts(relative, fixture_run):
    if relative in OPTIONAL and importlib.util.find_spec(OPTIONAL[relative]):
        pytest.skip(f"{OPTIONAL[relative]} is installed: the file can be built here")
    found, _ = fixture_run
    assert sorted(found.get(relative, [])) == sorted(EXPECTED.get(relative, []))


def test_clean_fixtures_stay_clean_at_runtime():
    result = run_cli("fixtures/clean", "--runtime", "--output-format", "concise")
    text = result.stdout.decode()
    assert result.returncode == 0, text + result.stderr.decode()
    assert text.startswith("All checks passed!\nRuntime: ")
    assert "0 failed" in text


def test_json_carries_verdicts_and_origin(fixture_run):
    _, data = fixture_run
    by_key = {(d["filename"].split("fixtures/", 1)[1], d["location"]["row"], d["code"]): d for d in data}
    static = by_key[("buggy/positional_encoding.py", 17, "TL001")]
    assert static["origin"] == "static"
    assert static["runtime"]["verdict"] == "confirmed"
    assert static["runtime"]["detail"] == (
        "the built instance holds a plain tensor of shape [5000, 1, 64] in `self.pe`, and torch did not register it; "
        "`PositionalEncoding` was built with d_model=64"
    )
    runtime_only = by_key[("runtime/shape_mismatch.py", 13, "TL101")]
    assert runtime_only["origin"] == "runtime"
    assert runtime_only["name"] == "parameter-shape-mismatch"
    # the arguments of the build that found it, and the help in the code's own expressions
    assert runtime_only["runtime"] == {
        "verdict": "confirmed", "reason": "found at runtime: not reported by the static pass",
        "detail": "found by building `NN_Network` with in_dim=64, hid=32, out_dim=96",
    }
    assert runtime_only["help"] == (
        "Give the Parameter the layer's shape, `(out_dim, hid)` for `self.linear2 = nn.Linear(hid, out_dim)`"
    )
    stem = by_key[("runtime/shape_mismatch.py", 22, "TL101")]
    assert stem["runtime"]["detail"] == "found by building `ConvStem` without arguments"
    assert stem["help"] == "Give the Parameter the layer's shape, `(channels,)` for `self.norm = nn.BatchNorm2d(channels)`"
    unverified = by_key[("runtime/verdicts.py", 22, "TL001")]
    assert unverified["runtime"]["detail"] == ("`self.cache` was not set in this build: the line was not reached with "
                                               "the synthesised arguments (a branch not taken?); "
                                               "`Cached` was built with dim=64")
    # the reason is the detail without the arguments of the build
    assert unverified["runtime"]["reason"] == ("`self.cache` was not set in this build: the line was not reached "
                                               "with the synthesised arguments (a branch not taken?)")
    refuted = by_key[("runtime/verdicts.py", 9, "TL001")]
    assert refuted["runtime"]["detail"] == ("torch registered `self.scale` as a buffer of the built instance; "
                                            "`Persisted` was built without arguments")
    late = by_key[("buggy/late_super.py", 10, "TL002")]
    assert "cannot assign parameters before Module.__init__() call" in late["runtime"]["detail"]


def test_text_output_shows_verdicts_hides_refuted_and_summarises():
    result = run_cli("fixtures/runtime/verdicts.py", "--runtime")
    text = result.stdout.decode()
    assert result.returncode == 1
    assert "verdicts.py:9:9" not in text  # refuted: hidden
    assert "verdicts.py:30:9: TL001" in text and "[runtime: confirmed]" in text
    assert "= runtime: unverified: `self.cache` was not set in this build" in text
    assert "Runtime: 3 Module classes found, 3 built, 0 skipped, 0 failed. Findings: 1 confirmed, " \
           "1 refuted (hidden; --show-refuted shows them), 1 unverified, 0 found only at runtime." in text
    shown = run_cli("fixtures/runtime/verdicts.py", "--runtime", "--show-refuted", "--output-format", "concise")
    assert "verdicts.py:9:9: TL001" in shown.stdout.decode() and "[runtime: refuted]" in shown.stdout.decode()


def test_only_refuted_findings_exit_zero(tmp_path):
    (tmp_path / "model.py").write_text(textwrap.dedent("""\
        import torch
        import torch.nn as nn

        class Persisted(nn.Module):
            def __init__(self):
                super().__init__()
                self.scale = torch.ones(2)
                self._persist("scale")

            def _persist(self, name):
                self.register_buffer(name, self.__dict__.pop(name))
    """))
    assert run_cli("model.py", cwd=tmp_path).returncode == 1  # statically, a finding
    result = run_cli("model.py", "--runtime", cwd=tmp_path)
    assert result.returncode == 0, result.stdout.decode()


def test_runtime_finding_respects_noqa_and_ignore(tmp_path):
    source = textwrap.dedent("""\
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, hid: int = 4):
                super().__init__()
                self.fc = nn.Linear(hid, 2)
                self.fc.weight = nn.Parameter(torch.zeros(hid, 2)){noqa}
    """)
    (tmp_path / "net.py").write_text(source.format(noqa=""))
    found = run_cli("net.py", "--runtime", "--output-format", "concise", cwd=tmp_path).stdout.decode()
    assert "net.py:8:9: TL101 `self.fc.weight` has shape (4, 2) but `nn.Linear(in_features=4, out_features=2," in found
    ignored = run_cli("net.py", "--runtime", "--ignore", "TL101", cwd=tmp_path)
    assert ignored.returncode == 0
    (tmp_path / "net.py").write_text(source.format(noqa="  # noqa: TL101"))
    assert run_cli("net.py", "--runtime", cwd=tmp_path).returncode == 0


def test_runtime_from_config_and_factories(tmp_path):
    package = tmp_path / "src" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "layers.py").write_text(textwrap.dedent("""\
        import torch
        import torch.nn as nn

        class Scaled(nn.Module):
            def __init__(self, table):
                super().__init__()
                self.table = table
    """))
    (package / "models.py").write_text(textwrap.dedent("""\
        import torch
        from .layers import Scaled

        class Net(Scaled):
            def __init__(self, table, name):
                super().__init__(table)
                self.name = name

        def make_small_net():
            return Net(torch.ones(3), name="small")
    """))
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.torchlint.runtime]
        enabled = true
        factories = {"pkg.models:Net" = "pkg.models:make_small_net"}
    """))
    result = run_cli("src", "--output-format", "concise", cwd=tmp_path)
    text = result.stdout.decode()
    # The factory's real tensor shows an unregistered tensor the static pass cannot see
    # (a value of unknown type passed in); the relative import works from the src layout.
    assert "src/pkg/layers.py:7:9: TL001 `self.table` holds a plain tensor of shape (3,)" in text, text
    assert "[found at runtime]" in text
    assert "2 Module classes found, 2 built" in text, text


def test_a_factory_that_cannot_be_loaded_leaves_the_class_unverified(tmp_path):
    (tmp_path / "models.py").write_text("import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n"
                                        "        super().__init__()\n        self.fc = nn.Linear(2, 2)\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.torchlint.runtime]\nfactories = {"models:Net" = "models:missing"}\n')
    text = run_cli("models.py", "--runtime", cwd=tmp_path).stdout.decode()
    assert "1 failed (factory: 1)" in text, text


def test_one_finding_per_defect_on_every_fixture(fixture_run):
    """No attribute of a class is reported twice (static and runtime, or TL001 and TL004), and
    no runtime finding sits on a `class` line when the build recorded the assigning line."""
    import re

    from torchlint.runtime.subjects import FileClasses
    from torchlint.runtime.verdicts import defect_family

    _, data = fixture_run
    seen: dict[tuple, list] = {}
    classes: dict[str, FileClasses] = {}
    for d in data:
        attribute = re.match(r"`self\.([\w.]+)`", d["message"])
        if attribute is None or d["code"] in ("TL002", "TL010"):
            continue  # one finding per registration call, not per attribute
        path = d["filename"]
        if path not in classes:
            classes[path] = FileClasses(open(path, encoding="utf-8").read())
        span = classes[path].enclosing_class(d["location"]["row"])
        key = (path, span.qualname if span else None, attribute.group(1), defect_family(d["code"]))
        # the static pass may report two assignments of one attribute (two lines to fix);
        # the runtime never adds to a static finding, nor reports a line twice
        for other in seen.get(key, []):
            assert d["origin"] == other["origin"] == "static" and d["location"]["row"] != other["location"]["row"], \
                f"reported twice: {other['location']} and {d['location']} {key}"
        seen.setdefault(key, []).append(d)
        if d["origin"] == "runtime" and d["code"] != "TL003":
            assert span is None or d["location"]["row"] != span.row, f"on the class line: {path} {d['message']}"
