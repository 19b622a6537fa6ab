"""Offer pages: publish (with a picture), read, filter the marketplace, edit, mark as done and
reopen, delete; friendly French errors that keep what was typed; only who publishes it may
change it; servers get the Proposal at the same address."""

from __future__ import annotations

import io
import json
import re

import httpx2
from PIL import Image
from sqlalchemy import select

from config.settings import Settings
from storage.database import Database
from storage.models import Activity, Actor, Offer, OfferResponse
from storage.models.offers import CLOSED, OPEN
from tests.webui.web_support import Resident, log_in_as, session_cookie
from webui.session import SESSION_COOKIE

HTML = {"Accept": "text/html"}
AP = {"Accept": "application/activity+json"}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def offer_form(csrf: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf, "author": "repair-cafe", "purpose": "offer", "kind": "pret",
        "title": "Perceuse à percussion", "reciprocity": "free", "exchange_for": "", "price": "",
        "description": "Avec **deux** mèches.", "place_name": "Maison de quartier des Pâquis",
        "street_address": "rue de Berne 50", "locality": "Genève", "valid_until": "",
        "category": "outils", "quantity": "", "unit": "one", "available_quantity": "",
        "minimum_quantity": "", "latitude": "", "longitude": "",
    }  # fmt: skip
    form.update(changes)
    return form


async def publish(client: httpx2.AsyncClient, csrf: str, files: dict[str, object] | None = None,
                  **changes: str) -> str:  # fmt: skip
    response = await client.post("/offers/new", data=offer_form(csrf, **changes), files=files,
                                 headers=HTML)  # fmt: skip
    assert response.status_code == 303, response.text
    path: str = response.headers["location"]
    return path


async def test_a_facilitator_lends_a_drill_with_a_picture_and_it_reads_well(
    client: httpx2.AsyncClient, organiser: Resident, database: Database
) -> None:
    page = await client.get("/offers/new", headers=HTML)
    assert page.status_code == 200 and "Publier une offre ou une demande" in page.text
    files = {"image1": ("perceuse.png", png(), "image/png")}
    path = await publish(client, organiser.csrf, files, image1_alt="Une perceuse rouge")
    assert re.fullmatch(r"/offers/[0-9a-f-]{36}", path)

    page = await client.get(path, headers=HTML)
    assert page.status_code == 200
    assert "Perceuse à percussion" in page.text and "Prêt" in page.text
    assert "Gratuit" in page.text and "<strong>deux</strong>" in page.text
    assert 'alt="Une perceuse rouge"' in page.text and "Marquer comme pourvu" in page.text

    # And a server asking for the same address gets the Proposal, with its picture
    document = (await client.get(path, headers=AP)).json()
    assert document["type"] == ["Note", "Proposal"]
    assert document["attachment"][0]["name"] == "Une perceuse rouge"

    # And the marketplace lists it, by kind and by words, not under another kind
    listing = await client.get("/offers", headers=HTML)
    assert "Perceuse à percussion" in listing.text
    assert "Perceuse" in (await client.get("/offers?kind=pret&q=perceuse", headers=HTML)).text
    both = await client.get("/offers?q=PERCUSSION+m%C3%A8ches", headers=HTML)
    assert "Perceuse" in both.text  # every word, in the title or the description
    assert "Perceuse" not in (await client.get("/offers?q=perceuse+tondeuse", headers=HTML)).text
    assert "Perceuse" not in (await client.get("/offers?kind=don", headers=HTML)).text
    # And the repair café's page shows it among what can be borrowed
    profile = await client.get("/@repair-cafe", headers=HTML)
    assert "À emprunter, à donner, à partager" in profile.text
    assert "Perceuse à percussion" in profile.text


