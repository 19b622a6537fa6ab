"""Answering offers here: the author is told; what may not be answered is refused with a code
before anything is written; accepting takes from what is available and closes an offer with
nothing left, and its followers hear the new quantity."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from commons.events.organisers import NotOrganiser
from commons.offers import responses
from commons.offers import services as offers
from config.errors import DomainError
from storage.database import Database
from storage.models import Activity, Actor, Notification, Offer, OfferResponse
from storage.models.offers import ACCEPTED, CLOSED, OPEN, PENDING, REJECTED
from tests.commons.event_support import Quartier
from tests.commons.offers.test_offers import drill


async def jam(database: Database, q: Quartier) -> Offer:
    """Karim's jam: a jar each time, twelve jars, taken by whole jars."""
    async with database.transaction() as session:
        return await offers.publish_offer(session, q.uris, q.karim, q.karim, drill(
            kind="troc", title="Confiture de coings", quantity=1.0, available_quantity=3.0,
            unit_based=True, reciprocity="exchange", exchange_for="un coup de main"))  # fmt: skip


async def respond(database: Database, q: Quartier, who: Actor, offer: Offer,
                  quantity: float | None = None) -> OfferResponse:  # fmt: skip
    async with database.transaction() as session:
        row = await session.get(Offer, offer.id)
        assert row is not None
        return await responses.respond(session, q.uris, who, row, quantity=quantity,
                                       message="Je passe samedi ?")  # fmt: skip


async def answer(database: Database, q: Quartier, who: Actor, response: OfferResponse,
                 *, accept: bool, reason: str = "") -> OfferResponse:  # fmt: skip
    async with database.transaction() as session:
        row = await session.get(OfferResponse, response.id)
        assert row is not None
        return await responses.answer(session, q.uris, who, row, accept=accept, reason=reason)


async def told(database: Database, who: Actor) -> list[str]:
    async with database.session() as session:
        return list(await session.scalars(
            select(Notification.kind).where(Notification.recipient_id == who.id)
            .order_by(Notification.id)))  # fmt: skip


async def test_an_answer_is_told_to_the_author_and_accepting_it_takes_from_the_jars(
    database: Database, quartier: Quartier
) -> None:
    offer = await jam(database, quartier)
    response = await respond(database, quartier, quartier.nadia, offer, quantity=2.0)
    assert response.state == PENDING and response.message == "Je passe samedi ?"
    assert await told(database, quartier.karim) == ["offer_response"]

    await answer(database, quartier, quartier.karim, response, accept=True)
    assert await told(database, quartier.nadia) == ["offer_accepted"]
    async with database.session() as session:
        row = await session.get(Offer, offer.id)
        updates = [json.loads(p) for p in await session.scalars(
            select(Activity.payload).where(Activity.type == "Update"))]  # fmt: skip
    assert row is not None and row.available_quantity == 1.0 and row.status == OPEN
    [update] = updates
    assert update["object"]["publishes"]["availableQuantity"]["hasNumericalValue"] == "1"

    # When the last jar is taken, the offer is done by itself
    last = await respond(database, quartier, quartier.jeanmarc, offer, quantity=1.0)
    await answer(database, quartier, quartier.karim, last, accept=True)
    async with database.session() as session:
        row = await session.get(Offer, offer.id)
    assert row is not None and row.available_quantity == 0 and row.status == CLOSED
    with pytest.raises(DomainError) as refused:
        await respond(database, quartier, quartier.cafe, offer, quantity=1.0)
    assert refused.value.code == "offer_closed"


@pytest.mark.parametrize(
    ("quantity", "code"),
    [(0.0, "bad_quantity"), (1.5, "not_a_multiple"), (4.0, "bad_quantity"),
     (float("inf"), "bad_quantity")],
)  # fmt: skip
async def test_a_quantity_that_cannot_be_given_is_refused(
    database: Database, quartier: Quartier, quantity: float, code: str
) -> None:
    offer = await jam(database, quartier)
    with pytest.raises(DomainError) as refused:
        await respond(database, quartier, quartier.nadia, offer, quantity=quantity)
    assert refused.value.code == code
    async with database.session() as session:
        assert await session.scalar(select(OfferResponse.id)) is None
    assert await told(database, quartier.karim) == []


async def test_nobody_answers_their_own_offer_nor_twice_while_waiting(
    database: Database, quartier: Quartier
) -> None:
    offer = await jam(database, quartier)
    with pytest.raises(DomainError) as refused:
        await respond(database, quartier, quartier.karim, offer)
    assert refused.value.code == "own_offer"
    await respond(database, quartier, quartier.nadia, offer)
    with pytest.raises(DomainError) as refused:
        await respond(database, quartier, quartier.nadia, offer)
    assert refused.value.code == "already_answered"


async def test_only_who_publishes_it_answers_and_a_declined_answer_says_why(
    database: Database, quartier: Quartier
) -> None:
    offer = await jam(database, quartier)
    response = await respond(database, quartier, quartier.nadia, offer, quantity=1.0)
    with pytest.raises(NotOrganiser):
        await answer(database, quartier, quartier.jeanmarc, response, accept=True)
    declined = await answer(database, quartier, quartier.karim, response, accept=False,
                            reason="Déjà promis à ma voisine")  # fmt: skip
    assert declined.state == REJECTED and declined.reason == "Déjà promis à ma voisine"
    assert await told(database, quartier.nadia) == ["offer_rejected"]
    with pytest.raises(DomainError) as refused:
        await answer(database, quartier, quartier.karim, response, accept=True)
    assert refused.value.code == "not_pending"
    async with database.session() as session:
        row = await session.get(Offer, offer.id)
        states = list(await session.scalars(select(OfferResponse.state)))
    assert row is not None and row.available_quantity == 3.0 and states == [REJECTED]
    assert ACCEPTED not in states
