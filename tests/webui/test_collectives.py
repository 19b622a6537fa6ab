"""The collectives pages: creating one, the list, joining and leaving, managing, permissions."""

from __future__ import annotations

import re

import httpx2
import pytest
from sqlalchemy import select

from actors.services import create_group
from config.settings import Settings
from storage.database import Database
from storage.models import Actor, Membership
from storage.models.actors import MEMBERSHIP_ACCEPTED, MEMBERSHIP_PENDING
from tests.actors.actor_support import use_session_keys
from tests.webui.web_support import Resident, log_in_as, session_cookie
from webui.session import SESSION_COOKIE

HTML = {"Accept": "text/html"}
SPACE_FORM = {
    "name": "repair-cafe",
    "display_name": "Repair Café des Pâquis",
    "kind": "space",
    "description": "On répare **ensemble**.",
    "place_name": "Maison de quartier",
    "street_address": "Rue de Berne 10",
    "postal_code": "1201",
    "locality": "Genève",
    "latitude": "46,2102",
    "longitude": "6.1432",
    "opening_hours": "Samedi 10:00–16:00\n\nMercredi 18:00–20:00",
    "join_mode": "open",
    "members_only_posting": "1",
}


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


async def log_in(
    client: httpx2.AsyncClient, settings: Settings, database: Database, username: str
) -> Resident:
    """A new resident takes over the browser (the server's own session cookie is dropped)."""
    client.cookies.clear()
    return await log_in_as(client, settings, database, username)


def switch_to(client: httpx2.AsyncClient, settings: Settings, who: Resident) -> None:
    client.cookies.clear()
    client.cookies.set(
        SESSION_COOKIE,
        session_cookie(settings, who.session),
    )


async def collective(
    database: Database, settings: Settings, owner: str, join_mode: str = "open", **extra: str
) -> Actor:
    async with database.transaction() as session:
        group = await create_group(
            session, settings, extra.pop("name", "atelier"), "project", owner,
            display_name="Atelier vélo",
        )  # fmt: skip
        group.join_mode = join_mode
        return group


async def membership(database: Database, group: Actor, member: Actor) -> Membership | None:
    async with database.session() as session:
        return await session.scalar(
            select(Membership).where(
                Membership.group_id == group.id, Membership.member_id == member.id
            )
        )


