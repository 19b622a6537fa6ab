"""Receiving a POST at its edges: rotated keys, addresses of the longest length, signed queries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from federation.keys import generate_rsa_keypair
from federation.signatures import Scheme, sign_request
from inbox.receive import ReceivedPost, Refusal, parse_body
from storage.models import InboxItem, utcnow
from tests.inbox.fediverse import (
    ACTIVITY_JSON,
    Fediverse,
    activity,
    deliver,
    encode,
    fediverse,
    note,
)
from tests.inbox.signing import fixed_key


async def test_a_rotated_key_is_fetched_again_once_and_kept(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        # Given paquis knows alice's key (she posted once)
        first = await world.post_as(alice, activity("Create", alice, note(alice, 1), 1))
        assert first.status_code == 202
        assert mastodon.fetched.count("/users/alice") == 1
        # And her server now publishes a new key under the same key id
        rotated = fixed_key("mastodon.test/alice/rotated")
        document = mastodon.documents["/users/alice"]
        assert isinstance(document, dict)
        document["publicKey"] = {**document["publicKey"], "publicKeyPem": rotated.public_pem}

        # When she posts signed with the new key
        second = await world.post_as(
            alice, activity("Create", alice, note(alice, 2), 2), key_pair=rotated
        )

        # Then it is taken after one more fetch of her document, and the new key is kept
        assert second.status_code == 202, second.text
        assert mastodon.fetched.count("/users/alice") == 2
        known = await world.actor(alice)
        assert known is not None and known.public_key_pem == rotated.public_pem
        assert await world.count(InboxItem) == 2
        # And the next post with the new key needs no fetch at all
        third = await world.post_as(
            alice, activity("Create", alice, note(alice, 3), 3), key_pair=rotated
        )
        assert third.status_code == 202
        assert mastodon.fetched.count("/users/alice") == 2


async def test_a_rotated_key_that_still_does_not_verify_is_refused_with_why(
    tmp_path: Path,
) -> None:
    async with fediverse(tmp_path) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        await world.post_as(alice, activity("Create", alice, note(alice, 1), 1))
        # Given her server publishes a new key
        document = mastodon.documents["/users/alice"]
        assert isinstance(document, dict)
        rotated = fixed_key("mastodon.test/alice/rotated")
        document["publicKey"] = {**document["publicKey"], "publicKeyPem": rotated.public_pem}

        # When a POST under her key id is signed with a third key
        response = await world.post_as(
            alice, activity("Create", alice, note(alice, 2), 2), key_pair=generate_rsa_keypair()
        )

        # Then it is refused, saying the signature does not verify and why
        assert response.status_code == 401
        assert response.json()["error"].startswith("signature does not verify: ")
        assert await world.count(InboxItem) == 1


@pytest.mark.parametrize("case", ["key unchanged", "server unreachable"])
async def test_a_bad_signature_is_refused_after_one_look_for_a_new_key(
    tmp_path: Path, case: str
) -> None:
    async with fediverse(tmp_path) as world:
        mastodon = world["mastodon.test"]
        alice = mastodon.add_actor("alice")
        await world.post_as(alice, activity("Create", alice, note(alice, 1), 1))
        # Given alice's server still publishes the key paquis knows, or cannot be reached
        if case == "server unreachable":
            world.take_down("mastodon.test")
        # When a POST under her key id is signed with another key
        response = await world.post_as(
            alice, activity("Create", alice, note(alice, 2), 2), key_pair=generate_rsa_keypair()
        )
        # Then it is refused after one more look for her key, which is kept as it was
        assert response.status_code == 401
        assert response.json()["error"] == "signature does not verify"
        assert mastodon.fetched.count("/users/alice") == (2 if case == "key unchanged" else 1)
        known = await world.actor(alice)
        assert known is not None
        assert known.public_key_pem == mastodon.key_pair("alice").public_pem
        assert await world.count(InboxItem) == 1


async def test_signatures_older_than_the_configured_age_are_refused(tmp_path: Path) -> None:
    # Given an instance that takes signatures of at most a minute (an hour by default)
    async with fediverse(tmp_path, signature_max_age_seconds=60) as world:
        alice = world["mastodon.test"].add_actor("alice")
        now = datetime.now(UTC)
        # When alice's server signs one POST five minutes ago, and one thirty seconds ago
        stale = await world.post_as(
            alice,
            activity("Create", alice, note(alice, 1), 1),
            signed_at=now - timedelta(minutes=5),
        )
        fresh = await world.post_as(
            alice,
            activity("Create", alice, note(alice, 2), 2),
            signed_at=now - timedelta(seconds=30),
        )
        # Then only the recent one is taken
        assert stale.status_code == 401
        assert fresh.status_code == 202
        assert await world.count(InboxItem) == 1


async def test_an_rfc_9421_signature_of_the_address_as_served_is_verified(tmp_path: Path) -> None:
    # The instance is served at http:// here: the signed @target-uri is read with that scheme
    async with fediverse(tmp_path) as world:
        alice = world["mastodon.test"].add_actor("alice")
        response = await world.post_as(
            alice, activity("Create", alice, note(alice, 1), 1), scheme=Scheme.RFC9421
        )
        assert response.status_code == 202, response.text
        assert await world.count(InboxItem) == 1


async def test_ids_of_the_longest_length_are_taken(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        alice = world["mastodon.test"].add_actor("alice")
        # Given an activity whose id is exactly 2,048 characters long
        longest = activity("Create", alice, note(alice, 1), 1)
        prefix = f"{alice}/activities/"
        longest["id"] = prefix + "a" * (2048 - len(prefix))
        assert len(longest["id"]) == 2048

        # When it is posted
        response = await world.post_as(alice, longest)

        # Then it is taken
        assert response.status_code == 202, response.text


async def test_an_actor_address_over_the_longest_length_is_refused(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        alice = world["mastodon.test"].add_actor("alice")
        # Given an activity whose actor address is 2,049 characters long
        long_actor = f"{alice}/" + "b" * (2048 - len(alice))
        assert len(long_actor) == 2049
        document = activity("Create", alice, note(alice, 1), 1)
        document["actor"] = long_actor

        # When it is posted
        response = await world.post_as(alice, document)

        # Then it is refused for its length, before any key is looked for
        assert response.status_code == 400
        assert response.json()["error"] == "an id longer than 2048 characters"


async def test_an_object_id_over_the_longest_length_is_refused(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        alice = world["mastodon.test"].add_actor("alice")
        # Given a Create whose note's id is 2,049 characters long
        long_id = f"{alice}/statuses/" + "1" * (2049 - len(f"{alice}/statuses/"))
        document = activity("Create", alice, note(alice, 1, id=long_id), 1)
        # When it is posted
        response = await world.post_as(alice, document)
        # Then it is refused at once, as no row could keep it, and nothing is queued
        assert response.status_code == 400
        assert response.json()["error"] == "an id longer than 2048 characters"
        assert await world.count(InboxItem) == 0


async def test_a_post_whose_page_or_parent_address_is_too_long_is_kept_without_them(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        alice = world["mastodon.test"].add_actor("alice")
        long = f"{alice}/" + "x" * 2048
        # Given a note whose page and the post it answers have 2,049-character addresses
        post = note(alice, 1, url=long, inReplyTo=long)
        # When it is received and handled
        await deliver(world, alice, activity("Create", alice, post, 1))
        # Then it is kept without those two links: its page is its own address, as for a note
        # that names none, and it answers nothing
        kept = await world.post(post["id"])
        assert kept is not None
        assert (kept.url, kept.in_reply_to_uri) == (post["id"], None)


async def test_a_post_dated_past_the_ends_of_the_calendar_is_kept_as_received_now(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        alice = world["mastodon.test"].add_actor("alice")
        # Given two notes dated before the first moment in UTC and after the last
        first = note(alice, 1, published="0001-01-01T00:00:00+01:00")
        last = note(alice, 2, published="9999-12-31T23:59:59-01:00")
        # When they are received and handled (they failed to store, and were tried again until
        # they ran out of attempts)
        await deliver(
            world, alice, activity("Create", alice, first, 1), activity("Create", alice, last, 2)
        )
        # Then both are kept, dated as a note that names no date
        for sent in (first, last):
            kept = await world.post(sent["id"])
            assert kept is not None and kept.published.year == utcnow().year


async def test_nul_characters_are_taken_out_of_what_is_received(
    tmp_path: Path, database_kind: str
) -> None:
    async with fediverse(tmp_path, database_kind) as world:
        alice = world["mastodon.test"].add_actor("alice")
        # Given a note whose text and addressing hold NUL characters (on PostgreSQL,
        # which holds none in text or jsonb, it failed to store and was tried again and again)
        post = note(alice, 1, "Vide-\x00grenier", cc=["\x00"])
        # When it is received and handled
        await deliver(world, alice, activity("Create", alice, post, 1))
        # Then it is kept without them
        kept = await world.post(post["id"])
        assert kept is not None
        assert kept.content_html == "<p>Vide-grenier</p>"


def note_signed_by_alice(world: Fediverse) -> tuple[bytes, Callable[[str], dict[str, str]]]:
    """A note of alice on mastodon.test, and its headers signed for a POST to a given URL."""
    mastodon = world["mastodon.test"]
    alice = mastodon.add_actor("alice")
    body = encode(activity("Create", alice, note(alice, 1), 1))
    pair = mastodon.key_pair("alice")
    base = {"Content-Type": ACTIVITY_JSON}

    def signed(url: str) -> dict[str, str]:
        added = sign_request(
            "POST", url, base, body, f"{alice}#main-key", pair.private_pem, Scheme.CAVAGE
        )
        return {**base, **added}

    return body, signed


async def test_a_signature_covers_the_query_of_the_inbox_address(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        body, signed = note_signed_by_alice(world)
        address = f"{world.shared_inbox}?from=mastodon"

        # Given a POST to the inbox with a query, signed for the inbox without it
        # When it is posted
        response = await world.client.post(
            address, content=body, headers=signed(world.shared_inbox)
        )
        # Then it is refused
        assert response.status_code == 401
        # While the same POST signed for the address with its query is taken
        response = await world.client.post(address, content=body, headers=signed(address))
        assert response.status_code == 202, response.text


async def test_a_query_that_is_not_utf8_is_refused_for_its_signature(tmp_path: Path) -> None:
    async with fediverse(tmp_path) as world:
        body, signed = note_signed_by_alice(world)
        # When a signed POST reaches the inbox with a byte in its query that is not UTF-8
        # (no HTTP client sends one: it is given to the application as a server would)
        app = world.router.transports["paquis.test"].app
        headers = {**signed(world.shared_inbox), "Content-Length": str(len(body))}
        status, answer = await raw_post(app, "/inbox", b"from=\xff", headers, body)
        # Then it is refused for its signature, with a reason, and nothing is stored
        assert status == 401, answer
        assert b"signature" in answer
        assert await world.count(InboxItem) == 0


async def test_a_post_without_a_host_field_is_verified_for_the_address_reached(
    tmp_path: Path,
) -> None:
    async with fediverse(tmp_path) as world:
        body, signed = note_signed_by_alice(world)
        # Given a POST signed for paquis.test (its host covered) but sent without a Host field,
        # as an HTTP/1.0 client may
        headers = {**signed(world.shared_inbox), "Content-Length": str(len(body))}
        del headers["Host"]
        app = world.router.transports["paquis.test"].app
        # When it reaches the inbox of the server listening as paquis.test
        status, answer = await raw_post(app, "/inbox", b"", headers, body)
        # Then the signature is checked against the address reached, and the note is taken
        assert status == 202, answer
        assert await world.count(InboxItem) == 1


async def raw_post(
    app: Any, path: str, query: bytes, headers: dict[str, str], body: bytes
) -> tuple[int, bytes]:
    """A POST given straight to the application's ASGI interface; its status and body."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "client": ("127.0.0.1", 40000), "server": ("paquis.test", 80),
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }  # fmt: skip
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


