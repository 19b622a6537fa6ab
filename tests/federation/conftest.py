"""Fixtures for the federation tests."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.keys import KeyPair
from tests.federation.federation_support import session_keypair


@pytest.fixture
def rsa_keys() -> KeyPair:
    return session_keypair()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    """The Ed25519 key of the integrity proof tests (a fixed one: the proofs can be compared)."""
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def clock_in_geneva(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A server whose clock is set to Geneva's time (the suite's machines run in UTC)."""
    monkeypatch.setenv("TZ", "Europe/Zurich")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
