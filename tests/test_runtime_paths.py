"""Construction paths: the runtime checker builds a class the way its author does
(the signature's defaults, a config factory, a dataclass config, a namespace of
options) before it makes arguments up, and records which path built it."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import FIXTURES

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from torchlint.runtime.instantiate import Builder, realpath  # noqa: E402
from torchlint.runtime.synthesis import FilledNamespace  # noqa: E402


@pytest.fixture(scope="module")
def built():
    path = FIXTURES / "runtime" / "config_paths.py"
    spec = importlib.util.spec_from_file_location("_paths_fixture", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    real = realpath(str(path))
    builder = Builder(vars(module), lambda f: f == real, {}, {}, budget=60)
    return {name: builder.build(getattr(module, name), f"{spec.name}:{name}")
            for name in ("TinyLM", "Encoder", "Critic", "Patches")}


def test_the_models_own_config_factory_first(built):
    tiny = built["TinyLM"]
    assert tiny.status == "built"
    assert tiny.how == "`config`: the config factory TinyLM.get_default_config(), mended from the error"
    # the factory leaves vocab_size and block_size to the caller: the asserts name them, nothing else changes
    assert tiny.arguments == ("config=TinyLM.get_default_config(); mended: Settings.vocab_size=128, "
                              "Settings.block_size=32")
    assert len(tiny.instance.blocks) == 2 and tiny.instance.wte.embedding_dim == 32  # the "tiny" preset


def test_a_classmethod_returning_the_config_type(built):
    patches = built["Patches"]
    assert (patches.status, patches.how, patches.arguments) == (
        "built", "`config`: the config factory PatchConfig.small()", "config=PatchConfig.small()")
    assert patches.instance.proj.out_channels == 16


def test_a_dataclass_config_with_a_required_field(built):
    encoder = built["Encoder"]
    assert (encoder.status, encoder.arguments) == ("built", "cfg=EncoderConfig(vocab=128)")
    assert encoder.how == "`cfg`: dataclass `EncoderConfig` with its defaults (vocab=128 made up)"
    assert encoder.instance.embed.embedding_dim == 64  # the dataclass's own default width


def test_a_namespace_filled_from_attribute_reads(built):
    critic = built["Critic"]
    assert (critic.status, critic.how) == ("built", "`args`: a namespace filled from attribute reads")
    assert critic.arguments.endswith("; read: args.obs_dim=64, args.model.hidden=64, args.gamma=0.1")


def test_namespace_fields():
    args = FilledNamespace()
    assert (args.n_embd, args.n_layer, args.dropout, args.use_bias, args.model_type) == (64, 2, 0.1, False, None)
    assert isinstance(args.model, FilledNamespace) and args.model.hidden_size == 64
    assert args.get("lr", 3e-4) == 3e-4 and args["n_embd"] == 64
    with pytest.raises(AttributeError):
        args.__deepcopy__


# -- reasons a user can act on ----------------------------------------------------------------

REASONS = """\
import torch
import torch.nn as nn


class Good(nn.Module):
    def __init__(self, dim=4):
        super().__init__()
        self.table = torch.zeros(dim)


class NeedsTokenizer(nn.Module):
    def __init__(self, tokenizer):
        super().__init__()
        self.embed = nn.Embedding(len(tokenizer.vocab), 8)
        self.cache = torch.zeros(8)


class Broken(nn.Module):
    def __init__(self, dim=4):
        super().__init__()
        raise ValueError("checkpoint missing")
