"""What can go wrong when creating or changing actors; each message is one line for a person."""


class ActorError(Exception):
    """Base of the actor errors; ``str()`` is the message to show."""


class InvalidUsername(ActorError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"{username!r} is not a valid name: use 1 to 30 lowercase letters, digits, "
            "'_', '-' or '.', starting and ending with a letter, digit or '_'"
        )


class NameTaken(ActorError):
    def __init__(self, username: str) -> None:
        super().__init__(f"the name {username!r} is already taken on this instance")


class UnknownAccount(ActorError):
    def __init__(self, username: str) -> None:
        super().__init__(f"no account named {username!r} on this instance")


class InvalidGroupKind(ActorError):
    def __init__(self, kind: str) -> None:
        super().__init__(f"a collective is a project, a space or an assembly, not {kind!r}")