async def test_resident_creates_a_space_with_hours_and_a_place(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a logged-in resident
    alice = await log_in(client, settings, database, "alice")
    form_page = await client.get("/collectives/new", headers=HTML)
    assert form_page.status_code == 200 and "Créer un collectif" in form_page.text
    assert 'value="Genève"' in form_page.text

    # When she creates a shared space with opening hours and a place
    response = await client.post(
        "/collectives/new", data={**SPACE_FORM, "csrf_token": alice.csrf}, headers=HTML
    )

    # Then she lands on its page, as its admin, with its place and hours
    assert response.status_code == 303
    assert response.headers["location"] == "http://paquis.test/@repair-cafe"
    async with database.session() as session:
        group = await session.scalar(select(Actor).where(Actor.username == "repair-cafe"))
    assert group is not None and group.is_group and group.group_kind == "space"
    assert group.latitude == pytest.approx(46.2102) and group.longitude == pytest.approx(6.1432)
    assert group.opening_hours == "Samedi 10:00–16:00\nMercredi 18:00–20:00"
    assert group.summary_source == "On répare **ensemble**."
    assert "<strong>ensemble</strong>" in group.summary
    assert group.members_only_posting
    admin = await membership(database, group, alice.actor)
    assert admin is not None and admin.role == "admin" and admin.state == MEMBERSHIP_ACCEPTED
    page = await client.get("/@repair-cafe", headers=HTML)
    assert "Rue de Berne 10" in page.text and "Samedi 10:00–16:00" in page.text
    assert "1 membre" in page.text and "Gérer le collectif" in page.text
    assert "Le collectif est créé" in page.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"latitude": "146.5"}, "latitude", "Indiquez une latitude entre -90 et 90"),
        ({"longitude": "est"}, "longitude", "Indiquez une longitude entre -180 et 180"),
        ({"display_name": "  "}, "display_name", "Donnez un nom au collectif."),
        ({"name": ""}, "name", "Choisissez un nom court"),
        ({"name": "Pas Valide!"}, "name", "Utilisez de 1 à 30 lettres"),
    ],
)
async def test_errors_are_shown_next_to_fields_and_keep_the_values(
    client: httpx2.AsyncClient,
    settings: Settings,
    database: Database,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    alice = await log_in(client, settings, database, "alice")
    # When the form has a mistake
    data = {**SPACE_FORM, **changes, "csrf_token": alice.csrf}
    response = await client.post("/collectives/new", data=data, headers=HTML)
    # Then the page comes back with the error in the summary and by the field, values kept
    assert response.status_code == 400
    assert 'class="form-errors"' in response.text
    assert f'id="error-{field}"' in response.text and message in response.text
    assert "Maison de quartier" in response.text and "Samedi 10:00–16:00" in response.text
    async with database.session() as session:
        assert await session.scalar(select(Actor).where(Actor.type == "Group")) is None


async def test_a_taken_name_is_refused(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    alice = await log_in(client, settings, database, "alice")
    await collective(database, settings, "alice", name="repair-cafe")
    response = await client.post(
        "/collectives/new", data={**SPACE_FORM, "csrf_token": alice.csrf}, headers=HTML
    )
    assert response.status_code == 400
    assert "Ce nom est déjà pris ici." in response.text
    assert 'value="Repair Café des Pâquis"' in response.text


async def test_list_filters_by_kind(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    await log_in(client, settings, database, "alice")
    async with database.transaction() as session:
        cafe = await create_group(
            session, settings, "repair-cafe", "space", "alice", display_name="Repair Café"
        )
        cafe.locality = "Genève"
        await create_group(
            session, settings, "assemblee", "assembly", "alice", display_name="Assemblée"
        )
    everything = await client.get("/collectives", headers=HTML)
    assert everything.status_code == 200
    assert "Repair Café" in everything.text and "Assemblée" in everything.text
    assert "@repair-cafe@paquis.test" in everything.text and "Où : Genève" in everything.text
    spaces = await client.get("/collectives?kind=space", headers=HTML)
    assert "@repair-cafe@" in spaces.text and "@assemblee@" not in spaces.text
    assert 'href="/collectives?kind=space" aria-current="page"' in spaces.text
    projects = await client.get("/collectives?kind=project", headers=HTML)
    assert "Pas encore de collectif de ce type." in projects.text


async def test_join_open_then_leave(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    await log_in(client, settings, database, "alice")
    group = await collective(database, settings, "alice")
    bob = await log_in(client, settings, database, "bob")
    page = await client.get("/@atelier", headers=HTML)
    assert "Rejoindre</button>" in page.text
    # When Bob joins an open collective
    response = await client.post("/@atelier/join", data={"csrf_token": bob.csrf})
    assert response.status_code == 303
    row = await membership(database, group, bob.actor)
    assert row is not None and row.state == MEMBERSHIP_ACCEPTED and row.role == "member"
    page = await client.get("/@atelier", headers=HTML)
    assert "Bienvenue" in page.text and "2 membres" in page.text and "Quitter" in page.text
    assert "Gérer le collectif" not in page.text
    # When he leaves, he is no longer a member
    response = await client.post("/@atelier/leave", data={"csrf_token": bob.csrf})
    assert response.status_code == 303
    assert await membership(database, group, bob.actor) is None


async def test_join_on_approval_then_a_facilitator_accepts(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    alice = await log_in(client, settings, database, "alice")
    group = await collective(database, settings, "alice", "approval")
    bob = await log_in(client, settings, database, "bob")
    # When Bob asks to join
    page = await client.get("/@atelier", headers=HTML)
    assert "Demander à rejoindre" in page.text
    await client.post("/@atelier/join", data={"csrf_token": bob.csrf})
    row = await membership(database, group, bob.actor)
    assert row is not None and row.state == MEMBERSHIP_PENDING
    assert "attend une réponse" in (await client.get("/@atelier", headers=HTML)).text
    # Then Alice sees the request on the manage page and accepts it
    switch_to(client, settings, alice)
    manage = await client.get("/@atelier/manage", headers=HTML)
    assert manage.status_code == 200 and "@bob@paquis.test" in manage.text
    response = await client.post(
        f"/@atelier/manage/requests/{bob.actor.id}",
        data={"csrf_token": alice.csrf, "decision": "accept"},
    )
    assert response.status_code == 303
    row = await membership(database, group, bob.actor)
    assert row is not None and row.state == MEMBERSHIP_ACCEPTED


async def test_join_by_invitation(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    alice = await log_in(client, settings, database, "alice")
    group = await collective(database, settings, "alice", "invitation")
    # Given an invitation link made by the admin, shown once
    response = await client.post("/@atelier/manage/invitations", data={"csrf_token": alice.csrf})
    assert response.status_code == 303
    manage = await client.get("/@atelier/manage", headers=HTML)
    found = re.search(r"/@atelier/join\?code=([\w-]+)", manage.text)
    assert found is not None
    code = found.group(1)
    assert code not in (await client.get("/@atelier/manage", headers=HTML)).text
    bob = await log_in(client, settings, database, "bob")
    # When Bob tries without a code, he is asked for one
    refused = await client.post("/@atelier/join", data={"csrf_token": bob.csrf}, headers=HTML)
    assert refused.status_code == 400 and "saisissez votre code" in refused.text
    assert await membership(database, group, bob.actor) is None
    # When he follows the link, the code is filled in, and joining works
    page = await client.get(f"/@atelier/join?code={code}", headers=HTML)
    assert f'value="{code}"' in page.text
    response = await client.post("/@atelier/join", data={"csrf_token": bob.csrf, "code": code})
    assert response.status_code == 303
    row = await membership(database, group, bob.actor)
    assert row is not None and row.state == MEMBERSHIP_ACCEPTED


async def test_the_last_admin_cannot_leave(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    alice = await log_in(client, settings, database, "alice")
    group = await collective(database, settings, "alice")
    response = await client.post("/@atelier/leave", data={"csrf_token": alice.csrf})
    assert response.status_code == 303
    assert await membership(database, group, alice.actor) is not None
    page = await client.get("/@atelier", headers=HTML)
    assert "Vous êtes le dernier admin" in page.text


async def test_a_member_forging_facilitator_forms_gets_403(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a collective with a pending request and a plain member
    alice = await log_in(client, settings, database, "alice")
    group = await collective(database, settings, "alice", "approval")
    carla = await log_in(client, settings, database, "carla")
    await client.post("/@atelier/join", data={"csrf_token": carla.csrf})
    bob = await log_in(client, settings, database, "bob")
    async with database.transaction() as session:
        session.add(Membership(group_id=group.id, member_id=bob.actor.id, role="member"))
    # When the member opens the manage page or forges its forms, every one is refused
    assert (await client.get("/@atelier/manage", headers=HTML)).status_code == 403
    forged = {
        f"/@atelier/manage/requests/{carla.actor.id}": {"decision": "accept"},
        f"/@atelier/manage/members/{bob.actor.id}/role": {"role": "admin"},
        f"/@atelier/manage/members/{alice.actor.id}/role": {"role": "member"},
        f"/@atelier/manage/members/{alice.actor.id}/remove": {},
        "/@atelier/manage/invitations": {},
        "/@atelier/manage/profile": {**SPACE_FORM},
    }
    for path, data in forged.items():
        response = await client.post(path, data={**data, "csrf_token": bob.csrf})
        assert response.status_code == 403, path
    # Then nothing changed
    assert (await membership(database, group, carla.actor)).state == MEMBERSHIP_PENDING  # type: ignore[union-attr]
    assert (await membership(database, group, bob.actor)).role == "member"  # type: ignore[union-attr]
    assert (await membership(database, group, alice.actor)).role == "admin"  # type: ignore[union-attr]


async def test_a_facilitator_answers_requests_but_cannot_change_roles(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    alice = await log_in(client, settings, database, "alice")
    group = await collective(database, settings, "alice")
    fanny = await log_in(client, settings, database, "fanny")
    async with database.transaction() as session:
        session.add(Membership(group_id=group.id, member_id=fanny.actor.id, role="facilitator"))
    manage = await client.get("/@atelier/manage", headers=HTML)
    assert manage.status_code == 200 and "Changer le rôle" not in manage.text
    response = await client.post(
        f"/@atelier/manage/members/{alice.actor.id}/role",
        data={"csrf_token": fanny.csrf, "role": "member"},
    )
    assert response.status_code == 403
    # But an admin can
    switch_to(client, settings, alice)
    response = await client.post(
        f"/@atelier/manage/members/{fanny.actor.id}/role",
        data={"csrf_token": alice.csrf, "role": "admin"},
    )
    assert response.status_code == 303
    assert (await membership(database, group, fanny.actor)).role == "admin"  # type: ignore[union-attr]


async def test_the_admin_edits_the_profile(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    alice = await log_in(client, settings, database, "alice")
    group = await collective(database, settings, "alice")
    data = {**SPACE_FORM, "display_name": "Atelier vélo du quartier", "join_mode": "approval"}
    bad = await client.post(
        "/@atelier/manage/profile", data={**data, "latitude": "91", "csrf_token": alice.csrf},
        headers=HTML,
    )  # fmt: skip
    assert bad.status_code == 400 and 'id="error-latitude"' in bad.text
    assert 'value="Atelier vélo du quartier"' in bad.text
    response = await client.post(
        "/@atelier/manage/profile", data={**data, "csrf_token": alice.csrf}
    )
    assert response.status_code == 303
    async with database.session() as session:
        row = await session.get(Actor, group.id)
    assert row is not None and row.name == "Atelier vélo du quartier"
    assert row.join_mode == "approval" and row.place_name == "Maison de quartier"


POST_ROUTES = [
    "/collectives/new",
    "/@atelier/join",
    "/@atelier/leave",
    "/@atelier/manage/profile",
    "/@atelier/manage/requests/{id}",
    "/@atelier/manage/members/{id}/role",
    "/@atelier/manage/members/{id}/remove",
    "/@atelier/manage/invitations",
]


async def test_every_post_route_refuses_a_missing_csrf_token(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    alice = await log_in(client, settings, database, "alice")
    await collective(database, settings, "alice")
    for path in POST_ROUTES:
        response = await client.post(
            path.format(id=alice.actor.id), data={**SPACE_FORM, "role": "member"}
        )
        assert response.status_code == 403, path
    for path in POST_ROUTES:
        response = await client.post(
            path.format(id=alice.actor.id), data={"csrf_token": "wrong", "role": "member"}
        )
        assert response.status_code == 403, path
    assert (await membership(database, await _atelier(database), alice.actor)) is not None


async def _atelier(database: Database) -> Actor:
    async with database.session() as session:
        group = await session.scalar(select(Actor).where(Actor.username == "atelier"))
    assert group is not None
    return group


async def test_anonymous_visitors_are_sent_to_log_in(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    await log_in(client, settings, database, "alice")
    await collective(database, settings, "alice")
    client.cookies.clear()
    page = await client.get("/@atelier", headers=HTML)
    assert "Se connecter pour rejoindre" in page.text
    response = await client.get("/collectives/new", headers=HTML)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
