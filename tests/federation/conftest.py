"""Fixtures for the federation tests."""

from __future__ import annotations

import pytest

from federation.keys import KeyPair
from tests.federation.federation_support import session_keypair


@pytest.fixture
def rsa_keys() -> KeyPair:
    return session_keypair()
