"""Another origin for the inbox's tests: its people (signed as they would be), a server that
holds every request until released, and waits on the queue's state."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors.services import create_account
from federation.signatures import Scheme, sign_request
from storage.models import Actor, InboxItem
from storage.models.queue import DONE
from tests.federation_rig.rig import HostRouter
from tests.inbox.signing import ACTIVITY_JSON, InboxHarness, actor_uri, fixed_key

OTHER_HOST = "lemmy.test"
SLOW_HOST = "slow.test"


class SlowServer:
    """Answers every GET with 404, but only once ``release`` is set; counts what it got."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.received: list[str] = []
        self.waiting = 0
        self.most_waiting = 0

    def app(self) -> Starlette:
        async def anything(request: Request) -> Response:
            self.received.append(str(request.url))
            self.waiting += 1
            self.most_waiting = max(self.most_waiting, self.waiting)
            try:
                await self.release.wait()
            finally:
                self.waiting -= 1
            return JSONResponse({"error": "not here"}, status_code=404)

        return Starlette(routes=[Route("/{path:path}", anything)])


def other_actor(username: str) -> dict[str, Any]:
    uri = f"http://{OTHER_HOST}/u/{username}"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": username,
        "inbox": f"{uri}/inbox",
        "publicKey": {
            "id": f"{uri}#main-key",
            "owner": uri,
            "publicKeyPem": fixed_key(f"{OTHER_HOST}/{username}").public_pem,
        },
    }


def other_origin_app(actors: dict[str, dict[str, Any]]) -> Starlette:
    async def actor(request: Request) -> Response:
        return JSONResponse(actors[request.path_params["username"]], media_type=ACTIVITY_JSON)

    return Starlette(routes=[Route("/u/{username}", actor)])


def router_of(inbox: InboxHarness) -> HostRouter:
    transport = inbox.client._transport  # the harness's router, shared with the instance
    assert isinstance(transport, HostRouter)
    return transport


@asynccontextmanager
async def slow_and_other_origins(
    inbox: InboxHarness,
) -> AsyncIterator[tuple[SlowServer, dict[str, dict[str, Any]]]]:
    slow = SlowServer()
    others: dict[str, dict[str, Any]] = {}
    router = router_of(inbox)
    router.transports[SLOW_HOST] = httpx2.ASGITransport(app=slow.app())
    router.transports[OTHER_HOST] = httpx2.ASGITransport(app=other_origin_app(others))
    try:
        yield slow, others
    finally:
        slow.release.set()


async def post_from_other_origin(inbox: InboxHarness, username: str, document: object) -> None:
    body = json.dumps(document).encode()
    base = {"Content-Type": ACTIVITY_JSON}
    key = fixed_key(f"{OTHER_HOST}/{username}")
    key_id = f"http://{OTHER_HOST}/u/{username}#main-key"
    headers = base | sign_request(
        "POST", inbox.shared_inbox, base, body, key_id, key.private_pem, Scheme.CAVAGE
    )
    response = await inbox.post(body, headers)
    assert response.status_code == 202, response.text


async def follows_from_other_origin(
    inbox: InboxHarness, others: dict[str, dict[str, Any]], follows: list[tuple[str, str]]
) -> None:
    """Each ``(username, resident)``: that person of the other origin follows the resident
    (the n-th Follow's id ends in n)."""
    for number, (username, resident) in enumerate(follows):
        others[username] = other_actor(username)
        follow = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"http://{OTHER_HOST}/u/{username}/follows/{number}",
            "type": "Follow",
            "actor": f"http://{OTHER_HOST}/u/{username}",
            "object": resident,
        }
        await post_from_other_origin(inbox, username, follow)


def announce(number: int, sender: str = "alice") -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor_uri(sender)}/announces/{number}",
        "type": "Announce",
        "actor": actor_uri(sender),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": f"http://{SLOW_HOST}/notes/{number}",
    }


async def states(inbox: InboxHarness) -> dict[str, str]:
    async with inbox.instance.database.session() as session:
        rows = await session.execute(select(InboxItem.activity_type, InboxItem.state))
        found: dict[str, str] = {}
        for kind, state in rows:
            found.setdefault(kind, state)
            if state != DONE:
                found[kind] = state
        return found


def note_create(username: str, number: int) -> dict[str, Any]:
    """A public note of that person of the other origin, created (its id ends in ``number``)."""
    author = f"http://{OTHER_HOST}/u/{username}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{author}/creates/{number}",
        "type": "Create",
        "actor": author,
        "object": {
            "id": f"{author}/notes/{number}",
            "type": "Note",
            "attributedTo": author,
            "content": f"<p>Note {number}</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    }


async def new_resident(inbox: InboxHarness, username: str) -> str:
    async with inbox.instance.database.transaction() as session:
        account = await create_account(session, inbox.instance.settings, username, "password123")
        actor = await session.get(Actor, account.actor_id)
        assert actor is not None
        return actor.uri
