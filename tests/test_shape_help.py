"""TL101's help in the code's own expressions (torchlint/runtime/shape_help.py): no
torch needed, the findings are written as the worker writes them."""

from __future__ import annotations

import textwrap

import pytest

from torchlint.runtime.shape_help import shape_help


def finding(kind: str, attribute: str, expected: str, line=None, qualname="Net") -> dict:
    return {
        "code": "TL101", "qualname": qualname, "attribute": attribute, "line": line,
        "message": f"`self.{attribute}` has shape (1,) but `nn.{kind}(...)` expects {expected}: ...",
        "help": f"Give the Parameter the layer's shape {expected}",
    }


def lines(source: str) -> list[str]:
    return textwrap.dedent(source).splitlines()


CASES = [
    ("self.fc = nn.Linear(dim, dim + 1)", "Linear", "fc.weight", "(65, 64)", "(dim + 1, dim)"),
    ("self.fc = nn.Linear(dim, dim + 1)", "Linear", "fc.bias", "(65,)", "(dim + 1,)"),
    ("self.fc = nn.Linear(in_features=a, out_features=b, bias=False)", "Linear", "fc.weight", "(2, 1)", "(b, a)"),
    ("self.bi = nn.Bilinear(x, y, z)", "Bilinear", "bi.weight", "(3, 1, 2)", "(z, x, y)"),
    ("self.conv = nn.Conv2d(cin, cout, 3)", "Conv2d", "conv.weight", "(8, 4, 3, 3)", "(cout, cin, 3, 3)"),
    ("self.conv = nn.Conv2d(cin, cout, (1, k), groups=g)", "Conv2d", "conv.weight", "(8, 2, 1, 5)",
     "(cout, cin // g, 1, k)"),
    ("self.conv = nn.Conv1d(c * 2, c, kernel_size=ks, groups=heads + 1)", "Conv1d", "conv.weight", "(8, 2, 7)",
     "(c, (c * 2) // (heads + 1), 7)"),  # a kernel size in a variable: as built
    ("self.up = nn.ConvTranspose2d(cin, cout, 2, stride=2)", "ConvTranspose2d", "up.weight", "(4, 8, 2, 2)",
     "(cin, cout, 2, 2)"),
    ("self.emb = nn.Embedding(vocab, embedding_dim=width)", "Embedding", "emb.weight", "(10, 4)", "(vocab, width)"),
    ("self.norm = nn.LayerNorm(dim)", "LayerNorm", "norm.weight", "(64,)", "(dim,)"),
    ("self.norm = nn.LayerNorm((h, w))", "LayerNorm", "norm.bias", "(4, 5)", "(h, w)"),
    ("self.norm = torch.nn.GroupNorm(groups, channels)", "GroupNorm", "norm.weight", "(16,)", "(channels,)"),
    ("self.act = nn.PReLU()", "PReLU", "act.weight", "(1,)", "(1,)"),
    ("self.bn = nn.BatchNorm2d(num_features=c)", "BatchNorm2d", "bn.running_mean", "(16,)", "(c,)"),
]


@pytest.mark.parametrize("built, kind, attribute, expected, spelt", CASES)
def test_the_shape_in_the_code_s_expressions(built, kind, attribute, expected, spelt):
    source = f"class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        {built}\n"
    help = shape_help(finding(kind, attribute, expected), lines(source))
    assert help == f"Give the Parameter the layer's shape, `{spelt}` for `{built}`"


def test_the_build_before_the_replacing_line_in_the_right_class():
    source = """\
    class Other(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(p, q)

    class Outer:
        class Net(nn.Module):
            def __init__(self, small):
                super().__init__()
                if small:
                    self.fc = nn.Linear(d, 2 * d)
                else:
                    self.fc = nn.Linear(d, 4 * d)
                self.fc.weight = nn.Parameter(torch.zeros(d, d))
                self.fc = nn.Linear(1, 1)
    """
    help = shape_help(finding("Linear", "fc.weight", "(128, 32)", line=13, qualname="Outer.Net"), lines(source))
    assert help == "Give the Parameter the layer's shape, `(4 * d, d)` for `self.fc = nn.Linear(d, 4 * d)`"


@pytest.mark.parametrize("source, attribute", [
    ("self.fc = nn.Linear(*sizes)", "fc.weight"),  # which argument is which: unknown
    ("self.fc = nn.Linear(**config)", "fc.weight"),
    ("self.fc = make_linear(a, b)", "fc.weight"),  # not built here
    ("self.fc = nn.Linear(a, b)", "block.fc.weight"),  # a layer inside a submodule
    ("self.conv = nn.Conv2d(a, b)", "conv.weight"),  # incomplete call
])
def test_the_worker_help_is_kept_when_the_code_does_not_say(source, attribute):
    text = f"class Net(nn.Module):\n    def __init__(self):\n        {source}\n"
    kind = "Conv2d" if "Conv" in source else "Linear"
    assert shape_help(finding(kind, attribute, "(2, 1, 3, 3)" if kind == "Conv2d" else "(2, 1)"), lines(text)) is None