@pytest.mark.parametrize("field", ["id", "actor", "object"])
def test_each_address_is_taken_at_the_longest_length_and_refused_past_it(field: str) -> None:
    # Given a Follow whose id, actor or object address is exactly 2,048 characters long
    document = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://mastodon.test/users/alice/follows/1",
        "type": "Follow",
        "actor": "https://mastodon.test/users/alice",
        "object": "https://paquis.test/@ana",
    }
    prefix = f"{document[field]}/"
    document[field] = prefix + "a" * (2048 - len(prefix))

    # Then it is read as it is, and refused with a reason one character longer
    assert parse_body(json.dumps(document).encode()).id == document["id"]
    document[field] += "a"
    with pytest.raises(Refusal) as refused:
        parse_body(json.dumps(document).encode())
    assert (refused.value.status, refused.value.reason) == (
        400,
        "an id longer than 2048 characters",
    )
    assert str(refused.value) == refused.value.reason


def test_a_target_is_read_as_its_sender_wrote_it_on_the_request_line() -> None:
    # Given a POST whose path held an encoded "?", "#" and "\" (the server hands them decoded)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/@a?b#c\\d/inbox",
        "query_string": b"x=1",
        "headers": [(b"host", b"paquis.test"), (b"content-type", b"application/activity+json")],
    }

    # When the inbox reads it
    post = ReceivedPost.from_scope(scope)

    # Then the target it checks the signature against is the one on the request line
    assert post.path_with_query == "/@a%3Fb%23c%5Cd/inbox?x=1"
    assert (post.method, post.host) == ("POST", "paquis.test")
    assert post.headers["content-type"] == "application/activity+json"
