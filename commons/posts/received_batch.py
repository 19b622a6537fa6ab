"""Many received posts kept at once: a busy inbox's public notes, a handful of statements each
batch instead of a dozen each post.

:func:`commons.posts.received.receive_post` stays the reference. This path takes only the posts
that tell nobody here — none mentions one of our actors, none answers a post, an event or a date
of ours — since what it keeps is exactly what the reference would keep for them: the post, its
hashtags, its remote attachments, its known mentioned actors, its named local readers, and the
author's host noted as a neighbour. Every other post is *declined* and goes the reference's way.

The whole batch costs one read of the ids already kept, one of the actors named, one of the
posts and events answered, and one insert per table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.neighbours import is_quartiers_document, mark_neighbour
from commons.events.date_rsvps import split_occurrence_uri
from commons.posts.attachments import remote_media_rows
from commons.posts.hashtags import kept_tags
from commons.posts.remote import kept_attachments, named_uris, remote_post_columns
from federation.parsing import ParsedObject
from storage.among import among
from storage.models import Actor, Event, Media, Post, PostMention, PostRecipient, PostTag, utcnow


class Outcome(StrEnum):
    KEPT = "kept"  # a new post, stored
    KNOWN = "known"  # already kept (a redelivery, or twice in the batch): nothing to do
    DECLINED = "declined"  # it tells someone, or repeats a declined one: the reference keeps it


@dataclass(frozen=True, slots=True)
class ReceivedPost:
    """A post another server sent, its author checked, and the collective it belongs to."""

    note: ParsedObject
    author: Actor
    audience: Actor | None = None

    @property
    def uri(self) -> str:
        assert self.note.id is not None
        return self.note.id


async def receive_posts(
    session: AsyncSession, received: Sequence[ReceivedPost], *, neighbour: bool = False
) -> list[Outcome]:
    """Keep the new posts of ``received`` that tell nobody; the outcome of each, in order.

    A post whose id comes twice is kept once, by its first occurrence; one that repeats a
    declined post is declined too, so that the reference sees them in their order.
    """
    if not received:
        return []
    known = set(
        await session.scalars(select(Post.uri).where(among(Post.uri, {r.uri for r in received})))
    )
    actors = await _actors_named(session, received)
    ours = await _answers_ours(session, {r.note.in_reply_to for r in received} - {None})
    outcomes: list[Outcome] = []
    seen: dict[str, Outcome] = {}
    for post in received:
        first = seen.get(post.uri)
        if first is not None:
            outcome = Outcome.DECLINED if first is Outcome.DECLINED else Outcome.KNOWN
        elif post.uri in known:
            outcome = Outcome.KNOWN
        elif post.note.in_reply_to in ours or any(
            actors.get(uri, (0, False))[1] for uri in post.note.mention_uris
        ):
            outcome = Outcome.DECLINED
        else:
            outcome = Outcome.KEPT
        seen.setdefault(post.uri, outcome)
        outcomes.append(outcome)
    kept = [
        post for post, outcome in zip(received, outcomes, strict=True) if outcome is Outcome.KEPT
    ]
    if kept:
        await _insert(session, kept, actors)
        if neighbour:
            await _note_neighbours(session, kept)
    return outcomes


async def _actors_named(
    session: AsyncSession, received: Sequence[ReceivedPost]
) -> dict[str, tuple[int, bool]]:
    """``uri → (id, is_local)`` of the actors we know among those the posts mention or name."""
    uris = {uri for r in received for uri in [*r.note.mention_uris, *named_uris(r.note)]}
    if not uris:
        return {}
    rows = await session.execute(
        select(Actor.uri, Actor.id, Actor.is_local).where(among(Actor.uri, uris))
    )
    return {uri: (actor_id, is_local) for uri, actor_id, is_local in rows}


async def _answers_ours(session: AsyncSession, answered: set[str | None]) -> set[str]:
    """The ids among ``answered`` that name a post, an event or a date of ours (a reply to
    them tells their author or their collective)."""
    uris = {uri for uri in answered if uri}
    if not uris:
        return set()
    event_of = {uri: (split_occurrence_uri(uri) or (uri,))[0] for uri in uris}
    posts = await session.scalars(
        select(Post.uri).where(among(Post.uri, uris), Post.is_local.is_(True))
    )
    events = set(
        await session.scalars(
            select(Event.uri).where(
                among(Event.uri, {*uris, *event_of.values()}), Event.is_local.is_(True)
            )
        )
    )
    return {*posts, *(uri for uri in uris if uri in events or event_of[uri] in events)}


async def _insert(
    session: AsyncSession, kept: Sequence[ReceivedPost], actors: dict[str, tuple[int, bool]]
) -> None:
    now = utcnow()
    rows = [
        {
            "uri": post.uri,
            "actor_id": post.author.id,
            "audience_id": post.audience.id if post.audience is not None else None,
            "is_local": False,
            "published": post.note.published or now,
            "updated": post.note.updated,
            **remote_post_columns(post.note, post.author),
        }
        for post in kept
    ]
    posts = cast(Table, Post.__table__)
    # RETURNING in no particular order (SQLite guarantees none for many rows): matched by uri.
    inserted = await session.execute(insert(posts).returning(posts.c.uri, posts.c.id), rows)
    id_of = {uri: post_id for uri, post_id in inserted}
    ids = [id_of[post.uri] for post in kept]
    tags: list[dict[str, Any]] = []
    media: list[dict[str, Any]] = []
    mentions: list[dict[str, Any]] = []
    readers: list[dict[str, Any]] = []
    for post_id, post in zip(ids, kept, strict=True):
        note = post.note
        tags += [{"post_id": post_id, "tag": tag} for tag in kept_tags(note.hashtags)]
        media += remote_media_rows(post_id, post.author.id, kept_attachments(note))
        mentioned = (actors[uri][0] for uri in note.mention_uris if uri in actors)
        mentions += [{"post_id": post_id, "actor_id": a} for a in dict.fromkeys(mentioned)]
        named = (actors[uri] for uri in named_uris(note) if uri in actors)
        local = (actor_id for actor_id, is_local in named if is_local)
        readers += [{"post_id": post_id, "actor_id": a} for a in dict.fromkeys(local)]
    for model, values in ((PostTag, tags), (Media, media), (PostMention, mentions),
                          (PostRecipient, readers)):  # fmt: skip
        if values:
            await session.execute(insert(cast(Table, model.__table__)), values)


async def _note_neighbours(session: AsyncSession, kept: Sequence[ReceivedPost]) -> None:
    """What :func:`actors.neighbours.note_if_neighbour` does, once per host."""
    authors = {
        post.author.domain: post.author.uri
        for post in kept
        if not post.author.is_local and is_quartiers_document(post.author.document)
    }
    for domain in sorted(authors):
        await mark_neighbour(session, domain, authors[domain])
