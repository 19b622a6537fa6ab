"""The neighbourhood's look: an admin picks its accent colour (a preset or one of their own, if
text stays readable with it) and its logo; every page then wears them."""

from __future__ import annotations

import io

import httpx2
import pytest
from PIL import Image

from actors.look import DEFAULT_ACCENT, PAPER, PRESETS, WHITE, accent_problem, contrast, mix
from config.settings import Settings
from storage.database import Database
from storage.models import InstanceLook, Media
from tests.actors.actor_support import use_session_keys
from tests.webui.web_support import log_in_as
from webui import i18n

HTML = {"Accept": "text/html"}
fr = i18n.translations("fr").gettext


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


def png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (120, 60), (163, 64, 28)).save(output, "PNG")
    return output.getvalue()


@pytest.mark.parametrize("colour", list(PRESETS))
def test_every_preset_keeps_text_readable(colour: str) -> None:
    # Given a preset accent: white text on it, and it as text on the page, a card, its tint
    for background in (WHITE, PAPER, mix(colour, WHITE, 0.12)):
        # Then each pair reaches AA (4.5:1)
        assert contrast(colour, background) >= 4.5, (colour, background)
    assert accent_problem(colour) is None


@pytest.mark.parametrize(
    ("colour", "problem"),
    [("#f2b01e", "low_contrast"), ("#7fbf7f", "low_contrast"), ("#ffffff", "low_contrast"),
     ("red", "not_a_colour"), ("#12345", "not_a_colour"), ("#1d5a8c", None)],
)  # fmt: skip
def test_a_pale_or_malformed_colour_is_refused(colour: str, problem: str | None) -> None:
    assert accent_problem(colour) == problem


async def test_the_default_look_is_warm_and_shows_the_name(client: httpx2.AsyncClient) -> None:
    # Given a neighbourhood whose admin chose nothing
    page = (await client.get("/", headers=HTML)).text

    # Then its pages use the default accent of the style sheet, with the drawn mark by the name
    assert "--accent:" not in page
    assert 'class="brand-mark"' in page
    assert DEFAULT_ACCENT in PRESETS


async def test_an_admin_chooses_a_preset_and_their_own_colour(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    me = await log_in_as(client, settings, database, "ines", admin=True)

    # When she picks the lake blue
    response = await client.post(
        "/admin/look", data={"csrf_token": me.csrf, "accent": "#1d5a8c"}, headers=HTML
    )
    assert response.status_code == 303, response.text

    # Then every page carries it, with its tint and its hover shade
    page = (await client.get("/agenda", headers=HTML)).text
    assert "--accent: #1d5a8c;" in page and "--accent-soft: #e4ebf1;" in page

    # When she chooses a dark plum of her own
    data = {"csrf_token": me.csrf, "accent": "custom", "custom_accent": "#5B2A86"}
    assert (await client.post("/admin/look", data=data, headers=HTML)).status_code == 303

    # Then it is kept, in lower case
    async with database.session() as session:
        look = await session.get(InstanceLook, 1)
    assert look is not None and look.accent == "#5b2a86"
    assert "--accent: #5b2a86;" in (await client.get("/", headers=HTML)).text


async def test_a_colour_too_pale_for_text_is_refused_in_french(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    me = await log_in_as(client, settings, database, "ines", admin=True)

    # When she chooses a sunny yellow of her own
    data = {"csrf_token": me.csrf, "accent": "custom", "custom_accent": "#f2b01e"}
    response = await client.post("/admin/look", data=data, headers=HTML)

    # Then the page says why, in French, with the contrast found, and nothing is kept
    assert response.status_code == 400
    message = fr(
        "This colour is too pale for text to stay readable on it and with it (contrast "
        "%(ratio)s:1, 4.5:1 needed). Choose a darker one."
    ) % {"ratio": "1,8"}
    assert message.startswith("Cette couleur"), message
    assert message.replace("'", "&#39;") in response.text
    async with database.session() as session:
        assert await session.get(InstanceLook, 1) is None


async def test_a_logo_needs_a_description_then_shows_in_the_header(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    me = await log_in_as(client, settings, database, "ines", admin=True)
    files = {"logo": ("logo.png", png(), "image/png")}

    # When she sends a logo without saying what it shows
    data = {"csrf_token": me.csrf, "accent": DEFAULT_ACCENT}
    response = await client.post("/admin/look", data=data, files=files, headers=HTML)

    # Then it is refused, saying why
    assert response.status_code == 400
    assert fr("Please describe the image for people who cannot see it.").replace("'", "&#39;") in (
        response.text
    )

    # When she describes it
    data["logo_alt"] = "Trois toits rouges"
    response = await client.post("/admin/look", data=data, files=files, headers=HTML)
    assert response.status_code == 303, response.text

    # Then the header shows it (the name beside it says where the link goes)
    async with database.session() as session:
        look = await session.get(InstanceLook, 1)
        assert look is not None and look.logo_media_id is not None
        logo = await session.get(Media, look.logo_media_id)
        assert logo is not None and logo.alt_text == "Trois toits rouges"
    page = (await client.get("/", headers=HTML)).text
    assert f'class="brand-logo" src="/media/{logo.key}.png"' in page
    assert (await client.get(f"/media/{logo.key}.png")).status_code == 200

    # When she removes it, the drawn mark comes back
    data = {"csrf_token": me.csrf, "accent": DEFAULT_ACCENT, "remove_logo": "1"}
    assert (await client.post("/admin/look", data=data, headers=HTML)).status_code == 303
    assert 'class="brand-mark"' in (await client.get("/", headers=HTML)).text


async def test_only_admins_change_the_look(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    me = await log_in_as(client, settings, database, "noe")
    assert (await client.get("/admin/look", headers=HTML)).status_code == 403
    data = {"csrf_token": me.csrf, "accent": "#1d5a8c"}
    assert (await client.post("/admin/look", data=data, headers=HTML)).status_code == 403
    async with database.session() as session:
        assert await session.get(InstanceLook, 1) is None
