"""torchlint: a linter for PyTorch nn.Module code."""

__version__ = "0.1.0"
