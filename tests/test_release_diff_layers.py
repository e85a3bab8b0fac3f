"""release_diff's TL009 heuristic also knows a package's own layer classes (built in forward in one release,
in __init__ in the next), and leaves parameterless ones alone."""
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import release_diff  # noqa: E402

LAYERS = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class GatedUnit(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.gate = nn.Linear(dim, dim)

        def forward(self, x):
            return x * torch.sigmoid(self.gate(x))


    class Scaled(GatedUnit):
        pass


    class Swish(nn.Module):
        def forward(self, x):
            return x * torch.sigmoid(x)


    class Plain:
        def __init__(self, dim):
            self.dim = dim
    """
)

OLD = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Encoder(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.dim = dim

        def forward(self, x):
            x = Swish()(x)
            return GatedUnit(self.dim)(x)
    """
)
NEW = textwrap.dedent(
    """\
    import torch
    from torch import nn


    class Encoder(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.unit = GatedUnit(dim)

        def forward(self, x):
            x = Swish()(x)
            return self.unit(x)
    """
)


def test_project_layer_classes_are_modules_that_make_parameters():
    assert release_diff.project_layer_classes([LAYERS]) == {"GatedUnit", "Scaled"}
    assert release_diff.project_layer_classes(["class GatedUnit(nn.Module): pass"]) == frozenset()  # no torch


def test_a_project_layer_built_in_forward_then_in_init_is_a_tl009_candidate():
    layers = release_diff.project_layer_classes([LAYERS])
    cands = release_diff.compare(OLD, NEW, "enc.py", "enc.py", project_layers=layers)
    assert [(c.code, c.cls, c.attr, c.old_lines) for c in cands] == [("TL009", "Encoder", "GatedUnit", (12, 12))]
    assert cands[0].why == "GatedUnit(...) no longer built in forward (now in construction)"
    # the parameterless Swish built per call is no candidate, and without the project's classes nothing is
    assert release_diff.compare(OLD, NEW, "enc.py", "enc.py") == []
    assert release_diff.compare(NEW, NEW, "enc.py", "enc.py", project_layers=layers) == []
