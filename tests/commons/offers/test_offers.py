"""Offer services: who may publish, what is refused (with codes), what is sent and when."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from commons.events.organisers import NotOrganiser
from commons.offers import services as offers
from commons.offers.fields import OfferFields
from config.errors import Invalid
from storage.database import Database
from storage.models import Activity, Actor, Offer
from storage.models.offers import CLOSED, OPEN
from tests.commons.event_support import Quartier


def drill(**changes: object) -> OfferFields:
    fields = OfferFields(
        kind="pret",
        title="Perceuse à percussion",
        description="Avec **deux** mèches à béton.",
        place_name="Maison de quartier des Pâquis",
        locality="Genève",
        latitude=46.2102,
        longitude=6.1432,
    )
    return replace(fields, **changes)  # type: ignore[arg-type]


async def publish(database: Database, q: Quartier, person: Actor, author: Actor,
                  **changes: object) -> Offer:  # fmt: skip
    async with database.transaction() as session:
        return await offers.publish_offer(session, q.uris, person, author, drill(**changes))


async def sent(database: Database) -> list[dict[str, object]]:
    async with database.session() as session:
        rows = await session.scalars(select(Activity).order_by(Activity.id))
        return [json.loads(row.payload) for row in rows]


async def test_a_resident_lends_a_drill_and_followers_receive_a_note_mastodon_shows(
    database: Database, quartier: Quartier
) -> None:
    offer = await publish(database, quartier, quartier.nadia, quartier.nadia)

    assert offer.is_local and offer.status == OPEN and offer.actor_id == quartier.nadia.id
    assert "<strong>deux</strong>" in offer.description_html
    [create] = await sent(database)
    assert create["type"] == "Create"
    obj = create["object"]
    assert isinstance(obj, dict)
    assert obj["type"] == ["Note", "Proposal"]
    assert obj["attributedTo"] == quartier.nadia.uri
    assert obj["purpose"] == "offer"
    assert obj["publishes"]["action"] == "transferCustody"
    assert obj["content"].startswith("<p><strong>Offre · Prêt</strong> : Perceuse à percussion")
    assert "Gratuit" in obj["content"] and "Lieu : Maison de quartier des Pâquis" in obj["content"]
    assert obj["tag"] == [{"type": "Hashtag", "href": quartier.uris.base + "/tags/pret",
                           "name": "#pret"}]  # fmt: skip
    context = create["@context"]
    assert isinstance(context, list) and context[-1]["Proposal"] == "vf:Proposal"


async def test_a_facilitator_publishes_for_the_collective_a_plain_member_may_not(
    database: Database, quartier: Quartier
) -> None:
    offer = await publish(database, quartier, quartier.jeanmarc, quartier.cafe)
    assert offer.actor_id == quartier.cafe.id and offer.created_by_id == quartier.jeanmarc.id
    [create] = await sent(database)
    assert create["actor"] == quartier.cafe.uri
    assert create["object"]["audience"] == quartier.cafe.uri  # type: ignore[index]

    with pytest.raises(NotOrganiser):
        await publish(database, quartier, quartier.karim, quartier.cafe)
    with pytest.raises(NotOrganiser):
        await publish(database, quartier, quartier.karim, quartier.nadia)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"title": "  "}, "required", "title"),
        ({"kind": "vente"}, "invalid_offer_kind", "kind"),
        ({"purpose": "gift"}, "invalid_purpose", "purpose"),
        ({"quantity": -1.0}, "bad_quantity", "quantity"),
        ({"quantity": float("nan")}, "bad_quantity", "quantity"),
        ({"available_quantity": 2.0, "minimum_quantity": 3.0}, "bad_quantity", "minimum_quantity"),
        ({"unit": "furlong"}, "invalid_unit", "unit"),
        ({"reciprocity": "exchange"}, "missing_exchange", "exchange_for"),
        ({"reciprocity": "price"}, "bad_price", "price"),
        ({"reciprocity": "price", "price_centimes": 0}, "bad_price", "price"),
        ({"latitude": 123.0}, "bad_coordinates", "latitude"),
        ({"valid_until": datetime(2020, 1, 1, tzinfo=UTC)}, "until_past", "valid_until"),
    ],
)
async def test_bad_fields_are_refused_with_a_code_and_nothing_is_stored(
    database: Database, quartier: Quartier, changes: dict[str, object], code: str, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        await publish(database, quartier, quartier.nadia, quartier.nadia, **changes)
    assert (refused.value.code, refused.value.field) == (code, field)
    async with database.session() as session:
        assert await session.scalar(select(Offer.id)) is None
    assert await sent(database) == []


async def test_a_price_and_an_exchange_travel_as_the_fep_says(
    database: Database, quartier: Quartier
) -> None:
    until = datetime.now(UTC) + timedelta(days=30)
    await publish(database, quartier, quartier.nadia, quartier.nadia, kind="troc",
                  reciprocity="price", price_centimes=1250, valid_until=until)  # fmt: skip
    await publish(database, quartier, quartier.nadia, quartier.nadia, kind="troc",
                  reciprocity="exchange", exchange_for="un pot de confiture")  # fmt: skip
    priced, exchanged = (activity["object"] for activity in await sent(database))
    assert isinstance(priced, dict) and isinstance(exchanged, dict)
    assert priced["reciprocal"]["resourceConformsTo"] == "https://www.wikidata.org/wiki/Q25344"
    assert priced["reciprocal"]["resourceQuantity"]["hasNumericalValue"] == "12.50"
    assert "Prix : CHF 12.50" in priced["content"] and "Jusqu&#x27;au" in priced["content"]
    assert priced["endTime"].startswith(until.strftime("%Y-%m-%d"))
    assert "reciprocal" not in exchanged
    assert exchanged["exchangeFor"] == "un pot de confiture"
    assert "En échange de : un pot de confiture" in exchanged["content"]


async def test_closing_reopening_editing_and_deleting_each_send_one_activity(
    database: Database, quartier: Quartier
) -> None:
    offer = await publish(database, quartier, quartier.jeanmarc, quartier.cafe)
    async with database.transaction() as session:
        row = await session.get(Offer, offer.id)
        assert row is not None
        await offers.set_status(session, quartier.uris, quartier.jeanmarc, row, CLOSED)
        await offers.set_status(session, quartier.uris, quartier.jeanmarc, row, CLOSED)
        await offers.set_status(session, quartier.uris, quartier.jeanmarc, row, OPEN)
        await offers.edit_offer(session, quartier.uris, quartier.jeanmarc, row,
                                drill(title="Perceuse sans fil"))  # fmt: skip
        await offers.delete_offer(session, quartier.uris, quartier.jeanmarc, row)

    activities = await sent(database)
    assert [a["type"] for a in activities] == ["Create", "Update", "Update", "Update", "Delete"]
    closed, reopened, edited, deleted = (a["object"] for a in activities[1:])
    assert isinstance(closed, dict) and closed["offerStatus"] == "closed" and "closed" in closed
    assert "(pourvu)" in closed["content"] and "updated" in closed
    assert isinstance(reopened, dict) and reopened["offerStatus"] == "open"
    assert isinstance(edited, dict) and edited["name"] == "Perceuse sans fil"
    assert deleted == {"id": offer.uri, "type": "Tombstone", "formerType": "Proposal",
                       "deleted": deleted["deleted"]}  # type: ignore[index]  # fmt: skip


async def test_only_who_may_publish_for_it_may_change_it(
    database: Database, quartier: Quartier
) -> None:
    offer = await publish(database, quartier, quartier.jeanmarc, quartier.cafe)
    async with database.transaction() as session:
        row = await session.get(Offer, offer.id)
        assert row is not None
        for person in (quartier.karim, quartier.nadia):
            with pytest.raises(NotOrganiser):
                await offers.set_status(session, quartier.uris, person, row, CLOSED)
            with pytest.raises(NotOrganiser):
                await offers.delete_offer(session, quartier.uris, person, row)
    assert [a["type"] for a in await sent(database)] == ["Create"]
