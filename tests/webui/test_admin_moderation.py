"""Administration of limits and blocklists: only admins act, every form needs its token, the
pages say what each block is and where it came from, and our list is published only if asked."""

from __future__ import annotations

from dataclasses import replace

import httpx2
import pytest
from sqlalchemy import select

from config.settings import Settings
from quartiers.app import create_app
from storage.database import Database
from storage.models import BlocklistProposal, BlocklistSubscription, DomainBlock
from tests.actors.actor_support import use_session_keys
from tests.webui.test_admin import HTML, instance_of_client, make_moderator
from tests.webui.web_support import log_in_as

LIST_URL = "https://servette.example/moderation/blocklist.csv"
ACTIONS = [
    "/admin/domains",
    "/admin/domains/severity",
    "/admin/blocklists",
    "/admin/blocklists/{list}/read",
    "/admin/blocklists/{list}/remove",
    "/admin/blocklists/proposals/{proposal}/apply",
    "/admin/blocklists/proposals/{proposal}/dismiss",
]


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


async def given_a_block_and_a_proposal(database: Database) -> dict[str, int]:
    async with database.transaction() as session:
        session.add(DomainBlock(domain="spam.test", reason="", severity="suspend"))
        subscription = BlocklistSubscription(url=LIST_URL)
        session.add(subscription)
        await session.flush()
        proposal = BlocklistProposal(
            subscription_id=subscription.id, domain="loud.test", severity="limit", reason="Bruit"
        )
        session.add(proposal)
        await session.flush()
        return {"list": subscription.id, "proposal": proposal.id}


async def state(database: Database) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    async with database.session() as session:
        blocks = (await session.execute(select(DomainBlock.domain, DomainBlock.severity))).all()
        lists = (await session.scalars(select(BlocklistSubscription.url))).all()
        proposals = (await session.scalars(select(BlocklistProposal.state))).all()
    return [tuple(row) for row in blocks], list(lists), list(proposals)  # type: ignore[misc]


@pytest.mark.parametrize("role", ["resident", "moderator"])
@pytest.mark.parametrize("action", ACTIONS)
async def test_only_admins_change_limits_and_blocklists(
    client: httpx2.AsyncClient, settings: Settings, database: Database, role: str, action: str
) -> None:
    # Given a resident (or a moderator) with a valid token, a block, a list and a proposal
    me = await log_in_as(client, settings, database, "amelie")
    if role == "moderator":
        await make_moderator(database, me.account.id)
    ids = await given_a_block_and_a_proposal(database)
    before = await state(database)

    # When they post an admin form as an admin would
    data = {"csrf_token": me.csrf, "domain": "spam.test", "severity": "limit", "url": LIST_URL}
    response = await client.post(action.format(**ids), data=data, headers=HTML)

    # Then it is refused, and nothing changed
    assert response.status_code == 403
    assert await state(database) == before
    # (a moderator reads the blocks, not the blocklists)
    expected = 200 if role == "moderator" else 403
    assert (await client.get("/admin/domains", headers=HTML)).status_code == expected
    assert (await client.get("/admin/blocklists", headers=HTML)).status_code == 403


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("token", ["missing", "wrong"])
async def test_every_form_needs_its_token(
    client: httpx2.AsyncClient, settings: Settings, database: Database, action: str, token: str
) -> None:
    await log_in_as(client, settings, database, "marguerite", admin=True)
    ids = await given_a_block_and_a_proposal(database)
    before = await state(database)
    data = {"domain": "spam.test", "severity": "limit", "url": LIST_URL}
    data |= {"csrf_token": "forged"} if token == "wrong" else {}
    response = await client.post(action.format(**ids), data=data, headers=HTML)
    assert response.status_code == 403
    assert await state(database) == before


async def test_an_admin_limits_changes_and_lifts_and_sees_where_each_block_came_from(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    admin = await log_in_as(client, settings, database, "marguerite", admin=True)
    blocks = instance_of_client(client).blocks
    ids = await given_a_block_and_a_proposal(database)

    # When the admin limits a subdomain's parent, typed here
    limited = await client.post(
        "/admin/domains",
        data={"csrf_token": admin.csrf, "domain": "Bruyant.Test", "severity": "limit"},
    )
    assert limited.status_code == 303

    # Then the limit is no block for the inbox, and the page says what it is and who typed it
    assert not await blocks.is_blocked("social.bruyant.test")
    page = await client.get("/admin/domains", headers={**HTML, "Accept-Language": "fr"})
    assert "bruyant.test" in page.text and "limité" in page.text
    assert "Saisi ici par un admin" in page.text

    # When the severity changes to a suspension, the inbox refuses it at once
    changed = await client.post(
        "/admin/domains/severity",
        data={"csrf_token": admin.csrf, "domain": "bruyant.test", "severity": "suspend"},
    )
    assert changed.status_code == 303
    assert await blocks.is_blocked("social.bruyant.test")

    # When the admin applies the waiting proposal, the block says which list it came from
    applied = await client.post(
        f"/admin/blocklists/proposals/{ids['proposal']}/apply", data={"csrf_token": admin.csrf}
    )
    assert applied.status_code == 303
    page = await client.get("/admin/domains", headers={**HTML, "Accept-Language": "fr"})
    assert f"De la liste de blocage {LIST_URL}" in page.text
    async with database.session() as session:
        block = await session.get(DomainBlock, "loud.test")
        assert block is not None and (block.severity, block.reason) == ("limit", "Bruit")

    # When a proposal is gone or an unknown severity is asked, the answer is a 4xx, never a 500
    again = await client.post(
        f"/admin/blocklists/proposals/{ids['proposal']}/dismiss", data={"csrf_token": admin.csrf}
    )
    assert again.status_code == 404
    unknown = await client.post(
        "/admin/domains/severity",
        data={"csrf_token": admin.csrf, "domain": "bruyant.test", "severity": "silence"},
    )
    assert unknown.status_code == 400
    absent = await client.post(
        "/admin/domains/severity",
        data={"csrf_token": admin.csrf, "domain": "nowhere.test", "severity": "limit"},
    )
    assert absent.status_code == 404
    wrong = await client.post(
        "/admin/domains",
        data={"csrf_token": admin.csrf, "domain": "x.test", "severity": "banish"},
        headers=HTML,
    )
    assert wrong.status_code == 400 and 'id="error-severity"' in wrong.text


async def test_our_blocklist_is_published_only_when_the_admin_chose_to(
    settings: Settings, database: Database
) -> None:
    async with database.transaction() as session:
        session.add(DomainBlock(domain="spam.test", reason="Pourriel", severity="suspend"))
        session.add(DomainBlock(domain="loud.test", reason="", severity="limit"))
    for publish, expected in ((False, 404), (True, 200)):
        federation = replace(settings.federation, publish_blocklist=publish)
        app = create_app(
            replace(settings, federation=federation), database=database, run_workers=False
        )
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as web:
            response = await web.get("/moderation/blocklist.csv")
        assert response.status_code == expected
    assert response.text.splitlines() == [
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
        "loud.test,silence,false,false,,false",
        "spam.test,suspend,false,false,Pourriel,false",
    ]
