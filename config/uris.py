"""Where our actors and objects live: every id we emit is built here, and nowhere else."""

from __future__ import annotations

import re
import uuid

INSTANCE_USERNAME = "instance"
RESERVED_USERNAMES = frozenset({INSTANCE_USERNAME, "actor", "inbox", "static", "api", "root"})
USERNAME_RE = re.compile(r"^[a-z0-9_]([a-z0-9_.-]{0,28}[a-z0-9_])?$")


class Uris:
    """The ids and page URLs of one instance, from its base URL (``https://host[:port]``)."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")

    def actor(self, username: str) -> str:
        return f"{self.base}/@{username}"

    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    def key_id(self, actor_uri: str) -> str:
        return f"{actor_uri}#main-key"

    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def new_post(self) -> str:
        return f"{self.base}/posts/{uuid.uuid4()}"

    def new_activity(self) -> str:
        return f"{self.base}/activities/{uuid.uuid4()}"


def normalise_username(username: str) -> str:
    return username.strip().lstrip("@").lower()


def is_valid_username(username: str) -> bool:
    return bool(USERNAME_RE.match(username)) and username not in RESERVED_USERNAMES
