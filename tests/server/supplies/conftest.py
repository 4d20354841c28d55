"""The supply ledger's tests act as the supply manager."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from server.auth.models import Role, User


@pytest.fixture
def manager(create_user: Callable[..., User]) -> User:
    return create_user(Role.SUPPLY_MANAGER)
