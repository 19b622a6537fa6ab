"""Sharing into a collective, as the services decide: who waits, what never comes back, what
can no longer be approved."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actors.follows import follow
from actors.services import create_group
from commons.posts.services import publish_note
from commons.shares import services as shares
from commons.shares.items import item_by_uri
from config.settings import Settings
from storage.database import Database
from storage.models import Actor, Event, Share, utcnow
from storage.models.shares import EVERYONE_WAITS, SHARE_PENDING, SHARE_SHARED
from tests.commons.event_support import Quartier, create


async def forum(database: Database, settings: Settings, q: Quartier) -> Actor:
    """The forum, run by Nadia, following the repair café."""
    async with database.transaction() as session:
        group = await create_group(session, settings, "forum", "assembly", "nadia")
        cafe = await session.get(Actor, q.cafe.id)
        assert cafe is not None
        await follow(session, q.uris, group, cafe)
        return group


async def all_shares(database: Database) -> list[tuple[int, str, str]]:
    async with database.session() as session:
        rows = await session.scalars(select(Share).order_by(Share.id))
        return [(share.group_id, share.object_uri, share.state) for share in rows]


async def test_a_collectives_own_event_never_comes_back_to_its_queue(
    database: Database, settings: Settings, quartier: Quartier
) -> None:
    # Given the forum following the café, and the café following the forum back
    group = await forum(database, settings, quartier)
    async with database.transaction() as session:
        cafe, back = await session.get(Actor, quartier.cafe.id), await session.get(Actor, group.id)
        assert cafe is not None and back is not None
        await follow(session, quartier.uris, cafe, back)
        back.shares_followed_directly = True

    # When the café publishes an event (the forum shares it at once)
    event = await create(database, quartier, quartier.jeanmarc)

    # Then the forum shares it, and the café is not offered its own event back
    assert await all_shares(database) == [(group.id, event.uri, SHARE_SHARED)]


async def test_a_share_of_an_event_deleted_meanwhile_cannot_be_approved(
    database: Database, settings: Settings, quartier: Quartier
) -> None:
    # Given the café's event waiting in the forum's queue, where every share waits
    group = await forum(database, settings, quartier)
    event = await create(database, quartier, quartier.jeanmarc)
    [(_, _, state)] = await all_shares(database)
    assert state == SHARE_PENDING
    async with database.transaction() as session:
        row = await session.get(Actor, group.id)
        assert row is not None
        row.share_approval = EVERYONE_WAITS
        kept = await session.get(Event, event.id)
        assert kept is not None
        kept.deleted_at = utcnow()

    # When Nadia approves it
    async with database.transaction() as session:
        share = await session.scalar(select(Share))
        nadia = await session.get(Actor, quartier.nadia.id)
        row = await session.get(Actor, group.id)
        assert share is not None and nadia is not None and row is not None
        with pytest.raises(shares.NotShareable):
            await shares.approve_share(session, quartier.uris, row, nadia, share.id)


async def test_a_member_cannot_share_a_followers_only_post(
    database: Database, settings: Settings, quartier: Quartier
) -> None:
    # Given a post Karim wrote for his followers only
    async with database.transaction() as session:
        karim = await session.get(Actor, quartier.karim.id)
        assert karim is not None
        post = await publish_note(
            session, quartier.uris, karim, "Entre nous", visibility="followers"
        )
        item = await item_by_uri(session, post.uri)
        cafe = await session.get(Actor, quartier.cafe.id)
        assert item is not None and cafe is not None

        # When he shares it into the café he is a member of, it is refused
        with pytest.raises(shares.NotShareable):
            await shares.share_into(session, quartier.uris, cafe, karim, item)
