"""Sending a post's Create, Update or Delete to the people its addressing names, and telling
the local ones.

One rule for every caller (web UI, C2S API, events, demo): the author's followers when their
followers collection is addressed, every named actor (``to``, ``cc``, ``bto``, ``bcc``; shared
inboxes deduplicated by the queue), the collective of ``audience`` — a remote one at its inbox,
one of ours by announcing it to its followers (:mod:`outbox.redistribution`). The activity
carries ``to`` and ``cc`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from commons.notifications import notify
from commons.posts.addressing import Addressing, stored_addressing
from commons.posts.notices import notify_collectives
from commons.posts.wire import note_addressing
from commons.shares.services import offer_local_publication
from config.uris import Uris
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from outbox.recipients import actor_inboxes
from outbox.redistribution import redistribute_local
from storage.models import Activity, Actor, Post
from storage.models.posts import MENTIONED


def addressing_of(post: Post, author: Actor, audience: Actor | None) -> Addressing:
    """The kept addressing, or for an older post the one its visibility gave it."""
    kept = stored_addressing(post)
    if kept is not None:
        return kept
    to, cc = note_addressing(post, author, audience)
    return Addressing(tuple(to), tuple(cc))


async def send_post_activity(
    session: AsyncSession,
    uris: Uris,
    author: Actor,
    kind: str,
    obj: dict[str, Any],
    addressing: Addressing,
    named: Sequence[Actor],
    audience: Actor | None,
    *,
    inboxes: Iterable[str] = (),
) -> Activity:
    targets = [*inboxes, *actor_inboxes(named)]
    if audience is not None and not audience.is_local and not audience.is_gone:
        targets.append(audience.delivery_inbox)
    to, cc = addressing.visible_fields()
    sent = await enqueue_activity(
        session,
        author,
        build_activity(uris, kind, author, obj, to, cc),
        to_followers=bool(author.followers_uri) and author.followers_uri in addressing.everyone,
        inboxes=targets,
    )
    await redistribute_local(session, uris, audience, sent)
    if kind == "Create" and isinstance(obj.get("id"), str):
        # A new post of one of our collectives (or in one) reaches the collectives that follow it.
        publisher = audience if audience is not None and audience.is_local else author
        await offer_local_publication(session, uris, publisher, obj["id"])
    return sent


async def notify_named(
    session: AsyncSession,
    post: Post,
    author: Actor,
    named: Sequence[Actor],
    parent_author: Actor | None,
    audience: Actor | None,
) -> None:
    """The local author replied to hears of a reply they may read; every other local actor the
    post names (mentioned, or addressed directly) hears of it as a mention."""
    named_ids = {actor.id for actor in named}
    replied_to = None
    if (
        parent_author is not None
        and parent_author.is_local
        and (post.visibility != MENTIONED or parent_author.id in named_ids)
    ):
        replied_to = parent_author.id
        await notify(session, parent_author.id, "reply", author.id, post.id)
    for actor in named:
        is_audience = audience is not None and actor.id == audience.id
        if actor.is_local and actor.id != replied_to and not is_audience:
            await notify(session, actor.id, "mention", author.id, post.id)
    await notify_collectives(session, post)
