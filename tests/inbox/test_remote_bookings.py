"""Bookings from other servers: an ``Offer{Agreement}`` for a slot of one of our bookable things
(its ``hasBeginning`` and ``hasEnd``) is checked against the space's rules while the sender
waits. A booking the rules refuse (too long, too far ahead, not open to people of other
servers) is answered at once with its reason, nothing of it is kept, and a ``Reject`` goes back
to the responder's server; one they allow is kept and its slots are held."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from actors.services import create_account
from commons.offers import services as offers
from commons.offers.bookables import BookingRules, set_booking_rules
from commons.offers.booking import GENEVA
from commons.offers.fields import OfferFields
from commons.offers.wire import iso_utc
from config.uris import Uris
from storage.models import Actor, Offer, ReservationSlot
from storage.models.offers import MAY_BOOK_RESIDENTS
from tests.inbox.fediverse import Fediverse, fediverse
from tests.inbox.test_offer_answers import agreement, kept, sent_to


async def karims_drill(world: Fediverse, rules: BookingRules) -> Offer:
    """Karim lends his drill, by the day, under ``rules``."""
    settings = world.instance.settings
    uris = Uris(settings.base_url)
    async with world.instance.database.transaction() as session:
        account = await create_account(session, settings, "karim", "password123")
        karim = await session.get(Actor, account.actor_id)
        assert karim is not None
        offer = await offers.publish_offer(session, uris, karim, karim,
                                           OfferFields(kind="pret", title="Perceuse"))  # fmt: skip
        await set_booking_rules(session, uris, karim, offer, rules)
    return offer


def booking(actor: str, offer: Offer, start: datetime, days: int) -> dict[str, Any]:
    """``actor``'s answer to ``offer`` asking for ``days`` days from ``start``."""
    document = agreement(actor, offer, 1, amount="1")
    stipulates = document["object"]["stipulates"]
    stipulates["hasBeginning"] = iso_utc(start)
    stipulates["hasEnd"] = iso_utc(start + timedelta(days=days))
    return document


def next_monday() -> datetime:
    today = datetime.now(GENEVA).date()
    return datetime.combine(today + timedelta(days=7 - today.weekday()), time(), GENEVA)


@pytest.mark.parametrize(
    ("rules", "weeks_ahead", "days", "status", "reason", "words"),
    [
        (
            BookingRules(max_slots=2),
            0,
            3,
            400,
            "booking_too_long",
            "plus longue que ce que le lieu permet",
        ),
        (BookingRules(ahead_days=30), 8, 1, 400, "too_far", "si loin à l'avance"),
        (
            BookingRules(who_may_book=MAY_BOOK_RESIDENTS),
            0,
            1,
            403,
            "may_not_book",
            "réservé aux membres ou aux habitant·es",
        ),
    ],
    ids=["too long", "too far ahead", "for residents only"],
)
async def test_a_booking_the_rules_refuse_is_answered_at_once_with_its_reason(
    tmp_path: Path,
    database_kind: str,
    rules: BookingRules,
    weeks_ahead: int,
    days: int,
    status: int,
    reason: str,
    words: str,
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given Karim's drill, lent by the day under a space's rules
        drill = await karims_drill(world, rules)
        lea = world["mastodon.test"].add_actor("lea")
        # When Léa, on another server, books it for days the rules do not allow
        start = next_monday() + timedelta(weeks=weeks_ahead)
        answer = await world.post_as(lea, booking(lea, drill, start, days))
        # Then her server hears why at once, and nothing of her booking is kept
        assert answer.status_code == status
        assert reason in answer.json()["error"]
        assert await world.inbox_items() == [] and await kept(world) == []
        # And a Reject saying why goes back to her inbox
        [(reject, inboxes)] = await sent_to(world, "Reject")
        assert reject["object"] == f"{lea}/offers/1" and inboxes == [f"{lea}/inbox"]
        assert words in reject["content"]


async def test_a_booking_the_rules_allow_is_kept_with_its_days_held(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        # Given Karim's drill, lent for at most two days
        drill = await karims_drill(world, BookingRules(max_slots=2))
        lea = world["mastodon.test"].add_actor("lea")
        # When Léa books it for two days from next Monday
        start = next_monday()
        answer = await world.post_as(lea, booking(lea, drill, start, 2))
        assert answer.status_code == 202
        await world.handle()
        # Then her booking is kept, those two days held for her, and nothing is refused
        [response] = await kept(world)
        assert (response.starts_at, response.ends_at) == (start, start + timedelta(days=2))
        async with world.instance.database.session() as session:
            held = list(await session.scalars(select(ReservationSlot.slot_start)))
        assert sorted(held) == [start, start + timedelta(days=1)]
        assert await sent_to(world, "Reject") == []