async def test_the_search_ignores_accents_and_plurals_and_a_category_is_a_filter(
    client: httpx2.AsyncClient, organiser: Resident
) -> None:
    await publish(client, organiser.csrf, title="Vélo cargo électrique", category="Mobilité",
                  description="Pour les déménagements.", place_name="Pâquis")  # fmt: skip
    await publish(client, organiser.csrf, title="Perceuse", category="outils")

    def found(page: httpx2.Response) -> set[str]:
        return {title for title in ("Vélo cargo", "Perceuse") if title in page.text}

    async def search(query: str) -> set[str]:
        return found(await client.get("/offers", params={"q": query}, headers=HTML))

    assert await search("velo") == {"Vélo cargo"}
    assert await search("VÉLOS electrique") == {"Vélo cargo"}
    assert await search("demenagement paquis") == {"Vélo cargo"}  # description and place
    assert await search("perceuses") == {"Perceuse"}
    assert await search("100%_") == set()

    # A card's category is a link to the offers of that category, and the filter says so
    listing = await client.get("/offers", headers=HTML)
    assert 'href="/offers?scope=local&amp;category=outils"' in listing.text
    tools = await client.get("/offers?scope=local&category=OUTILS", headers=HTML)
    assert found(tools) == {"Perceuse"}
    assert "Catégorie : OUTILS" in tools.text and "toutes les catégories" in tools.text


async def test_mistakes_are_told_in_french_beside_their_field_and_nothing_is_kept(
    client: httpx2.AsyncClient, organiser: Resident, database: Database
) -> None:
    response = await client.post(
        "/offers/new",
        data=offer_form(organiser.csrf, title="", reciprocity="price", price="douze",
                        quantity="-2", valid_until="2020-01-01"),
        files={"image1": ("p.png", png(), "image/png")},
        headers=HTML,
    )  # fmt: skip
    assert response.status_code == 400
    text = response.text
    assert "Indiquez le prix en francs, par exemple 12.50." in text
    assert "Indiquez un nombre plus grand que zéro" in text
    assert "Merci de décrire l" in text and 'id="error-image1_alt"' in text
    assert 'value="Maison de quartier des Pâquis"' in text  # what was typed is kept
    async with database.session() as session:
        assert await session.scalar(select(Offer.id)) is None

    response = await client.post(
        "/offers/new", data=offer_form(organiser.csrf, valid_until="2020-01-01"), headers=HTML
    )
    assert response.status_code == 400 and "Indiquez un jour encore à venir" in response.text

    # A price no column keeps, or of more digits than can be rounded to centimes: a 500 before
    for price in ("99999999999", "1e999999999"):
        response = await client.post(
            "/offers/new", data=offer_form(organiser.csrf, reciprocity="price", price=price),
            headers=HTML,
        )  # fmt: skip
        assert response.status_code == 400, price
        assert "Indiquez le prix en francs" in response.text


async def test_edit_mark_as_done_reopen_and_delete(
    client: httpx2.AsyncClient, organiser: Resident, database: Database
) -> None:
    path = await publish(client, organiser.csrf)
    form = await client.get(f"{path}/edit", headers=HTML)
    assert 'value="Perceuse à percussion"' in form.text
    edited = await client.post(f"{path}/edit", headers=HTML, data=offer_form(
        organiser.csrf, title="Perceuse sans fil", reciprocity="exchange",
        exchange_for="un gâteau"))  # fmt: skip
    assert edited.status_code == 303
    page = await client.get(path, headers=HTML)
    assert "Perceuse sans fil" in page.text and "En échange de : un gâteau" in page.text

    for status in (CLOSED, OPEN, CLOSED):
        answer = await client.post(f"{path}/status", headers=HTML,
                                   data={"csrf_token": organiser.csrf, "status": status})  # fmt: skip
        assert answer.status_code == 303
    page = await client.get(path, headers=HTML)
    assert "Pourvu" in page.text and "Rouvrir" in page.text
    assert "Perceuse sans fil" not in (await client.get("/offers", headers=HTML)).text
    assert "Perceuse sans fil" in (await client.get("/offers?all=1", headers=HTML)).text

    confirm = await client.get(f"{path}/delete", headers=HTML)
    assert "Oui, la supprimer" in confirm.text
    gone = await client.post(f"{path}/delete", data={"csrf_token": organiser.csrf}, headers=HTML)
    assert gone.status_code == 303
    assert (await client.get(path, headers=HTML)).status_code == 404
    assert (await client.get(path, headers=AP)).status_code == 410

    async with database.session() as session:
        kinds = list(await session.scalars(select(Activity.type).order_by(Activity.id)))
        payloads = [
            json.loads(p)
            for p in await session.scalars(select(Activity.payload).order_by(Activity.id))
        ]
    assert kinds == ["Create", "Update", "Update", "Update", "Update", "Delete"]
    assert {p["actor"] for p in payloads} == {p["object"]["attributedTo"] for p in payloads[:1]}


