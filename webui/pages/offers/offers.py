"""Pages: the marketplace (this quartier's offers and requests, or the whole city's as this
server received them), and one offer.

Reading goes through :mod:`commons.offers.queries`; the words of an offer (its kind, terms and
quantities) are written here in the reader's language.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from actors.city_scope import Neighbours, QuartierNames, neighbours_of_city
from actors.documents import webfinger_handle
from actors.queries import actor_by_id, located_collectives
from commons.events.organisers import may_organise
from commons.offers import availability as days
from commons.offers.booking import Opening, bookable_of, held_slots
from commons.offers.queries import (
    MarketFilter,
    OfferCard,
    answer_thread,
    is_open,
    market_offers,
    offer_by_id,
    offer_comments,
)
from commons.offers.queries import offer_by_uri as find_offer_by_uri
from commons.offers.responses import response_of, responses_to
from commons.offers.vocabulary import KINDS
from commons.offers.wire import offer_images
from instance.runtime import instance_of
from storage.integers import parse_row_id
from storage.models import utcnow
from storage.models.offers import (
    ACCEPTED,
    CLOSED,
    EXCHANGE,
    PENDING,
    PRICE,
    PURPOSES,
    REQUEST,
    WAITING,
)
from webui import formats, i18n
from webui.city_filter import chosen_quartier, quartier_choices
from webui.pages.offers.offer_forms import GENEVA, kind_labels, purpose_labels, unit_labels
from webui.pages.share_panel import sharing_panel
from webui.render import render
from webui.session import current_viewer
from webui.shared_listings import listing_shared
from webui.visitor_pages import kept_for_visitors

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor, Bookable, Offer, OfferResponse

PAGE_SIZE = 20
NEAR_PLACES = 50


def page_url(offer: Offer) -> str:
    if offer.is_local:
        return "/offers/" + offer.uri.rsplit("/", 1)[-1]
    return f"/offers/remote/{offer.id}"


async def offer_at(session: AsyncSession, request: Request) -> tuple[Offer, Actor]:
    params = request.path_params
    if "offer_id" in params:
        offer = await offer_by_id(session, params["offer_id"])
    else:
        uri = f"{instance_of(request).uris.base}/offers/{params['offer_uuid']}"
        offer = await find_offer_by_uri(session, uri)
    if offer is None or offer.deleted_at is not None:
        raise HTTPException(404)
    author = await actor_by_id(session, offer.actor_id)
    if author is None or author.is_gone:
        raise HTTPException(404)
    return offer, author


# The words of an offer, in the reader's language


def amount(value: float) -> str:
    return format_decimal(value, locale=formats.reader_locale())


def francs(centimes: int) -> str:
    """A price as it is written in Switzerland in the reader's language (``CHF 1’250.00``
    in French, German and Italian)."""
    language = i18n.current_locale.get()
    where = f"{language}_CH" if language in ("fr", "de", "it") else formats.reader_locale()
    return "CHF " + format_decimal(centimes / 100, format="#,##0.00", locale=where)


def terms_text(offer: Offer) -> str:
    _ = i18n.gettext
    if offer.reciprocity == PRICE and offer.price_centimes is not None:
        return francs(offer.price_centimes)
    if offer.reciprocity == EXCHANGE and offer.exchange_for:
        return _("In exchange for: %(what)s") % {"what": offer.exchange_for}
    return _("Free")


def quantity_text(offer: Offer) -> str | None:
    _ = i18n.gettext
    unit = unit_labels().get(offer.unit, "")
    pieces = []
    if offer.quantity is not None and (offer.quantity != 1 or offer.unit != "one"):
        pieces.append(f"{amount(offer.quantity)} {unit}")
    if offer.available_quantity is not None:
        pieces.append(
            _("%(amount)s available") % {"amount": f"{amount(offer.available_quantity)} {unit}"}
        )
    if offer.minimum_quantity is not None:
        pieces.append(
            _("at least %(amount)s") % {"amount": f"{amount(offer.minimum_quantity)} {unit}"}
        )
    return ", ".join(pieces) or None


def place_text(offer: Offer) -> str:
    parts = [p for p in (offer.place_name, offer.street_address, offer.locality) if p]
    if parts:
        return ", ".join(parts)
    return i18n.gettext("Online") if offer.online else ""


def offer_view(offer: Offer, author: Actor) -> dict[str, Any]:
    """What a card and the page show of an offer, in the reader's words."""
    until = offer.valid_until
    return {
        "offer": offer,
        "author": author,
        "url": page_url(offer),
        "kind": kind_labels().get(offer.kind, offer.kind),
        "purpose": i18n.gettext("Request") if offer.purpose == REQUEST else i18n.gettext("Offer"),
        "terms": terms_text(offer),
        "quantity": quantity_text(offer),
        "place": place_text(offer),
        "until": formats.format_day(until.astimezone(GENEVA).date(), with_weekday=False)
        if until
        else None,
        "is_open": is_open(offer),
        "is_closed": offer.status == CLOSED,
        "images": offer_images(offer),
    }


