"""What the inbox refuses, drops or ignores: each case checks the status and what was stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from federation.keys import generate_rsa_keypair
from inbox.worker import InboxWorker
from storage.models import Delivery, DomainBlock, Follow, InboxItem, Post, Reaction
from storage.models.queue import DONE
from tests.inbox.signing import (
    InboxHarness,
    actor_uri,
    build_note_activity,
    encode,
    inbox_harness,
    signed_headers,
)


async def test_malformed_json_is_400(tmp_path: Path, database_kind: str) -> None:
    async with inbox_harness(tmp_path, database_kind) as inbox:
        # Given a body that is not JSON, signed all the same
        inbox.add_remote("alice")
        # When it is posted
        response = await inbox.post_signed(b'{"type": "Create", ', signer="alice")
        # Then 400 and nothing stored
        assert response.status_code == 400
        assert await inbox.inbox_rows() == 0


async def test_overlong_activity_id_is_400(tmp_path: Path, database_kind: str) -> None:
    async with inbox_harness(tmp_path, database_kind) as inbox:
        # Given a signed activity whose id is longer than any column keeps (2048)
        inbox.add_remote("alice")
        activity = build_note_activity("alice", "1", id=f"{actor_uri('alice')}#{'a' * 3000}")
        # When it is posted
        response = await inbox.post_signed(activity, signer="alice")
        # Then 400 (not a database error) and nothing stored
        assert response.status_code == 400
        assert await inbox.inbox_rows() == 0


async def test_body_over_the_cap_is_413(tmp_path: Path) -> None:
    async with inbox_harness(tmp_path, max_body_bytes=2048) as inbox:
        # Given an instance that takes 2 KiB at most, and a valid but bigger activity
        inbox.add_remote("alice")
        activity = build_note_activity("alice", "1")
        activity["object"]["content"] = "<p>" + "x" * 4096 + "</p>"
        # When it is posted
        response = await inbox.post_signed(activity, signer="alice")
        # Then 413 and nothing stored
        assert response.status_code == 413
        assert await inbox.inbox_rows() == 0


async def test_body_over_the_cap_without_content_length_is_413(tmp_path: Path) -> None:
    async with inbox_harness(tmp_path, max_body_bytes=2048) as inbox:
        # Given a chunked body (no Content-Length) bigger than the cap
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(8):
                yield b"x" * 512

        # When it is posted
        response = await inbox.client.post(inbox.shared_inbox, content=chunks())
        # Then the stream is cut at the cap
        assert response.status_code == 413
        assert await inbox.inbox_rows() == 0


async def test_unsigned_is_401(tmp_path: Path, database_kind: str) -> None:
    async with inbox_harness(tmp_path, database_kind) as inbox:
        # Given a valid activity without a signature
        inbox.add_remote("alice")
        # When it is posted
        response = await inbox.post(encode(build_note_activity("alice", "1")))
        # Then 401 and nothing stored
        assert response.status_code == 401
        assert await inbox.inbox_rows() == 0


async def test_signed_by_another_key_is_401(tmp_path: Path, database_kind: str) -> None:
    async with inbox_harness(tmp_path, database_kind) as inbox:
        # Given alice, whose key paquis.test has cached from a genuine activity of hers
        inbox.add_remote("alice")
        genuine = await inbox.post_signed(build_note_activity("alice", "0"), signer="alice")
        assert genuine.status_code == 202 and await inbox.inbox_rows() == 1
        fetched = inbox.key_fetches("alice")
        # And her activity signed with a key that is not hers, under her key id
        forged = generate_rsa_keypair()
        # When it is posted
        response = await inbox.post_signed(
            build_note_activity("alice", "1"), signer="alice", key_pair=forged
        )
        # Then 401 after exactly one refetch of her key, and nothing more stored
        assert response.status_code == 401
        assert inbox.key_fetches("alice") - fetched == 1
        assert await inbox.inbox_rows() == 1


async def test_date_outside_the_window_is_401(tmp_path: Path) -> None:
    async with inbox_harness(tmp_path, signature_max_age_seconds=3600) as inbox:
        inbox.add_remote("alice")
        for offset in (timedelta(hours=-2), timedelta(hours=2)):
            # Given a signature made two hours ago (or two hours ahead)
            moment = datetime.now(UTC) + offset
            # When it is posted
            response = await inbox.post_signed(
                build_note_activity("alice", str(offset.total_seconds())),
                signer="alice",
                now=moment,
            )
            # Then 401 and nothing stored
            assert response.status_code == 401, offset
        assert await inbox.inbox_rows() == 0


async def test_body_changed_after_signing_is_401(tmp_path: Path, database_kind: str) -> None:
    async with inbox_harness(tmp_path, database_kind) as inbox:
        # Given a signed activity whose body is replaced after signing (Digest no longer matches)
        inbox.add_remote("alice")
        signed_body = encode(build_note_activity("alice", "1"))
        headers = signed_headers(inbox.shared_inbox, signed_body, signer="alice")
        tampered = encode(build_note_activity("alice", "2"))
        # When it is posted
        response = await inbox.post(tampered, headers)
        # Then 401 and nothing stored
        assert response.status_code == 401
        assert await inbox.inbox_rows() == 0


async def test_key_of_another_actor_on_the_same_host_is_401(
    tmp_path: Path, database_kind: str
) -> None:
    async with inbox_harness(tmp_path, database_kind) as inbox:
        # Given bob's activity, signed with alice's valid key (same host)
        inbox.add_remote("alice")
        inbox.add_remote("bob")
        # When it is posted
        response = await inbox.post_signed(build_note_activity("bob", "1"), signer="alice")
        # Then 401 and nothing stored
        assert response.status_code == 401
        assert await inbox.inbox_rows() == 0


async def test_activity_id_on_another_origin_is_refused(tmp_path: Path, database_kind: str) -> None:
    async with inbox_harness(tmp_path, database_kind) as inbox:
        # Given alice's activity, correctly signed, whose id lives on another server
        inbox.add_remote("alice")
        activity = build_note_activity("alice", "1", id="http://elsewhere.test/activities/1")
        # When it is posted
        response = await inbox.post_signed(activity, signer="alice")
        # Then 403 and nothing stored
        assert response.status_code == 403
        assert await inbox.inbox_rows() == 0


async def test_blocked_domain_is_answered_202_and_dropped(
    tmp_path: Path, database_kind: str
) -> None:
    async with inbox_harness(tmp_path, database_kind) as inbox:
        # Given a block on mastodon.test
        inbox.add_remote("alice")
        async with inbox.instance.database.transaction() as session:
            session.add(DomainBlock(domain="mastodon.test", reason="spam"))
        inbox.instance.blocks.invalidate()
        # When alice posts a valid, signed activity
        response = await inbox.post_signed(build_note_activity("alice", "1"), signer="alice")
        # Then 202, so the sender stops retrying, and nothing stored
        assert response.status_code == 202
        assert await inbox.inbox_rows() == 0


async def test_redelivery_is_202_and_stored_once(tmp_path: Path, database_kind: str) -> None:
    async with inbox_harness(tmp_path, database_kind) as inbox:
        # Given an activity already received
        inbox.add_remote("alice")
        activity = build_note_activity("alice", "1")
        first = await inbox.post_signed(activity, signer="alice")
        # When it is delivered again (freshly signed)
        again = await inbox.post_signed(activity, signer="alice")
        # Then both are accepted and there is one row
        assert (first.status_code, again.status_code) == (202, 202)
        assert await inbox.inbox_rows() == 1


async def test_unknown_activity_type_is_stored_then_ignored(
    tmp_path: Path, database_kind: str
) -> None:
    async with inbox_harness(tmp_path, database_kind) as inbox:
        # Given an activity of a type nobody knows
        inbox.add_remote("alice")
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor_uri('alice')}#bites/1",
            "type": "Bite",
            "actor": actor_uri("alice"),
            "object": "http://paquis.test/@nobody",
        }
        # When it is posted
        response = await inbox.post_signed(activity, signer="alice")
        # Then it is accepted and stored
        assert response.status_code == 202
        assert await inbox.inbox_rows() == 1
        before = await effects(inbox)
        # When the worker runs
        assert await InboxWorker(inbox.instance).run_once() == 1
        # Then the row is done, without error, and nothing else changed
        async with inbox.instance.database.session() as session:
            item = await session.scalar(select(InboxItem))
        assert item is not None and item.state == DONE and item.last_error is None
        assert await effects(inbox) == before


async def test_personal_inbox_of_unknown_user_is_404(tmp_path: Path, database_kind: str) -> None:
    async with inbox_harness(tmp_path, database_kind) as inbox:
        # Given no local user "nobody"
        inbox.add_remote("alice")
        # When a valid activity is posted to /@nobody/inbox
        response = await inbox.post_signed(
            build_note_activity("alice", "1"),
            signer="alice",
            url="http://paquis.test/@nobody/inbox",
        )
        # Then 404 and nothing stored
        assert response.status_code == 404
        assert await inbox.inbox_rows() == 0


async def effects(inbox: InboxHarness) -> tuple[int, ...]:
    """How many rows every table a handler may touch holds."""
    async with inbox.instance.database.session() as session:
        counts = []
        for model in (Post, Follow, Reaction, Delivery):
            counts.append(await session.scalar(select(func.count()).select_from(model)) or 0)
        return tuple(counts)
