"""WebFinger and host-meta for our residents, collectives and the instance actor."""

from __future__ import annotations

import httpx2
import pytest

from federation.webfinger import PROFILE_PAGE_REL, lrdd_template, parse_webfinger, parse_xrd
from quartiers.settings import Settings
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
    ],
)
async def test_unknown_names_and_foreign_hosts_are_not_found(
    client: httpx2.AsyncClient, database: Database, settings: Settings, resource: str
) -> None:
    await seed_neighbourhood(database, settings)
    response = await client.get(WEBFINGER, params={"resource": resource})
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "query", ["", "?resource=", "?resource=alice", "?resource=acct:@x", "?resource=http://"]
)
async def test_a_missing_or_malformed_resource_is_a_bad_request(
    client: httpx2.AsyncClient, query: str
) -> None:
    response = await client.get(WEBFINGER + query)
    assert response.status_code == 400


async def test_host_meta_points_to_webfinger_in_xml_and_json(client: httpx2.AsyncClient) -> None:
    xrd = await client.get("/.well-known/host-meta")
    assert xrd.status_code == 200
    assert xrd.headers["content-type"].startswith("application/xrd+xml")
    template = "http://paquis.test/.well-known/webfinger?resource={uri}"
    assert lrdd_template(parse_xrd(xrd.text)) == template
    jrd = await client.get("/.well-known/host-meta.json")
    assert jrd.status_code == 200
    assert lrdd_template(parse_webfinger(jrd.json())) == template