"""


def test_runtime_report_summary_and_explanation(tmp_path):
    import json

    from conftest import run_cli

    (tmp_path / "models.py").write_text(REASONS)
    report = tmp_path / "out" / "runtime.json"
    result = run_cli("models.py", "--runtime", "--no-cache", "--runtime-report", str(report), cwd=tmp_path)
    text = result.stdout.decode()
    assert result.returncode == 1, text + result.stderr.decode()
    assert "Not built (2), top reasons:\n" in text
    assert "   1 x build failed: ValueError: checkpoint missing\n" in text
    data = json.loads(report.read_text())
    by_class = {entry["class"]: entry for entry in data["classes"]}
    assert data["summary"]["classes"] == 3 and data["summary"]["built"] == 1
    good = by_class["Good"]
    assert (good["built"], good["how"], good["module"], good["device"]) == (True, "the signature's defaults",
                                                                             "models", "meta")
    assert good["seconds"] >= 0 and good["log"][0]["result"] == "built"
    broken = by_class["Broken"]
    assert (broken["built"], broken["why"]) == (False, "build failed: ValueError: checkpoint missing")
    assert by_class["NeedsTokenizer"]["built"] is False
    assert by_class["NeedsTokenizer"]["why"].startswith("build failed: ")

    json_out = json.loads(run_cli("models.py", "--runtime", "--no-cache", "--output-format", "json",
                                  cwd=tmp_path).stdout)
    cache = next(d for d in json_out if "self.cache" in d["message"])
    assert cache["runtime"]["verdict"] == "unverified" and cache["runtime"]["reason"].startswith("build failed: ")
    sarif = json.loads(run_cli("models.py", "--runtime", "--no-cache", "--output-format", "sarif",
                               cwd=tmp_path).stdout)
    runtime = [r["properties"]["runtime"] for r in sarif["runs"][0]["results"]]
    assert {r["verdict"] for r in runtime} == {"confirmed", "unverified"} and all(r["reason"] for r in runtime)

    explained = run_cli("models.py", "--runtime", "--no-cache", "--explain-runtime", "models:Broken", cwd=tmp_path)
    lines = explained.stdout.decode().splitlines()
    assert explained.returncode == 0
    assert lines[0] == "`Broken` in models.py (module models)"
    assert lines[1] == "  result:    not built: build failed: ValueError: checkpoint missing"
    assert any(line.startswith("    1. [meta] no arguments (the signature's defaults): ValueError: checkpoint missing")
               for line in lines)
    assert any(line.startswith('  to build it yourself: [tool.torchlint.runtime] factories = { "models:Broken"')
               for line in lines)
    missing = run_cli("models.py", "--runtime", "--no-cache", "--explain-runtime", "Nope", cwd=tmp_path)
    assert missing.returncode == 2 and b"no Module class named `Nope`" in missing.stderr
    no_runtime = run_cli("models.py", "--runtime-report", "r.json", cwd=tmp_path)
    assert no_runtime.returncode == 2 and b"--runtime-report needs --runtime" in no_runtime.stderr


@pytest.mark.parametrize("library", ["attrs", "pydantic"])
def test_attrs_and_pydantic_configs_with_a_required_field(tmp_path, library):
    pytest.importorskip(library)
    from torchlint.runtime.synthesis import Synthesiser

    declare = {
        "attrs": "import attrs\n\n@attrs.define\nclass NetConfig:\n    vocab: int\n    width: int = 16\n",
        "pydantic": "import pydantic\n\nclass NetConfig(pydantic.BaseModel):\n    vocab: int\n    width: int = 16\n",
    }[library]
    namespace: dict = {}
    exec(declare, namespace)
    config_class = namespace["NetConfig"]

    class Net(torch.nn.Module):
        def __init__(self, config: config_class):  # type: ignore[valid-type]
            super().__init__()
            self.embed = torch.nn.Embedding(config.vocab, config.width)

    plan = Synthesiser(torch, torch.nn, {"NetConfig": config_class}, lambda cls: None).plan(Net, 0)
    config = plan.kwargs["config"]
    assert (type(config), config.vocab, config.width) == (config_class, 128, 16)  # the author's default kept
    kind = "attrs class" if library == "attrs" else "pydantic model"
    assert plan.how == f"`config`: {kind} `NetConfig` with its defaults (vocab=128 made up)"
