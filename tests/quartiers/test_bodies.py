"""Request bodies are capped while they are read, and JSON nested too deeply is a 400.

Memory is measured in this process (tracemalloc) while a body far over the cap goes through the
real application: the cap, not the body, bounds what the server holds.
"""

from __future__ import annotations

import logging
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx2
import pytest
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message

from actors.services import create_account, create_api_token
from config.settings import Settings
from federation.bodies import BodyTooLarge, capped_request, read_capped_body, read_capped_stream
from storage.database import Database

ACTIVITY_JSON = "application/activity+json"
MEGABYTE = 1024 * 1024
HUGE = 200 * MEGABYTE
NESTED = b"[" * 100_000 + b"]" * 100_000


async def endless_json(total: int) -> AsyncIterator[bytes]:
    """A JSON string of ``total`` bytes, sent in 64 KB chunks without a Content-Length."""
    chunk = b"a" * (64 * 1024)
    yield b'{"type": "Note", "content": "'
    for _ in range(total // len(chunk)):
        yield chunk
    yield b'"}'


async def peak_memory_while(send: Callable[[], Awaitable[httpx2.Response]]) -> tuple[
    httpx2.Response, int
]:  # fmt: skip
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        response = await send()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak


async def token_for(settings: Settings, database: Database, username: str) -> str:
    async with database.transaction() as session:
        await create_account(session, settings, username, "correct horse battery")
        return await create_api_token(session, username)


async def test_a_huge_inbox_body_is_refused_at_the_cap_with_flat_memory(
    client: httpx2.AsyncClient, settings: Settings
) -> None:
    # Given a sender streaming 200 MB to the shared inbox (cap: 1 MB), without Content-Length
    # When it is posted
    response, peak = await peak_memory_while(
        lambda: client.post(
            "/inbox", content=endless_json(HUGE), headers={"Content-Type": ACTIVITY_JSON}
        )
    )

    # Then it is a 413 with its reason, and the server held about the cap, not the body
    assert response.status_code == 413
    assert response.json() == {"error": f"body larger than {MEGABYTE} bytes"}
    assert settings.federation.max_body_bytes == MEGABYTE
    assert peak < 8 * MEGABYTE, f"peak {peak / MEGABYTE:.1f} MB"


async def test_a_declared_length_over_the_cap_is_refused_before_reading(
    client: httpx2.AsyncClient,
) -> None:
    # Given a POST that announces 800 MB but sends only a little
    headers = {"Content-Type": ACTIVITY_JSON, "Content-Length": str(800 * MEGABYTE)}

    # When it reaches the inbox
    response = await client.post("/inbox", content=b"{}", headers=headers)

    # Then it is refused from its header alone
    assert response.status_code == 413


async def test_a_huge_client_to_server_body_is_refused_at_the_cap_with_flat_memory(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a resident's script streaming 200 MB to her outbox
    token = await token_for(settings, database, "amelie")
    headers = {"Content-Type": ACTIVITY_JSON, "Authorization": f"Bearer {token}"}

    # When it is posted
    response, peak = await peak_memory_while(
        lambda: client.post("/@amelie/outbox", content=endless_json(HUGE), headers=headers)
    )

    # Then it is a 413 with its reason in JSON, and memory stayed near the cap
    assert response.status_code == 413
    assert response.json() == {"error": f"body larger than {MEGABYTE} bytes"}
    assert peak < 8 * MEGABYTE, f"peak {peak / MEGABYTE:.1f} MB"


async def test_deeply_nested_json_in_the_inbox_is_a_400_and_one_log_line(
    client: httpx2.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Given 100,000 nested arrays from nobody in particular (200 KB, under the cap)
    caplog.set_level(logging.DEBUG)

    # When they are posted to the shared inbox, unsigned
    response = await client.post("/inbox", content=NESTED, headers={"Content-Type": ACTIVITY_JSON})

    # Then it is a 400 that says why, logged as one line without a traceback
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["error"]
    ours = [
        r
        for r in caplog.records
        if r.name.startswith(("inbox", "endpoints", "federation", "webui", "quartiers"))
    ]
    assert len(ours) == 1 and ours[0].exc_info is None
    assert all(record.levelno < logging.ERROR for record in caplog.records)


async def test_json_nested_past_the_bound_but_under_the_recursion_limit_is_a_400(
    client: httpx2.AsyncClient,
) -> None:
    # Given an activity whose object nests 500 lists deep (json.loads would accept it)
    body = b'{"type": "Create", "id": "https://a.example/1", "object": ' + (
        b"[" * 500 + b"]" * 500 + b"}"
    )

    # When it is posted
    response = await client.post("/inbox", content=body, headers={"Content-Type": ACTIVITY_JSON})

    # Then it is refused before any handler walks it
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["error"]


async def test_deeply_nested_json_to_the_outbox_is_a_400(
    client: httpx2.AsyncClient,
    settings: Settings,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a resident's script sending 100,000 nested arrays to her outbox
    token = await token_for(settings, database, "amelie")
    headers = {"Content-Type": ACTIVITY_JSON, "Authorization": f"Bearer {token}"}

    # When it is posted
    response = await client.post("/@amelie/outbox", content=NESTED, headers=headers)

    # Then it is a 400 with its reason, and nothing is logged as an error
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["error"]
    assert all(record.levelno < logging.ERROR for record in caplog.records)


async def test_a_body_already_read_is_read_again_whole_and_a_chunked_one_joined() -> None:
    # Given a request whose body came in two messages, already read once (as a middleware may)
    messages = [
        {"type": "http.request", "body": b'{"type": ', "more_body": True},
        {"type": "http.request", "body": b'"Note"}', "more_body": False},
    ]

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    request = Request({"type": "http", "method": "POST", "headers": []}, receive)
    assert await request.body() == b'{"type": "Note"}'
    # When it is read with a cap
    # Then the same whole body is read again
    assert await read_capped_body(request, limit=1000) == b'{"type": "Note"}'
    # While a body past the cap is refused
    with pytest.raises(BodyTooLarge):
        await read_capped_body(request, limit=5)


async def test_a_client_that_leaves_before_the_end_of_its_body_is_told_apart() -> None:
    messages = [
        {"type": "http.request", "body": b'{"type": ', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    with pytest.raises(ClientDisconnect):
        request = Request({"type": "http", "method": "POST", "headers": []}, receive)
        await read_capped_stream(request.stream(), None, limit=1000)


def chunked(*bodies: bytes, length: int | None = None) -> Request:
    """A POST whose body comes in ``bodies``, then the client leaves; ``length`` is declared."""
    messages: list[Message] = [
        {"type": "http.request", "body": body, "more_body": index < len(bodies) - 1}
        for index, body in enumerate(bodies)
    ]
    headers = [] if length is None else [(b"content-length", str(length).encode())]

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


async def test_a_form_body_is_capped_on_what_arrives_across_its_messages() -> None:
    # A body of exactly the cap, in two messages, is read whole
    assert await capped_request(chunked(b"abc", b"de"), limit=5).body() == b"abcde"
    # One byte more, across the messages, is refused while it is read
    with pytest.raises(BodyTooLarge):
        await capped_request(chunked(b"abc", b"def"), limit=5).body()
    # And a declared length over the cap is refused before anything is read
    declared = chunked(b"a", length=6)
    with pytest.raises(BodyTooLarge):
        capped_request(declared, limit=5)
    assert await capped_request(chunked(b"abcde", length=5), limit=5).body() == b"abcde"


async def test_a_capped_form_passes_on_what_is_not_its_body() -> None:
    # Each message reaches the form parser as it came, and the client leaving is passed on
    # as such, not counted as body
    request = capped_request(chunked(b"ab", b"c"), limit=5)
    assert [message async for message in _messages(request, 3)] == [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"c", "more_body": False},
        {"type": "http.disconnect"},
    ]


async def _messages(request: Request, count: int) -> AsyncIterator[Message]:
    for _ in range(count):
        yield await request.receive()


async def test_a_body_declared_past_the_cap_is_refused_before_any_of_it_is_read() -> None:
    # Given a request declaring 2 MB, whose first message holds a few bytes
    request = chunked(b'{"type": "Note"}', length=2 * MEGABYTE)
    reads: list[Message] = []
    receive = request.receive

    async def counting_receive() -> Message:
        message = await receive()
        reads.append(message)
        return message

    request._receive = counting_receive
    # When it is read with a cap of 1 MB
    # Then it is refused on its Content-Length, and nothing was read
    with pytest.raises(BodyTooLarge):
        await read_capped_body(request, limit=MEGABYTE)
    assert reads == []
