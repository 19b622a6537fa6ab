"""The home page: French by default, English on request, the language switch, errors, the demo."""

from __future__ import annotations

import httpx2
import pytest

from config.settings import Settings
from quartiers.demo import COLLECTIVES, fill_demo_neighbourhood
from storage.database import Database

HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


def assert_french(response: httpx2.Response) -> None:
    assert '<html lang="fr">' in response.text
    assert response.headers["content-language"] == "fr"
    assert "Dernières nouvelles" in response.text
    assert "Aller au contenu" in response.text
    assert "Latest news" not in response.text


def assert_english(response: httpx2.Response) -> None:
    assert '<html lang="en">' in response.text
    assert response.headers["content-language"] == "en"
    assert "Latest news" in response.text
    assert "Skip to content" in response.text
    assert "Dernières nouvelles" not in response.text


async def test_home_is_in_french_by_default(client: httpx2.AsyncClient) -> None:
    # When a browser without language preference opens the home page
    response = await client.get("/", headers=HTML)

    # Then it is the instance's page, in French, with the empty states
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert_french(response)
    assert "Quartier Paquis" in response.text
    assert "Pas encore de collectif." in response.text
    assert "Un quartier de Genève sur le fédivers." in response.text
    assert "Accept-Language" in response.headers["vary"]


@pytest.mark.parametrize("accept_language", ["en", "en-GB,en;q=0.9", "ja-JP, en;q=0.5, fr;q=0.2"])
async def test_home_follows_accept_language(
    client: httpx2.AsyncClient, accept_language: str
) -> None:
    # When the browser prefers English over French
    response = await client.get("/", headers={**HTML, "Accept-Language": accept_language})

    # Then the page is in English
    assert_english(response)
    assert "A neighbourhood of Genève on the fediverse." in response.text


async def test_an_unsupported_language_falls_back_to_french(client: httpx2.AsyncClient) -> None:
    # When the browser only speaks Japanese
    response = await client.get("/", headers={**HTML, "Accept-Language": "ja-JP, ja;q=0.9"})

    # Then the instance's default, French, is used
    assert_french(response)


@pytest.mark.parametrize(
    ("cookie", "accept_language", "expected"),
    [("en", "fr-CH, fr;q=0.9", "en"), ("fr", "en-US, en;q=0.9", "fr")],
)
async def test_the_lang_cookie_wins_over_accept_language(
    client: httpx2.AsyncClient, cookie: str, accept_language: str, expected: str
) -> None:
    # When the browser sends a lang cookie and prefers another language
    headers = {**HTML, "Accept-Language": accept_language, "Cookie": f"lang={cookie}"}
    response = await client.get("/", headers=headers)

    # Then the cookie decides
    if expected == "en":
        assert_english(response)
    else:
        assert_french(response)


async def test_switching_language_sets_the_cookie_and_goes_back(
    client: httpx2.AsyncClient,
) -> None:
    # When the English link of the footer is followed
    response = await client.get("/lang/en", params={"next": "/collectives"})

    # Then the cookie is set for a year, and the browser goes back where it was
    assert response.status_code == 303
    assert response.headers["location"] == "/collectives"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lang=en;")
    assert "Max-Age=31536000" in cookie
    assert "SameSite=lax" in cookie

    # Then the next page is in English
    assert_english(await client.get("/", headers={**HTML, "Cookie": "lang=en"}))


async def test_an_unknown_language_sets_no_cookie(client: httpx2.AsyncClient) -> None:
    # When a language we do not have is asked for
    response = await client.get("/lang/tlh", params={"next": "/"})

    # Then the browser goes back without a cookie
    assert response.status_code == 303
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
    ],
)
async def test_switching_language_refuses_open_redirects(
    client: httpx2.AsyncClient, target: str
) -> None:
    # When the next address leaves the site
    response = await client.get("/lang/en", params={"next": target})

    # Then the browser is sent home instead
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_a_missing_page_is_a_french_page_for_browsers(client: httpx2.AsyncClient) -> None:
    # When a browser opens an address that does not exist
    response = await client.get("/nowhere", headers=HTML)

    # Then it gets a friendly 404 page in French
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in response.text
    assert "Page introuvable" in response.text
    assert "Retour à l" in response.text


@pytest.mark.parametrize("accept", ["application/json", "application/activity+json", "*/*", None])
async def test_a_missing_page_is_json_for_machines(
    client: httpx2.AsyncClient, accept: str | None
) -> None:
    # When a program asks for an address that does not exist
    headers = {"Accept": accept} if accept else {}
    response = await client.get("/nowhere", headers=headers)

    # Then it gets a short JSON error
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "Not Found"}


async def test_the_demo_neighbourhood_shows_on_the_home_page(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given the demo neighbourhood
    await fill_demo_neighbourhood(settings, database)

    # When the home page is opened
    response = await client.get("/", headers=HTML)

    # Then its collectives, with their kinds, and its posts are listed
    page = response.text
    for collective in COLLECTIVES:
        assert collective.name in page
        assert f"@{collective.username}@paquis.test" in page
    assert "Lieu partagé" in page
    assert "Assemblée" in page
    assert "Projet" in page
    assert "<strong>Repair Café</strong>" in page
    assert "Initiation gratuite mardi à 18h30" in page
    assert "Karim Benali" in page
    assert "Pas encore de collectif." not in page
    assert "Rien n" not in page