# The marketplace


def market_filter(request: Request) -> tuple[MarketFilter, dict[str, str]]:
    """The filters asked for in the query string, cleaned (unknown values are ignored)."""
    params = request.query_params
    kind = params.get("kind", "")
    purpose = params.get("purpose", "")
    scope = "city" if params.get("scope") == "city" else "local"
    words = params.get("q", "").strip()[:100]
    category = " ".join(params.get("category", "").split())[:100]
    every = params.get("all") == "1"
    before = params.get("before", "")
    chosen = {"kind": kind if kind in KINDS else "", "purpose": purpose if purpose in PURPOSES else "",
              "scope": scope, "q": words, "all": "1" if every else "", "category": category}  # fmt: skip
    near = _point(params.get("near", ""))
    km = params.get("km", "")
    chosen["near"] = f"{near[0]:.5f},{near[1]:.5f}" if near else ""
    chosen["km"] = km if near and km in ("1", "2", "5", "10") else ("2" if near else "")
    chosen["quartier"] = (chosen_quartier(request) or "") if scope == "city" else ""
    wanted = MarketFilter(
        near=near,
        within_km=float(chosen["km"] or 2),
        kind=chosen["kind"] or None,
        purpose=chosen["purpose"] or None,
        local_only=scope == "local",
        open_only=not every,
        words=words or None,
        category=category or None,
        before_id=parse_row_id(before),
        quartier=chosen["quartier"] or None,
    )
    return wanted, chosen


def in_city_scope(wanted: MarketFilter, neighbours: Neighbours) -> MarketFilter:
    """The city's marketplace leaves out the quartiers the admin chose to leave out."""
    if wanted.local_only:
        return wanted
    return replace(wanted, left_out=neighbours.domains(shown=False))


def labelled(view: dict[str, Any], names: QuartierNames) -> dict[str, Any]:
    """An offer's card with the quartier it comes from, when it is not ours."""
    author = view["author"]
    return view if author.is_local else {**view, "quartier": names.of(author.domain)}


def _point(raw: str) -> tuple[float, float] | None:
    """``46.21,6.14`` (a place's coordinates, as the map gives them); None if unreadable."""
    latitude, _, longitude = raw.partition(",")
    try:
        point = float(latitude), float(longitude)
    except ValueError:
        return None
    ok = math.isfinite(point[0]) and math.isfinite(point[1])
    return point if ok and -90 <= point[0] <= 90 and -180 <= point[1] <= 180 else None


def market_link(chosen: dict[str, str], **changes: str) -> str:
    query = {key: value for key, value in ({**chosen, **changes}).items() if value}
    return "/offers" + ("?" + urlencode(query) if query else "")


