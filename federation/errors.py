"""The one exception tree of the federation package."""

from __future__ import annotations


class FederationError(Exception):
    """Base class of every error raised by ``federation``."""


class InvalidActivity(FederationError, ValueError):
    """A JSON document that cannot be read as the ActivityPub shape we expect."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureError(FederationError):
    """An HTTP signature that cannot be accepted (the inbox answers 401)."""


class MissingSignature(SignatureError):
    pass


class InvalidSignature(SignatureError):
    pass


class ExpiredSignature(SignatureError):
    """Date, ``created`` or ``expires`` outside the accepted window."""


class DigestMismatch(SignatureError):
    """Digest / Content-Digest absent, unreadable or not matching the body."""


class FetchError(FederationError):
    """A network fetch or post that did not produce a usable answer."""


class PrivateAddressError(FetchError):
    pass


class ResponseTooLarge(FetchError):
    pass


class FetchTimeout(FetchError):
    pass


class ConnectionFailed(FetchError):
    pass


class BadResponse(FetchError):
    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(f"HTTP {status}" + (f": {reason}" if reason else ""))
        self.status = status


class WebFingerError(FederationError):
    pass
