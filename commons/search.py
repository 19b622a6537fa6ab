"""Search: words in public posts, an ``@handle`` (here or through WebFinger), or a URL.

A URL or a remote handle is fetched with the instance's signed client, checked like any
document (its id must live where it was fetched from) and stored; nothing the user types
can raise: every failure becomes a reason the page explains.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.neighbours import note_if_neighbour
from actors.remote import HandleNotResolved, RemoteActors
from commons.agenda.queries import first_dates
from commons.agenda.upcoming import AHEAD, UpcomingEvent
from commons.events.recurrence import Occurrence
from commons.posts.cards import PostCard, card_details, select_cards
from commons.posts.mentions import MENTION_RE
from commons.posts.remote import POST_TYPES, store_remote_post
from commons.posts.visibility import visible_to
from config.settings import Settings
from federation.errors import FederationError
from federation.parsing import parse_object
from federation.vocab import ACTOR_TYPES, first_str, same_origin
from storage.blocks import limited_actor_ids
from storage.models import Actor, Event, Post
from storage.models.posts import PUBLIC

log = logging.getLogger(__name__)

MAX_QUERY = 300
MIN_WORDS = 2
RESULTS = 20
HANDLE_RE = re.compile("^" + MENTION_RE.pattern.removeprefix(r"(?<![\w@/.:])@") + "$")


class Failure(StrEnum):
    too_short = "too_short"
    too_long = "too_long"
    not_found = "not_found"
    unreachable = "unreachable"
    unsupported = "unsupported"
    blocked = "blocked"


@dataclass
class SearchResult:
    query: str
    kind: str = "text"
    actors: list[Actor] = field(default_factory=list)
    cards: list[PostCard] = field(default_factory=list)
    events: list[UpcomingEvent] = field(default_factory=list)
    failure: Failure | None = None


def classify(query: str) -> str:
    if query.startswith(("https://", "http://")):
        return "url"
    bare = query.removeprefix("@")
    if (query.startswith("@") or "@" in bare) and HANDLE_RE.match(bare):
        return "handle"
    return "text"


def _like_pattern(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_text(
    session: AsyncSession, words: str, viewer_id: int | None, base_url: str
) -> tuple[list[Actor], list[PostCard]]:
    """Public, not deleted posts (ours and known remote ones) whose text contains ``words``;
    nothing of a limited domain (found by its address only)."""
    pattern = _like_pattern(words.lower())
    rows = await session.execute(
        select_cards()
        .where(
            Post.deleted_at.is_(None),
            Post.visibility == PUBLIC,
            Post.actor_id.not_in(limited_actor_ids()),
            func.lower(Post.content_html).like(pattern, escape="\\"),
        )
        .order_by(Post.id.desc())
        .limit(RESULTS)
    )
    cards = await card_details(session, [(p, a) for p, a in rows], viewer_id, base_url)
    actors = (
        await session.scalars(
            select(Actor)
            .where(
                Actor.is_gone.is_(False),
                Actor.type.in_(("Person", "Group")),
                Actor.id.not_in(limited_actor_ids()),
                or_(
                    func.lower(Actor.name).like(pattern, escape="\\"),
                    func.lower(Actor.username).like(pattern, escape="\\"),
                ),
            )
            .order_by(Actor.is_local.desc(), Actor.name)
            .limit(10)
        )
    ).all()
    return list(actors), cards


async def search_events(session: AsyncSession, words: str, now: datetime) -> list[UpcomingEvent]:
    """Events (not deleted) whose title, description or place contains ``words``: the coming
    ones first, each at its next date, then the past ones, latest first."""
    pattern = _like_pattern(words.lower())
    rows = (
        await session.execute(
            select(Event, Actor)
            .join(Actor, Actor.id == Event.actor_id)
            .where(
                Event.deleted_at.is_(None),
                Actor.is_gone.is_(False),
                Event.actor_id.not_in(limited_actor_ids()),
                or_(
                    func.lower(Event.title).like(pattern, escape="\\"),
                    func.lower(Event.description_html).like(pattern, escape="\\"),
                    func.lower(Event.place_name).like(pattern, escape="\\"),
                ),
            )
            .order_by(Event.start_time.desc())
            .limit(RESULTS * 2)
        )
    ).all()
    upcoming = await first_dates(session, [event for event, _ in rows], now, now + AHEAD)
    coming = [UpcomingEvent(e, a, upcoming[e.id]) for e, a in rows if e.id in upcoming]
    coming.sort(key=lambda entry: entry.next.start)
    past = [
        UpcomingEvent(e, a, Occurrence(e.start_time, e.end_time))
        for e, a in rows
        if e.id not in upcoming
    ]
    return (coming + past)[:RESULTS]


async def _store_actor_document(
    remote_actors: RemoteActors, settings: Settings, actor_url: str
) -> Actor | None:
    actor = await remote_actors.fetch_actor(actor_url)
    if actor is not None:
        async with remote_actors.database.transaction() as session:
            await note_if_neighbour(session, actor)
    return actor


async def find_handle(
    remote_actors: RemoteActors, settings: Settings, query: str
) -> tuple[Actor | None, Failure | None]:
    match = HANDLE_RE.match(query.removeprefix("@"))
    if match is None:
        return None, Failure.unsupported
    username, host = match.group(1).lower(), (match.group(2) or "").lower() or None
    domain = settings.server.domain
    local = host is None or host in (domain, settings.host)
    async with remote_actors.database.session() as session:
        condition = Actor.is_local.is_(True) if local else (Actor.domain == host) & ~Actor.is_local
        known = await session.scalar(
            select(Actor).where(func.lower(Actor.username) == username, condition).limit(1)
        )
    if known is not None or local:
        return known, None if known is not None else Failure.not_found
    assert host is not None
    try:
        actor = await remote_actors.by_handle(username, host)
    except HandleNotResolved as refusal:
        return None, Failure(refusal.reason)
    async with remote_actors.database.transaction() as session:
        await note_if_neighbour(session, actor)
    return actor, None


async def find_url(
    remote_actors: RemoteActors, settings: Settings, url: str, viewer_id: int | None
) -> tuple[Actor | None, PostCard | None, Failure | None]:
    """An actor or a post at ``url``: ours from the database, others fetched and stored."""
    base = settings.base_url
    async with remote_actors.database.session() as session:
        actor = await session.scalar(
            select(Actor).where(or_(Actor.uri == url, Actor.url == url)).limit(1)
        )
        if actor is not None and (actor.is_local or url.startswith(base)):
            return actor, None, None
        card = await _known_post(session, url, viewer_id, base)
        if card is not None:
            return None, card, None
    if url.startswith(base + "/"):
        return None, None, Failure.not_found
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        host = ""
    if not host:
        return None, None, Failure.unsupported
    if await remote_actors.blocks.is_blocked(host):
        return None, None, Failure.blocked
    client = remote_actors.client
    if client is None:
        return None, None, Failure.unreachable
    try:
        document = await client.fetch_document(url, await remote_actors.signer())
    except (FederationError, ValueError) as error:
        log.info("search for %s failed: %s", url, error)
        return None, None, Failure.unreachable
    kind = first_str(document.data.get("type"))
    if kind in ACTOR_TYPES:
        actor = await _store_actor_document(remote_actors, settings, document.url)
        return actor, None, None if actor is not None else Failure.not_found
    if kind not in POST_TYPES:
        return None, None, Failure.unsupported
    try:
        obj = parse_object(document.data)
    except FederationError:
        return None, None, Failure.unsupported
    if obj.id is None or not same_origin(obj.id, document.url) or not obj.attributed_to:
        return None, None, Failure.not_found
    author = await remote_actors.actor(obj.attributed_to)
    if author is None or not same_origin(author.uri, obj.id):
        return None, None, Failure.not_found
    async with remote_actors.database.transaction() as session:
        stored = await store_remote_post(session, obj, author)
        await note_if_neighbour(session, author)
        post_id = stored.id
    async with remote_actors.database.session() as session:
        card = await _known_post(session, None, viewer_id, base, post_id=post_id)
    return None, card, None if card is not None else Failure.not_found


async def _known_post(
    session: AsyncSession,
    url: str | None,
    viewer_id: int | None,
    base_url: str,
    *,
    post_id: int | None = None,
) -> PostCard | None:
    condition = Post.id == post_id if post_id is not None else or_(Post.uri == url, Post.url == url)
    row = (
        await session.execute(
            select_cards().where(condition, Post.deleted_at.is_(None), visible_to(viewer_id))
        )
    ).first()
    if row is None:
        return None
    cards = await card_details(session, [(row[0], row[1])], viewer_id, base_url)
    return cards[0]


async def search(
    remote_actors: RemoteActors, settings: Settings, query: str, viewer_id: int | None
) -> SearchResult:
    query = " ".join(query.split())
    result = SearchResult(query, classify(query))
    if len(query) > MAX_QUERY:
        result.failure = Failure.too_long
        return result
    if result.kind == "url":
        actor, card, result.failure = await find_url(remote_actors, settings, query, viewer_id)
        result.actors = [actor] if actor is not None else []
        result.cards = [card] if card is not None else []
    elif result.kind == "handle":
        actor, result.failure = await find_handle(remote_actors, settings, query)
        result.actors = [actor] if actor is not None else []
    elif len(query) < MIN_WORDS:
        result.failure = Failure.too_short
    else:
        async with remote_actors.database.session() as session:
            result.actors, result.cards = await search_text(
                session, query, viewer_id, settings.base_url
            )
            result.events = await search_events(session, query, datetime.now(UTC))
    return result
