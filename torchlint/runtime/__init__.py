"""The runtime checker (``--runtime``): import the linted code in worker processes, build
every Module class on the meta device, and compare what torch registered with what
the instance holds.

Importing this package imports neither torch nor user code: the linter's process
only plans and judges (``runner.py``, ``verdicts.py``); torch lives in the workers
(``worker.py``, ``instantiate.py``, ``inspection.py``) and in ``api.py`` for models
the user built.
"""

from __future__ import annotations

from typing import Any


def apply_runtime(*args: Any, **kwargs: Any):
    from torchlint.runtime.runner import apply_runtime as run

    return run(*args, **kwargs)


def check_model(model: Any, **kwargs: Any):
    from torchlint.runtime.api import check_model as check

    return check(model, **kwargs)


def assert_registered(model: Any, **kwargs: Any) -> None:
    from torchlint.runtime.api import assert_registered as check

    check(model, **kwargs)


__all__ = ["apply_runtime", "check_model", "assert_registered"]
