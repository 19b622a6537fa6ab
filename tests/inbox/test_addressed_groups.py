"""Which collectives a received post names (inbox/addressed_groups.py): one of ours, to publish
it in, when a public post is addressed to it or mentions it; and a remote one, its audience,
only when the post is addressed to it. A post for followers only mentions no collective into
publishing it, and of several collectives named, the first created is taken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from federation.parsing import ParsedObject, parse_object
from federation.vocab import PUBLIC
from inbox.addressed_groups import group_candidates, groups_named, pick_groups
from storage.models import Actor
from storage.models.actors import GROUP, PERSON
from tests.support import fresh_database

OURS = "http://paquis.test/collectives/jardin"
OURS_TOO = "http://paquis.test/collectives/velo"
THEIRS = "http://servette.test/collectives/cafe"
THEIRS_TOO = "http://jonction.test/collectives/troc"
FOLLOWERS = "http://mastodon.test/users/alice/followers"


def post(*, to: list[str], cc: list[str] | None = None, audience: list[str] | None = None,
         mentions: list[str] | None = None) -> ParsedObject:  # fmt: skip
    document: dict[str, Any] = {
        "id": "http://mastodon.test/users/alice/statuses/1",
        "type": "Note",
        "attributedTo": "http://mastodon.test/users/alice",
        "content": "<p>Bonjour</p>",
        "to": to,
        "cc": cc or [],
        "tag": [{"type": "Mention", "href": uri} for uri in mentions or []],
    }
    if audience is not None:
        document["audience"] = audience
    return parse_object(document)


def actor(uri: str, kind: str = GROUP, **changes: Any) -> Actor:
    host, name = uri.split("/")[2], uri.rsplit("/", 1)[-1]
    return Actor(uri=uri, type=kind, username=name, domain=host, inbox_uri=f"{uri}/inbox",
                 public_key_id=f"{uri}#main-key", public_key_pem="", **changes)  # fmt: skip


def group(uri: str, *, is_local: bool, is_gone: bool = False) -> Actor:
    return actor(uri, is_local=is_local, is_gone=is_gone)


def test_a_public_posts_candidates_are_its_addressing_then_its_mentions() -> None:
    public = post(to=[PUBLIC], cc=[THEIRS], audience=[OURS], mentions=[OURS_TOO])
    assert group_candidates(public) == [OURS, PUBLIC, THEIRS, OURS_TOO]


def test_a_followers_only_posts_mentions_are_no_candidates() -> None:
    private = post(to=[FOLLOWERS], cc=[THEIRS], mentions=[OURS])
    assert group_candidates(private) == [FOLLOWERS, THEIRS]


def test_our_collective_is_taken_from_a_public_posts_addressing_or_its_mentions() -> None:
    ours = group(OURS, is_local=True)
    assert pick_groups(post(to=[PUBLIC], mentions=[OURS]), [ours]) == (ours, None)
    assert pick_groups(post(to=[OURS], cc=[PUBLIC]), [ours]) == (ours, None)


def test_our_collective_is_not_published_in_by_a_post_that_is_not_public() -> None:
    ours = group(OURS, is_local=True)
    assert pick_groups(post(to=[OURS, FOLLOWERS]), [ours]) == (None, None)


def test_a_collective_of_ours_that_is_gone_is_not_published_in() -> None:
    gone, ours = group(OURS, is_local=True, is_gone=True), group(OURS_TOO, is_local=True)
    assert pick_groups(post(to=[PUBLIC], mentions=[OURS]), [gone]) == (None, None)
    assert pick_groups(post(to=[PUBLIC], mentions=[OURS, OURS_TOO]), [gone, ours]) == (ours, None)


def test_a_remote_collective_is_the_audience_only_when_the_post_is_addressed_to_it() -> None:
    theirs = group(THEIRS, is_local=False)
    assert pick_groups(post(to=[PUBLIC], cc=[THEIRS]), [theirs]) == (None, theirs)
    assert pick_groups(post(to=[FOLLOWERS], audience=[THEIRS]), [theirs]) == (None, theirs)
    assert pick_groups(post(to=[PUBLIC], mentions=[THEIRS]), [theirs]) == (None, None)


def test_of_several_collectives_named_the_first_of_each_side_is_taken() -> None:
    ours, ours_too = group(OURS, is_local=True), group(OURS_TOO, is_local=True)
    theirs, theirs_too = group(THEIRS, is_local=False), group(THEIRS_TOO, is_local=False)
    named = post(to=[PUBLIC, THEIRS_TOO, OURS_TOO], cc=[THEIRS, OURS])
    assert pick_groups(named, [ours, theirs, ours_too, theirs_too]) == (ours, theirs)
    assert pick_groups(named, [theirs_too, ours_too, theirs, ours]) == (ours_too, theirs_too)


def test_a_group_the_post_does_not_name_is_passed_over() -> None:
    ours, theirs = group(OURS, is_local=True), group(THEIRS, is_local=False)
    ours_too, theirs_too = group(OURS_TOO, is_local=True), group(THEIRS_TOO, is_local=False)
    assert pick_groups(post(to=[PUBLIC]), [ours, theirs]) == (None, None)
    named = post(to=[PUBLIC, THEIRS_TOO], mentions=[OURS_TOO])
    assert pick_groups(named, [ours, theirs, ours_too, theirs_too]) == (ours_too, theirs_too)


async def test_the_collectives_are_read_first_created_first(
    tmp_path: Path, database_kind: str
) -> None:
    async with fresh_database(database_kind, tmp_path) as database:
        # Given, in this order, a person, a remote collective, one of ours, and two more
        # collectives, one of each side
        async with database.transaction() as session:
            rows = [actor(FOLLOWERS, PERSON, is_local=False),
                    group(THEIRS_TOO, is_local=False), group(OURS_TOO, is_local=True),
                    group(THEIRS, is_local=False), group(OURS, is_local=True)]  # fmt: skip
            for row in rows:
                session.add(row)
                await session.flush()

        # When a public post names all of them
        named = post(to=[PUBLIC, FOLLOWERS, THEIRS, OURS], cc=[THEIRS_TOO], mentions=[OURS_TOO])
        async with database.session() as session:
            local, remote = await groups_named(session, named)

            # Then the first created of each side is taken; the person is no collective
            assert (local and local.uri, remote and remote.uri) == (OURS_TOO, THEIRS_TOO)
