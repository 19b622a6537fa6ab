"""WebFinger: account parsing, our documents, and Mastodon's resolution rules on real captures."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from federation.errors import WebFingerError
from federation.webfinger import (
    build_host_meta_json,
    build_host_meta_xrd,
    build_webfinger,
    lrdd_template,
    parse_acct,
    parse_webfinger,
    parse_xrd,
    resolve_actor_via_webfinger,
    webfinger_url,
)
from tests.federation.federation_support import list_shared, load_capture, mock_client, shared_path

AP_WEBFINGER = "https://ap.example.com/.well-known/webfinger?resource=acct:foo@ap.example.com"
AP2_WEBFINGER = "https://ap2.example.com/.well-known/webfinger?resource=acct:foo@ap2.example.com"
AP_ACTOR = "https://ap.example.com/users/foo"


def capture(name: str) -> Path:
    return shared_path("fixtures", "mastodon-requests", name)


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("acct:repair-cafe@paquis.example", ("repair-cafe", "paquis.example")),
        ("repair-cafe@Paquis.Example", ("repair-cafe", "paquis.example")),
        ("@repair-cafe@paquis.example", ("repair-cafe", "paquis.example")),
        ("ACCT:alice@localhost:8000", ("alice", "localhost:8000")),
    ],
)
def test_parse_acct_accepts_the_usual_forms(resource: str, expected: tuple[str, str]) -> None:
    assert parse_acct(resource) == expected


@pytest.mark.parametrize(
    "resource",
    [
        "",
        "acct:",
        "alice",
        "@alice",
        "alice@",
        "a b@host",
        "https://host/users/a",
        "a@ho st",
        "a@host/path",
        "@@host",
        "acct:a@-host",
    ],
)
def test_parse_acct_refuses_malformed(resource: str) -> None:
    with pytest.raises(WebFingerError):
        parse_acct(resource)


def test_build_webfinger_has_self_and_profile_links() -> None:
    doc = build_webfinger(
        "repair-cafe@paquis.example",
        "https://paquis.example/collectifs/repair-cafe",
        "https://paquis.example/@repair-cafe",
        ["https://paquis.example/@repair-cafe"],
    )
    parsed = parse_webfinger(doc)
    assert doc["subject"] == "acct:repair-cafe@paquis.example"
    assert parsed.self_uri == "https://paquis.example/collectifs/repair-cafe"
    assert parsed.profile_url == "https://paquis.example/@repair-cafe"
    assert {
        "rel": "http://webfinger.net/rel/profile-page",
        "type": "text/html",
        "href": "https://paquis.example/@repair-cafe",
    } in doc["links"]


def test_host_meta_documents_point_to_webfinger() -> None:
    xrd = parse_xrd(build_host_meta_xrd("https://paquis.example/"))
    template = "https://paquis.example/.well-known/webfinger?resource={uri}"
    assert lrdd_template(xrd) == template
    assert build_host_meta_json("https://paquis.example")["links"][0]["template"] == template


def test_webfinger_url_uses_https_and_the_acct_resource() -> None:
    assert webfinger_url("@foo@ap.example.com") == AP_WEBFINGER


@pytest.mark.parametrize(
    "path",
    list_shared("fixtures", "webfinger", "mobilizon-tests", pattern="*-webfinger.json"),
    ids=lambda p: p.name,
)
def test_mobilizon_jrd_fixtures_parse(path: Path) -> None:
    parsed = parse_webfinger(json.loads(path.read_text()))
    assert parsed.subject_acct is not None
    assert parsed.self_uri is not None and parsed.self_uri.startswith("http")


@pytest.mark.parametrize(
    "path",
    list_shared("fixtures", "webfinger", "mobilizon-tests", pattern="*-host-meta.xml"),
    ids=lambda p: p.name,
)
def test_mobilizon_host_meta_fixtures_parse(path: Path) -> None:
    template = lrdd_template(parse_xrd(path.read_text()))
    assert template is not None and "{uri}" in template


def test_xrd_webfinger_and_host_meta_captures_parse() -> None:
    webfinger = parse_xrd(load_capture(capture("localdomain-webfinger.txt")).text)
    assert webfinger.subject_acct == "foo@localdomain.com"
    assert webfinger.self_uri is None  # its self link has no AP media type
    host_meta = parse_xrd(load_capture(capture("redirected.host-meta.txt")).text)
    assert lrdd_template(host_meta) == "https://redirected.com/.well-known/webfinger?resource={uri}"


async def test_resolves_a_mastodon_account() -> None:
    client = mock_client(
        {
            AP_WEBFINGER: capture("activitypub-webfinger.txt"),
            AP_ACTOR: capture("activitypub-actor.txt"),
        }
    )
    resolved = await resolve_actor_via_webfinger(client, "@foo@ap.example.com")
    assert resolved.acct == "foo@ap.example.com"
    assert resolved.actor.id == AP_ACTOR
    assert resolved.actor.inbox == "https://ap.example.com/users/foo/inbox"


async def test_noncanonical_subject_is_followed_once_and_confirmed() -> None:
    # Given ap.example.com answering for foo@ap.example.com with subject foo@ap2.example.com
    # (account domain ap2, web domain ap), and ap2 confirming its own subject
    noncanonical = capture("activitypub-webfinger-noncanonical.txt")
    client = mock_client(
        {
            AP_WEBFINGER: noncanonical,
            AP2_WEBFINGER: noncanonical,
            AP_ACTOR: capture("activitypub-actor.txt"),
        }
    )
    # When resolving
    resolved = await resolve_actor_via_webfinger(client, "foo@ap.example.com")
    # Then the canonical account is the one the server confirms
    assert resolved.acct == "foo@ap2.example.com"
    assert resolved.actor.id == AP_ACTOR


async def test_two_redirections_are_refused() -> None:
    evil = "https://evil.test/.well-known/webfinger?resource=acct:foo@evil.test"
    redirected = "https://redirected.test/.well-known/webfinger?resource=acct:foo@redirected.test"
    client = mock_client(
        {
            redirected: {"subject": "acct:foo@evil.test", "links": []},
            evil: {
                "subject": "acct:foo@ap.example.com",
                "links": [{"rel": "self", "type": "application/activity+json", "href": AP_ACTOR}],
            },
        }
    )
    with pytest.raises(WebFingerError, match="more than once"):
        await resolve_actor_via_webfinger(client, "foo@redirected.test")


@pytest.mark.parametrize(
    ("fixture", "query"),
    [
        ("webfinger-hacker1.txt", "hacker1@redirected.com"),
        ("webfinger-hacker2.txt", "gargron@quitter.no"),
        ("webfinger-hacker3.txt", "gargron@quitter.no"),
        ("broken-webfinger.txt", "gargron@quitter.no"),
        ("webfinger-noncanonical.txt", "gargron@quitter.no"),
        ("webfinger.txt", "gargron@quitter.no"),
    ],
)
async def test_spoofing_and_broken_captures_are_refused_cleanly(fixture: str, query: str) -> None:
    # Given a server answering every WebFinger query with the capture
    response = load_capture(capture(fixture))

    def answer(request: httpx2.Request) -> httpx2.Response:
        return response

    client = mock_client({})
    client.http = httpx2.AsyncClient(transport=httpx2.MockTransport(answer))
    # Then resolution gives a WebFingerError (subject mismatch or no AP actor), nothing else
    with pytest.raises(WebFingerError):
        await resolve_actor_via_webfinger(client, query)


async def test_webfinger_pointing_at_someone_elses_actor_yields_their_real_acct() -> None:
    # Given evil.test claiming that eve@evil.test is ap.example.com's foo
    evil = "https://evil.test/.well-known/webfinger?resource=acct:eve@evil.test"
    client = mock_client(
        {
            evil: {
                "subject": "acct:eve@evil.test",
                "links": [{"rel": "self", "type": "application/activity+json", "href": AP_ACTOR}],
            },
            AP_WEBFINGER: capture("activitypub-webfinger.txt"),
            AP_ACTOR: capture("activitypub-actor.txt"),
        }
    )
    # Then the actor resolves only under the acct its own server confirms
    resolved = await resolve_actor_via_webfinger(client, "eve@evil.test")
    assert resolved.acct == "foo@ap.example.com"


async def test_actor_whose_acct_does_not_resolve_back_is_refused() -> None:
    # Given an actor on evil.test whose own host's WebFinger names another actor
    actor_uri = "https://evil.test/users/foo"
    actor = json.loads(load_capture(capture("activitypub-actor.txt")).text)
    actor.update(id=actor_uri, inbox="https://evil.test/inbox")
    claim = "https://evil.test/.well-known/webfinger?resource=acct:eve@evil.test"
    back = "https://evil.test/.well-known/webfinger?resource=acct:foo@evil.test"
    link = {"rel": "self", "type": "application/activity+json"}
    client = mock_client(
        {
            claim: {"subject": "acct:eve@evil.test", "links": [{**link, "href": actor_uri}]},
            back: {"subject": "acct:foo@evil.test", "links": [{**link, "href": AP_ACTOR}]},
            actor_uri: actor,
        }
    )
    with pytest.raises(WebFingerError, match="does not resolve back"):
        await resolve_actor_via_webfinger(client, "eve@evil.test")


async def test_actor_without_inbox_is_refused() -> None:
    client = mock_client(
        {
            AP_WEBFINGER: capture("activitypub-webfinger.txt"),
            AP_ACTOR: capture("activitypub-actor-noinbox.txt"),
        }
    )
    with pytest.raises(WebFingerError, match="inbox"):
        await resolve_actor_via_webfinger(client, "foo@ap.example.com")


async def test_unreachable_or_non_json_webfinger_is_a_webfinger_error() -> None:
    client = mock_client({AP_WEBFINGER: httpx2.Response(200, text="<html>")})
    with pytest.raises(WebFingerError):
        await resolve_actor_via_webfinger(client, "foo@ap.example.com")
    with pytest.raises(WebFingerError):
        await resolve_actor_via_webfinger(mock_client({}), "foo@ap.example.com")
