"""Organisers hear who comes: joins, requests, the waiting list, leaving, moving up.

The organiser of one of our events is its author (a resident) or, for a collective's event, its
facilitators and admins. Each is told when someone — of ours or from another server, their
RSVP comes through the same services — takes part (``event_joined``), asks to when the event
is on approval (``event_requested``), is put on the waiting list (``event_waiting``), stops
taking part (``event_left``) or moves up from the waiting list to a freed place
(``event_promoted``), for the whole event or for one date of a series (``occurrence``).
What the organisers do themselves (accepting, refusing) tells nobody.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from commons.notifications import notify, running_members
from storage.models import Actor, Event
from storage.models.events import RSVP_ACCEPTED, RSVP_PENDING, RSVP_WAITLIST

KIND_OF_STATE = {
    RSVP_ACCEPTED: "event_joined",
    RSVP_PENDING: "event_requested",
    RSVP_WAITLIST: "event_waiting",
}


async def notify_organisers(
    session: AsyncSession,
    event: Event,
    person_id: int,
    kind: str,
    occurrence: datetime | None = None,
) -> None:
    """Tell the organisers of a local event; nothing for a remote one (its server tells)."""
    if not event.is_local:
        return
    organiser = await session.get(Actor, event.actor_id)
    if organiser is None:
        return
    if organiser.is_group:
        recipients = list(await running_members(session, organiser.id))
        group_id: int | None = organiser.id
    else:
        recipients, group_id = [organiser.id], None
    for recipient_id in recipients:
        await notify(
            session,
            recipient_id,
            kind,
            person_id,
            group_id=group_id,
            event_id=event.id,
            occurrence=occurrence,
        )


async def notify_new_rsvp(
    session: AsyncSession, event: Event, person_id: int, state: str, occurrence: datetime | None
) -> None:
    """A new RSVP (accepted, pending approval or waiting): tell the organisers what it became."""
    kind = KIND_OF_STATE.get(state)
    if kind is not None:
        await notify_organisers(session, event, person_id, kind, occurrence)
