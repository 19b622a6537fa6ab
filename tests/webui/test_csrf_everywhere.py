"""Every form POST of the app refuses a missing or wrong CSRF token, and cross-site posts.

The routes are discovered from ``create_app(settings).routes`` (Mounts included), so a route added
tomorrow is covered without touching this file — or fails here, naming the path parameter it
needs a value for. Only the federation endpoints, authenticated otherwise (HTTP signatures on the
inboxes, a bearer token on the C2S outbox), are exempt, and the exempt list must be exactly them.
"""

from __future__ import annotations

import inspect
import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
import pytest_asyncio
from jinja2 import nodes
from sqlalchemy import select
from starlette.routing import BaseRoute, Mount, Route

from actors.accounts import issue_password_reset
from actors.invitations import create_invitation
from actors.services import create_group
from commons.posts.services import publish_note
from config.settings import Settings
from config.uris import Uris
from quartiers.app import create_app
from storage.database import Database
from storage.models import (
    Account,
    Actor,
    Base,
    BlocklistProposal,
    BlocklistSubscription,
    Event,
    Follow,
    Membership,
    Offer,
    OfferResponse,
    Petition,
    Poll,
    Proposal,
    Report,
    Rsvp,
    Share,
    utcnow,
)
from storage.models.actors import MEMBERSHIP_PENDING
from storage.models.follows import PENDING
from tests.support import POSTGRES_URL_ENV, fresh_database, make_settings, postgres_url
from tests.webui.web_support import log_in_as, resident
from webui.templating import build_templates

ON_THE_WORLD_LOOP = pytest.mark.asyncio(loop_scope="module")
HTML = {"Accept": "text/html"}
EVIL_ORIGIN = "http://evil.example"
FEDERATION_POSTS = frozenset(
    {
        "/inbox",  # shared inbox: HTTP signatures
        "/actor/inbox",  # the instance actor's inbox: HTTP signatures
        "/@{username}/inbox",  # HTTP signatures
        "/@{username}/outbox",  # ActivityPub C2S: bearer token
    }
)


def walk_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from walk_routes(route.routes, prefix + route.path)
        else:
            yield prefix + getattr(route, "path", ""), route


def accepts_post(route: BaseRoute) -> bool:
    if not isinstance(route, Route):
        return False
    if route.methods is not None:
        return "POST" in route.methods
    return inspect.isclass(route.endpoint) and hasattr(route.endpoint, "post")


def post_paths() -> list[str]:
    """Paths of the routes that accept POST; the app is built, never started or connected."""
    unopened = f"sqlite+aiosqlite:///{Path(tempfile.gettempdir()) / 'csrf-routes-never-opened.db'}"
    app = create_app(make_settings("paquis.test", database_url=unopened), run_workers=False)
    return sorted({path for path, route in walk_routes(app.routes) if accepts_post(route)})


ALL_POST_PATHS = post_paths()
FORM_POST_PATHS = [path for path in ALL_POST_PATHS if path not in FEDERATION_POSTS]


# Which row a path parameter names, when its name alone does not say it (``/admin/…/{id}``).
ROW_BY_PREFIX = {
    ("/admin/signups/", "id"): "pending_account_id",
    ("/admin/invitations/", "id"): "invitation_id",
    ("/admin/accounts/", "id"): "account_id",
    ("/admin/reports/", "id"): "report_id",
    ("/admin/blocklists/proposals/", "id"): "blocklist_proposal_id",
    ("/admin/blocklists/", "id"): "blocklist_id",
}


@dataclass
class World:
    """A logged-in admin, and rows for every path parameter, so that each handler gets as far as
    its CSRF check; shared by the tests of one database kind, which all check it is unchanged."""

    client: httpx2.AsyncClient
    database: Database
    csrf: str
    values: dict[str, str]

    def path(self, template: str) -> str:
        route = Route(template, endpoint=lambda request: None)
        filled: dict[str, str] = {}
        for name in route.param_convertors:
            key = next(
                (row for (prefix, param), row in ROW_BY_PREFIX.items()
                 if param == name and template.startswith(prefix)),
                name,
            )  # fmt: skip
            assert key in self.values, (
                f"no value for the path parameter {name!r} of POST {template}: "
                "add a row for it in build_world()"
            )
            filled[name] = self.values[key]
        return route.path_format.format(**filled)


