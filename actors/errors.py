"""What can go wrong when creating or changing actors, as kinds of :mod:`config.errors`."""

from __future__ import annotations

from config.errors import Conflict, ErrorCode, Invalid, NotFound


class InvalidUsername(Invalid):
    def __init__(self, username: str) -> None:
        super().__init__(ErrorCode.INVALID_USERNAME, "username", name=username)


class NameTaken(Conflict):
    def __init__(self, username: str) -> None:
        super().__init__(ErrorCode.NAME_TAKEN, "username", name=username)


class UnknownAccount(NotFound):
    def __init__(self, username: str) -> None:
        super().__init__(ErrorCode.UNKNOWN_ACCOUNT, "username", name=username)


class InvalidGroupKind(Invalid):
    def __init__(self, kind: str) -> None:
        super().__init__(ErrorCode.INVALID_GROUP_KIND, "kind", kind=kind)
