"""Sharing into a collective from an item's page: who may, what waits, what a refusal does."""

from __future__ import annotations

import html
import json
from datetime import timedelta

import httpx2
import pytest
from sqlalchemy import select

from actors import groups
from actors.services import create_group
from commons.events import services as events
from config.settings import Settings
from config.uris import Uris
from storage.database import Database
from storage.models import Activity, Actor, Event, Notification, Share, utcnow
from storage.models.shares import SHARE_PENDING, SHARE_REFUSED, SHARE_SHARED
from tests.actors.actor_support import use_session_keys
from tests.webui.web_support import Resident, log_in_as, session_cookie
from webui.session import SESSION_COOKIE

HTML = {"Accept": "text/html", "Accept-Language": "fr"}


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


def switch_to(client: httpx2.AsyncClient, settings: Settings, who: Resident) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session_cookie(settings, who.session))


async def neighbour_event(database: Database) -> Event:
    """An event of a Jonction collective, kept here."""
    async with database.transaction() as session:
        repair = Actor(
            uri="https://jonction.test/@repair", type="Group", username="repair",
            domain="jonction.test", inbox_uri="https://jonction.test/@repair/inbox",
            public_key_id="https://jonction.test/@repair#main-key", public_key_pem="",
        )  # fmt: skip
        session.add(repair)
        await session.flush()
        event = Event(
            uri="https://jonction.test/events/1", actor_id=repair.id, is_local=False,
            title="Repair café de la Jonction", start_time=utcnow() + timedelta(days=5),
        )  # fmt: skip
        session.add(event)
    return event


async def forum_with(
    database: Database, settings: Settings, admin: Resident, member: Resident
) -> Actor:
    """The forum, run by ``admin``, with ``member`` as a plain member."""
    async with database.transaction() as session:
        forum = await create_group(session, settings, "forum", "assembly", admin.account.username,
                                   display_name="Forum de la Servette")  # fmt: skip
        await groups.join(session, Uris(settings.base_url), forum, member.actor)
    return forum


async def shares_of(database: Database) -> list[Share]:
    async with database.session() as session:
        return list(await session.scalars(select(Share).order_by(Share.id)))


async def announces_of(database: Database, actor: Actor) -> list[dict[str, object]]:
    async with database.session() as session:
        payloads = await session.scalars(
            select(Activity.payload).where(Activity.actor_id == actor.id)
        )
        return [json.loads(p) for p in payloads if json.loads(p)["type"] == "Announce"]


async def kinds_told(database: Database, who: Resident) -> list[str]:
    async with database.session() as session:
        return list(
            await session.scalars(
                select(Notification.kind).where(Notification.recipient_id == who.actor.id)
            )
        )


def share_form(who: Resident, event: Event, collective: str = "forum") -> dict[str, str]:
    return {"csrf_token": who.csrf, "kind": "event", "item_id": str(event.id),
            "collective": collective}  # fmt: skip


