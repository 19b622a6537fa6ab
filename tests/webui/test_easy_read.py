"""Easy to read (FALC): any visitor turns it on from any page; the home page, the agenda, an
event, a collective, logging in and signing up then open with their essentials in short lines,
each after a pictogram hidden from screen readers."""

from __future__ import annotations

import re

import httpx2
import pytest

from tests.webui.test_events import create
from tests.webui.web_support import Resident
from webui import i18n

HTML = {"Accept": "text/html"}
fr = i18n.translations("fr").gettext
PICTOGRAM = re.compile(r'<svg class="falc-picto"[^>]*aria-hidden="true"')


def lines_of(page: str) -> list[str]:
    """The easy-to-read lines of a page, as text."""
    box = re.search(r'<section class="falc-box".*?</section>', page, re.S)
    if box is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", box.group(0), re.S)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in items]


async def test_any_visitor_turns_it_on_and_off_from_the_page_they_read(
    client: httpx2.AsyncClient,
) -> None:
    # Given a visitor on the month view of the agenda
    page = (await client.get("/agenda?view=month", headers=HTML)).text
    assert fr("Easy to read") == "Facile à lire"
    assert '<a href="/falc/on?next=/agenda%3Fview%3Dmonth">' in page

    # When they follow the link
    response = await client.get("/falc/on?next=/agenda%3Fview%3Dmonth")

    # Then they come back to the same page, in easy-to-read form, with the way back
    assert response.status_code == 303
    assert response.headers["location"] == "/agenda?view=month"
    page = (await client.get("/agenda?view=month", headers=HTML)).text
    assert '<body class="falc">' in page
    assert fr("Usual version") in page
    assert lines_of(page)[0] == "Cette page montre les activités du quartier."

    # When they turn it off, the page is as usual again
    await client.get("/falc/off?next=/agenda")
    page = (await client.get("/agenda", headers=HTML)).text
    assert lines_of(page) == [] and '<body class="falc">' not in page


@pytest.mark.parametrize("target", ["//elsewhere.example/", "https://elsewhere.example/", "x"])
async def test_the_switch_only_sends_back_to_this_site(
    client: httpx2.AsyncClient, target: str
) -> None:
    response = await client.get("/falc/on", params={"next": target})
    assert response.headers["location"] == "/"


async def test_the_main_pages_in_easy_to_read_french(
    client: httpx2.AsyncClient, organiser: Resident
) -> None:
    # Given an event of the repair café, and a visitor who chose easy to read
    event_path = await create(client, organiser.csrf, repeat="none")
    client.cookies.clear()
    client.cookies.set("falc", "1")

    expected = {
        "/": ["Ce site est le site de Quartier Paquis.",
              "Ici, vous trouvez ce qui se passe dans le quartier.",
              "Ici, vous trouvez les groupes du quartier.",
              "Ici, vous lisez les nouvelles du quartier.",
              "Pour écrire, il faut un compte."],
        "/agenda": ["Cette page montre les activités du quartier.",
                    "Les activités sont rangées par jour.",
                    "Appuyez sur une activité pour en savoir plus."],
        "/@repair-cafe": ["repair-cafe est un groupe du quartier.",
                          "Ici, le groupe donne ses nouvelles.",
                          "Les activités du groupe sont dans son agenda.",
                          "Pour recevoir ses nouvelles, suivez le groupe."],
        "/login": ["Ici, vous entrez dans votre compte.",
                   "Écrivez votre nom. C'est le nom de votre compte.",
                   "Écrivez votre mot de passe.",
                   "Puis appuyez sur « Se connecter ».",
                   "Pas encore de compte ? Allez sur « S'inscrire »."],
        "/signup": ["Ici, vous créez votre compte.",
                    "Pour entrer, il faut une invitation.",
                    "Demandez à une voisine ou à un voisin qui a un compte."],
    }  # fmt: skip
    for path, lines in expected.items():
        # When they open each main page
        page = (await client.get(path, headers=HTML)).text

        # Then it opens with its short lines, one idea each, each after a pictogram
        assert [line.replace("&#39;", "'") for line in lines_of(page)] == lines, path
        assert len(PICTOGRAM.findall(page)) >= len(lines), path

    # And the event says what, when, where, who, and how to come
    lines = [line.replace("&#39;", "'") for line in lines_of(await page_of(client, event_path))]
    assert lines[0] == "Quoi : Repair Café"
    assert lines[1].startswith("Quand : Samedi ") and "10:00" in lines[1], lines
    assert lines[2] == "Où : Maison de quartier des Pâquis, rue de Berne 50, 1201 Genève"
    assert lines[3] == "Qui organise : repair-cafe"
    assert lines[4] == "Pour venir, connectez-vous d'abord."


async def page_of(client: httpx2.AsyncClient, path: str) -> str:
    return (await client.get(path, headers=HTML)).text


async def test_in_english_too(client: httpx2.AsyncClient) -> None:
    client.cookies.set("falc", "1")
    client.cookies.set("lang", "en")
    page = (await client.get("/login", headers=HTML)).text
    assert lines_of(page)[:2] == [
        "Here you enter your account.",
        "Write your name. It is the name of your account.",
    ]
    assert "Usual version" in page
