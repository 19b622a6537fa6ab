"""The AS2 shape of answering an offer (FEP-0837): ``Offer{Agreement}`` proposed to the
offer's author, and the author's ``Accept`` (with the final Agreement as ``result``) or
``Reject`` (with the reason in ``content``).

The Agreement ``stipulates`` a Commitment that ``satisfies`` the offer's primary Intent, with
the quantity asked; when the offer has a price, ``stipulatesReciprocal`` a Commitment that
satisfies its reciprocal Intent, for the price of that quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commons.offers.vocabulary import CHF, OFFER_CONTEXT
from commons.offers.wire import iso_utc, measure, number
from config.errors import ErrorCode, Invalid
from federation.parsing import parse_datetime
from federation.vocab import AS_NAMESPACE, as_list, first_str, id_of, types_of
from storage.models import Actor, Offer, OfferResponse
from storage.models.offers import PRICE

MAX_MESSAGE = 5_000

FRENCH_REFUSALS = {
    ErrorCode.OFFER_CLOSED: "Cette offre est pourvue ou terminée.",
    ErrorCode.OWN_OFFER: "On ne répond pas à sa propre offre.",
    ErrorCode.ALREADY_ANSWERED: "Une réponse de votre part attend déjà.",
    ErrorCode.UNIT_MISMATCH: "La quantité doit être dans l'unité de l'offre.",
    ErrorCode.NOT_A_MULTIPLE: "La quantité doit être un multiple de celle de l'offre.",
    ErrorCode.BAD_QUANTITY: "La quantité demandée n'est pas disponible.",
    ErrorCode.MESSAGE_TOO_LONG: "Le message est trop long.",
    ErrorCode.SLOT_REQUIRED: "Indiquez le début et la fin de la réservation.",
    ErrorCode.BAD_SLOT: "La réservation doit couvrir des créneaux entiers.",
    ErrorCode.BOOKING_TOO_LONG: "La réservation est plus longue que ce que le lieu permet.",
    ErrorCode.TOO_SOON: "La réservation commence trop tôt : le lieu demande un délai.",
    ErrorCode.TOO_FAR: "On ne peut pas encore réserver si loin à l'avance.",
    ErrorCode.OUTSIDE_OPENING: "Le lieu est fermé à ce moment-là.",
    ErrorCode.QUOTA_REACHED: "Le nombre de réservations par mois est atteint.",
    ErrorCode.MAY_NOT_BOOK: "Cet objet est réservé aux membres ou aux habitant·es du quartier.",
    ErrorCode.ITEM_BROKEN: "Cet objet est hors d'usage pour le moment.",
    ErrorCode.SLOT_TAKEN: "Ce créneau vient d'être réservé par quelqu'un d'autre.",
}
"""The reason sent back with a ``Reject``, in French (the language of the offer)."""


def refusal_words(code: ErrorCode) -> str:
    return FRENCH_REFUSALS.get(code, "Cette réponse ne peut pas être prise en compte.")


def intent_uri(offer: Offer, part: str = "primary") -> str:
    """The id of the offer's Intent: as its document named it, else ``<offer>#<part>``."""
    key = "publishes" if part == "primary" else "reciprocal"
    found = (offer.document or {}).get(key) if isinstance(offer.document, dict) else None
    return id_of(found) or f"{offer.uri}#{part}"


def _commitment(uri: str, satisfies: str, amount: float, unit: str) -> dict[str, Any]:
    return {
        "id": uri,
        "type": "Commitment",
        "satisfies": satisfies,
        "resourceQuantity": {"hasUnit": unit, "hasNumericalValue": number(amount)},
    }


