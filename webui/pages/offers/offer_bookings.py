"""Pages: booking a space's thing or room by time slot (any resident, here or for another
server's item), cancelling one's booking, and for the space: the rules of booking, marking an
item out of order, cancelling a booking; the item's calendar as iCalendar.

The rules are :mod:`commons.offers.booking`'s and :mod:`commons.offers.bookables`'; every POST
reads its form (CSRF) first.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from commons.events.organisers import NotOrganiser
from commons.offers import responses
from commons.offers.bookables import (
    BookingRules,
    cancel_booking,
    record_pickup,
    record_return,
    set_booking_rules,
    set_condition,
)
from commons.offers.booking import GENEVA, bookable_of, held_slots
from commons.offers.queries import offer_by_id
from config.errors import DomainError, ErrorCode, Invalid
from instance.runtime import instance_of
from storage.integers import parse_whole
from storage.models import utcnow
from storage.models.offers import MAY_BOOK
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.form_dates import read_day, read_local_moment
from webui.formats import weekday_name
from webui.pages.offers.answer_actions import act_on_answer, form_text
from webui.pages.offers.offer_forms import read_centimes
from webui.pages.offers.offers import offer_at, page_url
from webui.render import render
from webui.session import Viewer, flash, require_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import OfferResponse


def read_slot(form: FormData, slot_minutes: int) -> tuple[datetime, datetime]:
    """Days (``from``, ``to``, both included) for things lent by the day; a start and a number
    of hours for rooms."""
    if slot_minutes >= 1440:
        first, last = (
            read_day(form_text(form, "from")),
            read_day(form_text(form, "to") or form_text(form, "from")),
        )
        if first is None or last is None or last < first:
            raise Invalid(ErrorCode.SLOT_REQUIRED, "from")
        return (datetime.combine(first, time(), GENEVA),
                datetime.combine(last + timedelta(days=1), time(), GENEVA))  # fmt: skip
    start = read_local_moment(form_text(form, "start"), GENEVA)
    try:
        hours = float(form_text(form, "hours").replace(",", "."))
    except ValueError:
        raise Invalid(ErrorCode.SLOT_REQUIRED, "start") from None
    if start is None:
        raise Invalid(ErrorCode.SLOT_REQUIRED, "start")
    if not 0 < hours <= 24 * 7:
        raise Invalid(ErrorCode.BAD_SLOT, "hours")
    return start, start + timedelta(minutes=round(hours * 60))


async def book(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form = await read_form(request)
    async with instance.database.session() as session:
        offer, _author = await offer_at(session, request)
        bookable = await bookable_of(session, offer)
    if bookable is None:
        raise HTTPException(404)
    try:
        start, end = read_slot(form, bookable.slot_minutes)
        async with instance.database.transaction() as session:
            row = await offer_by_id(session, offer.id)
            assert row is not None
            booking = await responses.respond(
                session, instance.uris, viewer.actor, row, starts_at=start, ends_at=end,
                message=form_text(form, "message"), wait_if_taken=form.get("wait") == "1",
            )  # fmt: skip
    except DomainError as error:
        flash(request, error_message(error), "error")
        return RedirectResponse(page_url(offer) + "#book", status_code=303)
    _ = i18n.gettext
    done = {"accepted": _("It is booked for you."),
            "pending": _("Your booking is asked; it waits for the space's approval."),
            "waiting": _("It is taken then: you are on the waiting list, and will be told "
                         "if it is freed.")}  # fmt: skip
    flash(request, done.get(booking.state, _("Your booking is sent.")), "success")
    return RedirectResponse(page_url(offer) + "#bookings", status_code=303)


async def cancel(request: Request) -> Response:
    instance = instance_of(request)

    async def cancelled(session: AsyncSession, viewer: Viewer, row: OfferResponse,
                        form: FormData) -> str:  # fmt: skip
        await cancel_booking(session, instance.uris, viewer.actor, row, form_text(form, "reason"))
        return i18n.gettext("The booking is cancelled; the slot is free again.")

    return await act_on_answer(request, cancelled, anchor="#bookings",
                               forbidden="only who booked it, or the space")  # fmt: skip


async def hand_over(request: Request) -> Response:
    """The space records that it handed the thing over (the borrower's code) or got it back."""
    returned = request.url.path.endswith("/return")

    async def recorded(session: AsyncSession, viewer: Viewer, row: OfferResponse,
                       form: FormData) -> str:  # fmt: skip
        _ = i18n.gettext
        if returned:
            await record_return(session, viewer.actor, row)
            return _("Noted: it is back.")
        await record_pickup(session, viewer.actor, row, form_text(form, "code"))
        return _("Noted: it is handed over.")

    return await act_on_answer(request, recorded, anchor="#bookings", forbidden="only the space")


def _whole(form: FormData, name: str, default: int | None) -> int | None:
    raw = form_text(form, name)
    if not raw:
        return default
    value = parse_whole(raw)
    if value is None:
        raise Invalid(ErrorCode.BAD_RULES, name)
    return value


def read_rules(form: FormData) -> BookingRules | None:
    if form.get("bookable") != "1":
        return None
    slot = _whole(form, "slot_minutes", 1440) or 1440
    weekdays = [
        found for day in form.getlist("weekdays") if (found := parse_whole(day, 6)) is not None
    ]
    opening: dict[str, Any] = {"weekdays": weekdays}
    if form_text(form, "opens") and form_text(form, "closes"):
        opening["from"], opening["to"] = form_text(form, "opens"), form_text(form, "closes")
    closed = []
    for part in form_text(form, "closed").replace(",", " ").split():
        first, _, last = part.partition("-")
        first_day, last_day = read_day(first), read_day(last or first)
        if first_day is None or last_day is None:
            raise Invalid(ErrorCode.BAD_RULES, "closed")
        closed.append([first_day.isoformat(), last_day.isoformat()])
    if closed:
        opening["closed"] = closed
    who = form_text(form, "who_may_book")
    deposit = read_centimes(form_text(form, "deposit")) if form_text(form, "deposit") else None
    if form_text(form, "deposit") and (deposit is None or deposit < 0):
        raise Invalid(ErrorCode.BAD_RULES, "deposit")
    lead_hours = _whole(form, "lead_hours", 0) or 0
    return BookingRules(
        slot_minutes=slot,
        max_slots=_whole(form, "max_slots", 7) or 0,
        lead_minutes=lead_hours * 60,
        ahead_days=_whole(form, "ahead_days", 60) or 0,
        monthly_quota=_whole(form, "monthly_quota", None),
        needs_approval=form.get("needs_approval") == "1",
        who_may_book=who if who in MAY_BOOK else "anyone",
        opening=opening,
        deposit_centimes=deposit,
    )


async def booking_rules(request: Request) -> Response:
    """The space's rules for booking one of its things or rooms (GET: the form)."""
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form = await read_form(request) if request.method == "POST" else None
    async with instance.database.session() as session:
        offer, _author = await offer_at(session, request)
        bookable = await bookable_of(session, offer)
    context: dict[str, Any] = {"offer": offer, "page_url": page_url(offer), "bookable": bookable,
                               "error": None, "weekday_names": weekday_names()}  # fmt: skip
    if form is None:
        return render(request, "offers/booking_rules.html", context)
    try:
        rules = read_rules(form)
        async with instance.database.transaction() as session:
            row = await offer_by_id(session, offer.id)
            assert row is not None
            await set_booking_rules(session, instance.uris, viewer.actor, row, rules)
    except NotOrganiser:
        raise HTTPException(403, "only who publishes it") from None
    except DomainError as error:
        context["error"] = error_message(error)
        return render(request, "offers/booking_rules.html", context, 400)
    flash(request, i18n.gettext("The rules of booking are saved."), "success")
    return RedirectResponse(page_url(offer), status_code=303)


def weekday_names() -> list[tuple[int, str]]:
    return [(day, weekday_name(day)) for day in range(7)]


async def condition(request: Request) -> Response:
    """Out of order, or back in order (``broken`` = 1 or 0)."""
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form = await read_form(request)
    async with instance.database.session() as session:
        offer, _author = await offer_at(session, request)
    broken = form.get("broken") == "1"
    try:
        async with instance.database.transaction() as session:
            row = await offer_by_id(session, offer.id)
            assert row is not None
            cancelled = await set_condition(session, instance.uris, viewer.actor, row,
                                            broken=broken)  # fmt: skip
    except NotOrganiser:
        raise HTTPException(403, "only who publishes it") from None
    except DomainError as error:
        flash(request, error_message(error), "error")
        return RedirectResponse(page_url(offer), status_code=303)
    _ = i18n.gettext
    if broken:
        words = i18n.ngettext(
            "It is out of order; %(num)s booking is cancelled and its person told.",
            "It is out of order; %(num)s bookings are cancelled and their people told.",
            len(cancelled),
        ) % {"num": len(cancelled)}
    else:
        words = _("It can be booked again.")
    flash(request, words, "success")
    return RedirectResponse(page_url(offer), status_code=303)


async def calendar(request: Request) -> Response:
    """The item's bookings to come as iCalendar: busy times, without who booked them."""
    # (icalendar is imported with the first calendar asked for: a server at rest does not hold it)
    from icalendar import Calendar
    from icalendar import Event as CalendarEvent

    instance = instance_of(request)
    async with instance.database.session() as session:
        offer, _author = await offer_at(session, request)
        bookings = await held_slots(session, offer, utcnow())
    feed = Calendar()
    feed.add("prodid", "-//Quartiers Collaboratifs//Réservations//FR")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", offer.title)
    for booking, _who in bookings:
        if booking.starts_at is None or booking.ends_at is None:
            continue
        entry = CalendarEvent()
        entry.add("uid", booking.agreement_uri)
        entry.add("summary", f"{offer.title} — réservé")
        entry.add("dtstart", booking.starts_at)
        entry.add("dtend", booking.ends_at)
        entry.add("dtstamp", booking.created_at)
        entry.add("transp", "OPAQUE")
        feed.add_component(entry)
    return Response(feed.to_ical(), media_type="text/calendar; charset=utf-8")


routes: list[BaseRoute] = [
    Route("/offers/{offer_uuid:uuid}/book", book, methods=["POST"], name="book_offer"),
    Route("/offers/remote/{offer_id:int}/book", book, methods=["POST"], name="book_remote_offer"),
    Route("/offers/{offer_uuid:uuid}/bookings/{response_id:int}/cancel", cancel,
          methods=["POST"], name="cancel_booking"),
    Route("/offers/remote/{offer_id:int}/bookings/{response_id:int}/cancel", cancel,
          methods=["POST"], name="cancel_remote_booking"),
    Route("/offers/{offer_uuid:uuid}/bookings/{response_id:int}/pickup", hand_over,
          methods=["POST"], name="booking_pickup"),
    Route("/offers/{offer_uuid:uuid}/bookings/{response_id:int}/return", hand_over,
          methods=["POST"], name="booking_return"),
    Route("/offers/{offer_uuid:uuid}/booking", booking_rules, methods=["GET", "POST"],
          name="booking_rules"),
    Route("/offers/{offer_uuid:uuid}/condition", condition, methods=["POST"],
          name="offer_condition"),
    Route("/offers/{offer_uuid:uuid}/calendar.ics", calendar, methods=["GET"],
          name="offer_calendar"),
]  # fmt: skip
