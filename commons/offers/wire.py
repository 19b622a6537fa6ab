"""The AS2 shape of offers and requests: what we send (``build_offer``) and what we accept from
other servers (``parse_remote_offer``).

An offer is FEP-0837's ``Proposal`` (ValueFlows terms: ``purpose``, ``publishes`` an ``Intent``
with its quantities, a ``reciprocal`` Intent for a price). Mastodon drops an object whose only
type is ``Proposal`` but keeps one whose ``type`` list holds ``Note``, and then shows its
``content``, attachments and hashtags: so we send ``["Note", "Proposal"]``, with a French
``content`` that says everything a person needs (kind, title, conditions, place, until when)
and the kind as a hashtag. The description travels beside it as Markdown (``source``), which
our servers read instead of the ``content`` they would otherwise show twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

from babel.dates import format_date

from commons.markdown import html_to_text, render_markdown, sanitize_html
from commons.offers.fields import MAX_IMAGES, MAX_TITLE, OfferFields, check_fields
from commons.offers.vocabulary import (
    ACTIONS,
    CHF,
    FRENCH_KINDS,
    KINDS,
    OFFER_CONTEXT,
    UNITS,
    kind_of_uri,
    kind_uri,
)
from config.errors import ErrorCode, Invalid
from federation.parsing import parse_datetime
from federation.vocab import AS_NAMESPACE, PUBLIC, as_list, first_str, id_of, types_of
from storage.models import Actor, Bookable, Offer
from storage.models.offers import CLOSED, EXCHANGE, FREE, OPEN, PRICE, REQUEST

FRENCH_UNITS = {"kilogram": "kg", "litre": "l", "hour": "h", "day": "jour(s)", "month": "mois"}


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def number(value: float) -> str:
    """``2`` for 2.0, ``1.5`` otherwise: how ``hasNumericalValue`` and people write it."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def francs(centimes: int) -> str:
    return f"CHF {centimes // 100}.{centimes % 100:02d}"


def offer_images(offer: Offer) -> list[dict[str, str]]:
    found = (offer.images or {}).get("items") if isinstance(offer.images, dict) else None
    return [item for item in (found or []) if isinstance(item, dict) and item.get("url")]


# What we send


def place_words(offer: Offer) -> str:
    parts = [p for p in (offer.place_name, offer.street_address, offer.locality) if p]
    if parts:
        return ", ".join(parts)
    return "En ligne" if offer.online else ""


def conditions_words(offer: Offer) -> str:
    """``Gratuit``, ``En échange de : un pot de confiture`` or ``Prix : CHF 12.00``."""
    if offer.reciprocity == PRICE and offer.price_centimes is not None:
        return "Prix : " + francs(offer.price_centimes)
    if offer.reciprocity == EXCHANGE and offer.exchange_for:
        return "En échange de : " + offer.exchange_for
    return "Gratuit"


def quantity_words(offer: Offer) -> str | None:
    if offer.quantity is None and offer.available_quantity is None:
        return None
    unit = FRENCH_UNITS.get(offer.unit, "")
    pieces = []
    if offer.quantity is not None:
        pieces.append(f"Quantité : {number(offer.quantity)} {unit}".rstrip())
    if offer.available_quantity is not None:
        pieces.append(f"disponible : {number(offer.available_quantity)} {unit}".rstrip())
    return ", ".join(pieces)


def build_content(offer: Offer, tag_href: str) -> str:
    """The French ``content`` Mastodon shows: what, on which terms, where, until when."""
    purpose = "Demande" if offer.purpose == REQUEST else "Offre"
    closed = " (pourvu)" if offer.status == CLOSED else ""
    head = (
        f"<p><strong>{purpose} · {FRENCH_KINDS[offer.kind]}{closed}</strong> : "
        f"{escape(offer.title)}</p>"
    )
    lines = [conditions_words(offer)]
    if (quantity := quantity_words(offer)) is not None:
        lines.append(quantity)
    if place := place_words(offer):
        lines.append("Lieu : " + place)
    if offer.valid_until is not None:
        lines.append("Jusqu'au " + format_date(offer.valid_until.date(), "d MMMM y", "fr"))
    details = "<p>" + "<br>".join(escape(line) for line in lines) + "</p>"
    tag = (
        f'<p><a href="{escape(tag_href)}" class="mention hashtag" rel="tag">'
        f"#<span>{offer.kind}</span></a></p>"
    )
    return head + offer.description_html + details + tag