def build_agreement(
    offer: Offer, response: OfferResponse, uri: str, *, url: str | None = None
) -> dict[str, Any]:
    amount = response.quantity if response.quantity is not None else (offer.quantity or 1)
    stipulates = _commitment(f"{uri}#primary", intent_uri(offer), amount, offer.unit)
    if response.starts_at is not None and response.ends_at is not None:
        stipulates["hasBeginning"] = iso_utc(response.starts_at)
        stipulates["hasEnd"] = iso_utc(response.ends_at)
    agreement: dict[str, Any] = {"id": uri, "type": "Agreement", "stipulates": stipulates}
    if offer.reciprocity == PRICE and offer.price_centimes is not None:
        per = offer.quantity or 1
        price = offer.price_centimes * amount / per / 100
        reciprocal = _commitment(f"{uri}#reciprocal", intent_uri(offer, "reciprocal"), price, "one")
        reciprocal["resourceConformsTo"] = CHF
        agreement["stipulatesReciprocal"] = reciprocal
    if url is not None:
        agreement["url"] = url
    return agreement


def build_offer_activity(
    offer: Offer, author: Actor, response: OfferResponse, responder: Actor
) -> dict[str, Any]:
    """What a responder's server sends the offer's author, and only them."""
    return {
        "@context": [AS_NAMESPACE, OFFER_CONTEXT],
        "id": response.uri,
        "type": "Offer",
        "actor": responder.uri,
        "to": [author.uri],
        "object": build_agreement(offer, response, response.agreement_uri),
        "content": response.message,
    }


def build_answer(
    activity_uri: str,
    offer: Offer,
    author: Actor,
    response: OfferResponse,
    responder: Actor,
    *,
    accepted: bool,
    agreement_uri: str,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [AS_NAMESPACE, OFFER_CONTEXT],
        "id": activity_uri,
        "type": "Accept" if accepted else "Reject",
        "actor": author.uri,
        "to": [responder.uri],
        "object": response.uri,
    }
    if accepted:
        document["result"] = build_agreement(offer, response, agreement_uri, url=offer.url)
        if response.pickup_code:
            document["content"] = f"Code de retrait : {response.pickup_code}"
            document["pickupCode"] = response.pickup_code
    elif response.reason:
        document["content"] = response.reason
    return document


@dataclass(frozen=True, slots=True)
class ProposedAgreement:
    """An ``Offer{Agreement}`` read: which Intent it satisfies, how much, and the message."""

    activity_uri: str
    agreement_uri: str
    satisfies: str
    quantity: float | None
    unit: str | None
    message: str
    starts_at: datetime | None = None  # a booking's slot (ValueFlows hasBeginning, hasEnd)
    ends_at: datetime | None = None


def is_agreement_offer(activity: dict[str, Any]) -> bool:
    obj = activity.get("object")
    return isinstance(obj, dict) and "Agreement" in types_of(obj.get("type"))


def read_agreement_offer(activity: dict[str, Any]) -> ProposedAgreement:
    """The proposal of an ``Offer{Agreement}``; :class:`Invalid` when it cannot be used."""
    obj = activity.get("object")
    activity_uri = id_of(activity.get("id"))
    if not isinstance(obj, dict) or not activity_uri:
        raise Invalid(ErrorCode.NOT_AN_OFFER)
    stipulates = next((c for c in as_list(obj.get("stipulates")) if isinstance(c, dict)), None)
    satisfies = id_of(stipulates.get("satisfies")) if stipulates is not None else None
    if stipulates is None or satisfies is None:
        raise Invalid(ErrorCode.NOT_AN_OFFER)
    quantity, unit = measure(stipulates.get("resourceQuantity"))
    message = first_str(activity.get("content")) or first_str(obj.get("content")) or ""
    if len(message) > MAX_MESSAGE:
        raise Invalid(ErrorCode.MESSAGE_TOO_LONG, "message")
    return ProposedAgreement(
        activity_uri=activity_uri,
        agreement_uri=id_of(obj.get("id")) or f"{activity_uri}#agreement",
        satisfies=satisfies,
        quantity=quantity,
        unit=unit,
        message=message,
        starts_at=parse_datetime(stipulates.get("hasBeginning")),
        ends_at=parse_datetime(stipulates.get("hasEnd")),
    )
