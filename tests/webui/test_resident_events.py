"""Events sold well, and being kept informed: upcoming events on the home page and profiles,
titles in the month grid, a series once in lists, my events, one date's calendar, following a
neighbour from their profile, the unread count, events found by search."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx2
from icalendar import Calendar
from sqlalchemy import select

from actors.services import create_group
from commons.notifications import notify
from config.settings import Settings
from storage.database import Database
from storage.models import Follow
from tests.webui.test_events import HTML, back_to, create, switch_to
from tests.webui.web_support import Resident

GENEVA = ZoneInfo("Europe/Zurich")
WEEKLY_TITLE = "Repair Café du samedi"


def next_saturday() -> datetime:
    """Saturday of next week at 10:00 in Geneva."""
    today = datetime.now(GENEVA).replace(hour=10, minute=0, second=0, microsecond=0)
    return today + timedelta(days=(5 - today.weekday()) % 7 + 7)


def local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


async def weekly_repair_cafe(client: httpx2.AsyncClient, organiser: Resident) -> str:
    first = next_saturday()
    return await create(
        client, organiser.csrf, title=WEEKLY_TITLE, start=local(first),
        end=local(first + timedelta(hours=4)), repeat="weekly",
    )  # fmt: skip


async def test_the_home_page_and_the_profile_show_a_weekly_series_once_with_its_next_date(
    client: httpx2.AsyncClient, organiser: Resident
) -> None:
    # Given the repair café's weekly workshop and a one-off talk
    path = await weekly_repair_cafe(client, organiser)
    talk_day = datetime.now(GENEVA).replace(hour=19, minute=0, second=0) + timedelta(days=3)
    await create(client, organiser.csrf, title="Soirée débat", start=local(talk_day), end="",
                 repeat="")  # fmt: skip
    first = next_saturday().date().isoformat()

    # When a visitor opens the home page and the collective's page
    client.cookies.clear()
    home = (await client.get("/", headers=HTML)).text
    profile = (await client.get("/@repair-cafe", headers=HTML)).text

    # Then both list the workshop once, at its next date, "every Saturday", and the talk
    for page in (home, profile):
        assert page.count(f'href="{path}/occurrences/{first}"') == 1
        assert page.count(f">{WEEKLY_TITLE}</a>") == 1
        assert "Chaque samedi" in page and "Prochaine date :" in page
        assert ">Soirée débat</a>" in page
        # the talk comes first, three days from now
        assert page.index("Soirée débat") < page.index(WEEKLY_TITLE)
    assert "Bientôt dans le quartier" in home


async def test_a_collective_created_through_the_form_shows_its_description_as_text(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a collective created through the form, with a Markdown description
    resident = await switch_to(client, settings, database, "ines")
    response = await client.post(
        "/collectives/new",
        data={
            "csrf_token": resident.csrf,
            "name": "velo",
            "display_name": "Atelier vélo",
            "kind": "project",
            "join_mode": "open",
            "description": "On répare nos **vélos** ensemble.",
        },
        headers=HTML,
    )
    assert response.status_code == 303, response.text[:2000]

    # When a visitor opens the home page
    client.cookies.clear()
    home = (await client.get("/", headers=HTML)).text

    # Then the description reads as text, not as HTML code
    assert "&lt;p&gt;" not in home
    assert "<p>On répare nos <strong>vélos</strong> ensemble.</p>" in home


async def test_the_month_grid_shows_titles_and_marks_today(
    client: httpx2.AsyncClient, organiser: Resident
) -> None:
    # Given three events on the same day next week and the weekly workshop
    day = datetime.now(GENEVA).replace(hour=14, minute=0, second=0) + timedelta(days=7)
    for hour, title in ((9, "Troc de graines"), (14, "Goûter"), (18, "Apéro des voisins")):
        await create(client, organiser.csrf, title=title, start=local(day.replace(hour=hour)),
                     end="", repeat="")  # fmt: skip

    # When the month of that day is shown
    page = (await client.get(f"/agenda?view=month&date={day.date().isoformat()}")).text
    grid = page[page.index('<table class="month-grid">') : page.index("</table>")]

    # Then its cell names the first two and "+1" for the third
    cell = grid[grid.index(f'date={day.date().isoformat()}"') :]
    cell = cell[: cell.index("</td>")]
    assert ">Troc de graines</a>" in cell and ">Goûter</a>" in cell
    assert "Apéro des voisins" not in cell and ">+1<" in cell

    # And this month's grid marks today
    this_month = (await client.get("/agenda?view=month")).text
    today_cell = re.search(r'<td class="[^"]*is-today[^"]*" aria-current="date">', this_month)
    assert today_cell is not None
    assert f">{datetime.now(GENEVA).day}</span>" in this_month[today_cell.end() :][:400]


async def test_the_agenda_list_shows_a_weekly_series_once(
    client: httpx2.AsyncClient, organiser: Resident
) -> None:
    # Given the weekly workshop (a date every Saturday for two years)
    path = await weekly_repair_cafe(client, organiser)

    # When the upcoming list is shown
    page = (await client.get("/agenda", headers=HTML)).text

    # Then the workshop is one row, at its next date, saying it repeats every Saturday
    assert page.count(f">{WEEKLY_TITLE}</a>") == 1
    assert f'href="{path}/occurrences/{next_saturday().date().isoformat()}"' in page
    assert "Chaque samedi" in page


async def test_my_events_list_the_date_i_joined_and_its_calendar_has_that_date_only(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    # Given the weekly workshop, whose description has Markdown, and karim
    path = await weekly_repair_cafe(client, organiser)
    second = next_saturday() + timedelta(weeks=1)
    date_path = f"{path}/occurrences/{second.date().isoformat()}"
    karim = await switch_to(client, settings, database, "karim")

    # When he takes part on its second date
    await client.post(f"{date_path}/rsvp", data={"csrf_token": karim.csrf, "action": "join"})

    # Then "My events" lists that date, and not the series' other dates
    mine = (await client.get("/calendar", headers=HTML)).text
    assert "Mes événements" in mine
    assert mine.count(f'href="{date_path}"') == 1 and mine.count(WEEKLY_TITLE) == 1
    assert "Vous participez" in mine

    # When he downloads the calendar from that date's page
    page = (await client.get(date_path, headers=HTML)).text
    link = re.search(r'<a href="([^"]+)" download>Ajouter à mon calendrier</a>', page)
    assert link is not None and link[1] == f"{date_path}/calendar.ics"
    response = await client.get(link[1])

    # Then it holds that date only, with the description as text
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert "RRULE" not in event
    assert event.decoded("DTSTART") == second
    assert str(event["DESCRIPTION"]) == "On répare ensemble."
    assert str(event["URL"]).endswith(date_path)

    # And a day without a date of the series has no calendar
    missing = await client.get(
        f"{path}/occurrences/{second.date() + timedelta(days=1)}/calendar.ics"
    )
    assert missing.status_code == 404


async def test_following_a_neighbour_from_their_profile(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given two residents
    await switch_to(client, settings, database, "lucie")
    karim = await switch_to(client, settings, database, "karim")

    # When karim opens lucie's profile, then his own
    lucie_page = (await client.get("/@lucie", headers=HTML)).text
    own_page = (await client.get("/@karim", headers=HTML)).text

    # Then lucie's has a Follow button, his own has none
    form = re.search(r'<form class="inline" method="post" action="/search/follow">(.*?)</form>',
                     lucie_page, re.DOTALL)  # fmt: skip
    assert form is not None and ">Suivre<" in form[1]
    assert 'action="/search/follow"' not in own_page

    # When he follows her from there
    actor_id = re.search(r'name="actor_id" value="(\d+)"', form[1])
    assert actor_id is not None
    response = await client.post(
        "/search/follow",
        data={"csrf_token": karim.csrf, "actor_id": actor_id[1], "next": "/@lucie"},
    )

    # Then he is back on her profile, which says he follows her
    assert response.status_code == 303 and response.headers["location"] == "/@lucie"
    async with database.session() as session:
        assert await session.scalar(select(Follow.state).where(
            Follow.follower_id == karim.actor.id)) == "accepted"  # fmt: skip
    again = (await client.get("/@lucie", headers=HTML)).text
    assert "Vous suivez" in again and 'action="/search/follow"' not in again

    # When he stops following her from there
    assert ">Ne plus suivre<" in again
    response = await client.post(
        "/search/unfollow",
        data={"csrf_token": karim.csrf, "actor_id": actor_id[1], "next": "/@lucie"},
    )

    # Then he follows her no more, and the Follow button is back
    assert response.status_code == 303 and response.headers["location"] == "/@lucie"
    async with database.session() as session:
        assert await session.scalar(select(Follow.id).where(
            Follow.follower_id == karim.actor.id)) is None  # fmt: skip
    assert 'action="/search/follow"' in (await client.get("/@lucie", headers=HTML)).text


async def test_the_menu_counts_unread_notifications(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given lucie, with two unread notifications from karim
    karim = await switch_to(client, settings, database, "karim")
    lucie = await switch_to(client, settings, database, "lucie")
    async with database.transaction() as session:
        await notify(session, lucie.actor.id, "follow", karim.actor.id)
        await notify(session, lucie.actor.id, "like", karim.actor.id)

    # When she opens any page
    page = (await client.get("/local", headers=HTML)).text

    # Then the menu shows 2 next to the notifications, said as "2 non lues"
    assert re.search(
        r'<span class="nav-count">2<span class="visually-hidden"> non lues</span>', page
    )

    # When she has read them
    await client.post("/notifications/read", data={"csrf_token": lucie.csrf})

    # Then the count is gone
    assert 'class="nav-count"' not in (await client.get("/local", headers=HTML)).text


async def test_search_finds_events(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    # Given the weekly workshop of the repair café
    path = await weekly_repair_cafe(client, organiser)

    # When someone searches for "repair café du"
    page = (await client.get("/search?q=repair+caf%C3%A9+du", headers=HTML)).text

    # Then the workshop is found, at its next date
    assert "Événements" in page
    assert f'href="{path}/occurrences/{next_saturday().date().isoformat()}"' in page


async def test_a_second_collective_of_the_organiser_is_not_in_the_first_ones_profile(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    # Given the repair café's workshop and another collective of jeanmarc
    await weekly_repair_cafe(client, organiser)
    async with database.transaction() as session:
        await create_group(session, settings, "jardin", "space", "jeanmarc")

    # When a visitor opens the other collective's page
    client.cookies.clear()
    page = (await client.get("/@jardin", headers=HTML)).text

    # Then it lists no event of the repair café
    assert WEEKLY_TITLE not in page
    back_to(client, settings, organiser)
