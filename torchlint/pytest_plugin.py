"""pytest plugin (entry point ``pytest11``): ``assert_registered(model)`` in your tests.

    def test_model_registers_everything(assert_registered):
        assert_registered(MyModel(dim=16))

fails listing every unregistered tensor, plain list of modules or Parameters,
``requires_grad`` typo and mis-shaped layer weight. torch is imported only when the
fixture is used, so the plugin costs nothing in test suites that do not use it.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def assert_registered():
    from torchlint.runtime.api import assert_registered as check

    return check
