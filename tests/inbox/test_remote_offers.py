"""Offers and requests from other servers (FEP-0837 ``Proposal``): kept in the marketplace,
changed and removed only by their author, and refused with a reason when unusable — each
signed by its sender's key and taken through the real inbox and worker.

The shapes: a Proposal as a marketplace server of the FEP sends it (type ``Proposal`` alone,
quantities as strings, a price as a reciprocal Intent in a currency), and one of our own
servers' (``["Note", "Proposal"]``, our kind and Markdown source).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from commons.offers.queries import MarketFilter, market_offers
from storage.models import Offer, Post
from storage.models.offers import CLOSED, PRICE
from tests.inbox.fediverse import Fediverse, activity, fediverse

CHF = "https://www.wikidata.org/wiki/Q25344"


def apples(author: str, **changes: Any) -> dict[str, Any]:
    """Apples for sale, as a FEP-0837 marketplace describes them."""
    document: dict[str, Any] = {
        "id": f"{author}/proposals/7",
        "type": "Proposal",
        "attributedTo": author,
        "name": "Pommes de Jussy",
        "content": "<p>Des pommes du verger, <script>alert(1)</script>cueillies hier.</p>",
        "published": "2026-11-30T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "purpose": "offer",
        "unitBased": True,
        "publishes": {
            "id": f"{author}/proposals/7#primary",
            "type": "Intent",
            "action": "transfer",
            "resourceConformsTo": "https://www.wikidata.org/wiki/Q89",
            "resourceQuantity": {"hasUnit": "kilogram", "hasNumericalValue": "1"},
            "availableQuantity": {"hasUnit": "kilogram", "hasNumericalValue": "40"},
            "minimumQuantity": {"hasUnit": "kilogram", "hasNumericalValue": "2"},
        },
        "reciprocal": {
            "id": f"{author}/proposals/7#reciprocal",
            "type": "Intent",
            "action": "transfer",
            "resourceConformsTo": CHF,
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "3.5"},
        },
    }
    document.update(changes)
    return document


async def offers(world: Fediverse) -> list[Offer]:
    async with world.instance.database.session() as session:
        return list(await session.scalars(select(Offer).order_by(Offer.id)))


async def test_a_proposal_is_kept_in_the_city_marketplace_with_its_terms(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        market = world["mastodon.test"].add_actor("verger")
        # When a marketplace server offers apples, twice (a retried delivery)
        create = activity("Create", market, apples(market), 1)
        for _ in range(2):
            assert (await world.post_as(market, create)).status_code == 202
        await world.handle()

        [offer] = await offers(world)
        assert (offer.title, offer.kind, offer.purpose) == ("Pommes de Jussy", "troc", "offer")
        assert (offer.quantity, offer.unit, offer.available_quantity, offer.minimum_quantity) == (
            1.0, "kilogram", 40.0, 2.0)  # fmt: skip
        assert offer.unit_based and not offer.is_local
        assert (offer.reciprocity, offer.price_centimes) == (PRICE, 350)
        assert (
            "<script>" not in offer.description_html and "cueillies hier" in offer.description_html
        )
        # And it is not kept as a post too
        assert await world.count(Post) == 0
        async with world.instance.database.session() as session:
            city = await market_offers(session, MarketFilter())
            local = await market_offers(session, MarketFilter(local_only=True))
        assert [card.offer.id for card in city] == [offer.id] and local == []


async def test_an_update_changes_it_and_a_delete_removes_it_from_its_author_only(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        market = world["mastodon.test"].add_actor("verger")
        other = world["mastodon.test"].add_actor("intrus")
        assert (await world.post_as(market, activity("Create", market, apples(market), 1))
                ).status_code == 202  # fmt: skip
        # Given someone else who updates and deletes it
        forged = apples(market, name="Pommes pourries")
        await world.post_as(other, activity("Update", other, forged, 2))
        await world.post_as(other, activity("Delete", other, apples(market)["id"], 3))
        await world.handle()
        [offer] = await offers(world)
        assert offer.title == "Pommes de Jussy" and offer.deleted_at is None

        # When the author closes it, then deletes it
        closed = apples(market, offerStatus="closed", updated="2026-12-01T09:00:00Z")
        await world.post_as(market, activity("Update", market, closed, 4))
        await world.handle()
        [offer] = await offers(world)
        assert offer.status == CLOSED
        await world.post_as(market, activity("Delete", market, apples(market)["id"], 5))
        await world.handle()
        [offer] = await offers(world)
        assert offer.deleted_at is not None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"name": "", "content": ""}, "required"),
        ({"publishes": {"type": "Intent", "resourceQuantity": {"hasNumericalValue": "-3"}}},
         "bad_quantity"),
        ({"attributedTo": "https://mobilizon.test/users/someone"}, "it is not theirs"),
        ({"id": "https://mobilizon.test/proposals/9"}, "an offer of another server"),
    ],
)  # fmt: skip
async def test_an_unusable_proposal_is_dropped_with_its_reason(
    tmp_path: Path,
    database_kind: str,
    changes: dict[str, Any],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        market = world["mastodon.test"].add_actor("verger")
        answer = await world.post_as(
            market, activity("Create", market, apples(market, **changes), 1)
        )
        assert answer.status_code == 202
        with caplog.at_level(logging.INFO):
            await world.handle()
        assert await offers(world) == []
        assert reason in caplog.text
        assert [item.state for item in await world.inbox_items()] == ["done"]


async def test_a_proposal_among_plain_notes_of_one_batch_is_kept_as_an_offer(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        market = world["mastodon.test"].add_actor("verger")
        writers = [world["mastodon.test"].add_actor(name) for name in ("ana", "bo", "cy")]
        # Given public notes of three people and a Proposal, received together
        for number, writer in enumerate(writers, start=1):
            note = {"id": f"{writer}/statuses/{number}", "type": "Note", "attributedTo": writer,
                    "content": "<p>Bonjour</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"]}  # fmt: skip
            await world.post_as(writer, activity("Create", writer, note, number))
        proposal = apples(market, type=["Note", "Proposal"])
        await world.post_as(market, activity("Create", market, proposal, 9))
        await world.handle()
        # Then the notes are posts, and the Proposal an offer, not a post
        assert [offer.title for offer in await offers(world)] == ["Pommes de Jussy"]
        assert await world.count(Post) == 3
        assert await world.post(proposal["id"]) is None
