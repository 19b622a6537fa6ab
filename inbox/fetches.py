"""The remote documents an activity needs, fetched before its transaction opens.

Every fetch goes through the federation client (time-boxed by ``fetch_timeout_seconds``) and
happens here, never while a transaction holds the database. What is fetched is trusted only
when it lives on the origin it was served from:

- an event's organiser named by ``attributedTo`` (Mobilizon sends a group's events from a
  member), resolved when it is on the event's own server;
- an announced Event not embedded by its author (Mobilizon and Gancio relays), read again from
  its own server;
- the key of a petition's signer, when the proof of their signature needs a newer one;
- a boosted post we do not have, and what a collective redistributes
  (``Announce{Create|Update|Delete}``, FEP-1b12), whose embedded copy nobody signed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.remote import RemoteActors
from commons.events.received import RemoteEvent, read_remote_event
from commons.petitions import proofs
from commons.petitions.wire import is_vote
from commons.posts.remote import POST_TYPES
from federation.client import FetchedDocument
from federation.errors import BadResponse, FetchError, InvalidActivity
from federation.parsing import ParsedObject, parse_object
from federation.vocab import as_list, first_str, id_of, same_origin
from inbox.context import InboxContext
from storage.models import Actor, Event, Offer, Petition, Post

log = logging.getLogger(__name__)

RELAY_TYPES = frozenset({"Group", "Application", "Service", "Organization"})
REDISTRIBUTED = frozenset({"Create", "Update", "Delete"})


def is_event(obj: object) -> bool:
    return isinstance(obj, dict) and "Event" in as_list(obj.get("type"))


@dataclass(slots=True)
class FetchedPost:
    """A post read from its own server, its author, and the collective it belongs to."""

    note: ParsedObject
    author: Actor
    audience: Actor | None


@dataclass(slots=True)
class Fetched:
    """What the remote side told us about an activity's object before the transaction.

    ``known`` is what an ``Announce`` named among our rows when it was read ("event", or
    "kept" for an offer or a petition),
    ``event`` a remote Event ready to keep (or why not), ``post`` a boosted or redistributed
    post, ``gone`` whether a redistributed Delete's object answered 404 or 410.
    """

    event: RemoteEvent | str | None = None
    post: FetchedPost | None = None
    known: str | None = None
    gone: bool = False


async def fetch_ahead(ctx: InboxContext) -> Fetched:
    activity = ctx.activity
    obj = activity.object
    match activity.type:
        case "Create" | "Update" if is_event(obj):
            assert obj is not None
            if same_origin(id_of(obj.get("id")), ctx.sender.uri):
                return Fetched(event=await remote_event(ctx, obj, ctx.sender))
        case "Announce":
            return await _announced(ctx)
        case "Create" if isinstance(obj, dict) and is_vote(obj) and "proof" in activity.raw:
            await _signer_key(ctx)
    return Fetched()


async def _signer_key(ctx: InboxContext) -> None:
    """A signature made on another server carries its signer's proof: when the key we hold
    for them does not verify it (they made it since we last read them), read them again."""
    if not proofs.check(dict(ctx.activity.raw), ctx.sender).is_valid:
        await ctx.instance.remote_actors.actor(ctx.sender.uri, refresh=True)


async def remote_event(ctx: InboxContext, data: dict[str, Any], sender: Actor) -> RemoteEvent | str:
    """A remote Event ready to keep, with its organiser; or why it is not kept."""
    fields = read_remote_event(data)
    if isinstance(fields, str):
        return fields
    organiser = await _organiser(ctx.instance.remote_actors, sender, fields.organiser_uri,
                                 fields.uri)  # fmt: skip
    if organiser is None:
        return "not from its own server"
    if fields.dropped:
        log.info("remote event %s kept without %s", fields.uri, ", ".join(fields.dropped))
    return RemoteEvent(fields, organiser, data)


async def _organiser(
    actors: RemoteActors, sender: Actor, claimed: str | None, event_uri: str
) -> Actor | None:
    """``attributedTo`` when it is on the event's own server and resolvable, else the sender."""
    if claimed and claimed != sender.uri and same_origin(claimed, event_uri):
        found = await actors.actor(claimed)
        if found is not None and not found.is_local:
            return found
    return sender if same_origin(sender.uri, event_uri) else None


async def _fetch(ctx: InboxContext, uri: str) -> FetchedDocument | None:
    client = ctx.instance.federation
    if client is None:
        return None
    try:
        return await client.fetch_document(uri, await ctx.instance.remote_actors.signer())
    except (FetchError, InvalidActivity) as error:
        log.info("cannot fetch %s: %s", uri, error)
        return None