@kept_for_visitors
@listing_shared
async def marketplace(request: Request) -> Response:
    wanted, chosen = market_filter(request)
    settings = instance_of(request).settings
    async with instance_of(request).database.session() as session:
        neighbours = await neighbours_of_city(session)
        wanted = in_city_scope(wanted, neighbours)
        cards: list[OfferCard] = await market_offers(session, wanted, limit=PAGE_SIZE + 1)
        spaces = await located_collectives(session, NEAR_PLACES)
    names = neighbours.names
    more = len(cards) > PAGE_SIZE and wanted.near is None
    cards = cards[:PAGE_SIZE]
    context = {
        "cards": [labelled(offer_view(card.offer, card.author), names) for card in cards],
        "chosen": chosen,
        "quartier_choices": quartier_choices(
            settings, neighbours.choices if not wanted.local_only else []
        ),
        "chosen_quartier": chosen["quartier"],
        "kind_options": [("", i18n.gettext("Every kind")), *kind_labels().items()],
        "near_options": [
            ("", i18n.gettext("Anywhere")),
            *[
                (f"{space.latitude:.5f},{space.longitude:.5f}", space.name or space.username)
                for space in spaces
                if space.latitude is not None and space.longitude is not None
            ],
        ],
        "km_options": [
            (str(km), i18n.gettext("within %(km)s km") % {"km": km}) for km in (1, 2, 5, 10)
        ],
        "purpose_options": [("", i18n.gettext("Offers and requests")), *purpose_labels().items()],
        "local_link": market_link(chosen, scope="local", before="", quartier=""),
        "city_link": market_link(chosen, scope="city", before=""),
        "without_category_link": market_link(chosen, category="", before=""),
        "next_link": market_link(chosen, before=str(cards[-1].offer.id)) if more else None,
        "atom_link": "/offers.atom" + market_link(chosen, before="").removeprefix("/offers"),
    }
    return render(request, "offers/index.html", context)


# One offer


async def offer_context(
    session: AsyncSession, request: Request, offer: Offer, author: Actor
) -> dict[str, Any]:
    viewer = await current_viewer(request)
    may_publish = bool(
        viewer and offer.is_local and await may_organise(session, viewer.actor, author)
    )
    handle = (
        webfinger_handle(author, instance_of(request).settings)
        if author.is_local
        else author.handle
    )
    mine = await response_of(session, offer, viewer.actor) if viewer and not may_publish else None
    answers = await responses_to(session, offer) if may_publish else []
    bookable = await bookable_of(session, offer)
    may_respond = bool(
        viewer and not may_publish and viewer.actor.id != author.id and is_open(offer)
        and (mine is None or mine.state != PENDING or bookable is not None)
    )  # fmt: skip
    bookings = (
        await held_slots(session, offer, utcnow(), states=(PENDING, ACCEPTED, WAITING))
        if bookable is not None
        else []
    )
    return {
        **offer_view(offer, author),
        "bookable": bookable,
        "rules": rules_words(bookable) if bookable is not None else [],
        "bookings": [
            booking_view(response, who, bookable)
            for response, who in bookings
            if bookable is not None
        ],
        "by_day": bookable is not None and bookable.slot_minutes >= 1440,
        "availability": (
            availability_weeks(bookable, [r for r, _ in bookings if r.state != WAITING])
            if bookable is not None
            else []
        ),
        "viewer_id": viewer.actor.id if viewer else None,
        "author_handle": handle,
        "may_publish": may_publish,
        "original_url": None if offer.is_local else (offer.url or offer.uri),
        "my_response": mine,
        "may_respond": may_respond,
        "asks_quantity": offer.available_quantity is not None or offer.unit_based,
        "unit_label": unit_labels().get(offer.unit, ""),
        "comments": [
            {"post": post, "who": who, "taken": taken}
            for post, who, taken in await offer_comments(session, offer)
        ],
        "answers": [
            {
                "response": response,
                "who": who,
                "quantity": _amount_of(response.quantity, offer),
                "thread": await answer_thread(session, response),
            }
            for response, who in answers
        ],
        "my_thread": await answer_thread(session, mine) if mine is not None else [],
    }