def _quantity(value: float | None, unit: str) -> dict[str, str] | None:
    return None if value is None else {"hasUnit": unit, "hasNumericalValue": number(value)}


def build_intent(offer: Offer) -> dict[str, Any]:
    intent: dict[str, Any] = {
        "id": f"{offer.uri}#primary",
        "type": "Intent",
        "action": ACTIONS[offer.kind],
        "resourceConformsTo": kind_uri(offer.kind),
        "resourceQuantity": _quantity(offer.quantity or 1, offer.unit),
    }
    for name, value in (
        ("availableQuantity", offer.available_quantity),
        ("minimumQuantity", offer.minimum_quantity),
    ):
        if (amount := _quantity(value, offer.unit)) is not None:
            intent[name] = amount
    return intent


def build_booking(bookable: Bookable) -> dict[str, Any]:
    """The rules of a bookable offer, so that another server can show them and check a
    booking before sending it (the space's own server decides)."""
    rules: dict[str, Any] = {
        "slotMinutes": bookable.slot_minutes,
        "maxSlots": bookable.max_slots,
        "leadMinutes": bookable.lead_minutes,
        "aheadDays": bookable.ahead_days,
        "needsApproval": bookable.needs_approval,
        "whoMayBook": bookable.who_may_book,
        "condition": bookable.condition,
    }
    if bookable.monthly_quota is not None:
        rules["monthlyQuota"] = bookable.monthly_quota
    if bookable.opening:
        rules["opening"] = bookable.opening
    if bookable.deposit_centimes is not None:
        rules["depositCentimes"] = bookable.deposit_centimes
    return rules


def read_booking(value: object) -> dict[str, Any] | None:
    """The columns of a remote offer's booking rules, or None when it sends none we can use."""
    if not isinstance(value, dict):
        return None

    def whole(name: str, default: int | None) -> int | None:
        found = value.get(name)
        return found if isinstance(found, int) and not isinstance(found, bool) else default

    return {
        "slot_minutes": whole("slotMinutes", 1440),
        "max_slots": whole("maxSlots", 7),
        "lead_minutes": whole("leadMinutes", 0),
        "ahead_days": whole("aheadDays", 60),
        "monthly_quota": whole("monthlyQuota", None),
        "needs_approval": value.get("needsApproval") is True,
        "who_may_book": first_str(value.get("whoMayBook")) or "anyone",
        "opening": value.get("opening") if isinstance(value.get("opening"), dict) else None,
        "condition": "broken" if value.get("condition") == "broken" else "available",
        "deposit_centimes": whole("depositCentimes", None),
    }


def build_offer(
    offer: Offer, author: Actor, tag_href: str, bookable: Bookable | None = None
) -> dict[str, Any]:
    """Our offer as Mastodon (a Note) and FEP-0837 readers (a Proposal) read it."""
    document: dict[str, Any] = {
        "@context": [AS_NAMESPACE, OFFER_CONTEXT],
        "id": offer.uri,
        "type": ["Note", "Proposal"],
        "name": offer.title,
        "content": build_content(offer, tag_href),
        "contentMap": {"fr": build_content(offer, tag_href)},
        "mediaType": "text/html",
        "source": {"content": offer.description_source or "", "mediaType": "text/markdown"},
        "url": offer.url or offer.uri,
        "attributedTo": author.uri,
        "to": [PUBLIC],
        "cc": [author.followers_uri] if author.followers_uri else [],
        "published": iso_utc(offer.published),
        "purpose": offer.purpose,
        "unitBased": offer.unit_based,
        "publishes": build_intent(offer),
        "offerKind": offer.kind,
        "offerStatus": offer.status,
        "tag": [{"type": "Hashtag", "href": tag_href, "name": f"#{offer.kind}"}],
        "inLanguage": "fr",
    }
    if author.is_group:
        document["audience"] = author.uri
    if offer.category:
        document["category"] = offer.category
    if offer.reciprocity == PRICE and offer.price_centimes is not None:
        document["reciprocal"] = {
            "id": f"{offer.uri}#reciprocal",
            "type": "Intent",
            "action": "transfer",
            "resourceConformsTo": CHF,
            "resourceQuantity": {"hasUnit": "one",
                                 "hasNumericalValue": f"{offer.price_centimes / 100:.2f}"},
        }  # fmt: skip
    elif offer.reciprocity == EXCHANGE and offer.exchange_for:
        document["exchangeFor"] = offer.exchange_for
    if offer.updated is not None:
        document["updated"] = iso_utc(offer.updated)
    if offer.valid_until is not None:
        document["endTime"] = iso_utc(offer.valid_until)
    if offer.status == CLOSED:
        document["closed"] = iso_utc(offer.updated or offer.published)
    if location := build_location(offer):
        document["location"] = location
    if bookable is not None:
        document["booking"] = build_booking(bookable)
    images = offer_images(offer)
    if images:
        document["attachment"] = [
            {"type": "Image", "mediaType": image.get("media_type") or "image/jpeg",
             "url": image["url"], "name": image.get("alt") or ""}
            for image in images
        ]  # fmt: skip
    return document