async def test_only_who_publishes_it_may_change_it(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path = await publish(client, organiser.csrf)
    client.cookies.clear()
    nadia = await log_in_as(client, settings, database, "nadia")
    page = await client.get(path, headers=HTML)
    assert page.status_code == 200 and "Marquer comme pourvu" not in page.text
    assert (await client.get(f"{path}/edit", headers=HTML)).status_code == 403
    refused = await client.post(f"{path}/status", headers=HTML,
                                data={"csrf_token": nadia.csrf, "status": CLOSED})  # fmt: skip
    assert refused.status_code == 403
    # And she may not publish for a collective she does not run
    answer = await client.post("/offers/new", data=offer_form(nadia.csrf), headers=HTML)
    assert answer.status_code == 403
    async with database.session() as session:
        assert list(await session.scalars(select(Offer.status))) == [OPEN]


async def test_visitors_read_the_marketplace_but_must_log_in_to_publish(
    client: httpx2.AsyncClient, organiser: Resident
) -> None:
    await publish(client, organiser.csrf, purpose="request", kind="besoin",
                  title="Cherche poussette")  # fmt: skip
    client.cookies.clear()
    listing = await client.get("/offers?scope=city&purpose=request", headers=HTML)
    assert listing.status_code == 200 and "Cherche poussette" in listing.text
    assert "Demande" in listing.text
    assert (await client.get("/offers/new", headers=HTML)).status_code in (302, 303, 401)


async def test_a_neighbour_answers_and_the_facilitator_accepts_from_the_offer_page(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path = await publish(client, organiser.csrf, kind="don", title="Pots de confiture",
                         quantity="1", available_quantity="2", unit_based="1")  # fmt: skip
    client.cookies.clear()
    nadia = await log_in_as(client, settings, database, "nadia")
    page = await client.get(path, headers=HTML)
    assert "Ça m’intéresse" in page.text and 'name="quantity"' in page.text
    # A quantity that is not there is refused in French, and nothing is kept
    refused = await client.post(f"{path}/respond", headers=HTML, follow_redirects=True,
                                data={"csrf_token": nadia.csrf, "quantity": "5", "message": ""})  # fmt: skip
    assert "Indiquez un nombre plus grand que zéro" in refused.text
    sent = await client.post(f"{path}/respond", headers=HTML, data={
        "csrf_token": nadia.csrf, "quantity": "2", "message": "Je passe samedi"})  # fmt: skip
    assert sent.status_code == 303
    page = await client.get(path, headers=HTML)
    assert (
        "Votre proposition attend une réponse." in page.text and "Ça m’intéresse" not in page.text
    )

    # The facilitator sees it and accepts: the offer has nothing left and is done
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session_cookie(settings, organiser.session))
    page = await client.get(path, headers=HTML)
    assert "Je passe samedi" in page.text and "2 pièces" in page.text
    async with database.session() as session:
        response_id = await session.scalar(select(OfferResponse.id))
    accepted = await client.post(f"{path}/responses/{response_id}", headers=HTML, data={
        "csrf_token": organiser.csrf, "decision": "accept", "reason": "À samedi !"})  # fmt: skip
    assert accepted.status_code == 303
    page = await client.get(path, headers=HTML)
    assert "Pourvu : ce n’est plus disponible." in page.text
    async with database.session() as session:
        offer = await session.scalar(select(Offer))
        state = await session.scalar(select(OfferResponse.state))
    assert offer is not None and offer.status == CLOSED and state == "accepted"

    # And Nadia is told, with a link to the offer
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session_cookie(settings, nadia.session))
    told = await client.get("/notifications", headers=HTML)
    assert "a accepté votre réponse à « Pots de confiture »" in told.text
    assert f'href="{path}"' in told.text


async def test_the_marketplace_of_a_kind_is_an_atom_feed(
    client: httpx2.AsyncClient, organiser: Resident
) -> None:
    await publish(client, organiser.csrf)
    await publish(client, organiser.csrf, kind="don", title="Poussette")
    page = await client.get("/offers?kind=pret", headers=HTML)
    assert 'href="/offers.atom?kind=pret&amp;scope=local"' in page.text
    feed = await client.get("/offers.atom?kind=pret&scope=local")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert "<title>Perceuse à percussion</title>" in feed.text and "Poussette" not in feed.text
    assert "Offre · Prêt — Gratuit — Maison de quartier des Pâquis" in feed.text


