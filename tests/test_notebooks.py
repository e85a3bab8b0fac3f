"""Jupyter notebooks: discovery, cells joined into one module, magics masked, findings
placed in their cells in every output format, noqa in a cell, a broken cell beside good
ones, and a run that found nothing to lint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

NOTEBOOKS = FIXTURES / "notebooks"
# A notebook with a cell that does not parse (a TL000, which no runtime verdict applies
# to) lives outside fixtures/, which the runtime tests lint whole.
BROKEN = Path(__file__).parent / "data" / "notebooks"
EXPECTED = json.loads((NOTEBOOKS / "expected.json").read_text())


def notebook(*cells, minor: int = 5, ids: bool = True) -> str:
    """A notebook's JSON as Jupyter writes it (indent 1, sorted keys); each cell a
    string of code, or ("markdown", text)."""
    out = []
    for number, cell in enumerate(cells, 1):
        kind, text = cell if isinstance(cell, tuple) else ("code", cell)
        entry = {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True)}
        if kind == "code":
            entry.update(execution_count=None, outputs=[])
        if ids:
            entry["id"] = f"cell-{number}"
        out.append(entry)
    document = {"cells": out, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4,
                "nbformat_minor": minor}
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def findings(*args: str, cwd=None) -> list[tuple]:
    result = run_cli(*args, "--no-cache", "--output-format", "json", "--exit-zero", cwd=cwd)
    assert result.returncode == 0, result.stderr.decode()
    return [(Path(d["filename"]).name, d["code"], d["cell"], d["location"]["row"], d["location"]["column"])
            for d in json.loads(result.stdout)]


def test_every_notebook_fixture_is_listed():
    on_disk = sorted(p.relative_to(NOTEBOOKS).as_posix() for p in NOTEBOOKS.rglob("*.ipynb"))
    assert on_disk == sorted(EXPECTED)


@pytest.fixture(scope="module")
def fixture_findings():
    result = run_cli("fixtures/notebooks", "--no-cache", "--output-format", "json", "--exit-zero")
    assert result.returncode == 0, result.stderr.decode()
    found: dict[str, list] = {}
    for d in json.loads(result.stdout):
        relative = d["filename"].split("fixtures/notebooks/", 1)[1]
        found.setdefault(relative, []).append([d["code"], d["cell"], d["location"]["row"], d["location"]["column"]])
    return found


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_notebook_fixture_findings(relative, fixture_findings):
    assert sorted(fixture_findings.get(relative, [])) == sorted(EXPECTED[relative])


def test_text_names_the_cell():
    result = run_cli("fixtures/notebooks/buggy/positional_blocks.ipynb", "--no-cache")
    assert result.returncode == 1
    text = result.stdout.decode()
    assert "fixtures/notebooks/buggy/positional_blocks.ipynb:cell 5:5:9: TL001 `self.table`" in text
    assert "5 |         self.table = torch.zeros(max_len, dim)" in text  # the cell's own line and number
    concise = run_cli("fixtures/notebooks/buggy/positional_blocks.ipynb", "--no-cache", "--output-format", "concise")
    assert "positional_blocks.ipynb:cell 6:4:7: TL005 " in concise.stdout.decode()


def test_json_has_cell_index_and_id():
    result = run_cli("fixtures/notebooks/buggy/positional_blocks.ipynb", "--no-cache", "--output-format", "json")
    (table, heads, typo) = json.loads(result.stdout)
    assert (table["cell"], table["cell_id"], table["location"], table["noqa_row"]) == (
        5, "positional", {"row": 5, "column": 9}, 5)
    assert (typo["cell"], typo["cell_id"]) == (6, "train")
    lines = run_cli("fixtures/notebooks/buggy/positional_blocks.ipynb", "--no-cache", "--output-format", "json-lines")
    assert [json.loads(line)["cell"] for line in lines.stdout.decode().splitlines()] == [5, 5, 6]
    # a .py file's findings carry the fields too, null
    py = run_cli("fixtures/buggy/positional_encoding.py", "--no-cache", "--output-format", "json")
    assert {(d["cell"], d["cell_id"]) for d in json.loads(py.stdout)} == {(None, None)}


def test_nbformat_4_0_without_ids_and_string_sources():
    result = run_cli(str(BROKEN / "buggy/gated_broken_cell.ipynb"), "--no-cache", "--output-format", "json")
    broken, late = json.loads(result.stdout)
    assert (broken["code"], broken["cell"], broken["cell_id"]) == ("TL000", 2, None)
    assert broken["message"] == "Cell not linted: syntax error: '(' was never closed"
    assert (late["code"], late["cell"], late["location"]["row"]) == ("TL002", 3, 3)  # the cells after it are linted


def test_broken_cell_twin():
    result = run_cli(str(BROKEN / "clean"), "--no-cache")
    assert (result.returncode, result.stdout.decode()) == (0, "All checks passed!\n")


def test_class_split_over_cells_and_magics(tmp_path):
    """The base in cell 2 and the subclass in cell 4 are one module; magics, shell lines,
    help syntax and cell magics keep every row where it was."""
    (tmp_path / "nb.ipynb").write_text(notebook(
        "%matplotlib inline\n!pip install -q torch\nimport torch\nfrom torch import nn",
        "class Base(nn.Module):\n    pass",
        ("markdown", "## A subclass\n"),
        "%%time\nBase?\nfiles = !ls data/\nclass Net(Base):\n    def __init__(self):\n"
        "        super().__init__()\n        %time x = 1\n        self.w = torch.ones(3)\n",
        "%%bash\nfor f in *.pt; do echo $f; done\n",
    ))
    assert findings(str(tmp_path / "nb.ipynb")) == [("nb.ipynb", "TL001", 4, 8, 9)]


def test_noqa_inside_a_cell(tmp_path):
    (tmp_path / "nb.ipynb").write_text(notebook(
        "import torch\nfrom torch import nn",
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.a = torch.ones(3)  # noqa: TL001\n        self.b = torch.ones(3)  # noqa\n"
        "        self.c = torch.ones(3)  # noqa: TL007\n",
    ))
    assert findings(str(tmp_path / "nb.ipynb")) == [("nb.ipynb", "TL001", 2, 6, 9)]


def test_not_a_notebook_is_a_tl000(tmp_path):
    (tmp_path / "bad.ipynb").write_text('{"cells": [\n  oops\n]}\n')
    (tmp_path / "old.ipynb").write_text(json.dumps({"nbformat": 3, "worksheets": []}))
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = run_cli(str(tmp_path), "--no-cache", "--output-format", "json")
    assert result.returncode == 1
    found = {Path(d["filename"]).name: (d["code"], d["cell"], d["location"]["row"], d["message"])
             for d in json.loads(result.stdout)}
    assert found["bad.ipynb"][:3] == ("TL000", None, 2)
    assert "invalid JSON" in found["bad.ipynb"][3]
    assert found["old.ipynb"][3] == "File not linted: nbformat 3 notebooks are not read (torchlint reads nbformat 4)"


def test_notebooks_can_be_turned_off(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.torchlint]\nnotebooks = false\n")
    (tmp_path / "nb.ipynb").write_text(notebook("import torch\nfrom torch import nn",
                                                "class N(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.t = torch.ones(1)\n"))
    (tmp_path / "m.py").write_text("x = 1\n")
    result = run_cli(".", "--no-cache", cwd=tmp_path)
    assert (result.returncode, result.stdout.decode()) == (0, "All checks passed!\n")
    named = run_cli("nb.ipynb", "--no-cache", "--output-format", "concise", cwd=tmp_path)  # named: always linted
    assert "nb.ipynb:cell 2:4:9: TL001" in named.stdout.decode()


def test_a_non_python_notebook_has_nothing_to_lint(tmp_path):
    document = json.loads(notebook("library(torch)\nx <- torch_ones(3)\n"))
    document["metadata"] = {"kernelspec": {"language": "R", "name": "ir"}, "language_info": {"name": "R"}}
    (tmp_path / "r.ipynb").write_text(json.dumps(document))
    result = run_cli(str(tmp_path / "r.ipynb"), "--no-cache")
    assert (result.returncode, result.stdout.decode()) == (0, "All checks passed!\n")


# -- a run that found nothing to lint ---------------------------------------------------

def test_no_python_files_is_an_error(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("# notes\n")
    result = run_cli("docs", "--no-cache", cwd=tmp_path)
    assert result.returncode == 2
    assert "All checks passed" not in result.stdout.decode()
    assert result.stdout.decode() == "Nothing was linted.\n"
    assert "No Python files found under docs" in result.stderr.decode()
    statistics = run_cli("docs", "--no-cache", "--statistics", cwd=tmp_path)
    assert statistics.returncode == 2 and "No Python files found under docs" in statistics.stderr.decode()
    zero = run_cli("docs", "--no-cache", "--exit-zero", cwd=tmp_path)
    assert zero.returncode == 0 and "No Python files found under docs" in zero.stderr.decode()


def test_a_directory_of_notebooks_only_is_linted(tmp_path):
    (tmp_path / "nb.ipynb").write_text(notebook("x = 1"))
    result = run_cli(".", "--no-cache", cwd=tmp_path)
    assert (result.returncode, result.stdout.decode(), result.stderr.decode()) == (0, "All checks passed!\n", "")


# -- CI formats: a location the system can show -----------------------------------------

MEMORY = "fixtures/notebooks/buggy/memory_noqa.ipynb"
MEMORY_ROW = 25  # the .ipynb file's line that holds cell 2, line 5


def test_memory_fixture_row_is_the_source_line():
    line = (FIXTURES / "notebooks/buggy/memory_noqa.ipynb").read_text().splitlines()[MEMORY_ROW - 1]
    assert json.loads(line.strip().rstrip(",")) == "        self.values = torch.randn(slots, width)\n"


def test_github_annotation_points_at_the_notebook_line_and_names_the_cell():
    out = run_cli(MEMORY, "--no-cache", "--output-format", "github").stdout.decode().splitlines()[0]
    assert out.startswith(f"::error file={MEMORY},line={MEMORY_ROW},endLine={MEMORY_ROW},"
                          "title=TL001 (unregistered-tensor) in cell 2%2C line 5%2C column 9::`self.values`")


def test_sarif_region_and_cell_properties():
    log = json.loads(run_cli(MEMORY, "--no-cache", "--output-format", "sarif").stdout)
    (result,) = log["runs"][0]["results"]
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == MEMORY
    assert location["physicalLocation"]["region"] == {"startLine": MEMORY_ROW, "endLine": MEMORY_ROW}
    assert location["logicalLocations"][0]["name"] == "cell 2"
    assert result["properties"] == {"cell": 2, "cellId": "d4e5f6", "cellLine": 5, "cellColumn": 9,
                                    "cellEndLine": 5, "cellEndColumn": 20}
    assert result["message"]["text"].startswith("In cell 2, line 5, column 9: `self.values`")


def test_notebook_sarif_is_valid():
    from test_reports import validate_sarif

    validate_sarif(json.loads(run_cli("fixtures/notebooks/buggy", "--no-cache", "--output-format", "sarif").stdout))


def test_junit_and_gitlab_name_the_cell():
    import xml.etree.ElementTree as ET

    suites = ET.fromstring(run_cli(MEMORY, "--no-cache", "--output-format", "junit").stdout)
    case = suites.find("testsuite/testcase")
    assert case.get("name") == "TL001 (unregistered-tensor) at cell 2, line 5, column 9"
    assert case.get("line") == str(MEMORY_ROW)
    assert case.find("failure").text.startswith(f"{MEMORY}:cell 2:5:9: TL001 ")
    (issue,) = json.loads(run_cli(MEMORY, "--no-cache", "--output-format", "gitlab").stdout)
    assert issue["location"] == {"path": MEMORY, "lines": {"begin": MEMORY_ROW, "end": MEMORY_ROW}}
    assert issue["description"].endswith("(in cell 2, line 5, column 9)")


# -- fixes written back into the cells ---------------------------------------------------

def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    target.write_bytes((NOTEBOOKS / "buggy" / name).read_bytes())
    return target


def _outside_sources(text: str) -> dict:
    document = json.loads(text)
    for cell in document["cells"]:
        cell.pop("source")
    return document


def test_fix_round_trip_keeps_everything_but_the_edited_sources(tmp_path):
    path = _copy("positional_blocks.ipynb", tmp_path)
    before = path.read_text()
    result = run_cli(str(path), "--no-cache", "--fix", "--unsafe-fixes")
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    after = path.read_text()
    # the same bytes as the hand-fixed twin: outputs, execution counts, metadata,
    # attachments, ids, key order, indentation and the final newline all kept
    assert after == (NOTEBOOKS / "clean" / "positional_blocks.ipynb").read_text()
    assert _outside_sources(after) == _outside_sources(before)
    changed = [n for n, (a, b) in enumerate(zip(json.loads(before)["cells"], json.loads(after)["cells"]), 1)
               if a["source"] != b["source"]]
    assert changed == [5, 6]
    sources = json.loads(after)["cells"]
    assert sources[5]["source"][0] == "%%time\n"  # magics restored byte for byte
    assert sources[6]["source"][:2] == ["PositionalBlock?\n", "files = !ls\n"]
    again = run_cli(str(path), "--no-cache", "--fix", "--unsafe-fixes")
    assert again.returncode == 0 and path.read_text() == after  # a second --fix changes nothing


def test_fix_keeps_string_sources_and_leaves_the_broken_cell(tmp_path):
    path = tmp_path / "gated_broken_cell.ipynb"
    path.write_bytes((BROKEN / "buggy/gated_broken_cell.ipynb").read_bytes())
    result = run_cli(str(path), "--no-cache", "--fix")
    assert result.returncode == 1  # the broken cell's TL000 remains
    assert path.read_text() == (BROKEN / "clean" / "gated_broken_cell.ipynb").read_text().replace(
        "def summarise(model):", "def summarise(model:")
    assert "cell 2:1:14: TL000 Cell not linted" in result.stdout.decode()


def test_fix_a_magic_moved_by_an_inserted_line(tmp_path):
    """A fix that adds a line above a magic (super().__init__() inserted) puts the magic
    back byte for byte, one line lower."""
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook("import torch\nfrom torch import nn",
                             "class Net(nn.Module):\n    def __init__(self):\n        self.w = nn.Linear(2, 2)\n\n"
                             "%time net = Net()\n!echo done  # shell\n"))
    result = run_cli(str(path), "--no-cache", "--fix")
    assert result.returncode == 0, result.stdout.decode()
    cell = json.loads(path.read_text())["cells"][1]["source"]
    assert cell == ["class Net(nn.Module):\n", "    def __init__(self):\n", "        super().__init__()\n",
                    "        self.w = nn.Linear(2, 2)\n", "\n", "%time net = Net()\n", "!echo done  # shell\n"]


def test_diff_shows_each_cell_and_writes_nothing(tmp_path):
    path = _copy("positional_blocks.ipynb", tmp_path)
    before = path.read_bytes()
    result = run_cli(str(path), "--no-cache", "--diff")
    assert result.returncode == 1
    assert path.read_bytes() == before
    diff = result.stdout.decode()
    assert f"--- a/{path}:cell 5\n+++ b/{path}:cell 5\n" in diff
    assert '+        self.register_buffer("table", torch.zeros(max_len, dim), persistent=False)\n' in diff
    assert f"--- a/{path}:cell 6\n" in diff and "+    p.requires_grad = False\n" in diff
    assert "Would fix 2 errors in 1 file" in result.stderr.decode()


def test_json_fix_edits_are_in_the_cell(tmp_path):
    result = run_cli("fixtures/notebooks/buggy/positional_blocks.ipynb", "--no-cache", "--output-format", "json")
    table = json.loads(result.stdout)[0]
    (edit,) = table["fix"]["edits"]
    assert (edit["cell"], edit["location"], edit["end_location"]) == (5, {"row": 5, "column": 9}, {"row": 5, "column": 47})


def test_add_noqa_writes_into_the_cells(tmp_path):
    path = _copy("positional_blocks.ipynb", tmp_path)
    before = path.read_text()
    result = run_cli(str(path), "--no-cache", "--add-noqa")
    assert (result.returncode, result.stdout.decode()) == (0, "Added 3 noqa directives to 1 file.\n")
    after = path.read_text()
    assert _outside_sources(after) == _outside_sources(before)
    assert json.loads(after)["cells"][4]["source"][4] == "        self.table = torch.zeros(max_len, dim)  # noqa: TL001\n"
    assert run_cli(str(path), "--no-cache").returncode == 0


# -- cache ------------------------------------------------------------------------------

def test_cache_is_invalidated_when_a_cell_changes(tmp_path):
    path = tmp_path / "nb.ipynb"
    clean_cell = "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.w = nn.Parameter(torch.ones(1))\n"
    path.write_text(notebook("import torch\nfrom torch import nn", clean_cell))
    cache = tmp_path / "cache"
    args = (str(path), "--cache-dir", str(cache), "--output-format", "concise")
    assert run_cli(*args).returncode == 0
    assert run_cli(*args).returncode == 0
    path.write_text(notebook("import torch\nfrom torch import nn", clean_cell.replace("nn.Parameter(torch.ones(1))", "torch.ones(1)")))
    changed = run_cli(*args)
    assert changed.returncode == 1 and "nb.ipynb:cell 2:4:9: TL001" in changed.stdout.decode()
    warm = run_cli(*args)  # answered from the cache: still in its cell
    assert warm.stdout == changed.stdout
    assert len(list(cache.glob("*.json"))) == 2


# -- discovery: excludes, .gitignore, changed files, standard input ----------------------

BUGGY_CELLS = ("import torch\nfrom torch import nn",
               "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.t = torch.ones(1)\n")


def test_notebooks_follow_excludes_and_gitignore(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.torchlint]\nextend-exclude = ['scratch/']\n")
    (tmp_path / ".gitignore").write_text("*-copy.ipynb\n")
    for relative in ("models/nb.ipynb", "scratch/nb.ipynb", "models/.ipynb_checkpoints/nb-checkpoint.ipynb",
                     "models/nb-copy.ipynb"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(notebook(*BUGGY_CELLS))
    result = run_cli(".", "--no-cache", "--output-format", "concise", cwd=tmp_path)
    assert result.stdout.decode().splitlines()[0] == "models/nb.ipynb:cell 2:4:9: TL001 `self.t` holds a plain tensor, not a parameter or buffer: it is missing from `parameters()` and `state_dict()`, is never trained or saved, and is not moved by `.to(device)`"
    assert result.stdout.decode().count("TL001") == 1


def test_changed_only_takes_changed_notebooks(tmp_path):
    from gitrepo import commit_all, init_repo, write

    repo = init_repo(tmp_path / "repo")
    write(repo, "pyproject.toml", "[tool.torchlint]\n")
    write(repo, "old.ipynb", notebook(*BUGGY_CELLS))
    write(repo, "new.ipynb", notebook("x = 1"))
    commit_all(repo, "initial")
    write(repo, "new.ipynb", notebook(*BUGGY_CELLS))
    result = run_cli("--changed-only", "--output-format", "concise", "--no-cache", cwd=repo)
    assert [line.split(": ")[0] for line in result.stdout.decode().splitlines() if "TL0" in line] == ["new.ipynb:cell 2:4:9"]


def test_notebook_on_standard_input():
    data = (NOTEBOOKS / "buggy" / "memory_noqa.ipynb").read_bytes()
    result = run_cli("-", "--stdin-filename", "memory.ipynb", "--no-cache", "--output-format", "concise", stdin=data)
    assert result.stdout.decode().startswith("memory.ipynb:cell 2:5:9: TL001 ")


# -- the pieces -------------------------------------------------------------------------

def test_magics_are_masked_only_where_a_statement_starts():
    from torchlint.notebooks.magics import mask, unmask

    source = ('doc = """\n!not a shell line\n%not a magic\n"""\nx = (1,\n     2)\n!pip install \\\n    torch\n'
              'y = 3  # really?\nhelp_me?\n')
    masked = mask(source)
    assert sorted(masked.originals) == [6, 7, 9]  # the string's lines and the comment stay
    lines = masked.text.splitlines()
    assert lines[6].startswith("pass  # ") and lines[7].startswith("# ") and lines[9].startswith("pass  # ")
    import ast

    ast.parse(masked.text)
    assert unmask(masked.text, masked.originals) == source


def test_compact_and_ascii_escaped_notebooks_keep_their_style(tmp_path):
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": ["import torch\n", "from torch import nn"]},
             {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": ["class Net(nn.Module):  # caf\u00e9\n", "    def __init__(self):\n",
                         "        self.w = nn.Linear(2, 2)\n"]}]
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 2}
    path = tmp_path / "compact.ipynb"
    path.write_text(json.dumps(document, separators=(",", ":")))  # one line, \u00e9 escaped
    assert run_cli(str(path), "--no-cache", "--fix").returncode == 0
    text = path.read_text()
    assert "\n" not in text and text.isascii() and "caf\\u00e9" in text
    assert json.loads(text)["cells"][1]["source"][2] == "        super().__init__()\n"


def test_definitions_only_blanks_the_work(tmp_path):
    import importlib.util
    import traceback

    from torchlint.notebooks.definitions import definitions_only, importable_module

    text = ("import json\nimport plotting_lib_not_installed as plt\nHIDDEN = 8\nmodel = build()\n"
            "class Skipped(plt.Figure):\n    pass\n@staticmethod\ndef helper():\n    raise ValueError(HIDDEN)\n"
            "for epoch in range(10):\n    train()\n")
    out = definitions_only(text).splitlines()
    assert out == ["import json", "import plotting_lib_not_installed as plt", "HIDDEN = 8", "",
                   "class Skipped(plt.Figure):", "    pass", "@staticmethod", "def helper():",
                   "    raise ValueError(HIDDEN)", "", ""]
    # imported: each definition on its own at its own line; the missing package and the
    # class needing it are skipped, the rest is defined, tracebacks name the right lines
    (tmp_path / "generated.py").write_text(importable_module(text), newline="")
    spec = importlib.util.spec_from_file_location("generated", tmp_path / "generated.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (hasattr(module, "json"), hasattr(module, "plt"), hasattr(module, "Skipped")) == (True, False, False)
    with pytest.raises(ValueError) as raised:
        module.helper.__func__()
    frame = traceback.extract_tb(raised.value.__traceback__)[-1]
    assert (frame.lineno, frame.line) == (9, "raise ValueError(HIDDEN)")


@pytest.mark.torch
def test_runtime_imports_only_the_definitions(tmp_path):
    pytest.importorskip("torch")
    marker = tmp_path / "trained.txt"
    (tmp_path / "nb.ipynb").write_text(notebook(
        "%matplotlib inline\nimport torch\nfrom torch import nn\nimport not_installed_plotting as plt\nWIDTH = 4",
        "class Net(nn.Module):\n    def __init__(self, width=WIDTH):\n        super().__init__()\n        self.t = torch.ones(width)\n",
        f"model = Net()\nopen({str(marker)!r}, 'w').write('trained')\nraise SystemExit(3)\n",
    ))
    result = run_cli(str(tmp_path / "nb.ipynb"), "--runtime", "--no-cache", "--output-format", "json")
    (finding,) = json.loads(result.stdout)
    assert (finding["cell"], finding["location"]["row"], finding["runtime"]["verdict"]) == (2, 4, "confirmed")
    assert not marker.exists()  # the training cell never ran


def test_an_import_added_next_to_a_broken_cell_leaves_it_as_it_was(tmp_path):
    """A fix in the cell after one that does not parse: the broken cell's bytes stay."""
    path = tmp_path / "nb.ipynb"
    broken = "def oops(:\n    pass\n"
    path.write_text(notebook("import torch\nfrom torch import nn", broken,
                             "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                             "        self.blocks = [nn.Linear(2, 2), nn.Linear(2, 2)]\n"))
    result = run_cli(str(path), "--no-cache", "--fix", "--unsafe-fixes")
    cells = json.loads(path.read_text())["cells"]
    assert "".join(cells[1]["source"]) == broken
    assert cells[2]["source"][3] == "        self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])\n"
    assert "cell 2:1:10: TL000" in result.stdout.decode()


def test_cells_joined_and_split_back_exactly():
    from torchlint.notebooks import load

    data = (NOTEBOOKS / "buggy" / "positional_blocks.ipynb").read_bytes()
    joined = load(data)
    assert joined.split(joined.text) == {n: joined._joined_piece(n) for n in joined.masked}
    assert joined.rebuilt(joined.text) == (data.decode(), {})
    assert [(c.number, c.cell_id, c.lines) for c in joined.map.cells] == [
        (2, "imports", 7), (3, "base-block", 9), (5, "positional", 12), (6, "train", 5), (7, "plot", 5)]
