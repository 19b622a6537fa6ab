"""Booking pages: the space makes its drill bookable by the day, a neighbour books two days
from its page, a second neighbour is told in French that they are taken, the calendar lists
them; out of order cancels the booking; the rules' form refuses what makes no sense."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx2
from sqlalchemy import select

from config.settings import Settings
from storage.database import Database
from storage.models import Bookable, OfferResponse
from storage.models.offers import ACCEPTED, CANCELLED
from tests.webui.test_offers import HTML, publish
from tests.webui.web_support import Resident, log_in_as, session_cookie
from webui.session import SESSION_COOKIE

GENEVA = ZoneInfo("Europe/Zurich")


def next_monday() -> str:
    today = datetime.now(GENEVA).date()
    return (today + timedelta(days=7 - today.weekday())).isoformat()


def rules_form(csrf: str, **changes: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "csrf_token": csrf, "bookable": "1", "slot_minutes": "1440", "max_slots": "3",
        "ahead_days": "60", "lead_hours": "0", "monthly_quota": "", "deposit": "20",
        "weekdays": ["0", "1", "2", "3", "4", "5"], "opens": "", "closes": "", "closed": "",
        "who_may_book": "anyone",
    }  # fmt: skip
    form.update(changes)
    return form


async def test_a_neighbour_books_two_days_and_the_next_is_told_they_are_taken(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path = await publish(client, organiser.csrf)
    form = await client.get(f"{path}/booking", headers=HTML)
    assert form.status_code == 200 and "Règles de réservation" in form.text
    saved = await client.post(f"{path}/booking", data=rules_form(organiser.csrf), headers=HTML)
    assert saved.status_code == 303, saved.text
    page = await client.get(path, headers=HTML)
    assert "Par jour, 3 jours à la suite au plus." in page.text
    assert "Caution : CHF 20,00." in page.text and "Hors d’usage" in page.text
    # The repair café's page says it can be had now
    assert "Libre maintenant" in (await client.get("/@repair-cafe", headers=HTML)).text

    client.cookies.clear()
    nadia = await log_in_as(client, settings, database, "nadia")
    monday = next_monday()
    tuesday = (datetime.fromisoformat(monday) + timedelta(days=1)).date().isoformat()
    booked = await client.post(f"{path}/book", headers=HTML, follow_redirects=True, data={
        "csrf_token": nadia.csrf, "from": monday, "to": tuesday, "message": "Pour l'étagère"})  # fmt: skip
    assert "C’est réservé pour vous." in booked.text
    assert "Annuler cette réservation" in booked.text

    client.cookies.clear()
    karim = await log_in_as(client, settings, database, "karim")
    taken = await client.post(f"{path}/book", headers=HTML, follow_redirects=True, data={
        "csrf_token": karim.csrf, "from": tuesday, "to": tuesday})  # fmt: skip
    assert "Ces jours (ou heures) viennent d’être réservés par quelqu’un d’autre." in taken.text
    too_long = await client.post(f"{path}/book", headers=HTML, follow_redirects=True, data={
        "csrf_token": karim.csrf, "from": monday, "to": "2100-01-01"})  # fmt: skip
    assert too_long.status_code == 200 and "réservation" in too_long.text.lower()
    # He sees the days are taken, but not by whom, and the calendar of the coming weeks
    assert "Pour l&#39;étagère" not in taken.text and "nadia" not in taken.text.split("Réservé")[1]
    grid = taken.text.split("Quand est-ce libre")[1].split("</table>")[0]
    day = datetime.fromisoformat(monday).date()
    monday_cell = grid.split(f"lundi {day.day} ")[1].split("</td>")[0]
    assert "réservé" in monday_cell and "fermé" in grid  # Sundays
    assert grid.count("réservé") >= 2 and "libre" in grid

    # Nadia's page shows her pickup code; the space types it when it hands the drill over
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session_cookie(settings, nadia.session))
    mine = await client.get(path, headers=HTML)
    async with database.session() as session:
        code = await session.scalar(select(OfferResponse.pickup_code))
    assert code is not None and f"Votre code de retrait : {code}" in mine.text
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session_cookie(settings, organiser.session))
    async with database.session() as session:
        booking_id = await session.scalar(select(OfferResponse.id))
    wrong = await client.post(f"{path}/bookings/{booking_id}/pickup", headers=HTML,
                              follow_redirects=True, data={"csrf_token": organiser.csrf,
                                                           "code": "XXXXXX"})  # fmt: skip
    assert "Ce n’est pas le code de cette réservation." in wrong.text
    handed = await client.post(f"{path}/bookings/{booking_id}/pickup", headers=HTML,
                               follow_redirects=True, data={"csrf_token": organiser.csrf,
                                                            "code": code})  # fmt: skip
    assert "C’est noté : il est remis." in handed.text and "Il est rendu" in handed.text
    back = await client.post(f"{path}/bookings/{booking_id}/return", headers=HTML,
                             follow_redirects=True, data={"csrf_token": organiser.csrf})  # fmt: skip
    assert "C’est noté : il est rendu." in back.text

    calendar = await client.get(f"{path}/calendar.ics")
    assert calendar.status_code == 200 and calendar.text.count("BEGIN:VEVENT") == 1
    assert "réservé" in calendar.text

    # Karim books the following week; the space marks the drill out of order: his booking
    # is cancelled (Nadia's, over, stays as it was)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session_cookie(settings, karim.session))
    later = (datetime.fromisoformat(monday) + timedelta(days=7)).date().isoformat()
    await client.post(f"{path}/book", headers=HTML, data={
        "csrf_token": karim.csrf, "from": later, "to": later})  # fmt: skip
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session_cookie(settings, organiser.session))
    broken = await client.post(f"{path}/condition", headers=HTML, follow_redirects=True,
                               data={"csrf_token": organiser.csrf, "broken": "1"})  # fmt: skip
    assert "réservations sont annulées" in broken.text or "réservation est annulée" in broken.text
    async with database.session() as session:
        states = list(await session.scalars(select(OfferResponse.state).order_by(OfferResponse.id)))
        bookable = await session.scalar(select(Bookable))
    assert CANCELLED in states and bookable is not None and bookable.condition == "broken"
    assert states[-1] == CANCELLED and ACCEPTED in states


async def test_rules_that_make_no_sense_are_refused_and_nothing_changes(
    client: httpx2.AsyncClient, organiser: Resident, database: Database
) -> None:
    path = await publish(client, organiser.csrf)
    for changes in ({"max_slots": "0"}, {"weekdays": []}, {"opens": "18:00", "closes": "09:00",
                    "slot_minutes": "60"}, {"closed": "demain"}, {"max_slots": "trois"},
                    # numbers no column keeps, or that int() cannot read: a 500 before
                    {"lead_hours": "99999999999"}, {"lead_hours": "35800000"},
                    {"monthly_quota": "9" * 5000}, {"max_slots": "²"}, {"deposit": "1e999999999"},
                    {"deposit": "99999999999"}, {"deposit": "vingt"}, {"deposit": "-20"},
                    {"weekdays": ["²", "9" * 5000]}):  # fmt: skip
        answer = await client.post(f"{path}/booking", headers=HTML,
                                   data=rules_form(organiser.csrf, **changes))  # fmt: skip
        assert answer.status_code == 400, changes
    async with database.session() as session:
        assert await session.scalar(select(Bookable)) is None
