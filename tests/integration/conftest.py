from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from inprocess import Service, in_process_service


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    async with in_process_service() as running:
        yield running
