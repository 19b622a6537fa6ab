"""Mentions: ``@user`` (a resident here) and ``@user@host`` (anyone on the fediverse).

Resolving an unknown remote handle is a WebFinger lookup and an actor fetch, so the web UI calls
:func:`resolve_mentions` *before* it opens the transaction that writes the post (never hold a
transaction over network I/O); inside it, :func:`known_mentions` finds them all in the database.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

from markupsafe import escape
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.remote import HandleNotResolved, RemoteActors
from commons.posts.hashtags import map_text_nodes
from storage.models import Actor, PostMention

log = logging.getLogger(__name__)

MENTION_RE = re.compile(
    r"(?<![\w@/.:])@([a-zA-Z0-9_](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9_])?)"
    r"(?:@([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+(?::\d{1,5})?))?"
)
MAX_MENTIONS = 20


def mention_key(username: str, host: str | None) -> str:
    return f"{username}@{host}".lower() if host else username.lower()


def find_mentions(text: str) -> list[tuple[str, str | None]]:
    """``(username, host or None)`` of every mention in ``text``, each once, in order."""
    found: dict[str, tuple[str, str | None]] = {}
    for match in MENTION_RE.finditer(text):
        username, host = match.group(1), match.group(2)
        found.setdefault(
            mention_key(username, host), (username.lower(), (host or "").lower() or None)
        )
    return list(found.values())[:MAX_MENTIONS]


def _is_local_host(host: str | None, local_domain: str) -> bool:
    return host is None or host == local_domain or host == local_domain.split(":", 1)[0]


async def known_mentions(session: AsyncSession, text: str, local_domain: str) -> dict[str, Actor]:
    """The mentioned actors already in the database, by the key their mention was written with."""
    found: dict[str, Actor] = {}
    for username, host in find_mentions(text):
        query = select(Actor).where(
            func.lower(Actor.username) == username, Actor.is_gone.is_(False)
        )
        if _is_local_host(host, local_domain):
            query = query.where(Actor.is_local.is_(True))
        else:
            query = query.where(Actor.domain == host, Actor.is_local.is_(False))
        actor = await session.scalar(query.limit(1))
        if actor is not None:
            found[mention_key(username, host)] = actor
    return found


async def resolve_mentions(
    remote_actors: RemoteActors, local_domain: str, text: str
) -> dict[str, Actor]:
    """Every mention of ``text`` that can be resolved, WebFinger first for unknown remote ones."""
    async with remote_actors.database.session() as session:
        found = await known_mentions(session, text, local_domain)
    for username, host in find_mentions(text):
        key = mention_key(username, host)
        if key in found or host is None or _is_local_host(host, local_domain):
            continue
        try:
            found[key] = await remote_actors.by_handle(username, host)
        except HandleNotResolved:
            continue
    return found


def link_mentions(html: str, mentions: Mapping[str, Actor]) -> tuple[str, list[Actor]]:
    """Turn resolved mentions into h-card links (as Mastodon writes them); others stay text."""
    linked: list[Actor] = []

    def replace(match: re.Match[str]) -> str:
        actor = mentions.get(mention_key(match.group(1), match.group(2)))
        if actor is None:
            return match.group(0)
        if actor not in linked:
            linked.append(actor)
        href = escape(actor.url or actor.uri)
        return (
            f'<span class="h-card"><a class="u-url mention" href="{href}">'
            f"@<span>{escape(actor.username)}</span></a></span>"
        )

    rewritten = map_text_nodes(html, lambda text: MENTION_RE.sub(replace, text))
    return rewritten, linked


def build_mention(actor: Actor) -> dict[str, str]:
    return {"type": "Mention", "href": actor.uri, "name": f"@{actor.username}@{actor.domain}"}


async def replace_post_mentions(
    session: AsyncSession, post_id: int, actor_ids: Iterable[int], *, new: bool = False
) -> None:
    """``new``: the post was just inserted, it has no rows yet to remove."""
    if not new:
        await session.execute(delete(PostMention).where(PostMention.post_id == post_id))
    session.add_all(
        PostMention(post_id=post_id, actor_id=actor_id) for actor_id in dict.fromkeys(actor_ids)
    )
    await session.flush()