def build_location(offer: Offer) -> dict[str, Any] | None:
    if not (offer.place_name or offer.street_address or offer.locality):
        return None
    name = offer.place_name or offer.street_address or offer.locality
    place: dict[str, Any] = {"type": "Place", "name": name}
    address = {"type": "PostalAddress", "streetAddress": offer.street_address,
               "addressLocality": offer.locality, "addressCountry": "CH"}  # fmt: skip
    place["address"] = {key: value for key, value in address.items() if value}
    if offer.latitude is not None and offer.longitude is not None:
        place["latitude"] = offer.latitude
        place["longitude"] = offer.longitude
    return place


def build_offer_tombstone(offer: Offer) -> dict[str, Any]:
    return {
        "@context": AS_NAMESPACE,
        "id": offer.uri,
        "type": "Tombstone",
        "formerType": "Proposal",
        "deleted": iso_utc(offer.deleted_at or offer.published),
    }


# What we accept


@dataclass(frozen=True, slots=True)
class RemoteOfferFields:
    """A remote Proposal, read: its id, the fields we keep, and what only the wire has."""

    uri: str
    attributed_to: str | None
    fields: OfferFields
    url: str | None
    status: str
    published: datetime | None
    updated: datetime | None
    images: list[dict[str, str]]
    booking: dict[str, Any] | None = None


def is_offer(obj: object) -> bool:
    return isinstance(obj, dict) and "Proposal" in types_of(obj.get("type"))


def measure(value: object) -> tuple[float | None, str | None]:
    if not isinstance(value, dict):
        return None, None
    raw = value.get("hasNumericalValue")
    try:
        amount = float(raw) if isinstance(raw, (str, int, float)) else None
    except ValueError:
        amount = None
    if amount is not None and not math.isfinite(amount):
        amount = None
    return amount, first_str(value.get("hasUnit"))


def _kind(data: dict[str, Any], intent: dict[str, Any], purpose: str) -> str:
    named = first_str(data.get("offerKind"))
    if named in KINDS:
        return named
    conforms = kind_of_uri(first_str(intent.get("resourceConformsTo")))
    if conforms is not None:
        return conforms
    for tag in as_list(data.get("tag")):
        name = first_str(tag.get("name")) if isinstance(tag, dict) else None
        if name and name.lstrip("#").lower() in KINDS:
            return name.lstrip("#").lower()
    if purpose == REQUEST:
        return "besoin"
    action = first_str(intent.get("action"))
    by_action = {"deliverService": "service", "work": "emploi", "transferCustody": "pret",
                 "use": "pret"}  # fmt: skip
    if action in by_action:
        return by_action[action]
    return "troc" if data.get("reciprocal") else "don"


def _price(reciprocal: object) -> int | None:
    if not isinstance(reciprocal, dict):
        return None
    if first_str(reciprocal.get("resourceConformsTo")) != CHF:
        return None
    amount, _unit = measure(reciprocal.get("resourceQuantity"))
    return None if amount is None or amount <= 0 else round(amount * 100)


