"""`torchlint server` end to end: a real client process talks JSON-RPC to the server
over stdio (tests/lsp_client.py), as an editor does. Skipped when pygls (the server
extra) is not installed; CI installs it (.ci/run)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs the server extra: pip install -e '.[server]'")

from lsp_client import LspClient, LspError, apply_edits, file_uri, workspace_edits  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

# A model with an unregistered tensor (line 9) and layers in a plain list (line 10).
BUGGY = textwrap.dedent('''\
    """A small residual MLP whose scale table is never registered."""
    import torch
    import torch.nn as nn


    class ResidualMLP(nn.Module):
        def __init__(self, width: int, depth: int):
            super().__init__()
            self.scale = torch.ones(width)
            self.blocks = [nn.Linear(width, width) for _ in range(depth)]

        def forward(self, x):
            for block in self.blocks:
                x = x + block(x) * self.scale
            return x
''')
CLEAN = BUGGY.replace("self.scale = torch.ones(width)", 'self.register_buffer("scale", torch.ones(width))').replace(
    "self.blocks = [nn.Linear(width, width) for _ in range(depth)]",
    "self.blocks = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])")


def _range(line: int, start: int, end_line: int, end: int) -> dict:
    return {"start": {"line": line, "character": start}, "end": {"line": end_line, "character": end}}


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    return root


@pytest.fixture()
def client(workspace: Path):
    lsp = LspClient(cwd=workspace)
    lsp.initialize(workspace)
    yield lsp
    lsp.close()


def _codes(diagnostics: list[dict]) -> list[tuple[str, int, int]]:
    return sorted((d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in diagnostics)


def _cli_fix(path: Path, workspace: Path) -> str:
    """The file's text after the CLI's `--fix` (on a copy)."""
    copy = workspace / "cli_copy" / path.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copy(path, copy)
    subprocess.run([sys.executable, "-m", "torchlint", "--no-cache", "--fix", str(copy)], cwd=workspace,
                   capture_output=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    return copy.read_text()


def test_open_reports_findings_with_code_range_severity_and_link(client: LspClient, workspace: Path):
    path = workspace / "mlp.py"
    path.write_text(BUGGY)
    uri = client.open(path)
    diagnostics = client.diagnostics(uri)
    assert _codes(diagnostics) == [("TL001", 8, 8), ("TL007", 9, 8)]
    tl001 = next(d for d in diagnostics if d["code"] == "TL001")
    assert tl001["range"] == _range(8, 8, 8, 18)  # `self.scale`
    assert tl001["severity"] == 2  # warning: the model builds, then misbehaves
    assert tl001["source"] == "torchlint"
    assert tl001["message"].startswith("`self.scale` holds a plain tensor, not a parameter or buffer")
    assert "\nhelp: Register it" in tl001["message"]
    assert tl001["codeDescription"]["href"].endswith("docs/rules/TL001.md")


def test_incremental_change_to_fixed_text_clears_and_a_new_bug_reports(client: LspClient, workspace: Path):
    path = workspace / "mlp.py"
    path.write_text(BUGGY)
    uri = client.open(path)
    assert len(client.diagnostics(uri, version=1)) == 2
    # two incremental edits, as an editor sends them: fix line 9, then line 10
    client.change(uri, 2, [{"range": _range(8, 8, 8, 38), "text": 'self.register_buffer("scale", torch.ones(width))'}])
    end = len(BUGGY.splitlines()[9]) + len("nn.ModuleList(")  # the changes apply in order
    client.change(uri, 3, [{"range": _range(9, 22, 9, 22), "text": "nn.ModuleList("},
                           {"range": _range(9, end, 9, end), "text": ")"}])
    assert client.diagnostics(uri, version=3) == []
    assert path.read_text() == BUGGY  # the disk was neither read for linting nor written
    # a full-text change (the other sync form) that brings a bug back
    client.change(uri, 4, [{"text": CLEAN.replace("        super().__init__()\n", "", 1)}])
    assert [d["code"] for d in client.diagnostics(uri, version=4)] == ["TL003"]


def test_quick_fix_applies_the_clis_edit_and_the_file_is_clean(client: LspClient, workspace: Path):
    path = workspace / "mlp.py"
    path.write_text(BUGGY)
    uri = client.open(path)
    client.diagnostics(uri, version=1)
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": _range(8, 10, 8, 10), "context": {"diagnostics": []}})
    titles = [a["title"] for a in actions]
    assert titles[0].startswith("Fix TL001: Register it as a non-persistent buffer")
    assert "Disable TL001 for this line" in titles
    fix = actions[0]
    assert fix["kind"] == "quickfix" and fix["isPreferred"] is True
    fixed = apply_edits(BUGGY, workspace_edits(fix["edit"], uri))
    cli = _cli_fix(path, workspace)
    assert fixed.splitlines()[8] == cli.splitlines()[8] == \
        '        self.register_buffer("scale", torch.ones(width), persistent=False)'
    client.change(uri, 2, [{"text": fixed}])
    assert [d["code"] for d in client.diagnostics(uri, version=2)] == ["TL007"]
    # TL007's fix adds state_dict keys: offered, marked unsafe, not preferred
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": _range(9, 10, 9, 10), "context": {"diagnostics": []}})
    unsafe = actions[0]
    assert unsafe["title"].startswith("Fix TL007") and "unsafe" in unsafe["title"] and unsafe["isPreferred"] is False
    fixed = apply_edits(fixed, workspace_edits(unsafe["edit"], uri))
    client.change(uri, 3, [{"text": fixed}])
    assert client.diagnostics(uri, version=3) == []


def test_fix_all_gives_the_text_of_cli_fix_and_only_safe_fixes(client: LspClient, workspace: Path):
    path = workspace / "mlp.py"
    path.write_text(BUGGY)
    uri = client.open(path)
    client.diagnostics(uri, version=1)
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": _range(0, 0, 0, 0),
        "context": {"diagnostics": [], "only": ["source.fixAll"]}})
    assert [a["kind"] for a in actions] == ["source.fixAll.torchlint"]
    fixed = apply_edits(BUGGY, workspace_edits(actions[0]["edit"], uri))
    assert fixed == _cli_fix(path, workspace)  # the CLI's safe --fix, byte for byte
    assert "nn.ModuleList" not in fixed  # TL007's fix is unsafe: never in fix-all
    client.change(uri, 2, [{"text": fixed}])
    assert [d["code"] for d in client.diagnostics(uri, version=2)] == ["TL007"]
    # without `only` (a light bulb), fix-all comes without its edit, computed on resolve
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": _range(9, 0, 9, 0), "context": {"diagnostics": []}})
    assert all(a["kind"] != "source.fixAll.torchlint" for a in actions)  # no safe fix left


def test_fix_all_resolve(client: LspClient, workspace: Path):
    path = workspace / "mlp.py"
    path.write_text(BUGGY)
    uri = client.open(path)
    client.diagnostics(uri, version=1)
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": _range(8, 0, 8, 0), "context": {"diagnostics": []}})
    lazy = next(a for a in actions if a["kind"] == "source.fixAll.torchlint")
    assert "edit" not in lazy
    resolved = client.request("codeAction/resolve", lazy)
    assert apply_edits(BUGGY, workspace_edits(resolved["edit"], uri)) == _cli_fix(path, workspace)


def test_disable_for_line_merges_with_an_existing_noqa(client: LspClient, workspace: Path):
    path = workspace / "mlp.py"
    text = BUGGY.replace("torch.ones(width)\n", "torch.ones(width)  # noqa: E501\n")
    path.write_text(text)
    uri = client.open(path)
    client.diagnostics(uri, version=1)
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": _range(8, 0, 8, 0), "context": {"diagnostics": []}})
    noqa = next(a for a in actions if a["title"] == "Disable TL001 for this line")
    new = apply_edits(text, workspace_edits(noqa["edit"], uri))
    assert new.splitlines()[8] == "        self.scale = torch.ones(width)  # noqa: E501, TL001"
    client.change(uri, 2, [{"text": new}])
    assert [d["code"] for d in client.diagnostics(uri, version=2)] == ["TL007"]


def test_hover_shows_the_rule_explanation(client: LspClient, workspace: Path):
    path = workspace / "mlp.py"
    path.write_text(BUGGY)
    uri = client.open(path)
    client.diagnostics(uri, version=1)
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 8, "character": 12}})
    value = hover["contents"]["value"]
    assert hover["contents"]["kind"] == "markdown"
    assert value.startswith("**TL001** `unregistered-tensor`: `self.scale` holds a plain tensor")
    for section in ("## What it does", "## Why is this bad?", "## Fix"):
        assert section in value
    assert hover["range"] == _range(8, 8, 8, 18)
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                 "position": {"line": 2, "character": 3}}) is None


def test_syntax_error_is_one_tl000_then_clears(client: LspClient, workspace: Path):
    path = workspace / "mlp.py"
    path.write_text(BUGGY)
    uri = client.open(path)
    client.diagnostics(uri, version=1)
    client.change(uri, 2, [{"range": _range(8, 38, 8, 38), "text": " +"}])  # `torch.ones(width) +`
    diagnostics = client.diagnostics(uri, version=2)
    assert [(d["code"], d["severity"], d["range"]["start"]["line"]) for d in diagnostics] == [("TL000", 1, 8)]
    assert diagnostics[0]["message"].startswith("File not linted: ")
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": _range(8, 0, 8, 0), "context": {"diagnostics": []}})
    assert actions == []  # TL000 cannot be suppressed, and has no fix
    client.change(uri, 3, [{"range": _range(8, 38, 8, 40), "text": ""}])
    assert len(client.diagnostics(uri, version=3)) == 2


def test_base_class_in_another_file_follows_its_changes_on_disk(client: LspClient, workspace: Path):
    base = workspace / "layers.py"
    base.write_text("import torch.nn as nn\n\n\nclass Block(nn.Module):\n    pass\n")
    model = workspace / "model.py"
    model.write_text(textwrap.dedent('''\
        import torch
        from layers import Block


        class Scaled(Block):
            def __init__(self, n):
                super().__init__()
                self.gain = torch.ones(n)
    '''))
    uri = client.open(model)
    assert _codes(client.diagnostics(uri, version=1)) == [("TL001", 7, 8)]
    # another program makes Block a plain class: the file watcher says so, the model is re-linted
    base.write_text("class Block:\n    def __init__(self):\n        pass\n")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": file_uri(base), "type": 2}]})
    assert client.diagnostics(uri) == []
    # ... and back, through an open document saved by the editor
    base_uri = client.open(base, "import torch.nn as nn\n\n\nclass Block(nn.Module):\n    pass\n")
    client.diagnostics(base_uri)
    base.write_text("import torch.nn as nn\n\n\nclass Block(nn.Module):\n    pass\n")
    client.notify("textDocument/didSave", {"textDocument": {"uri": base_uri}})
    assert _codes(client.diagnostics(uri)) == [("TL001", 7, 8)]


def test_pyproject_is_read_reloaded_and_a_broken_one_reported(client: LspClient, workspace: Path):
    pyproject = workspace / "pyproject.toml"
    pyproject.write_text('[project]\nname = "proj"\n\n[tool.torchlint]\nignore = ["TL007"]\n')
    path = workspace / "mlp.py"
    path.write_text(BUGGY)
    uri = client.open(path)
    assert [d["code"] for d in client.diagnostics(uri, version=1)] == ["TL001"]
    pyproject.write_text('[project]\nname = "proj"\n\n[tool.torchlint]\nignore = ["TL001"]\n')
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": file_uri(pyproject), "type": 2}]})
    assert [d["code"] for d in client.diagnostics(uri)] == ["TL007"]
    pyproject.write_text('[project]\nname = "proj"\n\n[tool.torchlint]\nignore = ["TL001"\n')  # not TOML
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": file_uri(pyproject), "type": 2}]})
    message = client.wait(lambda m: m.get("method") == "window/showMessage")["params"]
    assert message["type"] == 1 and "cannot read" in message["message"] and "default settings" in message["message"]
    assert [d["code"] for d in client.diagnostics(uri)] == ["TL001", "TL007"]  # the defaults


def test_per_file_ignores_and_exclude(client: LspClient, workspace: Path):
    (workspace / "pyproject.toml").write_text(
        '[tool.torchlint]\nper-file-ignores = { "legacy/*" = ["TL001"] }\nextend-exclude = ["generated/"]\n')
    for folder in ("legacy", "generated"):
        (workspace / folder).mkdir()
        (workspace / folder / "mlp.py").write_text(BUGGY)
    legacy = client.open(workspace / "legacy" / "mlp.py")
    assert [d["code"] for d in client.diagnostics(legacy)] == ["TL007"]
    generated = client.open(workspace / "generated" / "mlp.py")
    assert client.diagnostics(generated) == []


def test_client_settings_select_and_change(workspace: Path):
    client = LspClient(cwd=workspace, configuration={"ignore": ["TL001"]})
    try:
        client.initialize(workspace, capabilities={"workspace": {"configuration": True}},
                          options={"select": ["TL001"]})
        path = workspace / "mlp.py"
        path.write_text(BUGGY)
        uri = client.open(path)
        assert [d["code"] for d in client.diagnostics(uri)] == ["TL001"]
        client.notify("workspace/didChangeConfiguration", {"settings": {"torchlint": {"select": ["TL007"]}}})
        assert [d["code"] for d in client.diagnostics(uri)] == ["TL007"]
        # settings: null -> the server asks for the `torchlint` section (here: ignore TL001)
        client.notify("workspace/didChangeConfiguration", {"settings": None})
        assert [d["code"] for d in client.diagnostics(uri)] == ["TL007"]
        assert any(r["method"] == "workspace/configuration" for r in client.server_requests)
        client.notify("workspace/didChangeConfiguration", {"settings": {"torchlint": {"select": ["TL999"]}}})
        message = client.wait(lambda m: m.get("method") == "window/showMessage")["params"]
        assert "TL999" in message["message"]
        assert client.shutdown() == 0
    finally:
        client.close()


def test_pull_diagnostics_for_clients_that_ask(workspace: Path):
    client = LspClient(cwd=workspace)
    try:
        client.initialize(workspace, capabilities={"textDocument": {"diagnostic": {"dynamicRegistration": False}}})
        path = workspace / "mlp.py"
        path.write_text(BUGGY)
        uri = client.open(path)
        report = client.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
        assert report["kind"] == "full"
        assert _codes(report["items"]) == [("TL001", 8, 8), ("TL007", 9, 8)]
        again = client.request("textDocument/diagnostic", {"textDocument": {"uri": uri},
                                                           "previousResultId": report["resultId"]})
        assert again["kind"] == "unchanged"
        assert not any(n["method"] == "textDocument/publishDiagnostics" for n in client.notifications)
    finally:
        client.close()


def test_close_clears_and_positions_are_utf16(client: LspClient, workspace: Path):
    path = workspace / "mlp.py"
    text = BUGGY.replace("self.scale = torch.ones(width)", 'note = "🔥"; self.scale = torch.ones(width)')
    path.write_text(text, encoding="utf-8")
    uri = client.open(path)
    diagnostics = client.diagnostics(uri, version=1)
    tl001 = next(d for d in diagnostics if d["code"] == "TL001")
    # the emoji is one character but two UTF-16 code units
    assert tl001["range"] == _range(8, 21, 8, 31)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert client.diagnostics(uri) == []


def test_survives_malformed_input_unknown_methods_and_a_deleted_file(client: LspClient, workspace: Path):
    path = workspace / "mlp.py"
    path.write_text(BUGGY)
    uri = client.open(path)
    client.diagnostics(uri, version=1)
    client.send_raw(b'{"jsonrpc": "2.0", "id": 99, "method": "textDocument/hover", ')  # cut short
    client.send_raw(b"not json at all")
    client.notify("torchlint/noSuchNotification", {"x": 1})
    client.notify("textDocument/didChange", {"textDocument": "not an identifier", "contentChanges": 5})
    with pytest.raises(LspError) as unknown:
        client.request("torchlint/noSuchRequest", {})
    assert unknown.value.error["code"] == -32601  # method not found
    with pytest.raises(LspError) as invalid:
        client.request("textDocument/hover", {"textDocument": 3})
    assert invalid.value.error["code"] in (-32602, -32603)
    # the file is deleted on disk while open: the editor's text is still linted
    path.unlink()
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri, "type": 3}]})
    client.change(uri, 2, [{"text": BUGGY + "\n\nclass Other(nn.Module):\n    def __init__(self):\n        self.w = 1\n"}])
    assert [d["code"] for d in client.diagnostics(uri, version=2)] == ["TL001", "TL003", "TL007"]
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 8, "character": 12}})
    assert hover["contents"]["value"].startswith("**TL001**")
    assert not path.exists()  # never written back
    assert client.shutdown() == 0


def test_initialize_advertises_what_the_server_does(workspace: Path):
    client = LspClient(cwd=workspace)
    try:
        capabilities = client.initialize(workspace, capabilities={
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}})["capabilities"]
        registration = client.wait(lambda m: m.get("method") == "client/registerCapability")["params"]
        watchers = registration["registrations"][0]["registerOptions"]["watchers"]
        assert [w["globPattern"] for w in watchers] == ["**/*.py", "**/pyproject.toml"]
        assert capabilities["textDocumentSync"]["change"] == 2  # incremental
        assert capabilities["hoverProvider"] is True
        assert "source.fixAll.torchlint" in capabilities["codeActionProvider"]["codeActionKinds"]
        assert capabilities["diagnosticProvider"]["identifier"] == "torchlint"
        assert client.shutdown() == 0
    finally:
        client.close()
    assert json.dumps(capabilities)  # plain JSON


def test_crlf_text_and_documents_that_are_not_python(client: LspClient, workspace: Path):
    path = workspace / "mlp.py"
    text = BUGGY.replace("\n", "\r\n")
    path.write_bytes(text.encode())
    uri = client.open(path, text)
    assert _codes(client.diagnostics(uri, version=1)) == [("TL001", 8, 8), ("TL007", 9, 8)]
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": _range(0, 0, 0, 0),
        "context": {"diagnostics": [], "only": ["source.fixAll.torchlint"]}})
    fixed = apply_edits(text, workspace_edits(actions[0]["edit"], uri))
    assert fixed.count("\r\n") == text.count("\r\n") and "\n" not in fixed.replace("\r\n", "")
    assert 'self.register_buffer("scale", torch.ones(width), persistent=False)\r\n' in fixed
    # a pyproject.toml or a stub the client also syncs is not linted as Python
    toml = client.open(workspace / "pyproject.toml")
    stub = client.open(workspace / "mlp.pyi", BUGGY)
    untitled = "untitled:Untitled-1"
    client.notify("textDocument/didOpen", {"textDocument": {"uri": untitled, "languageId": "python", "version": 1,
                                                            "text": BUGGY}})
    assert _codes(client.diagnostics(untitled)) == [("TL001", 8, 8), ("TL007", 9, 8)]
    assert not any(n["params"]["uri"] in (toml, stub) for n in client.notifications
                   if n["method"] == "textDocument/publishDiagnostics")


def test_a_burst_of_changes_is_linted_once(workspace: Path):
    client = LspClient(cwd=workspace)
    try:
        client.initialize(workspace, options={"debounceMs": 600})
        path = workspace / "mlp.py"
        path.write_text(CLEAN)
        uri = client.open(path)
        assert client.diagnostics(uri, version=1) == []
        for version in range(2, 7):  # typing: one character at a time, faster than the debounce
            client.change(uri, version, [{"range": _range(0, 3, 0, 3), "text": "x"}])
        client.change(uri, 7, [{"text": BUGGY}])
        assert len(client.diagnostics(uri, version=7)) == 2
        published = [n["params"]["version"] for n in client.notifications
                     if n["method"] == "textDocument/publishDiagnostics"]
        assert published == [1, 7]
    finally:
        client.close()


def test_a_base_module_created_later_is_found(client: LspClient, workspace: Path):
    model = workspace / "model.py"
    model.write_text("import torch\nfrom blocks import Block\n\n\nclass Gate(Block):\n    def __init__(self):\n"
                     "        super().__init__()\n        self.bias = torch.zeros(4)\n")
    uri = client.open(model)
    assert client.diagnostics(uri, version=1) == []  # Block's module does not exist yet: unknown base
    (workspace / "blocks").mkdir()
    (workspace / "blocks" / "__init__.py").write_text("from torch import nn\n\n\nclass Block(nn.Module):\n    pass\n")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [
        {"uri": file_uri(workspace / "blocks"), "type": 1}]})  # a client may report only the directory
    assert _codes(client.diagnostics(uri)) == [("TL001", 7, 8)]


def test_the_server_exits_when_the_client_goes_away(workspace: Path):
    client = LspClient(cwd=workspace)
    try:
        client.initialize(workspace)
        path = workspace / "mlp.py"
        path.write_text(BUGGY)
        client.diagnostics(client.open(path))
        client.process.stdin.close()  # the editor crashed: no shutdown, no exit
        assert client.process.wait(30) in (0, 1)
    finally:
        client.close()
