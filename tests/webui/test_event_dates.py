"""One date of a series on its page: its own "take part", count, places and waiting list; the
series lists its next dates with their counts; the organiser sees the participants date by
date; my calendar has the dates I joined."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx2
from icalendar import Calendar
from sqlalchemy import select

from config.settings import Settings
from storage.database import Database
from storage.models import Account
from tests.webui.test_events import HTML, back_to, create, switch_to
from tests.webui.web_support import Resident

GENEVA = ZoneInfo("Europe/Zurich")


def saturdays() -> list[datetime]:
    """The next four Saturdays at 10:00 in Geneva, from next week on."""
    today = datetime.now(GENEVA).replace(hour=10, minute=0, second=0, microsecond=0)
    first = today + timedelta(days=(5 - today.weekday()) % 7 + 7)
    return [first + timedelta(weeks=n) for n in range(4)]


async def test_taking_part_on_one_date_of_a_series(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    # Given a weekly repair café with one place, every Saturday for four weeks
    first, second = saturdays()[:2]
    path = await create(
        client, organiser.csrf, start=first.strftime("%Y-%m-%dT%H:%M"),
        end=(first + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"), repeat="custom",
        rrule="FREQ=WEEKLY;COUNT=4", capacity="1",
    )  # fmt: skip
    date_path = f"{path}/occurrences/{second.date().isoformat()}"

    # When karim opens the second Saturday and takes part on that date
    karim = await switch_to(client, settings, database, "karim")
    page = await client.get(date_path, headers=HTML)
    assert page.status_code == 200 and "Participer à cette date" in page.text
    assert "0 personne participe à cette date" in page.text and "1 place restante" in page.text
    response = await client.post(f"{date_path}/rsvp", data={"csrf_token": karim.csrf,
                                                          "action": "join"})  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == date_path

    # Then that date counts him and is full; the other dates do not count him
    page = await client.get(date_path, headers=HTML)
    assert "1 personne participe à cette date" in page.text and "complet" in page.text
    assert "Se désinscrire" in page.text
    other = await client.get(f"{path}/occurrences/{first.date().isoformat()}", headers=HTML)
    assert "0 personne participe à cette date" in other.text
    series = await client.get(path, headers=HTML)
    assert "Participer à toutes les dates" in series.text
    assert "0 personne participe à toutes les dates" in series.text
    listed = re.search(rf'href="{re.escape(date_path)}">[^<]*</a>\s*<span class="muted">([^<]*)',
                       series.text)  # fmt: skip
    assert listed is not None and "1 personne participe" in listed[1] and "complet" in listed[1]

    # When nadia asks for the same date, she waits
    nadia = await switch_to(client, settings, database, "nadia")
    await client.post(f"{date_path}/rsvp", data={"csrf_token": nadia.csrf, "action": "join"})
    page = await client.get(date_path, headers=HTML)
    assert "Vous êtes n° 1 sur la liste d'attente." in page.text

    # Then the organiser sees, for that date, karim taking part and nadia waiting
    back_to(client, settings, organiser)
    participants = await client.get(f"{path}/participants", headers=HTML)
    day = second.strftime("%d").lstrip("0")
    heading = re.search(rf"<h2[^>]*>[^<]*{day}[^<]*</h2>", participants.text)
    assert heading is not None, participants.text
    that_date = participants.text[heading.end() :]
    waiting = that_date[that_date.index("Liste d'attente (1)") :]
    taking_part = waiting[waiting.index("Participer (1)") :]
    assert "@nadia@" in waiting[: waiting.index("Participer (1)")]
    assert "@karim@" in taking_part[: taking_part.index("</section>")]

    # And karim's calendar has that date alone, with the date's own id
    back_to(client, settings, karim)
    await client.get("/calendar", headers=HTML)
    async with database.session() as session:
        token = await session.scalar(
            select(Account.calendar_token).where(Account.id == karim.account.id)
        )
    feed = Calendar.from_ical((await client.get(f"/calendar/{token}.ics")).content)
    (event,) = feed.walk("VEVENT")
    assert str(event["UID"]).endswith(date_path)
    assert "RRULE" not in event
    assert event.decoded("DTSTART") == second


async def test_a_date_that_is_not_in_the_series_is_not_found(
    client: httpx2.AsyncClient, organiser: Resident
) -> None:
    first = saturdays()[0]
    path = await create(client, organiser.csrf, start=first.strftime("%Y-%m-%dT%H:%M"),
                        end=(first + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))  # fmt: skip
    sunday = (first + timedelta(days=1)).date().isoformat()
    assert (await client.get(f"{path}/occurrences/{sunday}", headers=HTML)).status_code == 404
    response = await client.post(
        f"{path}/occurrences/{sunday}/rsvp", data={"csrf_token": organiser.csrf, "action": "join"}
    )
    assert response.status_code == 404
    ap = await client.get(f"{path}/occurrences/{sunday}",
                          headers={"Accept": "application/activity+json"})  # fmt: skip
    assert ap.status_code == 404