async def build_rows(database: Database, settings: Settings, admin_actor_id: int) -> dict[str, str]:
    """A collective run by the admin with a pending request to join it, a post, a pending
    follow request, a pending sign-up, an invitation, a password-reset code."""
    account, neighbour = await resident(database, settings, "bruno")
    pending_account, _ = await resident(database, settings, "chloe")
    async with database.transaction() as session:
        admin = await session.get(Actor, admin_actor_id)
        assert admin is not None
        group = await create_group(session, settings, "atelier", "space", admin.username)
        session.add(Membership(group_id=group.id, member_id=neighbour.id, state=MEMBERSHIP_PENDING))
        post = await publish_note(session, Uris(settings.base_url), admin, "Bonjour le quartier")
        invitation = await create_invitation(session, created_by_id=None)
        reset_code = await issue_password_reset(session, account.id)
        request = Follow(
            uri=f"{neighbour.uri}#follows/1", follower_id=neighbour.id, followed_id=admin.id,
            state=PENDING,
        )  # fmt: skip
        session.add(request)
        event_uuid = str(uuid.uuid4())
        event = Event(
            uri=f"{settings.base_url}/events/{event_uuid}", actor_id=group.id,
            created_by_id=admin.id, is_local=True, title="Atelier vélo",
            start_time=utcnow() + timedelta(days=3),
        )  # fmt: skip
        stranger = Actor(
            uri="https://jonction.test/@repair", type="Group", username="repair",
            domain="jonction.test", inbox_uri="https://jonction.test/@repair/inbox",
            public_key_id="https://jonction.test/@repair#main-key", public_key_pem="",
        )  # fmt: skip
        session.add_all([event, stranger])
        await session.flush()
        remote_event = Event(
            uri="https://jonction.test/events/1", actor_id=stranger.id, is_local=False,
            title="Repair café", start_time=utcnow() + timedelta(days=5),
        )  # fmt: skip
        rsvp = Rsvp(event_id=event.id, actor_id=neighbour.id)
        session.add_all([remote_event, rsvp])
        waiting = await session.get(Account, pending_account.id)
        assert waiting is not None
        waiting.is_approved = False
        report = Report(
            uri=f"{settings.base_url}/activities/{uuid.uuid4()}", reporter_id=neighbour.id,
            account_id=admin.id, object_uris=json.dumps([post.uri]), comment="Spam",
        )  # fmt: skip
        offer_uuid = str(uuid.uuid4())
        offer = Offer(
            uri=f"{settings.base_url}/offers/{offer_uuid}", actor_id=group.id, is_local=True,
            created_by_id=admin.id, kind="pret", title="Perceuse",
        )  # fmt: skip
        session.add_all([report, offer])
        await session.flush()
        answer = OfferResponse(
            uri=f"https://jonction.test/offers/{uuid.uuid4()}", offer_id=offer.id,
            responder_id=neighbour.id, agreement_uri="https://jonction.test/agreements/1",
        )  # fmt: skip
        session.add(answer)
        petition_uuid = str(uuid.uuid4())
        petition = Petition(
            uri=f"{settings.base_url}/petitions/{petition_uuid}", actor_id=group.id,
            is_local=True, title="Un banc", deadline=utcnow() + timedelta(days=30), goal=10,
            status="collecting",
        )  # fmt: skip
        remote_petition = Petition(
            uri="https://jonction.test/petitions/1", actor_id=stranger.id, is_local=False,
            title="Des arbres", deadline=utcnow() + timedelta(days=30), goal=10,
            status="collecting",
        )  # fmt: skip
        poll_uuid = str(uuid.uuid4())
        polls = [
            Poll(uri=uri, actor_id=actor_id, is_local=local, question="Quel soir ?",
                 deadline=utcnow() + timedelta(days=3))
            for uri, actor_id, local in (
                (f"{settings.base_url}/polls/{poll_uuid}", group.id, True),
                ("https://jonction.test/polls/1", stranger.id, False),
            )
        ]  # fmt: skip
        proposal_uuid = str(uuid.uuid4())
        proposal = Proposal(uri=f"{settings.base_url}/proposals/{proposal_uuid}",
                            actor_id=group.id, title="Une outilthèque")  # fmt: skip
        blocklist = BlocklistSubscription(url="https://jonction.test/moderation/blocklist.csv")
        session.add_all([petition, remote_petition, *polls, proposal, blocklist])
        await session.flush()
        blocked = BlocklistProposal(subscription_id=blocklist.id, domain="spam.example",
                                    severity="suspend", state="proposed")  # fmt: skip
        session.add(blocked)
        share = Share(group_id=group.id, object_uri=remote_event.uri, object_kind="event")
        session.add(share)
        await session.flush()
        follow_id = request.id
    return {
        "username": group.username,
        "member_id": str(neighbour.id),
        "key": post.uri.rsplit("/", 1)[-1],
        "post_id": str(post.id),
        "follow_id": str(follow_id),
        "code": reset_code,
        "invitation_id": str(invitation.invitation.id),
        "account_id": str(account.id),
        "pending_account_id": str(pending_account.id),
        "event_uuid": event_uuid,
        "event_id": str(remote_event.id),
        "rsvp_id": str(rsvp.id),
        "report_id": str(report.id),
        "offer_uuid": offer_uuid,
        "offer_id": str(offer.id),
        "response_id": str(answer.id),
        "petition_uuid": petition_uuid,
        "petition_id": str(remote_petition.id),
        "poll_uuid": poll_uuid,
        "proposal_uuid": proposal_uuid,
        "poll_id": str(polls[1].id),
        "day": (utcnow() + timedelta(days=3)).date().isoformat(),
        "tag": "quartier",
        "language": "en",
        "action": "pause",
        "blocklist_id": str(blocklist.id),
        "blocklist_proposal_id": str(blocked.id),
        "share_id": str(share.id),
        "actor_id": str(stranger.id),
    }


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgresql"])
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    kind: str = request.param
    if kind == "postgresql" and postgres_url() is None:
        pytest.skip(f"PostgreSQL case: set {POSTGRES_URL_ENV} to run it")
    settings = make_settings("paquis.test")
    async with fresh_database(kind, tmp_path_factory.mktemp("csrf")) as database:
        app = create_app(settings, database=database, run_workers=False)
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            admin = await log_in_as(client, settings, database, "ada", admin=True)
            values = await build_rows(database, settings, admin.actor.id)
            yield World(client, database, admin.csrf, values)


