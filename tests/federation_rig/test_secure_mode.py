"""Secure mode: our documents need a signed GET; discovery and the instance actor stay open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest

from federation.errors import BadResponse
from federation.keys import generate_rsa_keypair
from federation.signatures import Scheme, sign_request
from storage.models import DomainBlock
from tests.federation_rig.rig import Node, Rig, federation_rig
from tests.federation_rig.steps import follow_remote

AP = {"Accept": "application/activity+json"}
SECURE = ("paquis.test",)
HOSTS = ("paquis.test", "jonction.test")


async def test_secure_mode_requires_signed_gets(tmp_path: Path) -> None:
    async with federation_rig(tmp_path, hosts=HOSTS, secure=SECURE) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        nadia = await jonction.resident("nadia")

        # An unsigned GET of the collective is refused; the page for people is not
        assert (await rig.client.get(cafe.uri, headers=AP)).status_code == 401
        assert (await rig.client.get(cafe.uri, headers={"Accept": "text/html"})).status_code == 200
        # Discovery and the instance actor stay open
        assert (await rig.client.get("http://paquis.test/actor", headers=AP)).status_code == 200
        webfinger = await rig.client.get(
            "http://paquis.test/.well-known/webfinger?resource=acct:repair-cafe@paquis.test"
        )
        assert webfinger.status_code == 200

        # A real server signs its fetches, so following still works
        await follow_remote(jonction, nadia, cafe.uri)
        await rig.drain()
        state = await jonction.actor(cafe.uri)
        assert state is not None and state.name


async def signed_get(
    rig: Rig,
    node: Node,
    url: str,
    *,
    private_pem: str | None = None,
    signed_url: str | None = None,
    now: datetime | None = None,
    scheme: Scheme = Scheme.CAVAGE,
    key_id: str | None = None,
) -> httpx2.Response:
    """GET ``url`` under the key id of ``node``'s instance actor; returns the status.

    ``private_pem`` signs with another key, ``signed_url`` signs another address, ``now`` signs
    at another moment, ``key_id`` names another key: each is how a forged or replayed signature
    looks.
    """
    signer = await node.instance.remote_actors.signer()
    headers = sign_request(
        "GET",
        signed_url or url,
        AP,
        None,
        key_id or signer.key_id,
        private_pem or signer.private_key_pem,
        scheme,
        now=now,
    )
    return await rig.client.get(url, headers={**AP, **headers})


async def test_secure_mode_refuses_a_forged_or_replayed_signature(tmp_path: Path) -> None:
    async with federation_rig(tmp_path, hosts=HOSTS, secure=SECURE) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        # Given jonction's own signature opens the collective's document, with either scheme
        assert (await signed_get(rig, jonction, cafe.uri)).status_code == 200
        rfc9421 = await signed_get(rig, jonction, cafe.uri, scheme=Scheme.RFC9421)
        assert rfc9421.status_code == 200
        # When the GET is signed under jonction's key id with a key that is not jonction's,
        # or carries a signature made for another address, or one made two days ago
        forged = generate_rsa_keypair().private_pem
        other = "http://paquis.test/@jeanmarc"
        old = datetime.now(UTC) - timedelta(days=2)
        # Then each is refused
        assert (await signed_get(rig, jonction, cafe.uri, private_pem=forged)).status_code == 401
        assert (await signed_get(rig, jonction, cafe.uri, signed_url=other)).status_code == 401
        assert (await signed_get(rig, jonction, cafe.uri, now=old)).status_code == 401
        # And so is a GET under paquis's own instance key id, signed with another key
        assert (
            await signed_get(rig, rig["paquis.test"], cafe.uri, private_pem=forged)
        ).status_code == 401
        # And one under a key id nobody serves, saying why
        unknown = await signed_get(
            rig, jonction, cafe.uri, key_id="http://jonction.test/nobody#key"
        )
        assert unknown.status_code == 401
        assert unknown.json()["error"] == "cannot get the signing key"


async def test_secure_mode_refuses_a_blocked_domain_even_when_signed(tmp_path: Path) -> None:
    async with federation_rig(tmp_path, hosts=HOSTS, secure=SECURE) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        assert jonction.instance.federation is not None
        signer = await jonction.instance.remote_actors.signer()
        # Given paquis blocks jonction.test
        async with paquis.instance.database.transaction() as session:
            session.add(DomainBlock(domain="jonction.test", reason="harcèlement"))
        paquis.instance.blocks.invalidate()
        # When jonction fetches the collective with a valid signature
        with pytest.raises(BadResponse) as refused:
            await jonction.instance.federation.fetch_document(cafe.uri, signer)
        # Then it is refused, and jonction cannot resolve it
        assert refused.value.status == 401
        assert await jonction.instance.remote_actors.actor(cafe.uri) is None
        blocked = await signed_get(rig, jonction, cafe.uri)
        assert blocked.status_code == 401 and blocked.json()["error"] == "blocked"
        # While the collective's page for people stays open
        page = await rig.client.get(cafe.uri, headers={"Accept": "text/html"})
        assert page.status_code == 200


async def test_secure_mode_keeps_discovery_open_and_checks_every_ap_read(tmp_path: Path) -> None:
    async with federation_rig(tmp_path, hosts=HOSTS, secure=SECURE) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        # NodeInfo and static files are read without a signature
        for path in ("/nodeinfo/2.1", "/static/quartiers.css"):
            response = await rig.client.get(f"http://paquis.test{path}", headers=AP)
            assert response.status_code == 200, path
        # An unsigned HEAD is refused like a GET, saying why; a POST is left to the inbox
        head = await rig.client.head(cafe.uri, headers=AP)
        assert head.status_code == 401
        unsigned = await rig.client.get(cafe.uri, headers=AP)
        assert unsigned.json()["error"] == "this server requires signed requests (secure mode)"
        # A signed GET of a collection page (a query string) is read
        page = f"{cafe.uri}/followers?page=1"
        assert (await signed_get(rig, jonction, page)).status_code == 200
        # While a signature made for another page of it is refused, saying why
        signer = await jonction.instance.remote_actors.signer()
        other_page = f"{cafe.uri}/followers?page=2"
        headers = sign_request(
            "GET", other_page, AP, None, signer.key_id, signer.private_key_pem, Scheme.CAVAGE
        )
        replayed = await rig.client.get(page, headers={**AP, **headers})
        assert replayed.status_code == 401
        assert "signature does not verify" in replayed.json()["error"]


async def test_secure_mode_leaves_inbox_posts_to_the_inbox(tmp_path: Path) -> None:
    async with federation_rig(tmp_path, hosts=HOSTS, secure=SECURE) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        nadia = await jonction.resident("nadia")
        assert nadia.private_key_pem is not None
        # Given paquis blocks jonction.test, whose inbox POSTs the inbox drops with a 202
        async with paquis.instance.database.transaction() as session:
            session.add(DomainBlock(domain="jonction.test", reason="harcèlement"))
        paquis.instance.blocks.invalidate()
        # When nadia's signed Follow is posted with an ActivityPub Accept header
        body = (
            '{"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",'
            f' "id": "{nadia.uri}/follows/1", "actor": "{nadia.uri}", "object": "{cafe.uri}"}}'
        ).encode()
        inbox = "http://paquis.test/inbox"
        base = {**AP, "Content-Type": "application/activity+json"}
        headers = sign_request(
            "POST", inbox, base, body, nadia.public_key_id, nadia.private_key_pem, Scheme.CAVAGE
        )
        response = await rig.client.post(inbox, content=body, headers={**base, **headers})
        # Then the inbox answers it (202, dropped), not secure mode (which would say 401)
        assert response.status_code == 202