async def test_a_non_member_cannot_share_and_is_told_why_in_french(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given the forum and a resident who is no member of it
    leo = await log_in_as(client, settings, database, "leo")
    nadia = await log_in_as(client, settings, database, "nadia")
    await forum_with(database, settings, leo, nadia)
    event = await neighbour_event(database)
    karim = await log_in_as(client, settings, database, "karim")

    # When Karim's page of the event is read, it offers him no collective to share into
    page = await client.get(f"/events/remote/{event.id}", headers=HTML)
    assert page.status_code == 200
    assert "Partager dans un collectif" not in page.text

    # When he forges the form anyway
    response = await client.post("/shares", data=share_form(karim, event), headers=HTML)

    # Then it is refused with a reason, and nothing is shared
    assert response.status_code == 403
    assert "Seuls les membres du collectif peuvent y partager." in html.unescape(response.text)
    assert await shares_of(database) == []


async def test_a_members_share_waits_and_a_refusal_tells_them_and_sends_nothing(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given Nadia, a member of the forum Léo runs, on the page of a neighbour's event
    leo = await log_in_as(client, settings, database, "leo")
    nadia = await log_in_as(client, settings, database, "nadia")
    forum = await forum_with(database, settings, leo, nadia)
    event = await neighbour_event(database)
    page = await client.get(f"/events/remote/{event.id}", headers=HTML)
    assert "Partager dans un collectif" in page.text
    assert "un animateur ou une animatrice l'approuve" in html.unescape(page.text)

    # When she shares it into the forum
    response = await client.post("/shares", data=share_form(nadia, event), headers=HTML)

    # Then it waits, Léo is told, and the forum announced nothing
    assert response.status_code == 303
    [share] = await shares_of(database)
    assert share.state == SHARE_PENDING and share.sharer_id == nadia.actor.id
    assert await kinds_told(database, leo) == ["share_waiting"]
    assert await announces_of(database, forum) == []

    # When Nadia, a plain member, tries to approve it herself, she may not
    response = await client.post(f"/@forum/manage/shares/{share.id}/approve",
                                 data={"csrf_token": nadia.csrf}, headers=HTML)  # fmt: skip
    assert response.status_code == 403

    # When Léo refuses it from the forum's queue
    switch_to(client, settings, leo)
    told = html.unescape((await client.get("/notifications", headers=HTML)).text)
    assert "attend une approbation dans Forum de la Servette" in told
    queue = await client.get("/@forum/manage", headers=HTML)
    assert "Repair café de la Jonction" in queue.text
    response = await client.post(f"/@forum/manage/shares/{share.id}/refuse",
                                 data={"csrf_token": leo.csrf}, headers=HTML)  # fmt: skip

    # Then nothing goes out and Nadia is told
    assert response.status_code == 303
    [share] = await shares_of(database)
    assert share.state == SHARE_REFUSED
    assert await announces_of(database, forum) == []
    assert await kinds_told(database, nadia) == ["share_refused"]
    # and a second answer reads as already given
    response = await client.post(f"/@forum/manage/shares/{share.id}/approve",
                                 data={"csrf_token": leo.csrf}, headers=HTML)  # fmt: skip
    assert response.status_code == 409


async def test_a_facilitator_shares_at_once_and_the_collective_page_says_via(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given Léo, who runs the forum (facilitators share at once by default)
    leo = await log_in_as(client, settings, database, "leo")
    nadia = await log_in_as(client, settings, database, "nadia")
    forum = await forum_with(database, settings, leo, nadia)
    event = await neighbour_event(database)
    switch_to(client, settings, leo)

    # When he shares the neighbour's event
    response = await client.post("/shares", data=share_form(leo, event), headers=HTML)

    # Then the forum announces the event's own id (the object is not copied)
    assert response.status_code == 303
    [share] = await shares_of(database)
    assert share.state == SHARE_SHARED
    [announce] = await announces_of(database, forum)
    assert announce["object"] == event.uri and announce["actor"] == forum.uri
    # and the forum's page lists it with its origin, the event's page says "via"
    page = html.unescape((await client.get("/@forum", headers=HTML)).text)
    assert "Repair café de la Jonction" in page and "@repair@jonction.test" in page
    page = html.unescape((await client.get(f"/events/remote/{event.id}", headers=HTML)).text)
    assert "Partagé via" in page and "Forum de la Servette" in page


async def test_a_collective_follows_one_of_this_quartier_and_gets_its_news_in_its_queue(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given the forum Léo runs, and the repair café Marc runs, in the same quartier
    marc = await log_in_as(client, settings, database, "marc")
    async with database.transaction() as session:
        repair = await create_group(session, settings, "repair", "space", "marc")
    leo = await log_in_as(client, settings, database, "leo")
    nadia = await log_in_as(client, settings, database, "nadia")
    forum = await forum_with(database, settings, leo, nadia)
    switch_to(client, settings, leo)

    # When Léo makes the forum follow the repair café by its name
    response = await client.post("/@forum/manage/following",
                                 data={"csrf_token": leo.csrf, "handle": "repair"})  # fmt: skip
    assert response.status_code == 303
    page = html.unescape((await client.get("/@forum/manage", headers=HTML)).text)
    assert "repair@" in page

    # and the repair café publishes a post and an event
    async with database.transaction() as session:
        author = await session.get(Actor, marc.actor.id)
        organiser = await session.get(Actor, repair.id)
        assert author is not None and organiser is not None
        fields = events.EventFields(
            title="Réparer ensemble", start=utcnow() + timedelta(days=3),
            place_name="Arcade du Môle",
        )  # fmt: skip
        event = await events.create_event(session, Uris(settings.base_url), author, organiser,
                                           fields)  # fmt: skip

    # Then the event waits in the forum's queue, brought by the repair café, and Léo is told
    [share] = await shares_of(database)
    assert (share.object_uri, share.state, share.via_id) == (event.uri, SHARE_PENDING, repair.id)
    assert await kinds_told(database, leo) == ["share_waiting"]
    assert await announces_of(database, forum) == []

    # When the forum chooses to share what it follows without approval
    response = await client.post("/@forum/manage/sharing", data={"csrf_token": leo.csrf,
        "share_approval": "members", "shares_followed_directly": "1"})  # fmt: skip
    assert response.status_code == 303
    async with database.transaction() as session:
        author = await session.get(Actor, marc.actor.id)
        organiser = await session.get(Actor, repair.id)
        assert author is not None and organiser is not None
        second = await events.create_event(session, Uris(settings.base_url), author, organiser,
            events.EventFields(title="Réparer encore", start=utcnow() + timedelta(days=10),
                               place_name="Arcade du Môle"))  # fmt: skip

    # Then the next one is shared at once
    assert [(s.object_uri, s.state) for s in await shares_of(database)] == [
        (event.uri, SHARE_PENDING), (second.uri, SHARE_SHARED)]  # fmt: skip
    assert [a["object"] for a in await announces_of(database, forum)] == [second.uri]
    # and the forum's agenda and its feed list the shared event, not the one still waiting
    agenda = html.unescape((await client.get("/agenda/collective/forum", headers=HTML)).text)
    assert "Réparer encore" in agenda and "Réparer ensemble" not in agenda
    feed = (await client.get("/agenda/collective/forum.atom")).text
    assert "Réparer encore" in feed and "Réparer ensemble" not in feed


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "event", "item_id": "99999999999999999999", "collective": "forum"},
        {"kind": "nothing", "item_id": "1", "collective": "forum"},
        {"kind": "event", "item_id": "abc", "collective": "forum"},
        {"kind": "event", "item_id": "1"},
    ],
)
async def test_a_malformed_share_form_is_a_400_not_a_500(
    client: httpx2.AsyncClient, settings: Settings, database: Database, fields: dict[str, str]
) -> None:
    leo = await log_in_as(client, settings, database, "leo")
    response = await client.post("/shares", data={"csrf_token": leo.csrf, **fields})
    assert response.status_code == 400


async def test_sharing_into_a_collective_of_another_server_or_an_unknown_item_is_a_404(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    leo = await log_in_as(client, settings, database, "leo")
    event = await neighbour_event(database)
    response = await client.post("/shares", data=share_form(leo, event, "repair@jonction.test"))
    assert response.status_code == 404
    response = await client.post("/shares", data={**share_form(leo, event), "item_id": "424242"})
    assert response.status_code == 404


async def test_an_unknown_share_is_a_404(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    leo = await log_in_as(client, settings, database, "leo")
    nadia = await log_in_as(client, settings, database, "nadia")
    await forum_with(database, settings, leo, nadia)
    switch_to(client, settings, leo)
    for share_id in ("424242", "99999999999"):
        response = await client.post(f"/@forum/manage/shares/{share_id}/approve",
                                     data={"csrf_token": leo.csrf})  # fmt: skip
        assert response.status_code == 404
