"""Fixtures for the federation tests."""

from __future__ import annotations

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
