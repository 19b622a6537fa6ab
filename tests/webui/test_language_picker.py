"""The language picker of every page: each language named in itself, plain links that set the
``lang`` cookie and come back to the same page; the settings page's choice for residents."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from sqlalchemy import select

from config.settings import Settings
from storage.database import Database
from storage.models import Account
from tests.webui.web_support import log_in_as
from webui import i18n

HTML = {"Accept": "text/html"}
PICKER = re.compile(r'<nav class="lang-switch"[^>]*>(.*?)</nav>', re.DOTALL)


def picker_of(page: str) -> str:
    found = PICKER.search(page)
    assert found, "no language picker on the page"
    return found.group(1)


def picker_links(page: str) -> dict[str, str]:
    """hreflang → href of the picker's links."""
    return {
        lang: unescape(href)
        for href, lang in re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', picker_of(page))
    }


async def test_every_page_offers_each_language_named_in_itself(
    client: httpx2.AsyncClient,
) -> None:
    # When a French reader opens the agenda's month
    response = await client.get("/agenda?view=month", headers={**HTML, "Accept-Language": "fr"})

    # Then the footer names every language in itself, each marked with its own language
    picker = picker_of(response.text)
    for code, name in i18n.language_choices():
        assert re.search(rf'lang="{code}"[^>]*>{name}<', picker), code
    # And French, being read, is marked and is not a link
    assert '<span aria-current="true" lang="fr">Français</span>' in picker
    links = picker_links(response.text)
    assert set(links) == set(i18n.available_languages()) - {"fr"}

    # And each link comes back to the same page, its query included
    for code, href in links.items():
        address = urlsplit(href)
        assert address.path == f"/lang/{code}"
        assert parse_qs(address.query)["next"] == ["/agenda?view=month"]


async def test_choosing_arabic_comes_back_to_the_page_right_to_left(
    client: httpx2.AsyncClient,
) -> None:
    # Given the picker's link to Arabic on the agenda's month
    page = await client.get("/agenda?view=month", headers=HTML)
    link = picker_links(page.text)["ar"]

    # When it is followed
    response = await client.get(link)

    # Then the cookie is set and the browser goes back to the same page
    assert response.status_code == 303
    assert response.headers["location"] == "/agenda?view=month"
    assert response.headers["set-cookie"].startswith("lang=ar;")

    # And that page is in Arabic, right to left, with its menu in Arabic
    arabic = await client.get("/agenda?view=month", headers={**HTML, "Cookie": "lang=ar"})
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert arabic.headers["Content-Language"] == "ar"
    assert 'aria-label="القائمة الرئيسية"' in arabic.text
    assert ">الأجندة<" in arabic.text
    assert '<span aria-current="true" lang="ar">العربية</span>' in arabic.text


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("de-CH, de;q=0.9, fr;q=0.5", "de"),
        ("ar-MA, fr;q=0.8", "ar"),
        ("ja, ar;q=0.3", "ar"),
        ("ja", "fr"),
    ],
)
async def test_the_browsers_language_is_chosen_among_all_seven(
    client: httpx2.AsyncClient, accept_language: str, expected: str
) -> None:
    # When a browser that prefers that language opens the home page
    response = await client.get("/", headers={**HTML, "Accept-Language": accept_language})

    # Then the page is in the best language there is, French otherwise
    assert response.headers["Content-Language"] == expected
    assert f'<html lang="{expected}"' in response.text
    assert ('dir="rtl"' in response.text) == (expected == "ar")


async def test_a_resident_chooses_the_language_in_the_settings(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a resident on the settings page
    me = await log_in_as(client, settings, database, "amira")
    page = await client.get("/settings", headers=HTML)

    # Then the list offers every language named in itself
    for code, name in i18n.language_choices():
        assert f'<option value="{code}"' in page.text and f">{name}</option>" in page.text

    # When they choose Arabic
    response = await client.post(
        "/settings/preferences", data={"csrf_token": me.csrf, "language": "ar"}
    )

    # Then their account and this browser keep it, and the settings page is in Arabic
    assert response.status_code == 303
    assert response.headers["set-cookie"].startswith("lang=ar;")
    page = await client.get("/settings", headers=HTML)
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "حُفظت تفضيلاتك." in page.text
    async with database.session() as session:
        account = await session.scalar(select(Account).where(Account.username == "amira"))
    assert account is not None and account.language == "ar"

    # When they then send a language the site does not have
    await client.post("/settings/preferences", data={"csrf_token": me.csrf, "language": "tlh"})

    # Then Arabic stays
    async with database.session() as session:
        account = await session.scalar(select(Account).where(Account.username == "amira"))
    assert account is not None and account.language == "ar"
