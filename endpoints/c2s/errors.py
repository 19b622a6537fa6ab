"""The one error of the client-to-server API: a status and a reason the client can read."""

from __future__ import annotations

from config.errors import DomainError
from endpoints.errors import status_and_reason


class ClientError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    @classmethod
    def refusing(cls, error: DomainError) -> ClientError:
        """The answer to an action the services refused."""
        return cls(*status_and_reason(error))