def rules_words(bookable: Bookable) -> list[str]:
    """The rules of booking, one short sentence each, in the reader's language."""
    _, n_ = i18n.gettext, i18n.ngettext
    count = bookable.max_slots
    if bookable.slot_minutes >= 1440:
        words = [
            n_(
                "By the day, %(num)s day in a row at most.",
                "By the day, %(num)s days in a row at most.",
                count,
            )
            % {"num": count}
        ]
    else:
        length = bookable.slot_minutes
        words = [_("By slots of %(minutes)s minutes, %(num)s in a row at most.")
                 % {"minutes": length, "num": count}]  # fmt: skip
    opening = Opening.of(bookable.opening)
    if len(opening.weekdays) < 7:
        days = formats.format_list_of([formats.weekday_name(day) for day in opening.weekdays])
        words.append(_("Open on: %(days)s.") % {"days": days})
    if opening.opens is not None and opening.closes is not None:
        words.append(_("From %(opens)s to %(closes)s.") % {
            "opens": opening.opens.strftime("%H:%M"), "closes": opening.closes.strftime("%H:%M")})  # fmt: skip
    for first, last in opening.closed:
        words.append(_("Closed from %(first)s to %(last)s.") % {
            "first": formats.format_day(first, with_weekday=False),
            "last": formats.format_day(last, with_weekday=False)})  # fmt: skip
    words.append(n_("Bookable %(num)s day ahead.", "Bookable up to %(num)s days ahead.",
                    bookable.ahead_days) % {"num": bookable.ahead_days})  # fmt: skip
    if bookable.lead_minutes:
        hours = bookable.lead_minutes // 60
        words.append(n_("Book %(num)s hour before at least.",
                        "Book %(num)s hours before at least.", hours) % {"num": hours})  # fmt: skip
    if bookable.monthly_quota:
        words.append(n_("%(num)s booking a month per person.",
                        "%(num)s bookings a month per person.", bookable.monthly_quota)
                     % {"num": bookable.monthly_quota})  # fmt: skip
    if bookable.needs_approval:
        words.append(_("A facilitator approves each booking."))
    who = {"members": _("For the members of the space."),
           "residents": _("For the residents of this neighbourhood.")}.get(bookable.who_may_book)  # fmt: skip
    if who:
        words.append(who)
    if bookable.deposit_centimes:
        words.append(_("Deposit: %(amount)s.") % {"amount": francs(bookable.deposit_centimes)})
    return words


def booking_view(response: OfferResponse, who: Actor, bookable: Bookable) -> dict[str, Any]:
    """A booking to come as the calendar lists it: its days (or hours), its state, who."""
    assert response.starts_at is not None and response.ends_at is not None
    start = response.starts_at.astimezone(GENEVA)
    end = response.ends_at.astimezone(GENEVA)
    if bookable.slot_minutes >= 1440:
        last = (end - timedelta(days=1)).date()
        first_text = formats.format_day(start.date())
        when = first_text if last == start.date() else (
            f"{first_text} – {formats.format_day(last)}")  # fmt: skip
    else:
        when = f"{formats.format_day(start.date())}, {formats.format_hours(start, end, GENEVA)}"
    return {
        "response": response,
        "who": who,
        "when": formats.sentence_start(when),
        "pending": response.state == PENDING,
        "waiting": response.state == WAITING,
    }


CALENDAR_WEEKS = 5


def availability_weeks(bookable: Bookable, bookings: list[OfferResponse]) -> list[list[Any]]:
    """The next :data:`CALENDAR_WEEKS` weeks, Monday first, each day with its availability in
    words (the colour of a cell only repeats them)."""
    now = utcnow()
    today = now.astimezone(GENEVA).date()
    monday = today - timedelta(days=today.weekday())
    found = days.availability(bookable, bookings, monday, 7 * CALENDAR_WEEKS, now)
    gettext, ngettext = i18n.gettext, i18n.ngettext
    words = {
        days.CLOSED: gettext("closed"),
        days.FREE: gettext("free"),
        days.BOOKED: gettext("booked"),
        days.NOT_YET: gettext("not bookable yet"),
        days.TOO_SOON: gettext("too late to book"),
        days.OUT_OF_ORDER: gettext("out of order"),
    }
    cells = [
        {
            "day": day.day,
            "number": day.day.day,
            "state": day.state,
            "is_today": day.day == today,
            "is_past": day.day < today,
            "label": formats.format_day(day.day),
            "words": (
                ngettext("%(num)s slot free", "%(num)s slots free", day.free_slots)
                % {"num": day.free_slots}
                if day.state == days.PARTLY
                else words[day.state]
            ),
        }
        for day in found
    ]
    return [cells[week * 7 : week * 7 + 7] for week in range(CALENDAR_WEEKS)]


def _amount_of(quantity: float | None, offer: Offer) -> str | None:
    if quantity is None:
        return None
    return f"{amount(quantity)} {unit_labels().get(offer.unit, '')}".rstrip()


async def offer_page(request: Request) -> Response:
    async with instance_of(request).database.session() as session:
        offer, author = await offer_at(session, request)
        context = await offer_context(session, request, offer, author)
        context["sharing"] = await sharing_panel(session, request, "offer", offer)
    return render(request, "offers/offer.html", context)


routes: list[BaseRoute] = [
    Route("/offers", marketplace, methods=["GET"], name="marketplace"),
    Route("/offers/remote/{offer_id:int}", offer_page, methods=["GET"], name="remote_offer"),
]
