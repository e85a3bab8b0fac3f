"""torchlint: a linter for PyTorch nn.Module code."""

__version__ = "0.1.0"


def check_model(model, **kwargs):
    """The runtime findings (list of Diagnostic) of a model you built: see torchlint.runtime.api."""
    from torchlint.runtime.api import check_model as check

    return check(model, **kwargs)


def assert_registered(model, **kwargs) -> None:
    """Raise AssertionError listing the runtime findings of ``model``, if any."""
    from torchlint.runtime.api import assert_registered as check

    check(model, **kwargs)
