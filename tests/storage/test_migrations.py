"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, select

from storage import migrate
from storage.database import Database
from storage.models import Base, DomainBlock


def schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_the_migrated_schema_is_the_models_schema(database: Database) -> None:
    # Given a database upgraded to head (by the fixture)
    # When alembic compares it with the models, types and server defaults included
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(schema_differences)

    # Then there is nothing a new migration would have to do
    assert differences == []


async def test_the_database_is_at_the_head_revision(database: Database) -> None:
    # Given a database upgraded by the fixture
    # Then its revision is the newest one the code knows
    head = migrate.head_revision()
    assert head is not None
    assert await migrate.current_revision(database) == head


async def test_upgrading_again_changes_nothing_and_keeps_rows(database: Database) -> None:
    # Given a migrated database with a row
    async with database.transaction() as session:
        session.add(DomainBlock(domain="spam.example", reason="spam"))

    # When it is upgraded again
    await migrate.upgrade(database)

    # Then the revision and the row are unchanged
    assert await migrate.current_revision(database) == migrate.head_revision()
    async with database.session() as session:
        blocks = (await session.scalars(select(DomainBlock))).all()
    assert [(block.domain, block.reason) for block in blocks] == [("spam.example", "spam")]
    async with database.engine.connect() as connection:
        assert await connection.run_sync(schema_differences) == []


async def test_every_model_table_exists_and_starts_empty(database: Database) -> None:
    # Given a freshly migrated database
    # Then every table of the models can be queried, and none holds a row
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            count = await session.scalar(select(func.count()).select_from(table))
            assert count == 0, table.name


