"""Steps a resident takes in rig tests, through the same services as the web UI."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from actors.follows import follow, unfollow
from storage.models import Account, Actor, Notification
from tests.federation_rig.rig import Node
from tests.webui.web_support import session_cookie
from webui.session import SESSION_COOKIE, open_session_data


async def _remote(node: Node, uri: str) -> Actor:
    target = await node.instance.remote_actors.actor(uri)
    assert target is not None, f"{node.host} cannot resolve {uri}"
    return target


async def follow_remote(node: Node, follower: Actor, target_uri: str) -> None:
    target = await _remote(node, target_uri)
    async with node.instance.database.transaction() as session:
        await follow(session, node.instance.uris, follower, target)


async def unfollow_remote(node: Node, follower: Actor, target_uri: str) -> None:
    target = await _remote(node, target_uri)
    async with node.instance.database.transaction() as session:
        await unfollow(session, node.instance.uris, follower, target)


async def browser_of(node: Node, username: str) -> tuple[dict[str, str], str]:
    """The cookie header and CSRF token of a logged-in resident of ``node``."""
    async with node.instance.database.session() as session:
        account = await session.scalar(select(Account).where(Account.username == username))
    assert account is not None
    csrf = secrets.token_urlsafe(16)
    data = await open_session_data(node.instance.database, account, csrf=csrf)
    cookie = session_cookie(node.settings, data)
    return {"Cookie": f"{SESSION_COOKIE}={cookie}"}, csrf


@dataclass(frozen=True)
class Told:
    """One notification as a test reads it: what, from whom, about which post, collective,
    event and date."""

    kind: str
    sender: str | None
    post_id: int | None = None
    group_id: int | None = None
    event_id: int | None = None
    occurrence: datetime | None = None


async def notifications_of(node: Node, username: str) -> list[Told]:
    """What a resident of ``node`` was told, oldest first."""
    recipient, sender = aliased(Actor), aliased(Actor)
    async with node.instance.database.session() as session:
        rows = await session.execute(
            select(Notification, sender.uri)
            .join(recipient, recipient.id == Notification.recipient_id)
            .outerjoin(sender, sender.id == Notification.from_actor_id)
            .where(recipient.username == username, recipient.is_local.is_(True))
            .order_by(Notification.id)
        )
        return [
            Told(n.kind, uri, n.post_id, n.group_id, n.event_id, n.occurrence) for n, uri in rows
        ]
