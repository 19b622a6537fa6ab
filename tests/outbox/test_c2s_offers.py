"""Offers through the client API: a Proposal posted to the outbox is published as from the
offer form (and reaches followers elsewhere); Update changes it and marks it done; an answer
from another quartier's client (Offer{Agreement}) reaches the author, whose client accepts it;
Delete removes it. What the services refuse comes back as a 4xx with its reason."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from commons.offers.bookables import BookingRules, set_booking_rules
from config.uris import Uris
from storage.models import Activity, Actor, Offer, OfferResponse
from storage.models.offers import ACCEPTED, CLOSED
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote
from tests.outbox.c2s_support import post_outbox, token_for

GENEVA = ZoneInfo("Europe/Zurich")
DRILL: dict[str, Any] = {
    "type": ["Note", "Proposal"],
    "name": "Perceuse à prêter",
    "source": {"content": "Avec des *mèches*", "mediaType": "text/markdown"},
    "purpose": "offer",
    "offerKind": "pret",
    "publishes": {"type": "Intent", "action": "transferCustody",
                  "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
                  "availableQuantity": {"hasUnit": "one", "hasNumericalValue": "2"}},
    "to": ["https://www.w3.org/ns/activitystreams#Public"],
}  # fmt: skip


async def offer_at(node: Node, uri: str) -> Offer:
    async with node.instance.database.session() as session:
        offer = await session.scalar(select(Offer).where(Offer.uri == uri))
        assert offer is not None
        return offer


async def object_of(node: Node, activity_uri: str) -> str:
    async with node.instance.database.session() as session:
        uri = await session.scalar(select(Activity.object_uri).where(Activity.uri == activity_uri))
    assert uri is not None
    return uri


async def test_a_client_publishes_changes_answers_accepts_and_deletes_an_offer(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, ("paquis.test", "jonction.test")) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        karim = await paquis.resident("karim")
        nadia = await jonction.resident("nadia")
        await follow_remote(jonction, nadia, karim.uri)
        await rig.drain()
        karim_token = await token_for(paquis, "karim")
        nadia_token = await token_for(jonction, "nadia")

        # A bad Proposal is refused with its reason, nothing kept
        bad = {**DRILL, "offerKind": "vente", "purpose": "gift"}
        refused = await post_outbox(rig.client, paquis, "karim", karim_token, bad)
        assert refused.status_code == 400 and "invalid_purpose" in refused.json()["error"]

        # When Karim's client posts the Proposal alone (wrapped in a Create)
        answer = await post_outbox(rig.client, paquis, "karim", karim_token, DRILL)
        assert answer.status_code == 201, answer.text
        uri = await object_of(paquis, answer.headers["location"])
        offer = await offer_at(paquis, uri)
        assert (offer.kind, offer.available_quantity, offer.is_local) == ("pret", 2.0, True)
        assert "<em>mèches</em>" in offer.description_html
        await rig.drain()
        assert (await offer_at(jonction, uri)).title == "Perceuse à prêter"

        # When Nadia's client answers it from jonction
        agreement = {"type": "Offer", "content": "Pour samedi ?", "object": {
            "type": "Agreement", "stipulates": {"type": "Commitment", "satisfies": f"{uri}#primary",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"}}}}  # fmt: skip
        sent = await post_outbox(rig.client, jonction, "nadia", nadia_token, agreement)
        assert sent.status_code == 201, sent.text
        await rig.drain()
        async with paquis.instance.database.session() as session:
            [response] = list(await session.scalars(select(OfferResponse)))
        assert (response.quantity, response.message) == (1.0, "Pour samedi ?")

        # When Karim's client accepts it, Nadia's quartier knows
        accepted = await post_outbox(rig.client, paquis, "karim", karim_token,
                                     {"type": "Accept", "object": response.uri})  # fmt: skip
        assert accepted.status_code == 201, accepted.text
        await rig.drain()
        async with jonction.instance.database.session() as session:
            states = list(await session.scalars(select(OfferResponse.state)))
        assert states == [ACCEPTED]
        assert (await offer_at(jonction, uri)).available_quantity == 1.0

        # When his client renames it and marks it done
        update = {"type": "Update", "object": {"id": uri, "type": ["Note", "Proposal"],
                                               "name": "Perceuse sans fil", "offerStatus": "closed"}}  # fmt: skip
        changed = await post_outbox(rig.client, paquis, "karim", karim_token, update)
        assert changed.status_code == 201, changed.text
        await rig.drain()
        for node in (paquis, jonction):
            copy = await offer_at(node, uri)
            assert (copy.title, copy.status) == ("Perceuse sans fil", CLOSED)
            assert "<em>mèches</em>" in copy.description_html

        # When Nadia's client tries to delete it, she is refused; Karim's deletes it
        assert (await post_outbox(rig.client, jonction, "nadia", nadia_token,
                                  {"type": "Delete", "object": uri})).status_code == 404  # fmt: skip
        gone = await post_outbox(rig.client, paquis, "karim", karim_token,
                                 {"type": "Delete", "object": uri})  # fmt: skip
        assert gone.status_code == 201
        await rig.drain()
        assert (await offer_at(jonction, uri)).deleted_at is not None


async def test_a_client_books_a_day_of_a_bookable_offer_of_another_quartier(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, ("paquis.test", "jonction.test")) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        karim = await paquis.resident("karim")
        nadia = await jonction.resident("nadia")
        await follow_remote(jonction, nadia, karim.uri)
        await rig.drain()
        answer = await post_outbox(rig.client, paquis, "karim", await token_for(paquis, "karim"),
                                   DRILL)  # fmt: skip
        uri = await object_of(paquis, answer.headers["location"])
        async with paquis.instance.database.transaction() as session:
            offer = await session.scalar(select(Offer).where(Offer.uri == uri))
            person = await session.get(Actor, karim.id)
            assert offer is not None and person is not None
            await set_booking_rules(session, Uris(paquis.settings.base_url), person, offer,
                                    BookingRules())  # fmt: skip
        await rig.drain()
        start = datetime.combine(date.today() + timedelta(days=9), time(), GENEVA)
        booking = {"type": "Offer", "object": {"type": "Agreement", "stipulates": {
            "type": "Commitment", "satisfies": f"{uri}#primary",
            "hasBeginning": start.isoformat(), "hasEnd": (start + timedelta(days=1)).isoformat()}}}  # fmt: skip
        sent = await post_outbox(rig.client, jonction, "nadia", await token_for(jonction, "nadia"),
                                 booking)  # fmt: skip
        assert sent.status_code == 201, sent.text
        await rig.drain()
        for node in (paquis, jonction):
            async with node.instance.database.session() as session:
                [kept] = list(await session.scalars(select(OfferResponse)))
            assert kept.state == ACCEPTED and kept.starts_at == start
        # The same day asked again is refused by paquis, and jonction hears why
        again = await post_outbox(rig.client, jonction, "nadia", await token_for(jonction, "nadia"),
                                  booking)  # fmt: skip
        assert again.status_code == 201  # one may book several times: paquis decides
        await rig.drain()
        async with jonction.instance.database.session() as session:
            states = sorted(await session.scalars(select(OfferResponse.state)))
        assert states == [ACCEPTED, "rejected"]
