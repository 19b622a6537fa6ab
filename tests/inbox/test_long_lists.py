"""Lists as long as a body can hold: a note addressed to tens of thousands of people by name, or
mentioning them, is stored with its readers here like any other. A statement binds at most
32,767 values on PostgreSQL, and such a note used to fail there at every attempt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import PostMention, PostRecipient
from tests.inbox.fediverse import activity, deliver, fediverse, note, resident

NAMED = 33_000  # past the 32,767 values PostgreSQL's driver binds; as names, under 1 MB of JSON


def strangers(first: int, last: int) -> list[str]:
    """Addresses on our host that no one holds."""
    return [f"https://paquis.test/@x{n}" for n in range(first, last)]


@pytest.mark.parametrize("field", ["to", "cc", "tag"])
async def test_a_note_naming_33000_people_reaches_the_residents_among_them(
    tmp_path: Path, database_kind: str, field: str
) -> None:
    # Mentions are longer than names: 33,000 of them need a server taking bodies of 3 MB
    limits = {"max_body_bytes": 3_000_000} if field == "tag" else {}
    async with fediverse(tmp_path, database_kind, **limits) as world:
        lea = await resident(world, "lea")
        omar = await resident(world, "omar")
        alice = world["mastodon.test"].add_actor("alice")
        # Given a note naming Léa and Omar among 33,000 addresses
        named = [*strangers(0, NAMED // 2), lea.uri, *strangers(NAMED // 2, NAMED), omar.uri]
        listed: list[Any] = named
        if field == "tag":
            listed = [{"type": "Mention", "href": uri} for uri in named]
        document = note(alice, 1, **{field: listed})

        # When it arrives, it is taken and handled without error
        await deliver(world, alice, activity("Create", alice, document, 1))

        # Then it is stored, and the residents it names are its readers, or mentioned
        post = await world.post(document["id"])
        assert post is not None
        kept = PostMention if field == "tag" else PostRecipient
        async with world.instance.database.session() as session:
            rows = await session.scalars(select(kept.actor_id).where(kept.post_id == post.id))
            assert set(rows) == {lea.id, omar.id}
