"""WebFinger at its edges: the documents we serve, lenient reading, and resolution's refusals."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any

import httpx2
import pytest

from federation.client import Signer
from federation.errors import WebFingerError
from federation.keys import KeyPair
from federation.webfinger import (
    PROFILE_PAGE_REL,
    ParsedWebFinger,
    WebFingerLink,
    build_host_meta_json,
    build_host_meta_xrd,
    build_webfinger,
    fetch_webfinger,
    lrdd_template,
    parse_acct,
    parse_webfinger,
    parse_xrd,
    resolve_actor_via_webfinger,
    same_acct,
    webfinger_url,
)
from tests.federation.federation_support import mock_client, mock_http

AP = "application/activity+json"
LEA = "https://paquis.test/users/lea"


def _finger(host: str, user: str, scheme: str = "https") -> str:
    return f"{scheme}://{host}/.well-known/webfinger?resource=acct:{user}@{host}"


def _jrd(subject: str, href: str | None) -> dict[str, Any]:
    links = [{"rel": "self", "type": AP, "href": href}] if href else []
    return {"subject": f"acct:{subject}", "links": links}


def _actor(uri: str, username: str | None = "lea") -> dict[str, Any]:
    document: dict[str, Any] = {"id": uri, "type": "Person", "inbox": f"{uri}/inbox"}
    if username is not None:
        document["preferredUsername"] = username
    return document


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Lea@paquis.test", "acct:lea@PAQUIS.test", True),
        ("lea@paquis.test", "lea@jonction.test", False),
        ("lea@paquis.test", "leo@paquis.test", False),
        ("lea@paquis.test", "not an account", False),
        ("not an account", "lea@paquis.test", False),
    ],
)
def test_accounts_compare_without_case(a: str, b: str, same: bool) -> None:
    assert same_acct(a, b) is same


def test_the_username_keeps_its_case_and_its_at_sign_is_the_last_one() -> None:
    assert parse_acct("  acct:Lea@paquis.test  ") == ("Lea", "paquis.test")
    with pytest.raises(WebFingerError, match=r"^not an account address: 'lea@x@y@'$"):
        parse_acct("lea@x@y@")


def test_our_webfinger_document_without_a_profile_page() -> None:
    # Given an account with no page for people and an acct already prefixed
    document = build_webfinger("acct:lea@paquis.test", LEA, None, [LEA])

    # Then the document has the subject as given, its alias and only the self link
    assert document == {
        "subject": "acct:lea@paquis.test",
        "aliases": [LEA],
        "links": [{"rel": "self", "type": AP, "href": LEA}],
    }


def test_our_webfinger_document_with_a_profile_page() -> None:
    document = build_webfinger("lea@paquis.test", LEA, "https://paquis.test/@lea", [])
    assert document["subject"] == "acct:lea@paquis.test"
    assert document["links"][1] == {
        "rel": PROFILE_PAGE_REL,
        "type": "text/html",
        "href": "https://paquis.test/@lea",
    }
    assert parse_webfinger(document).profile_url == "https://paquis.test/@lea"


def test_our_host_meta_documents_name_the_webfinger_template() -> None:
    # Given a base URL with a trailing slash
    template = "https://paquis.test/.well-known/webfinger?resource={uri}"

    # When the host-meta documents are built
    xrd = build_host_meta_xrd("https://paquis.test/")
    jrd = build_host_meta_json("https://paquis.test/")

    # Then both name the same template, the XML one in the XRD namespace
    root = ElementTree.fromstring(xrd)  # noqa: S314
    assert root.tag == "{http://docs.oasis-open.org/ns/xri/xrd-1.0}XRD"
    link = root.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None
    assert link.attrib == {"rel": "lrdd", "type": "application/xrd+xml", "template": template}
    assert xrd.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert jrd == {"links": [{"rel": "lrdd", "type": "application/jrd+json", "template": template}]}
    assert lrdd_template(parse_xrd(xrd)) == template


def test_a_webfinger_answer_is_read_leniently() -> None:
    # Given a JRD with odd members among good ones
    parsed = parse_webfinger(
        {
            "subject": 3,
            "aliases": [LEA, 4],
            "links": [
                "junk",
                {"rel": 5, "href": LEA},
                {"rel": "self", "type": 6, "href": 7, "template": 8},
                {"rel": "lrdd", "template": "https://paquis.test/wf?r={uri}"},
            ],
        }
    )
    # Then the odd members are dropped, the good ones kept
    assert parsed == ParsedWebFinger(
        subject=None,
        aliases=(LEA,),
        links=(
            WebFingerLink("self", None, None, None),
            WebFingerLink("lrdd", None, None, "https://paquis.test/wf?r={uri}"),
        ),
    )
    assert parsed.subject_acct is None
    assert parse_webfinger({"aliases": "x", "links": "y"}) == ParsedWebFinger(None, (), ())


def test_a_webfinger_answer_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(WebFingerError, match=r"^WebFinger answer is not a JSON object$"):
        parse_webfinger([])


def test_the_self_link_must_be_activitypub() -> None:
    # Given links with rel=self, one HTML and one with no href, then the ActivityPub one
    parsed = ParsedWebFinger(
        "acct:lea@paquis.test",
        (),
        (
            WebFingerLink("self", "text/html", "https://paquis.test/@lea"),
            WebFingerLink("self", AP, None),
            WebFingerLink("alternate", AP, "https://paquis.test/other"),
            WebFingerLink("self", AP, LEA),
        ),
    )
    # Then the actor is the ActivityPub self link
    assert parsed.self_uri == LEA
    assert parsed.profile_url is None


def test_an_xrd_is_read_with_its_subject_aliases_and_links() -> None:
    xrd = (
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">'
        "<Subject> acct:lea@paquis.test </Subject>"
        f"<Alias> {LEA} </Alias><Alias/>"
        f'<Link rel="self" type="{AP}" href="{LEA}"/>'
        '<Link type="text/html"/>'
        "</XRD>"
    )
    parsed = parse_xrd(xrd)
    assert parsed == ParsedWebFinger(
        "acct:lea@paquis.test",
        (LEA, ""),
        (WebFingerLink("self", AP, LEA), WebFingerLink("", "text/html", None)),
    )
    assert parse_xrd('<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"/>').subject is None
    with pytest.raises(WebFingerError, match=r"^not an XRD document$"):
        parse_xrd("<XRD")


def test_a_host_meta_without_a_template_has_no_lrdd() -> None:
    parsed = ParsedWebFinger(None, (), (WebFingerLink("lrdd", None, "https://x/"),))
    assert lrdd_template(parsed) is None


def test_the_lrdd_template_is_the_first_lrdd_link_that_has_one() -> None:
    # Given a template on another relation, then an lrdd link without one, then the right one
    parsed = ParsedWebFinger(
        None,
        (),
        (
            WebFingerLink("alternate", None, None, "https://x/other?r={uri}"),
            WebFingerLink("lrdd", None, "https://x/"),
            WebFingerLink("lrdd", None, None, "https://x/wf?r={uri}"),
        ),
    )
    # Then the template of the lrdd link that has one is used
    assert lrdd_template(parsed) == "https://x/wf?r={uri}"


def test_the_webfinger_address_quotes_the_account() -> None:
    assert webfinger_url("@Lé+b@paquis.test:8443", "http") == (
        "http://paquis.test:8443/.well-known/webfinger?resource=acct:L%C3%A9%2Bb@paquis.test:8443"
    )


async def test_the_webfinger_query_asks_for_jrd() -> None:
    # Given a server that records what it is asked
    seen: list[httpx2.Request] = []
    client = mock_client({})
    client.http = mock_http({_finger("paquis.test", "lea"): _jrd("lea@paquis.test", LEA)}, seen)

    # When lea is looked up
    answer = await fetch_webfinger(client, "lea@paquis.test")

    # Then JRD was asked for and the answer read
    assert seen[0].headers["accept"] == "application/jrd+json, application/json;q=0.9"
    assert answer.self_uri == LEA


async def test_a_failed_lookup_names_the_account() -> None:
    with pytest.raises(WebFingerError, match=r"^WebFinger lookup of lea@paquis.test failed: "):
        await fetch_webfinger(mock_client({}), "lea@paquis.test")


async def test_an_answer_without_a_usable_subject_is_refused() -> None:
    client = mock_client({_finger("paquis.test", "lea"): {"subject": "nobody", "links": []}})
    with pytest.raises(
        WebFingerError, match=r"^WebFinger answer for lea@paquis.test has no usable"
    ):
        await resolve_actor_via_webfinger(client, "lea@paquis.test")


async def test_a_redirection_to_an_unusable_subject_is_refused() -> None:
    client = mock_client(
        {
            _finger("paquis.test", "lea"): _jrd("lea@jonction.test", LEA),
            _finger("jonction.test", "lea"): {"links": []},
        }
    )
    with pytest.raises(WebFingerError, match="redirects more than once"):
        await resolve_actor_via_webfinger(client, "lea@paquis.test")


async def test_an_account_without_an_activitypub_link_is_refused() -> None:
    client = mock_client({_finger("paquis.test", "lea"): _jrd("lea@paquis.test", None)})
    with pytest.raises(WebFingerError, match=r"^lea@paquis.test has no ActivityPub self link$"):
        await resolve_actor_via_webfinger(client, "lea@paquis.test")


async def test_an_actor_that_cannot_be_fetched_is_refused() -> None:
    client = mock_client({_finger("paquis.test", "lea"): _jrd("lea@paquis.test", LEA)})
    with pytest.raises(WebFingerError, match=r"^fetching the actor of lea@paquis.test failed"):
        await resolve_actor_via_webfinger(client, "lea@paquis.test")


async def test_an_actor_of_another_origin_is_refused() -> None:
    # Given paquis.test's WebFinger pointing at a document that claims an id elsewhere
    client = mock_client(
        {
            _finger("paquis.test", "lea"): _jrd("lea@paquis.test", LEA),
            LEA: _actor("https://evil.test/users/lea"),
        }
    )
    with pytest.raises(WebFingerError, match="serves an actor of another origin"):
        await resolve_actor_via_webfinger(client, "lea@paquis.test")


async def test_an_actor_without_a_username_is_refused() -> None:
    client = mock_client(
        {_finger("paquis.test", "lea"): _jrd("lea@paquis.test", LEA), LEA: _actor(LEA, None)}
    )
    with pytest.raises(WebFingerError, match=rf"^{LEA} has no preferredUsername$"):
        await resolve_actor_via_webfinger(client, "lea@paquis.test")


async def test_an_actor_on_a_port_resolves_under_its_port() -> None:
    # Given a development server on port 8000 whose actor calls itself Lea
    actor = "http://paquis.test:8000/users/lea"
    client = mock_client(
        {
            _finger("paquis.test:8000", "lea", "http"): _jrd("lea@paquis.test:8000", actor),
            actor: _actor(actor, "Lea"),
        }
    )

    # When lea@paquis.test:8000 is resolved
    resolved = await resolve_actor_via_webfinger(client, "lea@paquis.test:8000", url_scheme="http")

    # Then the account is the one asked for, and the actor the one served
    assert resolved.acct == "lea@paquis.test:8000"
    assert resolved.actor.id == actor


@pytest.mark.parametrize(("scheme", "port"), [("https", 443), ("http", 80)])
async def test_the_default_port_is_not_part_of_the_account(scheme: str, port: int) -> None:
    # Given an actor whose id names the default port of its scheme explicitly
    actor = f"{scheme}://Paquis.test:{port}/users/lea"
    client = mock_client(
        {
            _finger("paquis.test", "lea", scheme): _jrd("lea@paquis.test", actor),
            f"{scheme}://paquis.test/users/lea": _actor(actor),
        }
    )
    # When lea@paquis.test is resolved
    resolved = await resolve_actor_via_webfinger(client, "lea@paquis.test", url_scheme=scheme)
    # Then no second lookup was needed under a port
    assert resolved.acct == "lea@paquis.test"


async def test_an_actor_under_another_name_is_resolved_back_under_that_name() -> None:
    # Given paquis.test's WebFinger for "lea" pointing at an actor whose username is "leonie",
    # and leonie's WebFinger pointing back at the same actor
    actor = "https://paquis.test/users/leonie"
    client = mock_client(
        {
            _finger("paquis.test", "lea"): _jrd("lea@paquis.test", actor),
            _finger("paquis.test", "leonie"): _jrd("leonie@paquis.test", actor),
            actor: _actor(actor, "leonie"),
        }
    )
    # When lea@paquis.test is resolved
    resolved = await resolve_actor_via_webfinger(client, "lea@paquis.test")
    # Then the account is the one the actor's server confirms
    assert resolved.acct == "leonie@paquis.test"
    assert resolved.actor.id == actor


async def test_a_redirected_lookup_uses_the_same_scheme() -> None:
    # Given a development network over http, where lea's account is answered under another name
    actor = "http://jonction.test/users/lea"
    client = mock_client(
        {
            _finger("paquis.test", "lea", "http"): _jrd("lea@jonction.test", actor),
            _finger("jonction.test", "lea", "http"): _jrd("lea@jonction.test", actor),
            actor: _actor(actor),
        }
    )
    # When lea@paquis.test is resolved over http
    resolved = await resolve_actor_via_webfinger(client, "lea@paquis.test", url_scheme="http")
    # Then the second lookup went over http too, and confirmed the account
    assert resolved.acct == "lea@jonction.test"


async def test_a_self_link_to_another_address_on_the_same_server_is_followed(
    rsa_keys: KeyPair,
) -> None:
    # Given lea's self link pointing at a profile address whose actor has another id on the
    # same server, under the name leonie, whose own account points back at that id
    profile = "https://paquis.test/@lea"
    actor = "https://paquis.test/users/leonie"
    seen: list[httpx2.Request] = []
    client = mock_client({})
    client.http = mock_http(
        {
            _finger("paquis.test", "lea"): _jrd("lea@paquis.test", profile),
            _finger("paquis.test", "leonie"): _jrd("leonie@paquis.test", actor),
            profile: _actor(actor, "leonie"),
        },
        seen,
    )
    # When lea@paquis.test is resolved with the instance's signer
    signer = Signer("https://jonction.test/actor#main-key", rsa_keys.private_pem)
    resolved = await resolve_actor_via_webfinger(client, "lea@paquis.test", signer)
    # Then the actor is taken under the account that points back at it
    assert (resolved.acct, resolved.actor.id) == ("leonie@paquis.test", actor)
    # And the actor was fetched with a signed GET (servers in secure mode require it)
    (fetch,) = [r for r in seen if str(r.url) == profile]
    assert "signature" in fetch.headers