async def test_upgrading_an_older_schema_keeps_every_row(
    database_kind: str, tmp_path: Path
) -> None:
    """Altering a table on SQLite copies it; the copy must not cascade-delete its children."""
    from sqlalchemy import text

    from tests.support import fresh_database_at

    async with fresh_database_at(database_kind, tmp_path, "0001") as database:
        # Given a database at the first schema with an actor, a post and a membership
        async with database.write_engine.begin() as connection:
            for statement in FIRST_SCHEMA_ROWS:
                await connection.execute(text(statement))
        # When it is upgraded to the current schema
        await migrate.upgrade(database)
        # Then every row is still there
        async with database.engine.connect() as connection:
            for table, expected in (
                ("actors", 2),
                ("posts", 1),
                ("memberships", 1),
                ("activities", 1),
            ):
                count = (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                assert count == expected, table


FIRST_SCHEMA_ROWS = [
    "INSERT INTO actors (id, uri, type, username, domain, is_local, name, summary, inbox_uri,"
    " public_key_id, public_key_pem, manually_approves_followers, is_gone, created_at, updated_at)"
    " VALUES (1, 'http://p.test/@a', 'Person', 'a', 'p.test', true, 'A', '', 'http://p.test/@a/inbox',"
    " 'k1', 'pem', false, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO actors (id, uri, type, username, domain, is_local, name, summary, inbox_uri,"
    " public_key_id, public_key_pem, manually_approves_followers, is_gone, created_at, updated_at)"
    " VALUES (2, 'http://p.test/@g', 'Group', 'g', 'p.test', true, 'G', '', 'http://p.test/@g/inbox',"
    " 'k2', 'pem', false, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO memberships (id, group_id, member_id, role, created_at)"
    " VALUES (1, 2, 1, 'admin', '2026-01-01 00:00:00')",
    "INSERT INTO posts (id, uri, type, actor_id, is_local, content_html, visibility, is_sensitive,"
    " published) VALUES (1, 'http://p.test/posts/1', 'Note', 1, true, '<p>x</p>', 'public', false,"
    " '2026-01-01 00:00:00')",
    "INSERT INTO activities (id, uri, type, actor_id, is_public, payload, published)"
    " VALUES (1, 'http://p.test/activities/1', 'Create', 1, true, '{}', '2026-01-01 00:00:00')",
]


async def test_upgrading_writes_the_dates_of_the_events_already_there(
    database_kind: str, tmp_path: Path
) -> None:
    """Migration 0007 writes the dates of existing events as the application writes them."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from commons.events.dates import HORIZON, expansion_of
    from storage.models import Event, EventOccurrence
    from tests.support import fresh_database_at

    async with fresh_database_at(database_kind, tmp_path, "0006") as database:
        # Given a database at 0006 with a one-off event, a bounded series with an exception,
        # an open-ended series, and a deleted event
        async with database.write_engine.begin() as connection:
            for statement in (*FIRST_SCHEMA_ROWS[:2], *EVENT_ROWS):
                await connection.execute(text(statement))
        started = datetime.now(UTC)

        # When it is upgraded
        await migrate.upgrade(database)

        # Then each event has the dates the application would write, and no more
        async with database.session() as session:
            found = {
                event.uri: (
                    event,
                    [
                        (row.start_time, row.end_time, row.is_long)
                        for row in await session.scalars(
                            select(EventOccurrence)
                            .where(EventOccurrence.event_id == event.id)
                            .order_by(EventOccurrence.start_time)
                        )
                    ],
                )
                for event in await session.scalars(select(Event))
            }
    _, one_off_dates = found["http://p.test/events/one-off"]
    assert one_off_dates == [
        (datetime(2020, 12, 5, 9, tzinfo=UTC), datetime(2020, 12, 5, 15, tzinfo=UTC), False)
    ]
    bounded, bounded_dates = found["http://p.test/events/bounded"]
    assert [start.day for start, _, _ in bounded_dates] == [5, 19]  # the 12th is an exception
    assert bounded.occurrences_until is None
    festival, festival_dates = found["http://p.test/events/festival"]
    assert festival.occurrences_until is not None
    assert started + HORIZON <= festival.occurrences_until <= datetime.now(UTC) + HORIZON
    expected = expansion_of(festival, festival.occurrences_until)
    assert [(start, end) for start, end, _ in festival_dates] == [
        (d.start, d.end) for d in expected.dates
    ]
    assert all(is_long for _, _, is_long in festival_dates)  # three days long each year
    assert festival_dates[0][0] == datetime(2020, 6, 5, 16, tzinfo=UTC)
    assert festival_dates[1][0] - festival_dates[0][0] == timedelta(days=365)
    assert found["http://p.test/events/gone"][1] == []


async def test_the_backfill_of_dates_reports_each_batch_it_writes(
    database_kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Off a terminal, migration 0007 logs one line per batch of events (a thousand a batch)."""
    import io
    import logging

    from sqlalchemy import text

    from quartiers.progress import Progress
    from tests.support import fresh_database_at

    caplog.set_level(logging.INFO, logger="quartiers.progress")
    async with fresh_database_at(database_kind, tmp_path, "0006") as database:
        # Given a database at 0006 with three events and one deleted
        async with database.write_engine.begin() as connection:
            for statement in (*FIRST_SCHEMA_ROWS[:2], *EVENT_ROWS):
                await connection.execute(text(statement))

        # When it is upgraded with a progress that writes to a log
        await migrate.upgrade(
            database, progress=lambda label, total: Progress(label, total, stream=io.StringIO())
        )

    # Then the one batch is one line, counting the events not deleted
    assert [r.getMessage() for r in caplog.records if r.name == "quartiers.progress"] == [
        "events given their dates: 3/3 (100%)"
    ]


EVENT_COLUMNS = (
    "INSERT INTO events (id, uri, actor_id, is_local, title, description_html, start_time,"
    " end_time, timezone, rrule, exdates, join_mode, comments_enabled, status, participant_count,"
    " published, deleted_at) VALUES "
)
EVENT_ROWS = [
    EVENT_COLUMNS + "(1, 'http://p.test/events/one-off', 2, true, 'Repair Café', '',"
    " '2020-12-05 09:00:00', '2020-12-05 15:00:00', 'Europe/Zurich', NULL, NULL, 'free', true,"
    " 'confirmed', 0, '2020-11-01 00:00:00', NULL)",
    EVENT_COLUMNS + "(2, 'http://p.test/events/bounded', 2, true, 'Atelier', '',"
    " '2020-12-05 09:00:00', '2020-12-05 11:00:00', 'Europe/Zurich', 'FREQ=WEEKLY;COUNT=3',"
    " '{\"dates\": [\"2020-12-12\"]}', 'free', true, 'confirmed', 0, '2020-11-01 00:00:00',"
    " NULL)",
    EVENT_COLUMNS + "(3, 'http://p.test/events/festival', 2, true, 'Fête', '',"
    " '2020-06-05 16:00:00', '2020-06-08 22:00:00', 'Europe/Zurich', 'FREQ=YEARLY', NULL, 'free',"
    " true, 'confirmed', 0, '2020-05-01 00:00:00', NULL)",
    EVENT_COLUMNS + "(4, 'http://p.test/events/gone', 2, true, 'Effacé', '',"
    " '2020-12-06 09:00:00', NULL, 'Europe/Zurich', NULL, NULL, 'free', true, 'confirmed', 0,"
    " '2020-11-01 00:00:00', '2020-11-02 00:00:00')",
]


async def test_upgrading_folds_the_words_of_the_offers_already_there(
    database_kind: str, tmp_path: Path
) -> None:
    """Migration 0019 writes the search words of existing offers as the application does."""
    from sqlalchemy import text

    from commons.offers.search_words import offer_words
    from storage.models import Offer
    from tests.support import fresh_database_at

    async with fresh_database_at(database_kind, tmp_path, "0018") as database:
        # Given a database at 0018 with an offer of ours and one another server sent as HTML
        async with database.write_engine.begin() as connection:
            await connection.execute(text(FIRST_SCHEMA_ROWS[0]))
            for n, (source, html) in enumerate(
                [("Avec **deux** mèches", "<p>Avec <strong>deux</strong> mèches</p>"),
                 (None, "<p>Livré à Genève&nbsp;!</p>")], start=1,
            ):  # fmt: skip
                await connection.execute(
                    text(
                        "INSERT INTO offers (id, uri, actor_id, is_local, purpose, kind, title,"
                        " description_source, description_html, category, unit, unit_based,"
                        " reciprocity, place_name, locality, online, status, published) VALUES"
                        " (:id, :uri, 1, false, 'offer', 'pret', 'Perceuse À Percussion',"
                        " :source, :html, 'Outils', 'one', false, 'free', 'Pâquis', 'Genève',"
                        " false, 'open', '2026-01-01 00:00:00')"
                    ),
                    {"id": n, "uri": f"http://p.test/offers/{n}", "source": source, "html": html},
                )

        # When it is upgraded
        await migrate.upgrade(database)

        # Then each offer's words are those the application writes
        async with database.session() as session:
            offers = list(await session.scalars(select(Offer).order_by(Offer.id)))
    for offer in offers:
        assert offer.search_text == offer_words(
            offer.title, offer.category, offer.description_source, offer.description_html,
            offer.place_name, offer.locality,
        )  # fmt: skip
    assert offers[1].search_text == "perceuse a percussion outils livre a geneve ! paquis geneve"


async def test_upgrading_holds_the_follows_of_the_instance_actor_for_the_admin(
    database_kind: str, tmp_path: Path
) -> None:
    """Migration 0024: a follow of the instance actor now relays our collectives' activities,
    so those accepted at once before wait for the admin; other follows are untouched."""
    from sqlalchemy import text

    from storage.models import Follow
    from tests.support import fresh_database_at

    actor = (
        "INSERT INTO actors (id, uri, type, username, domain, is_local, name, summary, inbox_uri,"
        " public_key_id, public_key_pem, manually_approves_followers, is_gone, created_at,"
        " updated_at) VALUES (:id, :uri, :type, :name, :domain, :local, :name, '', :uri, :uri,"
        " 'pem', false, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    async with fresh_database_at(database_kind, tmp_path, "0023") as database:
        # Given our instance actor and a resident, each followed by a remote actor
        async with database.write_engine.begin() as connection:
            for values in (
                (1, "http://p.test/actor", "Application", "instance", "p.test", True),
                (2, "http://p.test/@a", "Person", "a", "p.test", True),
                (3, "http://r.test/actor", "Application", "r.test", "r.test", False),
            ):
                keys = ("id", "uri", "type", "name", "domain", "local")
                await connection.execute(text(actor), dict(zip(keys, values, strict=True)))
            for follow_id, followed in ((1, 1), (2, 2)):
                await connection.execute(
                    text(
                        "INSERT INTO follows (id, uri, follower_id, followed_id, state,"
                        " created_at, accepted_at) VALUES (:id, :uri, 3, :followed, 'accepted',"
                        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                    ),
                    {
                        "id": follow_id,
                        "uri": f"http://r.test/follows/{follow_id}",
                        "followed": followed,
                    },
                )

        # When it is upgraded
        await migrate.upgrade(database)

        # Then only the instance actor's follower waits for the admin
        async with database.session() as session:
            follows = list(await session.scalars(select(Follow).order_by(Follow.id)))
    assert [(f.state, f.accepted_at is None) for f in follows] == [
        ("pending", True),
        ("accepted", False),
    ]


async def test_upgrading_lists_what_the_collectives_published_in_the_quartier_outbox(
    database_kind: str, tmp_path: Path
) -> None:
    """Migration 0026: the quartier's outbox lists what was relayed before and is still
    current: a post's Create (not its edits), an event's newest version, nothing deleted."""
    from sqlalchemy import text

    from storage.models import Activity
    from tests.support import fresh_database_at

    activity = (
        "INSERT INTO activities (id, uri, type, actor_id, object_uri, is_public, payload,"
        " published) VALUES (:id, :uri, :type, :actor, :object, :public, '{}',"
        " '2026-01-01 00:00:00')"
    )
    async with fresh_database_at(database_kind, tmp_path, "0024") as database:
        # Given a collective's post (edited), event (edited), deleted offer and private note,
        # and a resident's public note
        async with database.write_engine.begin() as connection:
            for statement in FIRST_SCHEMA_ROWS[:2]:
                await connection.execute(text(statement))
            await connection.execute(
                text(
                    "INSERT INTO posts (id, uri, type, actor_id, is_local, content_html,"
                    " visibility, is_sensitive, published) VALUES (1, 'http://p.test/posts/1',"
                    " 'Note', 2, true, '<p>x</p>', 'public', false, '2026-01-01 00:00:00')"
                )
            )
            rows = [
                (1, "Create", 2, "http://p.test/posts/1", True),
                (2, "Update", 2, "http://p.test/posts/1", True),
                (3, "Create", 2, "http://p.test/events/1", True),
                (4, "Update", 2, "http://p.test/events/1", True),
                (5, "Create", 2, "http://p.test/offers/1", True),
                (6, "Delete", 2, "http://p.test/offers/1", True),
                (7, "Create", 2, "http://p.test/posts/2", False),
                (8, "Create", 1, "http://p.test/posts/3", True),
            ]
            for row_id, kind, actor, obj, public in rows:
                await connection.execute(
                    text(activity),
                    {"id": row_id, "uri": f"http://p.test/activities/{row_id}", "type": kind,
                     "actor": actor, "object": obj, "public": public},
                )  # fmt: skip

        # When it is upgraded
        await migrate.upgrade(database)

        # Then the post's Create and the event's Update are listed, nothing else
        async with database.session() as session:
            listed = await session.scalars(
                select(Activity.id).where(Activity.in_quartier_outbox).order_by(Activity.id)
            )
            assert list(listed) == [1, 4]


async def test_upgrading_makes_every_block_a_suspension_typed_here(
    database_kind: str, tmp_path: Path
) -> None:
    """Migration 0025: domain blocks gain a severity and where they came from."""
    from sqlalchemy import text

    from tests.support import fresh_database_at

    async with fresh_database_at(database_kind, tmp_path, "0024") as database:
        # Given a block from before limits and blocklists
        async with database.write_engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO domain_blocks (domain, reason, created_at)"
                    " VALUES ('spam.example', 'spam', '2026-01-01 00:00:00')"
                )
            )

        # When it is upgraded
        await migrate.upgrade(database)

        # Then the block is a suspension typed by an admin here, and no list is read yet
        async with database.session() as session:
            blocks = list(await session.scalars(select(DomainBlock)))
            assert [(b.domain, b.reason, b.severity, b.source_url) for b in blocks] == [
                ("spam.example", "spam", "suspend", None)
            ]
        assert await migrate.current_revision(database) == migrate.head_revision()
