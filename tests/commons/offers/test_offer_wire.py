"""The Proposal on the wire: ours read back as sent, FEP-0837 shapes of other marketplaces read
leniently (a number or a string, a type or a list, an Intent or none), and nothing of the other
servers' fixtures mistaken for an offer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commons.offers.fields import apply_fields, check_fields
from commons.offers.wire import build_offer, is_offer, parse_remote_offer
from config.errors import Invalid
from storage.models import Actor, Offer
from storage.models.offers import CLOSED, EXCHANGE, OPEN, PRICE, REQUEST
from tests.commons.offers.test_offers import drill
from tests.support import SHARED

AUTHOR = "https://paquis.example/@karim"


def our_offer(**changes: object) -> Offer:
    offer = Offer(uri="https://paquis.example/offers/1", url="https://paquis.example/offers/1",
                  actor_id=1, is_local=True, status=OPEN,
                  published=datetime(2026, 12, 1, 9, tzinfo=UTC))  # fmt: skip
    apply_fields(offer, check_fields(drill(**changes)))
    return offer


def karim() -> Actor:
    return Actor(uri=AUTHOR, type="Person", username="karim", domain="paquis.example",
                 followers_uri=f"{AUTHOR}/followers")  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"place_name": None, "street_address": "rue de Berne 50"},
        {"kind": "troc", "reciprocity": "price", "price_centimes": 1250, "quantity": 2.0,
         "unit": "kilogram", "available_quantity": 10.0, "minimum_quantity": 2.0,
         "unit_based": True},
        {"kind": "besoin", "purpose": "request", "reciprocity": "exchange",
         "exchange_for": "un repas", "valid_until": datetime.now(UTC) + timedelta(days=9)},
    ],
)  # fmt: skip
def test_our_proposal_is_read_back_as_it_was_written(changes: dict[str, Any]) -> None:
    offer = our_offer(**changes)
    document = build_offer(offer, karim(), "https://paquis.example/tags/pret")
    read = parse_remote_offer(json.loads(json.dumps(document)))
    fields = read.fields
    for name in ("kind", "purpose", "title", "quantity", "available_quantity", "minimum_quantity",
                 "unit_based", "reciprocity", "exchange_for", "price_centimes", "place_name",
                 "street_address", "locality", "latitude", "longitude"):  # fmt: skip
        if name == "quantity" and getattr(offer, name) is None:
            assert fields.quantity == 1.0  # an Intent always says how much each time
            continue
        assert getattr(fields, name) == getattr(offer, name), name
    assert fields.description == offer.description_source
    assert read.attributed_to == AUTHOR and read.status == OPEN


def test_a_bare_fep_proposal_is_read_with_what_it_says() -> None:
    document = {
        "id": "https://market.example/objects/1", "type": "Proposal",
        "attributedTo": "https://market.example/users/alice", "name": "Cours de guitare",
        "content": "<p>Débutants bienvenus</p>", "purpose": "request",
        "publishes": {"type": "Intent", "action": "deliverService",
                      "resourceQuantity": {"hasUnit": "hour", "hasNumericalValue": 1}},
        "reciprocal": {"type": "Intent", "action": "transfer",
                       "resourceConformsTo": "https://www.wikidata.org/wiki/Q25344",
                       "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "30"}},
        "closed": "2026-12-01T10:00:00Z",
    }  # fmt: skip
    read = parse_remote_offer(document)
    assert (read.fields.kind, read.fields.purpose, read.fields.unit) == ("besoin", REQUEST, "hour")
    assert (read.fields.reciprocity, read.fields.price_centimes) == (PRICE, 3000)
    assert read.status == CLOSED and read.fields.description == "Débutants bienvenus"
    offered = parse_remote_offer({**document, "purpose": "offer"})
    assert offered.fields.kind == "service"
    traded = parse_remote_offer({**document, "purpose": "offer", "exchangeFor": "du pain",
                                 "reciprocal": None, "publishes": {"action": "transfer"}})  # fmt: skip
    assert (traded.fields.reciprocity, traded.fields.kind) == (EXCHANGE, "don")


@pytest.mark.parametrize(
    "document",
    [
        {"id": "https://m.example/1", "type": "Note", "content": "Bonjour"},
        {"type": "Proposal", "name": "Sans id"},
        {"id": "https://m.example/2", "type": "Proposal", "name": "x" * 300, "purpose": "barter"},
    ],
)
def test_what_is_no_usable_proposal_is_refused(document: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        parse_remote_offer(document)


def test_no_object_of_the_other_servers_fixtures_is_taken_for_an_offer() -> None:
    found = 0
    for path in sorted((SHARED / "fixtures" / "activitypub").rglob("*.json")):
        document = json.loads(path.read_text("utf-8"))
        for candidate in (document, document.get("object") if isinstance(document, dict) else None):
            if isinstance(candidate, dict):
                found += 1
                assert not is_offer(candidate), path
    assert found > 50