async def _event_of(ctx: InboxContext, document: FetchedDocument | None) -> RemoteEvent | str:
    """A relayed Event read from its own server, kept under its organiser."""
    if document is None:
        return "the announced event cannot be fetched"
    data = document.data
    event_uri = id_of(data.get("id"))
    if not same_origin(event_uri, document.url):
        return "the announced event is served from another origin"
    claimed = id_of(data.get("attributedTo")) or id_of(data.get("actor"))
    if not claimed or not event_uri or not same_origin(claimed, event_uri):
        return "the announced event has no organiser on its server"
    organiser = await ctx.instance.remote_actors.actor(claimed)
    if organiser is None or organiser.is_local:
        return "the announced event's organiser cannot be resolved"
    return await remote_event(ctx, data, organiser)


async def _post_of(ctx: InboxContext, document: FetchedDocument | None) -> FetchedPost | None:
    """A boosted post read from its own server, never trusted from a copy.

    When a collective (a Group) boosts a post addressed to it, the post belongs to the
    collective: it is kept with the collective as its audience, so its followers see it.
    """
    if document is None:
        return None
    try:
        obj = parse_object(document.data)
    except InvalidActivity as error:
        log.info("boosted object %s unusable: %s", document.url, error)
        return None
    if obj.id is None or obj.type not in POST_TYPES or not same_origin(obj.id, document.url):
        return None
    if not obj.attributed_to:
        return None
    author = await ctx.instance.remote_actors.actor(obj.attributed_to)
    if author is None or not same_origin(author.uri, obj.id):
        return None
    group = ctx.sender if ctx.sender.is_group else None
    addressed = {*obj.audience, *obj.to, *obj.cc}
    audience = group if group is not None and group.uri in addressed else None
    return FetchedPost(obj, author, audience)


async def _known(ctx: InboxContext, uri: str) -> str | None:
    """Whether ``uri`` is an event ("event"), an offer or a petition ("kept": a collective
    shares them, :mod:`inbox.collective_shares`) or a live post ("post") we keep."""
    async with ctx.instance.database.session() as session:
        if await session.scalar(select(Event.id).where(Event.uri == uri)) is not None:
            return "event"
        for model in (Offer, Petition):
            if await session.scalar(select(model.id).where(model.uri == uri)) is not None:
                return "kept"
        return "post" if await _keeps_post(session, uri) else None


async def _keeps_post(session: AsyncSession, uri: str) -> bool:
    """Whether a live (not deleted) post of ``uri`` is kept here."""
    live = select(Post.id).where(Post.uri == uri, Post.deleted_at.is_(None))
    return await session.scalar(live) is not None


async def _announced(ctx: InboxContext) -> Fetched:
    obj = ctx.activity.object
    inner = obj.get("object") if obj is not None and "Create" in as_list(obj.get("type")) else obj
    if is_event(inner):
        assert isinstance(inner, dict)
        author = id_of(inner.get("attributedTo"))
        if author == ctx.sender.uri and same_origin(id_of(inner.get("id")), ctx.sender.uri):
            return Fetched(event=await remote_event(ctx, inner, ctx.sender))
        uri = id_of(inner.get("id"))
        document = await _fetch(ctx, uri) if uri else None
        if document is not None and not is_event(document.data):
            document = None
        return Fetched(event=await _event_of(ctx, document))
    inner_type = first_str(obj.get("type")) if obj is not None else None
    if obj is not None and inner_type in REDISTRIBUTED:
        return await _redistributed(ctx, inner_type, id_of(obj.get("object")))
    uri = ctx.activity.object_uri
    if not uri:
        return Fetched()
    known = await _known(ctx, uri)
    if (known == "event" and obj is None) or known == "kept":
        return Fetched(known=known)
    if known == "post":  # one we keep: the transaction reads it, nothing to fetch
        return Fetched()
    document = await _fetch(ctx, uri)
    relayed = obj is None and ctx.sender.type in RELAY_TYPES
    if relayed and document is not None and is_event(document.data):
        return Fetched(event=await _event_of(ctx, document))
    return Fetched(post=await _post_of(ctx, document))


async def _redistributed(ctx: InboxContext, inner_type: str | None, uri: str | None) -> Fetched:
    """``Announce{Create|Update|Delete}`` by a collective: the object is read again from its
    own server (the embedded activity is signed by nobody we can check)."""
    if not uri or not ctx.sender.is_group:
        return Fetched()
    async with ctx.instance.database.session() as session:
        kept = await _keeps_post(session, uri)
    if inner_type == "Create":
        if kept:
            return Fetched()
        return Fetched(post=await _post_of(ctx, await _fetch(ctx, uri)))
    if not kept:
        return Fetched()
    if inner_type == "Update":
        return Fetched(post=await _post_of(ctx, await _fetch(ctx, uri)))
    client = ctx.instance.federation
    if client is None:
        return Fetched()
    try:
        await client.fetch_document(uri, await ctx.instance.remote_actors.signer())
    except BadResponse as gone:
        return Fetched(gone=gone.status in (404, 410))
    except (FetchError, InvalidActivity) as error:
        log.info("cannot check deleted object %s: %s", uri, error)
    return Fetched()
