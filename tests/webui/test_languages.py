"""Each page in one language: no month, weekday or series words of the other, numbers in its own
digits.

The words looked for come from Babel's data for the other language (every month and weekday
name), plus the first word of its series sentences, so the check grows with the languages.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import httpx2
import pytest
from babel.dates import get_day_names, get_month_names
from sqlalchemy import select

from actors.services import create_group
from commons.notifications import notify
from commons.posts.services import publish_note
from config.settings import Settings
from config.uris import Uris
from storage.database import Database
from storage.models import Actor
from tests.clock import GENEVA, form_value, local_day, next_week_saturday
from tests.webui.web_support import Resident, log_in_as, resident
from webui import i18n

HTML = {"Accept": "text/html"}
LANGUAGES = i18n.available_languages()
# How a series sentence of each language begins (see webui/recurrence_words.py and its catalog).
SERIES_WORDS = {
    "fr": ("Chaque", "Toutes les", "Tous les"),
    "en": ("Every",),
    "de": ("Jeden", "Jede", "Jedes"),
    "ar": ("كل",),
}


def words_of(language: str) -> set[str]:
    """Month and weekday names of ``language``: the whole names, and the abbreviations of four
    letters or more (shorter ones are words of other languages too: "Mon")."""
    names: set[str] = set()
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            names |= set(get_month_names(width, context, language).values())
            names |= set(get_day_names(width, context, language).values())
    return {name.rstrip(".") for name in names if len(name.rstrip(".")) >= 4}


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles, tags or attribute values, and every kind of
    space (CLDR's forms use narrow and thin ones) as one plain space."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL | re.IGNORECASE)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


def foreign_words(text: str, reader: str) -> list[str]:
    """Words of the other languages that a page in ``reader``'s language shows."""
    own = words_of(reader)
    found = []
    for other in LANGUAGES:
        if other == reader:
            continue
        for word in sorted(words_of(other) - own) + list(SERIES_WORDS.get(other, ())):
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE):
                found.append(word)
    return found


@pytest.fixture
async def quartier(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> tuple[Resident, str]:
    """jeanmarc runs the repair café's weekly series, wrote a post and has a notification."""
    jeanmarc = await log_in_as(client, settings, database, "jeanmarc")
    async with database.transaction() as session:
        await create_group(session, settings, "repair-cafe", "space", "jeanmarc")
    start = next_week_saturday()
    form = {
        "csrf_token": jeanmarc.csrf, "organiser": "repair-cafe", "title": "Repair Café",
        "description": "On répare ensemble.", "start": form_value(start),
        "end": form_value(start + timedelta(hours=6)), "timezone": "Europe/Zurich",
        "category": "repair_cafe", "place_name": "Maison de quartier des Pâquis",
        "street_address": "rue de Berne 50", "postal_code": "1201", "locality": "Genève",
        "join_mode": "free", "capacity": "1500", "repeat": "weekly", "comments_enabled": "1",
    }  # fmt: skip
    created = await client.post("/events/new", data=form, headers=HTML)
    assert created.status_code == 303, created.text
    _, nadia = await resident(database, settings, "nadia")
    async with database.transaction() as session:
        author = await session.scalar(select(Actor).where(Actor.username == "jeanmarc"))
        assert author is not None
        post = await publish_note(session, Uris(settings.base_url), author, "Qui vient ?")
        await notify(session, author.id, "like", nadia.id, post_id=post.id)
    return jeanmarc, created.headers["location"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_pages_speak_only_the_readers_language(
    client: httpx2.AsyncClient, quartier: tuple[Resident, str], language: str
) -> None:
    # Given a weekly series of next week, a post and a notification
    _, event_path = quartier
    start = next_week_saturday()
    headers = {**HTML, "Accept-Language": language}
    pages = [
        "/",
        "/home",
        "/local",
        "/agenda",
        event_path,
        f"{event_path}/occurrences/{local_day(start)}",
        f"/agenda?view=month&date={local_day(start)}",
        f"/agenda?view=week&date={local_day(start)}",
        "/@jeanmarc",
        "/notifications",
    ]
    for path in pages:
        # When the page is read in that language
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert response.headers["Content-Language"] == language

        # Then it has no month, weekday or series word of the other language
        text = visible_text(response.text)
        assert foreign_words(text, language) == [], f"{path} in {language}"
        # And no date is written in short numbers with a two-digit year ("12/1/26")
        assert not re.search(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2}\b", text), f"{path} in {language}"


async def test_an_english_page_in_english_forms(
    client: httpx2.AsyncClient, quartier: tuple[Resident, str]
) -> None:
    # Given the weekly series, read in English
    _, event_path = quartier
    start = next_week_saturday().astimezone(GENEVA)
    english = {**HTML, "Accept-Language": "en"}

    # When its page and the agenda's month are read
    event = visible_text((await client.get(event_path, headers=english)).text)
    month = visible_text(
        (await client.get(f"/agenda?view=month&date={local_day(start)}", headers=english)).text
    )
    week = visible_text(
        (await client.get(f"/agenda?view=week&date={local_day(start)}", headers=english)).text
    )

    # Then months are capitalised, hours and numbers are English, the rule is an English sentence
    day = f"{start:%A}, {start:%B} {start.day}, {start.year}"
    assert day in event and day in week
    assert "10:00 AM – 4:00 PM" in event
    assert "Every Saturday" in event
    assert "1,500 places left" in event
    assert f"{start:%B} {start.year}" in month


async def test_a_french_page_in_french_forms(
    client: httpx2.AsyncClient, quartier: tuple[Resident, str]
) -> None:
    # Given the same series, read in French
    _, event_path = quartier
    french = {**HTML, "Accept-Language": "fr"}

    # When its page is read
    event = visible_text((await client.get(event_path, headers=french)).text)

    # Then the day is French and starts the line with a capital, the hours are on 24 hours,
    # the rule is French and the number has French digit groups
    assert re.search(r"Samedi \d{1,2} \w+ \d{4}", event)
    assert "10:00 – 16:00" in event
    assert "Chaque samedi" in event
    assert "1 500 places restantes" in event


async def test_a_german_page_in_german_forms(
    client: httpx2.AsyncClient, quartier: tuple[Resident, str]
) -> None:
    # Given the same series, read in German
    _, event_path = quartier
    german = {**HTML, "Accept-Language": "de-CH, de;q=0.9"}

    # When its page is read
    response = await client.get(event_path, headers=german)
    event = visible_text(response.text)

    # Then the day, the hours, the rule and the places are German, left to right
    assert response.headers["Content-Language"] == "de"
    assert '<html lang="de">' in response.text
    assert re.search(r"Samstag, \d{1,2}\. \w+ \d{4}", event)
    assert "10:00–16:00 Uhr" in event
    assert "Jeden Samstag" in event
    assert "1.500 Plätze frei" in event


async def test_an_arabic_page_reads_right_to_left_in_arabic_forms(
    client: httpx2.AsyncClient, quartier: tuple[Resident, str]
) -> None:
    # Given the same series, read in Arabic
    _, event_path = quartier
    arabic = {**HTML, "Accept-Language": "ar"}

    # When its page is read
    response = await client.get(event_path, headers=arabic)
    event = visible_text(response.text)

    # Then the page runs right to left, and the day, the hours, the rule and the places are
    # Arabic (1 500 takes the form of the hundreds)
    assert '<html lang="ar" dir="rtl">' in response.text
    assert re.search(r"السبت، \d{1,2} \w+ \d{4}", event)
    assert "10:00 ص – 4:00 م" in event
    assert "كل يوم سبت" in event
    assert "بقي 1,500 مكان" in event