async def snapshot(database: Database) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as sorted text: what must not change."""
    found: dict[str, list[tuple[str, ...]]] = {}
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            found[table.name] = sorted(tuple(str(value) for value in row) for row in rows)
    return found


def assert_same_rows(
    before: dict[str, list[tuple[str, ...]]], after: dict[str, list[tuple[str, ...]]], what: str
) -> None:
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"{what} changed the tables {changed}"


def test_the_only_posts_without_a_form_token_are_the_federation_endpoints() -> None:
    # Given every route of the app that accepts POST
    exempt = [path for path in ALL_POST_PATHS if path in FEDERATION_POSTS]

    # Then the exemptions are exactly the inboxes and the C2S outbox, which all exist
    assert sorted(exempt) == sorted(FEDERATION_POSTS)
    assert FORM_POST_PATHS, "no form POST discovered"


@pytest.mark.parametrize("template", FORM_POST_PATHS)
@ON_THE_WORLD_LOOP
async def test_a_form_post_without_its_token_is_refused(world: World, template: str) -> None:
    # Given a logged-in admin and rows for every path parameter
    path = world.path(template)
    before = await snapshot(world.database)

    # When a form arrives without a CSRF token, then with a wrong one
    missing = await world.client.post(path, data={"probe": "1"}, headers=HTML)
    wrong = await world.client.post(path, data={"csrf_token": "not-the-token"}, headers=HTML)

    # Then both are refused and nothing changed
    assert (missing.status_code, wrong.status_code) == (403, 403), (
        f"POST {path}: {missing.status_code} without a token, {wrong.status_code} with a wrong one"
    )
    assert_same_rows(before, await snapshot(world.database), f"POST {path} without a valid token")


@pytest.mark.parametrize("template", FORM_POST_PATHS)
@ON_THE_WORLD_LOOP
async def test_a_cross_site_form_post_is_refused_even_with_the_token(
    world: World, template: str
) -> None:
    # Given a logged-in admin whose browser is made to post a form from another site
    csrf, client = world.csrf, world.client
    path = world.path(template)
    before = await snapshot(world.database)

    # When the form arrives with the right token but from evil.example
    from_origin = await client.post(
        path, data={"csrf_token": csrf}, headers={**HTML, "Origin": EVIL_ORIGIN}
    )
    from_fetch = await client.post(
        path, data={"csrf_token": csrf}, headers={**HTML, "Sec-Fetch-Site": "cross-site"}
    )

    # Then both are refused and nothing changed
    assert (from_origin.status_code, from_fetch.status_code) == (403, 403)
    assert_same_rows(before, await snapshot(world.database), f"cross-site POST {path}")


@pytest.mark.parametrize("template", sorted(FEDERATION_POSTS))
@ON_THE_WORLD_LOOP
async def test_a_browser_session_does_not_authenticate_the_federation_endpoints(
    world: World, template: str
) -> None:
    # Given a logged-in admin (their session cookie goes along)
    csrf, client = world.csrf, world.client
    path = world.path(template)
    before = await snapshot(world.database)

    # When a page posts a form, or an unsigned activity, to an inbox or the outbox
    form = await client.post(path, data={"csrf_token": csrf}, headers=HTML)
    activity: dict[str, Any] = {"type": "Note", "content": "sans signature"}
    unsigned = await client.post(
        path, json=activity, headers={"Content-Type": "application/activity+json"}
    )

    # Then neither is accepted, each refused as the client's fault (a 5xx is a crash, not a
    # refusal), and nothing changed
    assert 400 <= form.status_code < 500 and 400 <= unsigned.status_code < 500, (
        form.status_code,
        unsigned.status_code,
    )
    assert_same_rows(before, await snapshot(world.database), f"POST {path} by a browser session")


def test_every_template_gives_the_form_macros_the_request_token() -> None:
    """``csrf()`` reads the session's token from the page's context, which a macro imported
    without context does not see: its form would carry an empty token and be refused."""
    environment = build_templates("Europe/Zurich").env
    without_context = []
    for name in environment.list_templates(extensions=["html"]):
        source = environment.loader.get_source(environment, name)[0]  # type: ignore[union-attr]
        for node in environment.parse(source).find_all((nodes.FromImport, nodes.Import)):
            if node.template.as_const() == "macros/forms.html" and not node.with_context:
                without_context.append(name)
    assert without_context == []
