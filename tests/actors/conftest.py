"""Fixtures for the actor route tests."""

from __future__ import annotations

import pytest

from tests.actors.actor_support import use_session_keys


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)
