"""Event pages: create (with place and recurrence), read, edit, cancel, take part, the organiser's
participants page; friendly French errors that keep what was typed; CSRF on every POST."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx2
import pytest
from sqlalchemy import select

from config.settings import Settings
from storage.database import Database
from storage.models import Actor, Event, Membership, Rsvp
from storage.models.events import CANCELLED, RSVP_ACCEPTED
from tests.clock import GENEVA, form_value, local_day, next_week_saturday
from tests.webui.web_support import Resident, log_in_as, resident, session_cookie
from webui.session import SESSION_COOKIE

HTML = {"Accept": "text/html"}
# The Saturday of next week, 10:00–16:00 in Geneva, and the one after: dates to come whenever
# this runs.
START = next_week_saturday()
NEXT = START + timedelta(weeks=1)
FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                 "septembre", "octobre", "novembre", "décembre")  # fmt: skip

ACTIVITY = {"Accept": "application/activity+json"}


def french_saturday(moment: datetime) -> str:
    """``Samedi 12 décembre 2026``: how the French page names that Saturday."""
    day = moment.astimezone(GENEVA).date()
    return f"Samedi {day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def event_form(csrf: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf, "organiser": "repair-cafe", "title": "Repair Café",
        "description": "On répare **ensemble**.", "start": form_value(START),
        "end": form_value(START + timedelta(hours=6)), "timezone": "Europe/Zurich", "category": "repair_cafe",
        "place_name": "Maison de quartier des Pâquis", "street_address": "rue de Berne 50",
        "postal_code": "1201", "locality": "Genève", "latitude": "46.2102",
        "longitude": "6,1432", "join_mode": "free", "capacity": "", "repeat": "weekly",
        "comments_enabled": "1",
    }  # fmt: skip
    form.update(changes)
    return form


async def create(client: httpx2.AsyncClient, csrf: str, **changes: str) -> str:
    response = await client.post("/events/new", data=event_form(csrf, **changes), headers=HTML)
    assert response.status_code == 303, response.text
    path: str = response.headers["location"]
    return path


async def switch_to(client: httpx2.AsyncClient, settings: Settings, database: Database,
                    username: str) -> Resident:  # fmt: skip
    client.cookies.clear()
    return await log_in_as(client, settings, database, username)


def back_to(client: httpx2.AsyncClient, settings: Settings, who: Resident) -> None:
    client.cookies.clear()
    client.cookies.set(
        SESSION_COOKIE,
        session_cookie(settings, who.session),
    )


async def test_create_a_weekly_event_with_its_place(
    client: httpx2.AsyncClient, organiser: Resident, database: Database
) -> None:
    # When the facilitator fills the form for the collective
    page = await client.get("/events/new", headers=HTML)
    assert page.status_code == 200 and "Organisé par" in page.text
    path = await create(client, organiser.csrf)

    # Then the event page shows it, in French, with its place, map and next dates
    assert re.fullmatch(r"/events/[0-9a-f-]{36}", path)
    response = await client.get(path, headers=HTML)
    assert response.status_code == 200
    text = response.text
    assert "Repair Café" in text and "<strong>ensemble</strong>" in text
    assert french_saturday(START) in text and "10:00" in text
    assert "Maison de quartier des Pâquis, rue de Berne 50, 1201 Genève" in text
    assert "openstreetmap.org/?mlat=46.2102&amp;mlon=6.1432" in text
    assert "Chaque samedi" in text and "Prochaines dates" in text
    assert f"{path}/occurrences/{local_day(NEXT)}" in text
    assert f'href="{path}.ics"' in text and "Ajouter à mon calendrier" in text
    async with database.session() as session:
        event = await session.scalar(select(Event))
    assert event is not None and event.rrule == "FREQ=WEEKLY;BYDAY=SA"

    # And one date of the series has its own page; a date outside it does not
    occurrence = await client.get(f"{path}/occurrences/{local_day(NEXT)}", headers=HTML)
    assert occurrence.status_code == 200 and french_saturday(NEXT) in occurrence.text
    sunday = local_day(NEXT + timedelta(days=1))
    assert (await client.get(f"{path}/occurrences/{sunday}", headers=HTML)).status_code == 404
    for edge in ("0001-01-01", "9999-12-31"):  # whose midnights cannot be counted: a 500 before
        for suffix, headers in (("", HTML), ("", ACTIVITY), (".ics", HTML)):
            answer = await client.get(f"{path}/occurrences/{edge}{suffix}", headers=headers)
            assert answer.status_code == 404, (edge, suffix, headers)

    # And servers get the Event
    document = (await client.get(path, headers={"Accept": "application/activity+json"})).json()
    assert document["type"] == "Event" and document["rrule"] == "FREQ=WEEKLY;BYDAY=SA"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end": form_value(START - timedelta(hours=1))}, "La fin doit venir après le début."),
        ({"repeat": "custom", "rrule": "FREQ=WEEKLY;BYDAY=XX"}, "Cette règle de répétition"),
        ({"repeat": "custom", "rrule": "FREQ=HOURLY"}, "se répète chaque jour, chaque semaine"),
        # longer than an event keeps: on PostgreSQL this was a 500
        (
            {"repeat": "custom", "rrule": "FREQ=WEEKLY;BYDAY=" + ",".join(["SA"] * 200)},
            "Cette règle de répétition",
        ),
        # before the first moment in UTC, which no database can keep: a 500 before
        ({"start": "0001-01-01T00:00", "end": ""}, "Donnez la date et l&#39;heure du début."),
        ({"capacity": "²"}, "Donnez un nombre de places"),
        ({"capacity": "9" * 5000}, "Donnez un nombre de places"),
        ({"repeat": "custom", "rrule": "FREQ=WEEKLY;INTERVAL=²"}, "Cette règle de répétition"),
        ({"latitude": "146.2"}, "Donnez les deux coordonnées"),
        ({"place_name": "", "street_address": "", "online_url": ""}, "Donnez un lieu"),
    ],
)
async def test_bad_input_gets_a_french_message_and_keeps_what_was_typed(
    client: httpx2.AsyncClient, organiser: Resident, changes: dict[str, str], message: str
) -> None:
    response = await client.post(
        "/events/new", data=event_form(organiser.csrf, title="Safari urbain", **changes),
        headers=HTML,
    )  # fmt: skip
    assert response.status_code == 400
    assert message in response.text
    assert 'value="Safari urbain"' in response.text


async def test_edit_rsvp_capacity_and_cancel(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path = await create(client, organiser.csrf, repeat="", capacity="3")
    # When a resident takes part
    karim = await switch_to(client, settings, database, "karim")
    response = await client.post(f"{path}/rsvp", data={"csrf_token": karim.csrf, "action": "join"})
    assert response.status_code == 303
    page = await client.get(path, headers=HTML)
    assert "Se désinscrire" in page.text and "1 personne participe" in page.text
    # When the organiser lowers the capacity below the participants, it is refused
    back_to(client, settings, organiser)
    edit = await client.get(f"{path}/edit", headers=HTML)
    assert edit.status_code == 200 and 'value="Repair Café"' in edit.text
    refused = await client.post(f"{path}/edit", data=event_form(organiser.csrf, repeat="",
                                                               capacity="0"), headers=HTML)  # fmt: skip
    assert refused.status_code == 400 and "de 1 à 100000" in refused.text
    # When it is postponed, it is saved
    saved = await client.post(f"{path}/edit", data=event_form(
        organiser.csrf, repeat="", capacity="3", start=form_value(NEXT),
        end=form_value(NEXT + timedelta(hours=6))))  # fmt: skip
    assert saved.status_code == 303
    # When it is cancelled after confirmation
    confirm = await client.get(f"{path}/cancel", headers=HTML)
    assert "Oui, annuler" in confirm.text
    assert (
        await client.post(f"{path}/cancel", data={"csrf_token": organiser.csrf})
    ).status_code == 303
    async with database.session() as session:
        event = await session.scalar(select(Event))
    assert event is not None and event.status == CANCELLED
    assert "Annulé" in (await client.get(path, headers=HTML)).text


async def test_capacity_below_participants_on_the_page(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path = await create(client, organiser.csrf, repeat="", capacity="3")
    people = [(await resident(database, settings, name))[1] for name in ("karim", "nadia")]
    async with database.transaction() as session:
        event = await session.scalar(select(Event))
        assert event is not None
        for person in people:
            session.add(Rsvp(event_id=event.id, actor_id=person.id, state=RSVP_ACCEPTED))
    refused = await client.post(f"{path}/edit", data=event_form(organiser.csrf, repeat="",
                                                               capacity="1"), headers=HTML)  # fmt: skip
    assert refused.status_code == 400
    assert "2 personnes participent déjà" in refused.text


async def test_participants_page_is_for_organisers_only(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path = await create(client, organiser.csrf, repeat="", join_mode="approval")
    assert (await client.get(f"{path}/participants", headers=HTML)).status_code == 200
    # Given a plain member of the collective
    karim = await switch_to(client, settings, database, "karim")
    async with database.transaction() as session:
        group = await session.scalar(select(Actor).where(Actor.username == "repair-cafe"))
        assert group is not None
        session.add(Membership(group_id=group.id, member_id=karim.actor.id, role="member"))
    await client.post(f"{path}/rsvp", data={"csrf_token": karim.csrf, "action": "join"})
    async with database.session() as session:
        rsvp = await session.scalar(select(Rsvp))
    assert rsvp is not None and rsvp.state == "pending"
    # Then the organiser's pages and forged forms are refused to him
    assert (await client.get(f"{path}/participants", headers=HTML)).status_code == 403
    forged = await client.post(f"{path}/participants/{rsvp.id}",
                               data={"csrf_token": karim.csrf, "decision": "accept"})  # fmt: skip
    assert forged.status_code == 403
    assert (await client.post(f"{path}/cancel", data={"csrf_token": karim.csrf})).status_code == 403
    forged_new = await client.post("/events/new", data=event_form(karim.csrf), headers=HTML)
    assert forged_new.status_code == 403
    async with database.session() as session:
        rsvp = await session.scalar(select(Rsvp))
    assert rsvp is not None and rsvp.state == "pending"


async def test_the_organiser_approves_and_writes_to_participants(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path = await create(client, organiser.csrf, repeat="", join_mode="approval")
    karim = await switch_to(client, settings, database, "karim")
    await client.post(f"{path}/rsvp", data={"csrf_token": karim.csrf, "action": "join"})
    assert "Votre demande attend" in (await client.get(path, headers=HTML)).text
    back_to(client, settings, organiser)
    async with database.session() as session:
        rsvp = await session.scalar(select(Rsvp))
    assert rsvp is not None
    answer = await client.post(f"{path}/participants/{rsvp.id}",
                               data={"csrf_token": organiser.csrf, "decision": "accept"})  # fmt: skip
    assert answer.status_code == 303
    page = await client.get(f"{path}/participants", headers=HTML)
    assert "karim" in page.text
    sent = await client.post(f"{path}/participants/message",
                             data={"csrf_token": organiser.csrf, "message": "Apportez vos outils"})  # fmt: skip
    assert sent.status_code == 303


@pytest.mark.parametrize(
    "suffix", ["/rsvp", "/comments", "/edit", "/cancel", "/participants/message", "/participants/1"]
)
async def test_every_post_needs_the_csrf_token(
    client: httpx2.AsyncClient, organiser: Resident, suffix: str
) -> None:
    path = await create(client, organiser.csrf, repeat="")
    response = await client.post(f"{path}{suffix}", data={"action": "join", "message": "x"})
    assert response.status_code == 403
    assert (await client.post("/events/new", data={"title": "x"})).status_code == 403
