"""WebFinger and host-meta for our residents, collectives and the instance actor."""

from __future__ import annotations

import httpx2
import pytest

from config.settings import Settings
from federation.webfinger import PROFILE_PAGE_REL, lrdd_template, parse_webfinger, parse_xrd
from storage.database import Database
from tests.actors.actor_support import seed_neighbourhood

WEBFINGER = "/.well-known/webfinger"


@pytest.mark.parametrize(
    ("username", "actor_path", "actor_type"),
    [
        ("alice", "/@alice", "Person"),
        ("repair-cafe", "/@repair-cafe", "Group"),
        ("instance", "/actor", "Application"),
    ],
)
async def test_every_local_actor_is_found_by_its_account(
    client: httpx2.AsyncClient,
    database: Database,
    settings: Settings,
    username: str,
    actor_path: str,
    actor_type: str,
) -> None:
    # Given
    await seed_neighbourhood(database, settings)
    # When
    response = await client.get(WEBFINGER, params={"resource": f"acct:{username}@paquis.test"})
    # Then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    assert response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    actor_uri = f"http://paquis.test{actor_path}"
    assert document["subject"] == f"acct:{username}@paquis.test"
    assert actor_uri in document["aliases"]
    parsed = parse_webfinger(document)
    assert parsed.self_uri == actor_uri
    assert parsed.profile_url == actor_uri
    profile = next(link for link in document["links"] if link["rel"] == PROFILE_PAGE_REL)
    assert profile["type"] == "text/html"
    actor = await client.get(actor_uri, headers={"Accept": "application/activity+json"})
    assert actor.json()["type"] == actor_type


async def test_the_actor_uri_is_a_resource_too(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    await seed_neighbourhood(database, settings)
    response = await client.get(WEBFINGER, params={"resource": "http://paquis.test/@repair-cafe"})
    assert response.status_code == 200
    assert response.json()["subject"] == "acct:repair-cafe@paquis.test"


async def test_an_address_without_acct_scheme_and_in_capitals_is_found(
    client: httpx2.AsyncClient, database: Database, settings: Settings
) -> None:
    await seed_neighbourhood(database, settings)
    response = await client.get(WEBFINGER, params={"resource": "Alice@Paquis.Test"})
    assert response.status_code == 200
    assert response.json()["subject"] == "acct:alice@paquis.test"


@pytest.mark.parametrize(
    "resource",
    [
        "acct:nobody@paquis.test",
        "acct:alice@jonction.test",
        "acct:alice@paquis.test:8000",
        "http://jonction.test/@alice",
        "http://paquis.test/@nobody",
        "mailto:alice@paquis.test",
        "urn:example:alice",
        "https://paquis.test/@alice/outbox",
    ],
)
async def test_unknown_names_and_foreign_hosts_are_not_found(
    client: httpx2.AsyncClient, database: Database, settings: Settings, resource: str
) -> None:
    await seed_neighbourhood(database, settings)
    response = await client.get(WEBFINGER, params={"resource": resource})
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == "*"


MALFORMED = [
    ("", "missing"),
    ("?resource=", "missing"),
    ("?resource=%20%20", "missing"),
    ("?resource=acct:alice@paquis.test&resource=acct:bob@paquis.test", "more than once"),
    ("?resource=alice", "account address"),
    ("?resource=acct:", "nothing after the scheme"),
    ("?resource=mailto:", "nothing after the scheme"),
    ("?resource=acct:@paquis.test", "account address"),
    ("?resource=acct:alice@", "account address"),
    ("?resource=@paquis.test", "account address"),
    ("?resource=acct:alice@paquis.test/inbox", "account address"),
    ("?resource=acct:alice@paquis.test%23x", "account address"),
    ("?resource=acct:ali%20ce@paquis.test", "RFC 3986"),
    ("?resource=acct:am%C3%A9lie@paquis.test", "RFC 3986"),
    ("?resource=acct:alice%zz@paquis.test", "RFC 3986"),
    ("?resource=%3Cscript%3E@paquis.test", "RFC 3986"),
    ("?resource=http://", "not a URI"),
    ("?resource=https:///@alice", "not a URI"),
    ("?resource=http://paquis.test:99999/@alice", "not a URI"),
    ("?resource=http://paquis.test:port/@alice", "not a URI"),
    ("?resource=http://%5B::1/@alice", "not a URI"),
]


@pytest.mark.parametrize(("query", "reason"), MALFORMED)
async def test_a_missing_or_malformed_resource_is_a_bad_request(
    client: httpx2.AsyncClient, database: Database, settings: Settings, query: str, reason: str
) -> None:
    # Given a neighbourhood whose accounts exist
    await seed_neighbourhood(database, settings)
    # When WebFinger is asked with no resource, twice, or with one that is no URI (RFC 7033 §4.2)
    response = await client.get(WEBFINGER + query)
    # Then it is a bad request that says why, readable from a browser script
    assert response.status_code == 400, query
    assert reason in response.json()["error"]
    assert response.headers["access-control-allow-origin"] == "*"


async def test_host_meta_points_to_webfinger_in_xml_and_json(client: httpx2.AsyncClient) -> None:
    xrd = await client.get("/.well-known/host-meta")
    assert xrd.status_code == 200
    assert xrd.headers["content-type"].startswith("application/xrd+xml")
    template = "http://paquis.test/.well-known/webfinger?resource={uri}"
    assert lrdd_template(parse_xrd(xrd.text)) == template
    jrd = await client.get("/.well-known/host-meta.json")
    assert jrd.status_code == 200
    assert lrdd_template(parse_webfinger(jrd.json())) == template
