"""Secure mode on one real instance: which reads it concerns, and each reason it refuses one.

A scripted remote server (mastodon.test) serves alice's actor and key; her GETs are really
signed and paquis.test really fetches her key and verifies them. ``/users/nobody`` names no one
here, so a GET that secure mode lets through is answered 404 by the page behind it, and one it
stops is answered 401 with its reason.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2

from actors.services import create_account
from federation.keys import generate_rsa_keypair
from federation.signatures import Scheme, sign_request
from storage.models import DomainBlock
from tests.inbox.fediverse import Fediverse, fediverse

AP = {"Accept": "application/activity+json"}
NOBODY = "http://paquis.test/users/nobody"


async def signed_get(
    world: Fediverse,
    url: str,
    *,
    actor: str = "http://mastodon.test/users/alice",
    signed_url: str | None = None,
    private_pem: str | None = None,
    scheme: Scheme = Scheme.CAVAGE,
    now: datetime | None = None,
    method: str = "GET",
) -> httpx2.Response:
    host = actor.split("/")[2]
    pem = private_pem or world[host].key_pair(actor.rsplit("/", 1)[-1]).private_pem
    added = sign_request(
        method, signed_url or url, AP, None, f"{actor}#main-key", pem, scheme, now=now
    )
    return await world.client.request(method, url, headers={**AP, **added})


def reason(response: httpx2.Response) -> str:
    assert response.status_code == 401, response.text
    return str(response.json()["error"])


async def test_an_unsigned_activitypub_read_is_refused_and_others_are_not(
    tmp_path: Path,
) -> None:
    async with fediverse(tmp_path, secure_mode=True) as world:
        # An unsigned GET or HEAD asking for ActivityPub is refused, saying why
        unsigned = await world.client.get(NOBODY, headers=AP)
        assert reason(unsigned) == "this server requires signed requests (secure mode)"
        assert (await world.client.head(NOBODY, headers=AP)).status_code == 401
        ld = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}
        assert (await world.client.get(NOBODY, headers=ld)).status_code == 401
        # While a page for people, and a POST, are left to what is behind
        page = await world.client.get(NOBODY, headers={"Accept": "text/html"})
        assert page.status_code == 404
        post = await world.client.post(NOBODY, headers=AP, content=b"{}")
        assert post.status_code != 401
        # And discovery, NodeInfo, static files and the instance actor stay open
        for path in (
            "/actor",
            "/.well-known/nodeinfo",
            "/.well-known/webfinger?resource=acct:nobody@paquis.test",
            "/nodeinfo/2.1",
            "/static/nothing-here.css",
        ):
            response = await world.client.get(f"http://paquis.test{path}", headers=AP)
            assert response.status_code != 401, path


async def test_a_signed_read_is_let_through_with_either_scheme(tmp_path: Path) -> None:
    async with fediverse(tmp_path, secure_mode=True) as world:
        world["mastodon.test"].add_actor("alice")
        # Given alice's GETs signed with each scheme, and a HEAD
        # Then each passes secure mode (the page behind answers 404)
        assert (await signed_get(world, NOBODY)).status_code == 404
        assert (await signed_get(world, NOBODY, scheme=Scheme.RFC9421)).status_code == 404
        assert (await signed_get(world, NOBODY, method="HEAD")).status_code == 404
        # And a GET with a query, signed with it
        with_query = f"{NOBODY}?page=1"
        assert (await signed_get(world, with_query)).status_code == 404
        rfc9421 = await signed_get(world, with_query, scheme=Scheme.RFC9421)
        assert rfc9421.status_code == 404


async def test_a_signature_for_another_address_is_refused(tmp_path: Path) -> None:
    async with fediverse(tmp_path, secure_mode=True) as world:
        world["mastodon.test"].add_actor("alice")
        # Given a GET of page 1 signed for page 2, or for the address without its query
        for signed_url in (f"{NOBODY}?page=2", NOBODY):
            response = await signed_get(world, f"{NOBODY}?page=1", signed_url=signed_url)
            # Then it is refused
            assert reason(response).startswith("signature does not verify: ")


async def test_a_signature_with_a_key_that_is_not_the_senders_is_refused(
    tmp_path: Path,
) -> None:
    async with fediverse(tmp_path, secure_mode=True) as world:
        world["mastodon.test"].add_actor("alice")
        forged = generate_rsa_keypair().private_pem
        response = await signed_get(world, NOBODY, private_pem=forged)
        assert reason(response).startswith("signature does not verify: ")


async def test_a_key_that_cannot_be_had_is_refused(tmp_path: Path) -> None:
    async with fediverse(tmp_path, secure_mode=True) as world:
        # Given alice's server does not serve her
        response = await signed_get(world, NOBODY)
        assert reason(response) == "cannot get the signing key"


async def test_a_blocked_domain_is_refused_even_when_signed(tmp_path: Path) -> None:
    async with fediverse(tmp_path, secure_mode=True) as world:
        world["mastodon.test"].add_actor("alice")
        world["mobilizon.test"].add_actor("nadia")
        # Given paquis blocks mastodon.test
        async with world.instance.database.transaction() as session:
            session.add(DomainBlock(domain="mastodon.test", reason="harcèlement"))
        world.instance.blocks.invalidate()
        # When alice signs a GET
        response = await signed_get(world, NOBODY)
        # Then it is refused as blocked, and her server was not even asked for her key
        assert reason(response) == "blocked"
        assert world["mastodon.test"].fetched == []
        # While nadia, on another server, is let through
        nadia = "http://mobilizon.test/users/nadia"
        assert (await signed_get(world, NOBODY, actor=nadia)).status_code == 404


async def test_the_signature_age_is_the_configured_one(tmp_path: Path) -> None:
    async with fediverse(tmp_path, secure_mode=True, signature_max_age_seconds=120) as world:
        world["mastodon.test"].add_actor("alice")
        now = datetime.now(UTC)
        # A GET signed a minute ago is let through
        recent = await signed_get(world, NOBODY, now=now - timedelta(seconds=60))
        assert recent.status_code == 404
        # One signed five minutes ago is refused
        old = await signed_get(world, NOBODY, now=now - timedelta(seconds=300))
        assert "outside the accepted window" in reason(old)


async def test_secure_mode_off_lets_unsigned_reads_through(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        response = await world.client.get(NOBODY, headers=AP)
        assert response.status_code == 404


async def test_a_form_goes_through_secure_mode_with_its_body(tmp_path: Path) -> None:
    async with fediverse(tmp_path, secure_mode=True) as world:
        instance = world.instance
        async with instance.database.transaction() as session:
            await create_account(session, instance.settings, "lea", "password123")
        # Given the login form, read as a person reads it
        html = {"Accept": "text/html"}
        form = await world.client.get("http://paquis.test/login", headers=html)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        # When lea posts it
        data = {"username": "lea", "password": "password123", "csrf_token": token.group(1)}
        answer = await world.client.post("http://paquis.test/login", data=data, headers=html)
        # Then secure mode, which concerns reads only, hands the body on: she is logged in
        assert answer.status_code == 303, answer.text
