"""Layers of other packages built in forward (TL009): known model-library layers by table,
and classes of installed packages by reading their source, never importing it."""

from textwrap import dedent

from torchlint.analysis import project


def _forward_builds(layer: str, header: str) -> str:
    return header + dedent(f"""

        class Readout(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.dim = dim

            def forward(self, x):
                return {layer}(self.dim, self.dim)(x)
        """)


def _install(tmp_path, monkeypatch, package: str, names: str, layers: str) -> None:
    """A package on sys.path that raises when imported: torchlint must read its source."""
    site = tmp_path / "site"
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(f"raise ImportError('never imported')\nfrom .layers import {names}\n")
    (site / package / "layers.py").write_text(dedent(layers))
    monkeypatch.syspath_prepend(str(site))


def test_installed_layer_with_weights_built_in_forward_is_read_not_imported(tmp_path, monkeypatch, codes):
    _install(tmp_path, monkeypatch, "graphkit", "Mixer, Gate", """\
        import torch
        import torch.nn as nn

        class Mixer(nn.Module):
            def __init__(self, n_in, n_out):
                super().__init__()
                self.proj = nn.Linear(n_in, n_out)

        class Gate(nn.Module):
            def __init__(self, n_in, n_out):
                super().__init__()
                self.n_out = n_out

            def forward(self, x):
                return torch.sigmoid(x)[..., : self.n_out]
        """)
    project._installed_root.cache_clear()
    try:
        header = "import torch.nn as nn\nfrom graphkit import Mixer, Gate\n"
        assert codes(_forward_builds("Mixer", header)) == ["TL009"]
        assert codes(_forward_builds("Gate", header)) == []
    finally:
        project._installed_root.cache_clear()


def test_uninstalled_unknown_layer_built_in_forward_is_not_judged(codes):
    header = "import torch.nn as nn\nfrom nosuchgraphlib.layers import Mixer\n"
    assert codes(_forward_builds("Mixer", header)) == []


def test_known_dgl_layers_by_every_import_path(codes):
    for header in ("import torch.nn as nn\nfrom dgl.nn import GATConv\n",
                   "import torch.nn as nn\nfrom dgl.nn.pytorch.conv import GATConv\n"):
        assert codes(_forward_builds("GATConv", header)) == ["TL009"]
    assert codes(_forward_builds("SumPooling", "import torch.nn as nn\nfrom dgl.nn import SumPooling\n")) == []


def test_jit_attribute_declares_the_value_itself(codes):
    """`torch.jit.Attribute(t, torch.Tensor)` on a ScriptModule stores the tensor unregistered."""
    source = dedent("""\
        import torch

        class Shift(torch.jit.ScriptModule):
            def __init__(self, n=8):
                super().__init__()
                self.t = torch.jit.Attribute(torch.zeros(n), torch.Tensor)
                self.k = torch.jit.Attribute(2, int)
        """)
    assert codes(source) == ["TL001"]


def test_installed_layers_kept_in_a_plain_list_are_read_not_imported(tmp_path, monkeypatch, codes):
    _install(tmp_path, monkeypatch, "blockkit", "ConvUnit, Act", """\
        import torch.nn as nn

        class ConvUnit(nn.Module):
            def __init__(self, c):
                super().__init__()
                self.conv = nn.Conv2d(c, c, 3)

        class Act(nn.Module):
            def forward(self, x):
                return x.clamp(min=0)
        """)
    project._installed_root.cache_clear()
    try:
        header = "import torch.nn as nn\nfrom blockkit import ConvUnit, Act\n\n"
        body = "class Net(nn.Module):\n    def __init__(self, chans):\n        super().__init__()\n        self.units = {}\n"
        assert codes(header + body.replace("{}", "[ConvUnit(c) for c in chans]")) == ["TL007"]
        assert codes(header + body.replace("{}", "[Act() for c in chans]")) == []
        assert codes(header + body.replace("{}", "nn.ModuleList([ConvUnit(c) for c in chans])")) == []
    finally:
        project._installed_root.cache_clear()


def test_uninstalled_unknown_layers_in_a_plain_list_are_not_judged(codes):
    source = ("import torch.nn as nn\nfrom nosuchblocklib import ConvUnit\n\n"
              "class Net(nn.Module):\n    def __init__(self, chans):\n        super().__init__()\n"
              "        self.units = [ConvUnit(c) for c in chans]\n")
    assert codes(source) == []
