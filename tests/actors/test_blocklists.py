"""Subscribed blocklists: what a list proposes, what the admin applied or dismissed, and how a
reading fails (outbound requests recorded by a mock transport)."""

from __future__ import annotations

from collections.abc import Callable

import httpx2
from sqlalchemy import select

from actors import blocklist_reader as reader
from actors import blocklists
from actors.blocklist_csv import MAX_BLOCKLIST_BYTES
from federation.client import FederationClient
from storage.database import Database
from storage.models import BlocklistSubscription, DomainBlock

LIST_URL = "https://servette.example/moderation/blocklist.csv"
HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"


def client_serving(
    answer: Callable[[httpx2.Request], httpx2.Response],
    *,
    allow_private_addresses: bool = True,
    max_response_bytes: int = 5 * 1024 * 1024,
) -> tuple[FederationClient, list[str]]:
    asked: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        asked.append(str(request.url))
        return answer(request)

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    client = FederationClient(
        http,
        user_agent="test",
        allow_private_addresses=allow_private_addresses,
        max_response_bytes=max_response_bytes,
    )
    return client, asked


def serving(text: str | bytes, status: int = 200) -> Callable[[httpx2.Request], httpx2.Response]:
    body = text.encode() if isinstance(text, str) else text
    return lambda request: httpx2.Response(status, content=body)


async def subscribed(database: Database, url: str = LIST_URL) -> int:
    async with database.transaction() as session:
        subscription, is_new = await blocklists.subscribe(session, url)
        assert is_new
        return subscription.id


async def waiting(database: Database) -> list[tuple[str, str, str]]:
    async with database.session() as session:
        found = await blocklists.waiting_proposals(session)
    return [(w.proposal.domain, w.proposal.severity, w.proposal.reason) for w in found]


async def test_entries_wait_and_those_applied_or_dismissed_are_not_proposed_again(
    database: Database,
) -> None:
    # Given a list naming four domains, one blocked here already and one our own
    async with database.transaction() as session:
        session.add(DomainBlock(domain="known.example", reason="", severity="suspend"))
    first = (
        HEADER
        + "spam.example,suspend,,,Spam,\n"
        + "loud.example,silence,,,Bruyant,\n"
        + "known.example,suspend,,,,\n"
        + "paquis.test,suspend,,,,\n"
        + "sp*m.example,suspend,,,,\n"
    )
    client, asked = client_serving(serving(first))
    subscription_id = await subscribed(database)
    read = reader.BlocklistReader(database, client, "paquis.test")

    # When it is read
    assert await read.read(subscription_id) is None

    # Then the two new ones wait, with their severity and reason; nothing is applied
    assert asked == [LIST_URL]
    assert await waiting(database) == [
        ("loud.example", "limit", "Bruyant"),
        ("spam.example", "suspend", "Spam"),
    ]
    async with database.session() as session:
        subscription = await session.get(BlocklistSubscription, subscription_id)
        assert subscription is not None
        assert (subscription.entry_count, subscription.skipped_lines) == (4, 1)
        assert subscription.error is None
        assert await session.get(DomainBlock, "spam.example") is None

    # When the admin applies one and dismisses the other, and the list is read again
    async with database.session() as session:
        ids = {
            w.proposal.domain: w.proposal.id for w in await blocklists.waiting_proposals(session)
        }
    async with database.transaction() as session:
        assert await blocklists.apply_proposal(session, ids["spam.example"]) is not None
        assert await blocklists.dismiss_proposal(session, ids["loud.example"]) is not None
        assert await blocklists.apply_proposal(session, ids["loud.example"]) is None
    assert await read.read(subscription_id) is None

    # Then neither is proposed again, and the block applied remembers the list
    assert await waiting(database) == []
    async with database.session() as session:
        block = await session.get(DomainBlock, "spam.example")
        assert block is not None
        assert (block.severity, block.reason, block.source_url) == ("suspend", "Spam", LIST_URL)

    # When another list names the dismissed domain, it is not proposed either
    other = await subscribed(database, "https://jonction.example/blocklist.csv")
    await reader.BlocklistReader(database, client, "paquis.test").read(other)
    assert await waiting(database) == []


async def test_ending_a_subscription_keeps_its_applied_blocks_and_drops_what_waits(
    database: Database,
) -> None:
    # Given a list read, one entry applied, one waiting
    client, _asked = client_serving(serving("spam.example\nloud.example\n"))
    subscription_id = await subscribed(database)
    await reader.BlocklistReader(database, client, "paquis.test").read(subscription_id)
    async with database.transaction() as session:
        first = (await blocklists.waiting_proposals(session))[0].proposal
        await blocklists.apply_proposal(session, first.id)

    # When the admin stops reading it
    async with database.transaction() as session:
        assert await blocklists.unsubscribe(session, subscription_id) == LIST_URL

    # Then the block stays, and nothing waits any more
    assert await waiting(database) == []
    async with database.session() as session:
        domains = (await session.scalars(select(DomainBlock.domain))).all()
    assert list(domains) == [first.domain]


async def test_an_entry_the_list_no_longer_names_stops_waiting(database: Database) -> None:
    lists = iter(["spam.example\nloud.example\n", "spam.example\n"])
    client, _asked = client_serving(lambda request: httpx2.Response(200, text=next(lists)))
    subscription_id = await subscribed(database)
    read = reader.BlocklistReader(database, client, "paquis.test")
    await read.read(subscription_id)
    await read.read(subscription_id)
    assert await waiting(database) == [("spam.example", "suspend", "")]


async def test_each_failed_reading_is_recorded_and_keeps_what_waits(database: Database) -> None:
    # Given a list read once
    client, _asked = client_serving(serving("spam.example\n"))
    subscription_id = await subscribed(database)
    assert (
        await reader.BlocklistReader(database, client, "paquis.test").read(subscription_id) is None
    )

    cases = [
        (serving("nope", 404), reader.BAD_STATUS),
        (serving(b"x" * (MAX_BLOCKLIST_BYTES + 10)), reader.TOO_LARGE),
        (serving("<html><body>Moved</body></html>"), reader.UNREADABLE),
    ]
    for answer, expected in cases:
        # When the next reading fails
        failing, _ = client_serving(answer)
        failure = await reader.BlocklistReader(database, failing, "paquis.test").read(
            subscription_id
        )

        # Then the reason is kept on the subscription, and the entry still waits
        assert failure == expected
        async with database.session() as session:
            subscription = await session.get(BlocklistSubscription, subscription_id)
            assert subscription is not None and subscription.error == expected
        assert await waiting(database) == [("spam.example", "suspend", "")]


async def test_a_private_address_is_not_read_unless_allowed(database: Database) -> None:
    client, asked = client_serving(serving("spam.example\n"), allow_private_addresses=False)
    subscription_id = await subscribed(database, "http://127.0.0.1:8080/blocklist.csv")
    failure = await reader.BlocklistReader(database, client, "paquis.test").read(subscription_id)
    assert failure == reader.PRIVATE_ADDRESS
    assert asked == []


async def test_the_daily_round_reads_only_the_lists_not_read_for_a_day(database: Database) -> None:
    client, asked = client_serving(serving("spam.example\n"))
    await subscribed(database)
    daily = reader.BlocklistReader(database, client, "paquis.test")
    assert await daily.run_once() == 1
    assert await daily.run_once() == 0
    assert asked == [LIST_URL]