async def test_an_offer_with_a_place_is_on_the_map_and_in_its_list(
    client: httpx2.AsyncClient, organiser: Resident
) -> None:
    await publish(client, organiser.csrf, latitude="46.2102", longitude="6.1432",
                  title="Perceuse </script><b>")  # fmt: skip
    await publish(client, organiser.csrf, title="Sans lieu sur la carte")
    page = await client.get("/map", headers=HTML)
    assert page.status_code == 200
    listed = page.text.split('id="offers-title"', 1)[1]
    assert "Perceuse &lt;/script&gt;&lt;b&gt;" in listed and "Sans lieu" not in listed
    data = json.loads(re.search(r'id="map-data">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    [point] = data["offers"]
    assert (point["lat"], point["lon"], point["kind"]) == (46.2102, 6.1432, "offer")
    assert point["when"] == "Offre · Prêt — Gratuit"


async def test_the_marketplace_near_a_space_lists_the_nearest_first_within_the_distance(
    client: httpx2.AsyncClient, organiser: Resident, database: Database
) -> None:
    async with database.transaction() as session:
        cafe = await session.scalar(select(Actor).where(Actor.username == "repair-cafe"))
        assert cafe is not None
        cafe.latitude, cafe.longitude = 46.2102, 6.1432
    await publish(client, organiser.csrf, title="À deux pas", latitude="46.2110",
                  longitude="6.1440")  # fmt: skip
    await publish(client, organiser.csrf, title="Au bout du lac", latitude="46.2040",
                  longitude="6.1600")  # fmt: skip
    await publish(client, organiser.csrf, title="À Lausanne", latitude="46.5197",
                  longitude="6.6323")  # fmt: skip
    page = await client.get("/offers", headers=HTML)
    assert '<option value="46.21020,6.14320"' in page.text  # the café is a place to search near
    near = await client.get("/offers?near=46.2102,6.1432&km=2", headers=HTML)
    assert near.text.index("À deux pas") < near.text.index("Au bout du lac")
    assert "À Lausanne" not in near.text
    assert "Au bout du lac" not in (await client.get("/offers?near=46.2102,6.1432&km=1",
                                                     headers=HTML)).text  # fmt: skip
    junk = await client.get("/offers?near=nord&km=999", headers=HTML)
    assert junk.status_code == 200 and "À Lausanne" in junk.text


async def test_the_two_sides_of_an_answer_write_to_each_other_and_nobody_else_sees_it(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path = await publish(client, organiser.csrf, kind="don", title="Table de jardin")
    client.cookies.clear()
    nadia = await log_in_as(client, settings, database, "nadia")
    await client.post(f"{path}/respond", headers=HTML,
                      data={"csrf_token": nadia.csrf, "message": "Elle est encore là ?"})  # fmt: skip
    async with database.session() as session:
        response_id = await session.scalar(select(OfferResponse.id))
    sent = await client.post(f"{path}/responses/{response_id}/messages", headers=HTML,
                             follow_redirects=True, data={"csrf_token": nadia.csrf,
                                                          "message": "Je peux venir à 18h"})  # fmt: skip
    assert "Votre message est envoyé" in sent.text and "Je peux venir à 18h" in sent.text

    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session_cookie(settings, organiser.session))
    await client.post(f"{path}/responses/{response_id}/messages", headers=HTML, data={
        "csrf_token": organiser.csrf, "message": "Parfait, à ce soir"})  # fmt: skip
    page = await client.get(path, headers=HTML)
    assert "Je peux venir à 18h" in page.text and "Parfait, à ce soir" in page.text

    client.cookies.clear()
    karim = await log_in_as(client, settings, database, "karim")
    other = await client.get(path, headers=HTML)
    assert "Je peux venir à 18h" not in other.text and "Parfait" not in other.text
    refused = await client.post(f"{path}/responses/{response_id}/messages", headers=HTML,
                                data={"csrf_token": karim.csrf, "message": "Et moi ?"})  # fmt: skip
    assert refused.status_code == 403
    assert "Et moi" not in (await client.get("/local", headers=HTML)).text
