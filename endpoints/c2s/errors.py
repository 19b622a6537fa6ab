"""The one error of the client-to-server API: a status and a reason the client can read."""

from __future__ import annotations


class ClientError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
