"""Voting: our residents here, a resident of another quartier from their own server, anyone on
Mastodon — the same vote, counted once per voter and answer.

A poll of one choice takes one answer from each voter; a poll of several choices takes each
answer once (Mastodon sends one ``Create{Note{name}}`` per answer chosen). A vote is final, as
on Mastodon: there is no way to take it back there, so there is none here either. Our residents
vote on another quartier's poll through its server, which receives one Note per answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from commons.petitions.wire import build_vote_note
from commons.polls.fields import MEMBERS
from commons.polls.queries import choices_of
from config.errors import Conflict, ErrorCode, Invalid, NotAllowed, NotFound
from config.uris import Uris
from federation.vocab import AS_NAMESPACE, first_str
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Membership, Poll, PollOption, PollVote, utcnow
from storage.models.actors import MEMBERSHIP_ACCEPTED
from storage.models.polls import OPEN


def is_open(poll: Poll, now: datetime) -> bool:
    return poll.status == OPEN and poll.deleted_at is None and now < poll.deadline


async def check_may_vote(session: AsyncSession, poll: Poll, voter: Actor) -> None:
    """:class:`NotAllowed` when the poll is for the collective's members and ``voter`` is not
    one (asked here of our polls; another quartier's server decides for its own)."""
    if poll.may_vote != MEMBERS or not poll.is_local:
        return
    member = await session.scalar(
        select(Membership.id).where(
            Membership.group_id == poll.actor_id,
            Membership.member_id == voter.id,
            Membership.state == MEMBERSHIP_ACCEPTED,
        )
    )
    if member is None:
        raise NotAllowed(ErrorCode.MAY_NOT_VOTE)


async def _lock(session: AsyncSession, poll: Poll) -> None:
    """Hold the poll's row until the transaction ends (PostgreSQL; SQLite has one writer)."""
    await session.execute(select(Poll.id).where(Poll.id == poll.id).with_for_update())


async def record_choices(
    session: AsyncSession,
    poll: Poll,
    voter: Actor,
    positions: Sequence[int],
    *,
    vote_uris: Sequence[str | None] = (),
    now: datetime | None = None,
) -> None:
    """Count ``voter``'s answers at ``positions``, or refuse with the reason."""
    now = now or utcnow()
    if not is_open(poll, now):
        raise Conflict(ErrorCode.POLL_CLOSED)
    wanted = list(dict.fromkeys(positions))
    if not wanted:
        raise Invalid(ErrorCode.NO_CHOICE, "options")
    if not poll.multiple and len(wanted) > 1:
        raise Invalid(ErrorCode.ONE_CHOICE_ONLY, "options")
    await check_may_vote(session, poll, voter)
    await _lock(session, poll)
    last = await session.scalar(
        select(PollOption.position).where(PollOption.poll_id == poll.id).order_by(
            PollOption.position.desc()).limit(1)
    )  # fmt: skip
    if last is None or any(not 0 <= position <= last for position in wanted):
        raise Invalid(ErrorCode.NOT_AN_OPTION, "options")
    already = await choices_of(session, poll, voter)
    if (already and not poll.multiple) or set(wanted) <= already:
        raise Conflict(ErrorCode.ALREADY_VOTED)
    new = [position for position in wanted if position not in already]
    uris = list(vote_uris) + [None] * len(wanted)
    try:
        async with session.begin_nested():
            for index, position in enumerate(wanted):
                if position in already:
                    continue
                session.add(PollVote(poll_id=poll.id, position=position, voter_id=voter.id,
                                     voter_uri=voter.uri, vote_uri=uris[index], voted_at=now))  # fmt: skip
            await session.flush()
    except IntegrityError:
        raise Conflict(ErrorCode.ALREADY_VOTED) from None
    await session.execute(
        update(PollOption)
        .where(PollOption.poll_id == poll.id, PollOption.position.in_(new))
        .values(votes_count=PollOption.votes_count + 1)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Poll)
        .where(Poll.id == poll.id)
        .values(voters_count=Poll.voters_count + (0 if already else 1), changes=Poll.changes + 1)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(poll, ["voters_count", "changes"])


def vote_activities(
    uris: Uris, voter: Actor, poll: Poll, author: Actor, names: Sequence[str]
) -> list[dict[str, Any]]:
    """One ``Create{Note{name}}`` of ``voter`` per answer, as Mastodon votes."""
    activities = []
    for name in names:
        activity_id = uris.new_activity()
        activities.append({
            "@context": AS_NAMESPACE,
            "id": activity_id,
            "type": "Create",
            "actor": voter.uri,
            "to": [author.uri],
            "object": build_vote_note(f"{activity_id}#vote", voter, poll.uri, author.uri, name),
            "published": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        })  # fmt: skip
    return activities


async def vote(
    session: AsyncSession, uris: Uris, person: Actor, poll: Poll, positions: Sequence[int]
) -> None:
    """``person`` (one of our residents) votes: here, or through the poll's own server."""
    author = await session.get(Actor, poll.actor_id)
    if author is None or author.is_gone:
        raise NotFound(ErrorCode.NOT_A_POLL)
    options = {
        option.position: option.name
        for option in await session.scalars(select(PollOption).where(PollOption.poll_id == poll.id))
    }
    wanted = list(dict.fromkeys(positions))
    if any(position not in options for position in wanted):
        raise Invalid(ErrorCode.NOT_AN_OPTION, "options")
    activities = (
        [] if poll.is_local
        else vote_activities(uris, person, poll, author, [options[p] for p in wanted])
    )  # fmt: skip
    await record_choices(session, poll, person, wanted,
                         vote_uris=[activity["id"] for activity in activities])  # fmt: skip
    for activity in activities:
        # Sent to the collective's own inbox, as Mastodon sends votes.
        await enqueue_activity(session, person, activity, to_followers=False,
                               inboxes=[author.inbox_uri])  # fmt: skip


async def receive_vote(
    session: AsyncSession, poll: Poll, voter: Actor, vote_activity: dict[str, Any]
) -> None:
    """A vote another server sent for one of our polls: the answer it names, counted."""
    note = vote_activity.get("object")
    name = first_str(note.get("name")) if isinstance(note, dict) else None
    position = await session.scalar(
        select(PollOption.position).where(PollOption.poll_id == poll.id, PollOption.name == name)
    )
    if position is None:
        raise Invalid(ErrorCode.NOT_AN_OPTION, "options")
    vote_uri = first_str(note.get("id")) if isinstance(note, dict) else None
    await record_choices(session, poll, voter, [position],
                         vote_uris=[vote_uri or first_str(vote_activity.get("id"))])  # fmt: skip
