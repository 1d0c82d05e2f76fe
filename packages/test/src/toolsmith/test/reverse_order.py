"""A pytest plugin (``-p toolsmith.test.reverse_order``): run the collected tests in reverse order.

The checks run a test file forwards and backwards: a test that passes only after another one ran
(shared state) fails one of the two.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    items.reverse()
