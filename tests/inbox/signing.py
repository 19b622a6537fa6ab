"""A fake Mastodon-like server and a signing helper for hand-crafted inbox POSTs.

``mastodon.test`` serves actor documents with fixed test keys (generated once per session);
``paquis.test`` is a real instance. Both are reached through the rig's :class:`HostRouter`, so
the inbox fetches keys from ``mastodon.test`` exactly as it would over the network.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors.services import ensure_instance_actor
from federation.keys import KeyPair, generate_rsa_keypair
from federation.signatures import Scheme, sign_request
from instance.runtime import Instance
from quartiers.app import create_app
from storage.models import InboxItem
from tests.federation_rig.rig import HostRouter
from tests.support import fresh_database, make_settings

REMOTE_HOST = "mastodon.test"
LOCAL_HOST = "paquis.test"
ACTIVITY_JSON = "application/activity+json"


@cache
def fixed_key(label: str) -> KeyPair:
    """A fixed RSA pair per label for the whole session (generating one costs ~50 ms)."""
    return generate_rsa_keypair()


def actor_uri(username: str) -> str:
    return f"http://{REMOTE_HOST}/users/{username}"


def key_id(username: str) -> str:
    return f"{actor_uri(username)}#main-key"


def build_remote_actor(username: str) -> dict[str, Any]:
    uri = actor_uri(username)
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": username,
        "name": username.title(),
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "followers": f"{uri}/followers",
        "endpoints": {"sharedInbox": f"http://{REMOTE_HOST}/inbox"},
        "publicKey": {
            "id": key_id(username),
            "owner": uri,
            "publicKeyPem": fixed_key(username).public_pem,
        },
    }


def build_note_activity(username: str, suffix: str, **overrides: Any) -> dict[str, Any]:
    """A Create(Note) by ``username`` of mastodon.test, public, with a unique id."""
    uri = actor_uri(username)
    note_uri = f"{uri}/statuses/{suffix}"
    activity: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note_uri}/activity",
        "type": "Create",
        "actor": uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": note_uri,
            "type": "Note",
            "attributedTo": uri,
            "content": f"<p>Bonjour {suffix}</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    }
    activity.update(overrides)
    return activity


def remote_app(actors: dict[str, dict[str, Any]]) -> Starlette:
    """Serves ``GET /users/{name}`` from ``actors`` (a dict the test may change)."""

    async def actor(request: Request) -> Response:
        document = actors.get(request.path_params["username"])
        if document is None:
            return JSONResponse({"error": "gone"}, status_code=404)
        return JSONResponse(document, media_type=ACTIVITY_JSON)

    return Starlette(routes=[Route("/users/{username}", actor)])


def signed_headers(
    url: str,
    body: bytes,
    *,
    signer: str,
    key_pair: KeyPair | None = None,
    scheme: Scheme = Scheme.CAVAGE,
    now: datetime | None = None,
) -> dict[str, str]:
    """Headers of a POST of ``body`` to ``url`` signed with ``signer``'s key (or ``key_pair``)."""
    base = {"Content-Type": ACTIVITY_JSON}
    pair = key_pair or fixed_key(signer)
    added = sign_request("POST", url, base, body, key_id(signer), pair.private_pem, scheme, now=now)
    return {**base, **added}


def encode(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


@dataclass
class InboxHarness:
    """paquis.test (a real app, no background workers) next to a fake mastodon.test."""

    instance: Instance
    client: httpx2.AsyncClient
    remote_actors: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Every request the harness carried, as (method, address): see ``key_fetches``.
    requests: list[tuple[str, str]] = field(default_factory=list)

    def key_fetches(self, username: str) -> int:
        """How many times paquis.test fetched ``username``'s actor document (and key) so far."""
        return self.requests.count(("GET", actor_uri(username)))

    @property
    def shared_inbox(self) -> str:
        return f"http://{LOCAL_HOST}/inbox"

    def add_remote(self, username: str) -> str:
        self.remote_actors[username] = build_remote_actor(username)
        return actor_uri(username)

    async def post(
        self, body: bytes, headers: dict[str, str] | None = None, url: str | None = None
    ) -> httpx2.Response:
        return await self.client.post(
            url or self.shared_inbox,
            content=body,
            headers=headers or {"Content-Type": ACTIVITY_JSON},
        )

    async def post_signed(
        self,
        document: object,
        *,
        signer: str,
        url: str | None = None,
        key_pair: KeyPair | None = None,
        now: datetime | None = None,
    ) -> httpx2.Response:
        body = document if isinstance(document, bytes) else encode(document)
        target = url or self.shared_inbox
        headers = signed_headers(target, body, signer=signer, key_pair=key_pair, now=now)
        return await self.post(body, headers, target)

    async def inbox_rows(self) -> int:
        async with self.instance.database.session() as session:
            return await session.scalar(select(func.count()).select_from(InboxItem)) or 0


@asynccontextmanager
async def inbox_harness(
    tmp_path: Path,
    database_kind: str = "sqlite",
    *,
    raise_app_exceptions: bool = True,
    **federation: object,
) -> AsyncIterator[InboxHarness]:
    """paquis.test with its own database and ``federation`` settings overrides."""
    async with AsyncExitStack() as stack:
        database = await stack.enter_async_context(fresh_database(database_kind, tmp_path, "inbox"))
        settings = make_settings(LOCAL_HOST, database_url=database.url, **federation)
        router = HostRouter()
        client = httpx2.AsyncClient(transport=router)
        stack.push_async_callback(client.aclose)
        app = create_app(settings, database=database, http_client=client, run_workers=False)
        async with database.transaction() as session:
            await ensure_instance_actor(session, settings)
        harness = InboxHarness(app.state.instance, client, requests=router.requests)
        router.transports[LOCAL_HOST] = httpx2.ASGITransport(
            app=app, raise_app_exceptions=raise_app_exceptions
        )
        router.transports[REMOTE_HOST] = httpx2.ASGITransport(app=remote_app(harness.remote_actors))
        yield harness
