"""Federation between quartiers: two instance actors that follow each other relay their
collectives' public activities to one another, so a quartier sees the city's agenda, offers and
petitions, not only what its residents follow.

An admin proposes it by the other quartier's address: our instance actor follows theirs. Their
admin accepts (an ``Accept``, and their instance actor follows ours back, which ours accepts at
once since it asked first), or declines (a ``Reject``). Either side may then:

- **pause**: stop following the other (its activities stop coming) and hold the other's follow
  of us (``paused``: ours stop going); resuming follows again, which the other accepts at once;
- **end**: stop following the other and refuse its follow of us (a ``Reject``), so both sides
  forget it.

What is relayed is chosen on sending (:func:`outbox.enqueue.enqueue_activity`): every public
activity of a local collective also goes to the accepted followers of the instance actor. What
was published before is read once federation begins (:func:`when_link_changes` starts it,
:mod:`inbox.backfill` reads the other's outbox).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.backfills import start_backfill
from actors.follows import answer_follow_request, follow, unfollow
from actors.neighbours import mark_neighbour
from actors.services import find_local_actor
from config.uris import INSTANCE_USERNAME, Uris
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Follow, utcnow
from storage.models.actors import APPLICATION
from storage.models.follows import ACCEPTED, PAUSED, PENDING

INSTANCE_TYPES = frozenset({APPLICATION, "Service"})


class Link(enum.StrEnum):
    """Where federation with one other quartier stands, seen from here."""

    PROPOSED = "proposed"  # we asked; they have not answered
    ASKED = "asked"  # they asked; our admin has not answered
    FEDERATED = "federated"
    PAUSED = "paused"  # we paused it
    PAUSED_THERE = "paused_there"  # they paused it
    FOLLOWS_US = "follows_us"  # it receives our collectives' activities; we follow nothing there


# What an admin may do (``propose``, ``accept``, ``decline``, ``pause``, ``resume``, ``end``).
Change = Callable[[AsyncSession, Uris, Actor, Actor], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Federation:
    quartier: Actor  # their instance actor
    link: Link


def is_instance_actor(actor: Actor) -> bool:
    return actor.type in INSTANCE_TYPES


async def instance_actor_of(session: AsyncSession) -> Actor:
    found = await find_local_actor(session, INSTANCE_USERNAME)
    if found is None:
        raise LookupError("this server has no instance actor yet")
    return found


async def other_server_actor(session: AsyncSession, uri: str) -> Actor | None:
    """The stored actor of another server with this id (the quartier an admin acts on)."""
    return await session.scalar(select(Actor).where(Actor.uri == uri, Actor.is_local.is_(False)))


def _link(ours: Follow | None, theirs: Follow | None) -> Link | None:
    if theirs is not None and theirs.state == PAUSED:
        return Link.PAUSED
    if ours is not None and ours.state == ACCEPTED:
        return (
            Link.FEDERATED if theirs is not None and theirs.state == ACCEPTED else Link.PAUSED_THERE
        )
    if ours is not None:
        return Link.PROPOSED
    if theirs is not None and theirs.state == PENDING:
        return Link.ASKED
    if theirs is not None and theirs.state == ACCEPTED:
        return Link.FOLLOWS_US
    return None


async def federations(session: AsyncSession, here: Actor) -> list[Federation]:
    """Every other quartier (or other actor) we federate with, asked, or were asked by."""
    ours = {
        row.followed_id: row
        for row in await session.scalars(select(Follow).where(Follow.follower_id == here.id))
    }
    theirs = {
        row.follower_id: row
        for row in await session.scalars(select(Follow).where(Follow.followed_id == here.id))
    }
    ids = set(ours) | set(theirs)
    if not ids:
        return []
    actors = {a.id: a for a in await session.scalars(select(Actor).where(Actor.id.in_(ids)))}
    found = []
    for actor_id in ids:
        link = _link(ours.get(actor_id), theirs.get(actor_id))
        if link is not None and actor_id in actors:
            found.append(Federation(actors[actor_id], link))
    return sorted(found, key=lambda f: (f.quartier.domain, f.quartier.uri))


async def federated_domains(session: AsyncSession, here: Actor) -> set[str]:
    """The domains of the quartiers federated with this one now (not paused, not asked)."""
    return {f.quartier.domain for f in await federations(session, here) if f.link == Link.FEDERATED}


async def link_with(session: AsyncSession, here: Actor, there: Actor) -> Link | None:
    ours = await _follow(session, here, there)
    theirs = await _follow(session, there, here)
    return _link(ours, theirs)


async def when_link_changes(
    session: AsyncSession, here: Actor, there: Actor, before: Link | None
) -> None:
    """Once federation with ``there`` begins (accepted either way, or resumed), read what its
    collectives published before."""
    if before != Link.FEDERATED and await link_with(session, here, there) == Link.FEDERATED:
        await start_backfill(session, there)


async def _follow(session: AsyncSession, follower: Actor, followed: Actor) -> Follow | None:
    return await session.scalar(
        select(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == followed.id)
    )


async def propose(session: AsyncSession, uris: Uris, here: Actor, there: Actor) -> Link:
    """Ask ``there`` (another quartier's instance actor) to federate; or accept its own ask."""
    if there.is_local or not is_instance_actor(there):
        raise ValueError("federation is proposed to another server's instance actor")
    before = await link_with(session, here, there)
    theirs = await _follow(session, there, here)
    if theirs is not None and theirs.state == PENDING:
        await answer_follow_request(session, uris, here, theirs, accept=True)
    await follow(session, uris, here, there)
    await mark_neighbour(session, there.domain, there.uri)
    await when_link_changes(session, here, there, before)
    link = await link_with(session, here, there)
    assert link is not None
    return link


async def accept(session: AsyncSession, uris: Uris, here: Actor, there: Actor) -> None:
    """Our admin accepts what ``there`` asked: an ``Accept``, and we follow it back."""
    theirs = await _follow(session, there, here)
    if theirs is None or theirs.state != PENDING:
        raise LookupError("nothing asked")
    before = await link_with(session, here, there)
    await answer_follow_request(session, uris, here, theirs, accept=True)
    if is_instance_actor(there):
        await follow(session, uris, here, there)
        await mark_neighbour(session, there.domain, there.uri)
        await when_link_changes(session, here, there, before)


async def decline(session: AsyncSession, uris: Uris, here: Actor, there: Actor) -> None:
    theirs = await _follow(session, there, here)
    if theirs is None or theirs.state != PENDING:
        raise LookupError("nothing asked")
    await answer_follow_request(session, uris, here, theirs, accept=False)


async def pause(session: AsyncSession, uris: Uris, here: Actor, there: Actor) -> None:
    """Nothing comes from ``there`` any more, and nothing goes to it, until resumed."""
    await unfollow(session, uris, here, there)
    theirs = await _follow(session, there, here)
    if theirs is not None and theirs.state == ACCEPTED:
        theirs.state = PAUSED


async def resume(session: AsyncSession, uris: Uris, here: Actor, there: Actor) -> None:
    before = await link_with(session, here, there)
    theirs = await _follow(session, there, here)
    if theirs is not None and theirs.state == PAUSED:
        theirs.state = ACCEPTED
        theirs.accepted_at = utcnow()
    await follow(session, uris, here, there)
    await when_link_changes(session, here, there, before)


async def end(session: AsyncSession, uris: Uris, here: Actor, there: Actor) -> None:
    """Both sides forget it: we stop following ``there`` and refuse its follow of us."""
    await unfollow(session, uris, here, there)
    theirs = await _follow(session, there, here)
    if theirs is None:
        return
    await session.execute(delete(Follow).where(Follow.id == theirs.id))
    original = {"id": theirs.uri, "type": "Follow", "actor": there.uri, "object": here.uri}
    refusal = build_activity(uris, "Reject", here, original, [there.uri], [])
    await enqueue_activity(session, here, refusal, to_followers=False, inboxes=[there.inbox_uri])
