"""Who a post is for: its ``to``, ``cc``, ``bto`` and ``bcc``, kept as its author wrote them.

ActivityPub leaves addressing to the author (§6): a client sends it, and the web UI's three
visibilities are three ways of filling it (:func:`addressing_for`). Everything else is derived
from it, by one rule: the ``visibility`` column the timelines filter on, the named actors who may
read the post (``post_recipients``), and the inboxes it goes to. ``bto`` and ``bcc`` are kept to
reach the same people with later updates, and never leave the server: "The server MUST remove the
bto and/or bcc properties, if they exist, from the ActivityStreams object before delivery" (§6).
A post that names nobody is delivered to nobody and shown to its author alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.vocab import PUBLIC, ids_of, is_public
from storage.among import among
from storage.models import Actor, Post, PostRecipient
from storage.models.posts import FOLLOWERS, MENTIONED
from storage.models.posts import PUBLIC as PUBLIC_VISIBILITY

FIELDS = ("to", "cc", "bto", "bcc")


def _unique(uris: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(uri for uri in uris if uri))


@dataclass(frozen=True, slots=True)
class Addressing:
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bto: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()

    @classmethod
    def of(cls, document: dict[str, Any]) -> Addressing:
        """Read from a JSON object: each field a string, an object with an id, or a list."""
        return cls(*(_unique(ids_of(document.get(name))) for name in FIELDS))

    @property
    def everyone(self) -> tuple[str, ...]:
        return _unique([*self.to, *self.cc, *self.bto, *self.bcc])

    @property
    def is_empty(self) -> bool:
        return not self.everyone

    def as_document(self) -> dict[str, list[str]]:
        """All four fields, as stored with the post (never sent)."""
        return {name: list(getattr(self, name)) for name in FIELDS}

    def visible_fields(self) -> tuple[list[str], list[str]]:
        """``to`` and ``cc``: what a delivered or served copy carries."""
        return list(self.to), list(self.cc)

    def adding(self, *, to: Sequence[str] = (), cc: Sequence[str] = ()) -> Addressing:
        """More recipients: the ones not named yet are added to ``to`` or ``cc``."""
        new_to = [uri for uri in to if uri not in self.everyone]
        new_cc = [uri for uri in cc if uri not in self.everyone and uri not in new_to]
        return Addressing(
            _unique([*self.to, *new_to]), _unique([*self.cc, *new_cc]), self.bto, self.bcc
        )


def stored_addressing(post: Post) -> Addressing | None:
    """The addressing kept with a local post, or None for a post written before it was kept."""
    document = post.document if isinstance(post.document, dict) else {}
    kept = document.get("addressing")
    return Addressing.of(kept) if isinstance(kept, dict) else None


def addressing_for(
    visibility: str,
    author: Actor,
    audience: Actor | None,
    named: Sequence[Actor] = (),
    reply_to: Actor | None = None,
) -> Addressing:
    """The web UI's visibilities as addressing.

    Public: to everyone, cc the followers, the collective, the mentioned and the author replied
    to. Followers: to the followers and the collective, cc the others. Mentioned: to the
    collective and the mentioned alone (the author replied to only when mentioned).
    """
    followers = [author.followers_uri] if author.followers_uri else []
    group = [audience.uri] if audience is not None else []
    names = [actor.uri for actor in named if actor.id != author.id]
    answered = [reply_to.uri] if reply_to is not None and reply_to.id != author.id else []
    if visibility == PUBLIC_VISIBILITY:
        return Addressing((PUBLIC,), _unique([*followers, *group, *names, *answered]))
    if visibility == FOLLOWERS:
        to = _unique([*followers, *group])
        return Addressing(to, _unique(u for u in [*names, *answered] if u not in to))
    if visibility == MENTIONED:
        return Addressing(_unique([*group, *names]))
    raise ValueError(f"unknown visibility {visibility!r}")


def visibility_of(addressing: Addressing, author: Actor) -> str:
    """Public when anyone may read it, followers when the author's followers may, else only
    the named actors (and the collective's members, when it has one)."""
    everyone = addressing.everyone
    if any(is_public(uri) for uri in everyone):
        return PUBLIC_VISIBILITY
    if author.followers_uri and author.followers_uri in everyone:
        return FOLLOWERS
    return MENTIONED


async def named_actors(session: AsyncSession, addressing: Addressing, author: Actor) -> list[Actor]:
    """The actors the addressing names that we know, the author left out, in order."""
    uris = [uri for uri in addressing.everyone if not is_public(uri) and uri != author.uri]
    if not uris:
        return []
    found = {
        actor.uri: actor
        for actor in await session.scalars(select(Actor).where(among(Actor.uri, uris)))
    }
    return [found[uri] for uri in uris if uri in found]


async def replace_post_recipients(
    session: AsyncSession, post_id: int, actor_ids: Iterable[int], *, new: bool = False
) -> None:
    """``new``: the post was just inserted, it has no rows yet to remove."""
    if not new:
        await session.execute(delete(PostRecipient).where(PostRecipient.post_id == post_id))
    session.add_all(
        PostRecipient(post_id=post_id, actor_id=actor_id) for actor_id in dict.fromkeys(actor_ids)
    )
    await session.flush()
