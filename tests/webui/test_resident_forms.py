"""Forms a neighbour can fill: clean attributes, every error at once, photos never lost."""

from __future__ import annotations

import io
import re

import httpx2
import pytest
from PIL import Image
from sqlalchemy import select

from config.settings import Settings
from storage.database import Database
from storage.models import Media, Post
from tests.actors.actor_support import use_session_keys
from tests.webui.web_support import log_in_as

HTML = {"Accept": "text/html"}
BROWSER_DEFAULTS = {"category": "autre", "join_mode": "free", "timezone": "Europe/Zurich",
                    "comments_enabled": "1", "repeat": ""}  # fmt: skip
"""What a browser sends for the event form's lists and box left as they are."""


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 120, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def more_options(page: str) -> str:
    """The opening tag of the event form's "More options" disclosure."""
    found = re.search(r'<details class="form-more"[^>]*>', page)
    assert found, "no More options disclosure"
    return found.group(0)


async def test_number_fields_ask_for_a_keypad_and_attributes_are_well_formed(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a resident
    await log_in_as(client, settings, database, "amelie")

    # When she opens the event form and the compose box
    event_form = (await client.get("/events/new", headers=HTML)).text
    compose = (await client.get("/compose", headers=HTML)).text

    # Then the postal code and coordinates ask for a number keypad, the capacity has a minimum
    assert re.search(r'id="field-postal_code"[^>]* inputmode="numeric"', event_form)
    assert re.search(r'id="field-latitude"[^>]* inputmode="decimal"', event_form)
    assert re.search(r'id="field-capacity"[^>]* min="1"', event_form)
    assert "&quot;" not in event_form
    # And the message box is required and described by its help, as two attributes
    assert "requiredaria" not in compose
    assert re.search(
        r'<textarea id="field-text"[^>]* required aria-describedby="help-text"', compose
    )


async def test_the_event_form_is_short_with_the_rest_behind_more_options(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a resident
    await log_in_as(client, settings, database, "amelie")

    # When she opens the event form
    page = (await client.get("/events/new", headers=HTML)).text

    # Then title, dates, place, description and image come first, the rest is folded away
    assert " open" not in more_options(page)
    head, _, folded = page.partition(more_options(page))
    for shown in ("field-title", "field-start", "field-place_name", "field-description",
                  "field-image"):  # fmt: skip
        assert f'id="{shown}"' in head, shown
    for hidden in ("field-repeat", "field-rrule", "field-capacity", "field-timezone",
                   "field-latitude", "field-longitude"):  # fmt: skip
        assert f'id="{hidden}"' in folded, hidden


async def test_an_empty_event_form_shows_every_missing_field_at_once(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a resident
    amelie = await log_in_as(client, settings, database, "amelie")

    # When she sends the event form without filling anything in
    response = await client.post(
        "/events/new", data={"csrf_token": amelie.csrf, **BROWSER_DEFAULTS}, headers=HTML
    )

    # Then the start, the title and the place are all asked for, each beside its field
    assert response.status_code == 400
    for field, message in (
        ("start", "Donnez la date et l&#39;heure du début."),
        ("title", "Donnez un titre à l&#39;événement."),
        ("place_name", "Donnez un lieu (nom ou adresse) ou un lien pour participer en ligne."),
    ):
        assert f'id="error-{field}"' in response.text, field
        assert message in response.text, message
        assert f'href="#field-{field}"' in response.text, field
    # And the folded options stay folded, since none of them is wrong
    assert " open" not in more_options(response.text)


async def test_an_error_among_the_options_opens_them(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a resident
    amelie = await log_in_as(client, settings, database, "amelie")

    # When she asks for no place at all and zero places, with a title
    response = await client.post(
        "/events/new",
        data={
            "csrf_token": amelie.csrf,
            **BROWSER_DEFAULTS,
            "title": "Troc",
            "start": "2030-05-04T10:00",
            "capacity": "0",
        },
        headers=HTML,
    )

    # Then both mistakes are shown, and the options are open on the capacity
    assert response.status_code == 400
    assert 'id="error-capacity"' in response.text and 'id="error-place_name"' in response.text
    assert " open" in more_options(response.text)


async def test_a_photo_without_its_description_is_kept_until_it_is_described(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a resident
    amelie = await log_in_as(client, settings, database, "amelie")

    # When she sends a photo from the short compose box without describing it
    refused = await client.post(
        "/compose",
        data={"csrf_token": amelie.csrf, "text": "Notre jardin en fleurs"},
        files={"image1": ("jardin.png", png(), "image/png")},
        headers=HTML,
    )

    # Then the form comes back with her text, the photo shown and kept, and what is missing
    assert refused.status_code == 400
    assert "Notre jardin en fleurs</textarea>" in refused.text
    assert 'id="error-alt1"' in refused.text
    kept = re.search(r'name="kept1" value="([^"]+)"', refused.text)
    assert kept, "the photo is not kept"
    assert re.search(r'<p class="kept-image"><img src="/media/' + kept.group(1), refused.text)
    assert "choisir à nouveau" not in refused.text

    # When she only adds the description
    accepted = await client.post(
        "/compose",
        data={
            "csrf_token": amelie.csrf,
            "text": "Notre jardin en fleurs",
            "alt1": "Des tulipes rouges",
            "kept1": kept.group(1),
        },
        headers=HTML,
    )

    # Then the post is published with the photo she chose the first time
    assert accepted.status_code == 303, accepted.text.split("form-errors")[-1][:600]
    async with database.session() as session:
        post = await session.scalar(select(Post).where(Post.actor_id == amelie.actor.id))
        assert post is not None
        media = (await session.scalars(select(Media).where(Media.post_id == post.id))).all()
    assert [(m.key, m.alt_text) for m in media] == [(kept.group(1), "Des tulipes rouges")]


async def test_someone_elses_kept_photo_cannot_be_taken(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a photo Amelie sent without a description
    amelie = await log_in_as(client, settings, database, "amelie")
    refused = await client.post(
        "/compose",
        data={"csrf_token": amelie.csrf, "text": "Jardin"},
        files={"image1": ("jardin.png", png(), "image/png")},
        headers=HTML,
    )
    kept = re.search(r'name="kept1" value="([^"]+)"', refused.text)
    assert kept

    # When Bruno sends its key in his own post
    client.cookies.clear()
    bruno = await log_in_as(client, settings, database, "bruno")
    response = await client.post(
        "/compose",
        data={"csrf_token": bruno.csrf, "text": "À moi", "alt1": "Vol", "kept1": kept.group(1)},
        headers=HTML,
    )

    # Then his post is published without it
    assert response.status_code == 303
    async with database.session() as session:
        media = await session.scalar(select(Media).where(Media.key == kept.group(1)))
    assert media is not None and media.post_id is None