def _place(location: object) -> dict[str, Any]:
    place = next((p for p in as_list(location) if isinstance(p, dict)), None)
    if place is None:
        return {}
    found: dict[str, Any] = {"place_name": first_str(place.get("name"))}
    address = place.get("address")
    if isinstance(address, dict):
        found["street_address"] = first_str(address.get("streetAddress"))
        found["locality"] = first_str(address.get("addressLocality"))
    elif isinstance(address, str):
        found["street_address"] = address
    if found["place_name"] in (found.get("street_address"), found.get("locality")):
        found["place_name"] = None  # the name only repeats the address
    latitude, longitude = place.get("latitude"), place.get("longitude")
    if isinstance(latitude, (int, float)) and isinstance(longitude, (int, float)):
        found["latitude"], found["longitude"] = float(latitude), float(longitude)
    return found


def _images(attachments: object) -> list[dict[str, str]]:
    images = []
    for item in as_list(attachments):
        if not isinstance(item, dict):
            continue
        url = id_of(item.get("url")) or first_str(item.get("href"))
        media_type = first_str(item.get("mediaType")) or ""
        is_image = "Image" in types_of(item.get("type")) or media_type.startswith("image/")
        if url and url.startswith(("https://", "http://")) and is_image:
            images.append({"url": url, "alt": (first_str(item.get("name")) or "")[:1500],
                           "media_type": media_type or "image/jpeg"})  # fmt: skip
    return images[:MAX_IMAGES]


def _description(data: dict[str, Any]) -> tuple[str, str]:
    """(Markdown source, HTML): our servers' Markdown when sent, else the sanitized content."""
    source = data.get("source")
    if isinstance(source, dict) and first_str(source.get("mediaType")) == "text/markdown":
        text = first_str(source.get("content")) or ""
        return text, render_markdown(text) if text else ""
    content = sanitize_html(first_str(data.get("content")) or "")
    return html_to_text(content), content


def parse_remote_offer(data: dict[str, Any]) -> RemoteOfferFields:
    """The fields of a remote Proposal, checked as ours are; :class:`Invalid` when unusable."""
    uri = id_of(data.get("id"))
    if not is_offer(data) or not uri:
        raise Invalid(ErrorCode.NOT_AN_OFFER)
    purpose = first_str(data.get("purpose")) or "offer"
    intent = data.get("publishes")
    intent = intent if isinstance(intent, dict) else {}
    quantity, unit = measure(intent.get("resourceQuantity"))
    available, _ = measure(intent.get("availableQuantity"))
    minimum, _ = measure(intent.get("minimumQuantity"))
    price = _price(data.get("reciprocal"))
    exchange = first_str(data.get("exchangeFor"))
    reciprocity = PRICE if price is not None else EXCHANGE if exchange else FREE
    description, description_html = _description(data)
    content_text = html_to_text(sanitize_html(first_str(data.get("content")) or ""))
    title = first_str(data.get("name")) or first_str(data.get("summary")) or content_text[:80]
    closed = data.get("closed") not in (None, False) or data.get("offerStatus") == CLOSED
    fields = OfferFields(
        kind=_kind(data, intent, purpose),
        title=(title or "").strip()[:MAX_TITLE],
        purpose=purpose,
        description=description[:20_000],
        category=first_str(data.get("category")),
        quantity=quantity,
        unit=unit if unit in UNITS else "one",
        unit_based=data.get("unitBased") is True,
        available_quantity=available,
        minimum_quantity=minimum,
        reciprocity=reciprocity,
        exchange_for=exchange,
        price_centimes=price,
        valid_until=parse_datetime(data.get("endTime")),
        online=False,
        description_html=description_html,
        **_place(data.get("location")),
    )
    return RemoteOfferFields(
        uri=uri,
        attributed_to=id_of(data.get("attributedTo")),
        fields=check_fields(fields, allow_past=True),
        url=id_of(data.get("url")),
        status=CLOSED if closed else OPEN,
        published=parse_datetime(data.get("published")),
        updated=parse_datetime(data.get("updated")),
        images=_images(data.get("attachment")),
        booking=read_booking(data.get("booking")),
    )
