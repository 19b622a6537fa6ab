"""Answers to offers across servers (FEP-0837): another server's ``Offer{Agreement}`` for one
of our offers is kept for its author, or refused at once with its reason when it cannot be
given (another unit, more than is left, an offer that is done); the author's answer goes back
as ``Accept`` (with the Agreement as ``result``) or ``Reject``. And the other way round: our
resident's answer to another server's offer, and that server's ``Accept``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from actors.services import create_account
from commons.offers import responses
from commons.offers import services as offers
from commons.offers.fields import OfferFields
from commons.offers.queries import offer_comments
from config.uris import Uris
from storage.models import (
    Activity,
    Actor,
    Delivery,
    Notification,
    Offer,
    OfferResponse,
    utcnow,
)
from storage.models.offers import ACCEPTED, CLOSED, PENDING
from tests.inbox.fediverse import Fediverse, activity, fediverse, note
from tests.inbox.test_remote_offers import apples


async def karims_jam(world: Fediverse) -> tuple[Actor, Offer]:
    settings = world.instance.settings
    async with world.instance.database.transaction() as session:
        account = await create_account(session, settings, "karim", "password123")
        karim = await session.get(Actor, account.actor_id)
        assert karim is not None
        fields = OfferFields(kind="troc", title="Confiture de coings", quantity=1.0,
                             available_quantity=3.0, unit_based=True)  # fmt: skip
        offer = await offers.publish_offer(session, Uris(settings.base_url), karim, karim, fields)
    return karim, offer


def agreement(actor: str, offer: Offer, number: int, amount: str = "2",
              unit: str = "one") -> dict[str, Any]:  # fmt: skip
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/offers/{number}",
        "type": "Offer",
        "actor": actor,
        "to": [offer.uri.rsplit("/offers/", 1)[0] + "/@karim"],
        "content": "Deux pots, je vous apporte des noix",
        "object": {
            "id": f"{actor}/agreements/{number}",
            "type": "Agreement",
            "stipulates": {
                "id": f"{actor}/agreements/{number}#primary",
                "type": "Commitment",
                "satisfies": f"{offer.uri}#primary",
                "resourceQuantity": {"hasUnit": unit, "hasNumericalValue": amount},
            },
        },
    }


def private_reply(author: str, publisher: Actor, offer: Offer) -> dict[str, Any]:
    """A reply to the offer mentioning its publisher only, as Mastodon users answer."""
    return note(author, 1, "@karim Un pot pour moi ?", inReplyTo=offer.uri, to=[publisher.uri],
                cc=[], tag=[{"type": "Mention", "href": publisher.uri}])  # fmt: skip


async def kept(world: Fediverse) -> list[OfferResponse]:
    async with world.instance.database.session() as session:
        return list(await session.scalars(select(OfferResponse).order_by(OfferResponse.id)))


async def sent_to(world: Fediverse, kind: str) -> list[tuple[dict[str, Any], list[str]]]:
    async with world.instance.database.session() as session:
        rows = await session.scalars(select(Activity).where(Activity.type == kind))
        found = []
        for row in rows:
            inboxes = await session.scalars(
                select(Delivery.inbox_uri).where(Delivery.activity_id == row.id)
            )
            found.append((json.loads(row.payload), list(inboxes)))
        return found


async def test_an_answer_from_another_server_is_kept_then_accepted_with_the_agreement(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        karim, offer = await karims_jam(world)
        lea = world["mastodon.test"].add_actor("lea")
        # When Léa asks for two jars, twice (a retried delivery)
        for _ in range(2):
            assert (await world.post_as(lea, agreement(lea, offer, 1))).status_code == 202
        await world.handle()

        [response] = await kept(world)
        assert (response.state, response.quantity) == (PENDING, 2.0)
        assert response.message == "Deux pots, je vous apporte des noix"
        async with world.instance.database.session() as session:
            kinds = list(await session.scalars(select(Notification.kind)))
        assert kinds == ["offer_response"]

        # When Karim accepts, the Accept carries the Agreement and goes to Léa's inbox only
        async with world.instance.database.transaction() as session:
            row = await session.get(OfferResponse, response.id)
            person = await session.get(Actor, karim.id)
            assert row is not None and person is not None
            await responses.answer(session, Uris(world.instance.settings.base_url), person, row,
                                   accept=True)  # fmt: skip
        [(accept, inboxes)] = await sent_to(world, "Accept")
        assert accept["object"] == f"{lea}/offers/1" and accept["to"] == [lea]
        assert accept["result"]["type"] == "Agreement"
        assert accept["result"]["stipulates"]["satisfies"] == f"{offer.uri}#primary"
        assert inboxes == [f"{lea}/inbox"]
        [(update, _)] = await sent_to(world, "Update")
        assert update["object"]["publishes"]["availableQuantity"]["hasNumericalValue"] == "1"


@pytest.mark.parametrize(
    ("amount", "unit", "status", "reason"),
    [("2", "kilogram", 400, "unit_mismatch"), ("5", "one", 400, "bad_quantity"),
     ("1.5", "one", 400, "not_a_multiple")],
)  # fmt: skip
async def test_an_answer_that_cannot_be_given_is_refused_at_once_with_its_reason(
    tmp_path: Path, database_kind: str, amount: str, unit: str, status: int, reason: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        _karim, offer = await karims_jam(world)
        lea = world["mastodon.test"].add_actor("lea")
        answer = await world.post_as(lea, agreement(lea, offer, 1, amount, unit))
        assert answer.status_code == status and reason in answer.json()["error"]
        assert await world.inbox_items() == [] and await kept(world) == []
        # And Léa's server hears why, in French
        [(reject, inboxes)] = await sent_to(world, "Reject")
        assert reject["object"] == f"{lea}/offers/1" and inboxes == [f"{lea}/inbox"]
        assert reject["content"].startswith("La quantité")


async def test_an_answer_to_an_offer_that_is_done_is_refused_at_once_and_told_why(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        _karim, offer = await karims_jam(world)
        async with world.instance.database.transaction() as session:
            row = await session.get(Offer, offer.id)
            assert row is not None
            row.status = CLOSED
        lea = world["mastodon.test"].add_actor("lea")
        # When Léa answers Karim's offer, which he has closed
        answer = await world.post_as(lea, agreement(lea, offer, 1))
        # Then her server hears at once that it is not possible now, and why, in French
        assert answer.status_code == 409 and "offer_closed" in answer.json()["error"]
        assert await world.inbox_items() == [] and await kept(world) == []
        [(reject, inboxes)] = await sent_to(world, "Reject")
        assert reject["object"] == f"{lea}/offers/1" and inboxes == [f"{lea}/inbox"]
        assert reject["content"] == "Cette offre est pourvue ou terminée."


@pytest.mark.parametrize("case", ["deleted", "unknown", "another server's"])
async def test_an_answer_to_no_offer_of_ours_is_refused_at_once(
    tmp_path: Path, database_kind: str, case: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        _karim, offer = await karims_jam(world)
        if case == "deleted":
            async with world.instance.database.transaction() as session:
                row = await session.get(Offer, offer.id)
                assert row is not None
                row.deleted_at = utcnow()
        elif case == "unknown":
            offer = Offer(uri=f"{offer.uri}0")
        else:
            # a copy we keep of another server's offer is that server's to answer
            async with world.instance.database.transaction() as session:
                offer = Offer(uri="http://mobilizon.test/offers/5", actor_id=offer.actor_id,
                              is_local=False, kind="troc", title="Des noix")  # fmt: skip
                session.add(offer)
        lea = world["mastodon.test"].add_actor("lea")
        # When Léa's server sends an answer to it
        answer = await world.post_as(lea, agreement(lea, offer, 1))
        # Then it is refused as no offer of ours, and nothing is kept or sent
        assert answer.status_code == 404 and "not_an_offer" in answer.json()["error"]
        assert await world.inbox_items() == [] and await kept(world) == []
        assert await sent_to(world, "Reject") == []


async def test_only_an_offer_of_an_agreement_is_checked_as_an_answer_before_it_is_taken(
    tmp_path: Path,
) -> None:
    async with fediverse(tmp_path) as world:
        _karim, offer = await karims_jam(world)
        lea = world["mastodon.test"].add_actor("lea")
        # An Offer of something else than an agreement, and an agreement in another activity,
        # both naming Karim's offer, are not answers: they are taken as any other activity
        of_a_note = {**agreement(lea, offer, 1), "object": note(lea, 1)}
        created = {**agreement(lea, offer, 2), "type": "Create"}
        for document in (of_a_note, created):
            answer = await world.post_as(lea, document)
            assert answer.status_code == 202, (document["type"], answer.text)
        assert len(await world.inbox_items()) == 2


async def test_our_residents_answer_to_another_servers_offer_and_its_accept(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        verger = world["mastodon.test"].add_actor("verger")
        await world.post_as(verger, activity("Create", verger, apples(verger), 1))
        await world.handle()
        settings = world.instance.settings
        async with world.instance.database.transaction() as session:
            account = await create_account(session, settings, "nadia", "password123")
            nadia = await session.get(Actor, account.actor_id)
            offer = await session.scalar(select(Offer))
            assert nadia is not None and offer is not None
            response = await responses.respond(session, Uris(settings.base_url), nadia, offer,
                                               quantity=4.0, message="Pour une tarte")  # fmt: skip
        [(proposal, inboxes)] = await sent_to(world, "Offer")
        assert inboxes == [f"{verger}/inbox"] and proposal["to"] == [verger]
        stipulated = proposal["object"]["stipulates"]
        assert stipulated["satisfies"] == f"{verger}/proposals/7#primary"
        assert stipulated["resourceQuantity"] == {"hasUnit": "kilogram", "hasNumericalValue": "4"}
        reciprocal = proposal["object"]["stipulatesReciprocal"]
        assert reciprocal["resourceQuantity"]["hasNumericalValue"] == "14"  # 4 kg at 3.50

        # When someone else accepts it, nothing changes; when the author does, Nadia is told
        intruder = world["mastodon.test"].add_actor("intrus")
        await world.post_as(intruder, activity("Accept", intruder, response.uri, 2))
        await world.handle()
        assert [r.state for r in await kept(world)] == [PENDING]
        await world.post_as(verger, activity("Accept", verger, response.uri, 3))
        await world.handle()
        assert [r.state for r in await kept(world)] == [ACCEPTED]
        async with world.instance.database.session() as session:
            kinds = list(await session.scalars(select(Notification.kind)))
        assert kinds == ["offer_accepted"]


async def test_a_mastodon_user_answers_by_a_direct_reply_and_hears_back_the_same_way(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        karim, offer = await karims_jam(world)
        lea = world["mastodon.test"].add_actor("lea")
        # When Léa replies to the offer privately (mentioning Karim only), and Tom publicly
        direct = private_reply(lea, karim, offer)
        tom = world["mastodon.test"].add_actor("tom")
        public = note(tom, 2, "Super idée !", inReplyTo=offer.uri)
        await world.post_as(lea, activity("Create", lea, direct, 1))
        await world.post_as(tom, activity("Create", tom, public, 2))
        await world.handle()

        # Then Léa's is an answer and Tom's a comment only
        [response] = await kept(world)
        assert response.message == "@karim Un pot pour moi ?" and response.post_id is not None
        async with world.instance.database.session() as session:
            comments = await offer_comments(session, offer)
        assert [(post.uri, taken) for post, _who, taken in comments] == [(public["id"], False)]

        # When Karim takes Tom's comment as an answer too, and declines Léa's with a word
        settings = world.instance.settings
        async with world.instance.database.transaction() as session:
            person = await session.get(Actor, karim.id)
            row = await session.get(Offer, offer.id)
            assert person is not None and row is not None
            taken = await responses.take_reply_as_answer(
                session, Uris(settings.base_url), person, row, comments[0][0]
            )
            await responses.answer(session, Uris(settings.base_url), person, response,
                                   accept=False, reason="Déjà tout donné, désolé")  # fmt: skip
        assert taken.state == PENDING

        # Then Léa gets a direct reply to her post, which Mastodon shows as a private mention
        created = await sent_to(world, "Create")
        [(reply, inboxes)] = [item for item in created if item[0]["object"]["type"] == "Note"]
        obj = reply["object"]
        assert obj["inReplyTo"] == direct["id"] and obj["to"] == [lea]
        assert "Déjà tout donné, désolé" in obj["content"] and inboxes == [f"{lea}/inbox"]
        assert "pas pu être retenue" in obj["content"]


async def test_a_reply_to_an_offer_its_publisher_deleted_is_no_answer(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        karim, offer = await karims_jam(world)
        lea = world["mastodon.test"].add_actor("lea")
        # Given Karim deleted his offer
        async with world.instance.database.transaction() as session:
            person, row = await session.get(Actor, karim.id), await session.get(Offer, offer.id)
            assert person is not None and row is not None
            await offers.delete_offer(session, Uris(world.instance.settings.base_url), person, row)

        # When Léa replies to it privately, as she would to answer it
        direct = private_reply(lea, karim, offer)
        assert (await world.post_as(lea, activity("Create", lea, direct, 1))).status_code == 202
        await world.handle()

        # Then no answer is kept for the offer that is gone, and her reply is kept as a post
        assert await kept(world) == []
        assert await world.post(direct["id"]) is not None
