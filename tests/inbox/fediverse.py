"""A real instance (paquis.test) among remote servers whose every answer the test controls.

The remote servers serve whatever documents the test puts at whatever path — an honest Mastodon,
a relay, or a server that lies about ids, keys and authors. Their residents have real RSA keys
and really sign their inbox POSTs, so paquis.test fetches keys, verifies signatures, stores and
handles activities exactly as in production; only what the remote side says is scripted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors.services import create_account, ensure_instance_actor
from federation.keys import KeyPair
from federation.signatures import Scheme, sign_request
from federation.vocab import PUBLIC
from inbox.worker import InboxWorker
from instance.runtime import Instance
from quartiers.app import create_app
from storage.models import Actor, Event, InboxItem, Post
from storage.models.queue import DONE
from tests.federation_rig.rig import HostRouter
from tests.inbox.signing import ACTIVITY_JSON, encode, fixed_key
from tests.support import fresh_database, make_settings

LOCAL_HOST = "paquis.test"


@dataclass
class RemoteServer:
    """One remote host: ``documents`` maps a path to a JSON document or to an HTTP status."""

    host: str
    documents: dict[str, dict[str, Any] | int] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    schemes: list[str] = field(default_factory=list)  # of the requests, in the order of fetched
    signed_only: bool = False  # as Mastodon's secure mode: an unsigned GET gets a 401, but for
    # the /.well-known/ documents (WebFinger, NodeInfo), which everyone may read

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def key_pair(self, username: str) -> KeyPair:
        return fixed_key(f"{self.host}/{username}")

    def add_actor(self, username: str, kind: str = "Person", **changes: Any) -> str:
        """Serve an actor at ``/users/<username>`` with its own key; returns its id."""
        uri = self.url(f"/users/{username}")
        document: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri,
            "type": kind,
            "preferredUsername": username,
            "name": username.title(),
            "inbox": f"{uri}/inbox",
            "outbox": f"{uri}/outbox",
            "followers": f"{uri}/followers",
            "publicKey": {
                "id": f"{uri}#main-key",
                "owner": uri,
                "publicKeyPem": self.key_pair(username).public_pem,
            },
        }
        document.update(changes)
        self.documents[f"/users/{username}"] = document
        return uri

    def serve(self, document: dict[str, Any] | int, at: str) -> str:
        """Serve ``document`` (or answer a status) at the path of URL ``at``; returns ``at``."""
        assert at.startswith(f"http://{self.host}/")
        self.documents[at.removeprefix(f"http://{self.host}")] = document
        return at

    def app(self) -> Starlette:
        async def answer(request: Request) -> Response:
            self.fetched.append(request.url.path)
            self.schemes.append(request.url.scheme)
            public = request.url.path.startswith("/.well-known/")
            if self.signed_only and not public and "signature" not in request.headers:
                return JSONResponse({"error": "request not signed"}, status_code=401)
            document = self.documents.get(request.url.path)
            if document is None:
                return JSONResponse({"error": "not found"}, status_code=404)
            if isinstance(document, int):
                return JSONResponse({"error": "scripted"}, status_code=document)
            return JSONResponse(document, media_type=ACTIVITY_JSON)

        return Starlette(routes=[Route("/{path:path}", answer)])


@dataclass
class Fediverse:
    instance: Instance
    client: httpx2.AsyncClient
    servers: dict[str, RemoteServer]
    router: HostRouter

    def __getitem__(self, host: str) -> RemoteServer:
        return self.servers[host]

    @property
    def shared_inbox(self) -> str:
        return f"http://{LOCAL_HOST}/inbox"

    def take_down(self, host: str) -> None:
        """The host stops answering: every request to it fails to connect."""
        del self.router.transports[host]

    def bring_up(self, host: str) -> None:
        self.router.transports[host] = httpx2.ASGITransport(app=self.servers[host].app())

    async def post_as(
        self,
        actor_uri: str,
        document: dict[str, Any],
        *,
        key_id: str | None = None,
        key_pair: KeyPair | None = None,
        streamed: bool = False,
        scheme: Scheme = Scheme.CAVAGE,
        signed_at: datetime | None = None,
    ) -> httpx2.Response:
        """POST ``document`` to the shared inbox, signed with the key of ``actor_uri``.

        ``streamed`` sends the body in chunks, without a Content-Length; ``signed_at`` dates the
        signature (now by default).
        """
        host = actor_uri.split("/")[2]
        username = actor_uri.rsplit("/", 1)[-1]
        pair = key_pair or self.servers[host].key_pair(username)
        body = encode(document)
        base = {"Content-Type": ACTIVITY_JSON}
        added = sign_request(
            "POST",
            self.shared_inbox,
            base,
            body,
            key_id or f"{actor_uri}#main-key",
            pair.private_pem,
            scheme,
            signed_at,
        )
        headers = {**base, **added}
        if not streamed:
            return await self.client.post(self.shared_inbox, content=body, headers=headers)

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 100):
                yield body[start : start + 100]

        return await self.client.post(self.shared_inbox, content=chunks(), headers=headers)

    async def handle(self) -> int:
        """Run the inbox worker until nothing is due; returns the items handled."""
        worker = InboxWorker(self.instance)
        total = 0
        while handled := await worker.run_once():
            total += handled
        return total

    async def count(self, model: type[Any], *where: Any) -> int:
        async with self.instance.database.session() as session:
            statement = select(func.count()).select_from(model).where(*where)
            return await session.scalar(statement) or 0

    async def post(self, uri: str) -> Post | None:
        async with self.instance.database.session() as session:
            return await session.scalar(select(Post).where(Post.uri == uri))

    async def event(self, uri: str) -> Event | None:
        async with self.instance.database.session() as session:
            return await session.scalar(select(Event).where(Event.uri == uri))

    async def actor(self, uri: str) -> Actor | None:
        async with self.instance.database.session() as session:
            return await session.scalar(select(Actor).where(Actor.uri == uri))

    async def inbox_items(self) -> list[InboxItem]:
        async with self.instance.database.session() as session:
            return list((await session.scalars(select(InboxItem).order_by(InboxItem.id))).all())


@asynccontextmanager
async def fediverse(
    tmp_path: Path,
    database_kind: str = "sqlite",
    hosts: tuple[str, ...] = ("mastodon.test", "mobilizon.test"),
    **federation: Any,
) -> AsyncIterator[Fediverse]:
    """paquis.test (a real app, workers stepped by hand) and scripted servers at ``hosts``;
    ``federation`` overrides settings of paquis.test (``max_body_bytes=…``)."""
    async with AsyncExitStack() as stack:
        database = await stack.enter_async_context(fresh_database(database_kind, tmp_path, "fedi"))
        settings = make_settings(LOCAL_HOST, database_url=database.url, **federation)
        router = HostRouter()
        client = httpx2.AsyncClient(transport=router)
        stack.push_async_callback(client.aclose)
        app = create_app(settings, database=database, http_client=client, run_workers=False)
        async with database.transaction() as session:
            await ensure_instance_actor(session, settings)
        router.transports[LOCAL_HOST] = httpx2.ASGITransport(app=app)
        servers = {host: RemoteServer(host) for host in hosts}
        world = Fediverse(app.state.instance, client, servers, router)
        for host in hosts:
            world.bring_up(host)
        yield world


def in_days(days: int) -> str:
    """A start time ``days`` from now, as remote servers write it."""
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def note(author: str, number: int, content: str = "Bonjour", **changes: Any) -> dict[str, Any]:
    """A public Note by ``author`` on the author's server."""
    document: dict[str, Any] = {
        "id": f"{author}/statuses/{number}",
        "type": "Note",
        "attributedTo": author,
        "content": f"<p>{content}</p>",
        "to": [PUBLIC],
    }
    document.update(changes)
    return document


def activity(kind: str, actor: str, obj: dict[str, Any] | str, number: int) -> dict[str, Any]:
    """An activity by ``actor``, its id on the actor's server."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/activities/{kind.lower()}-{number}",
        "type": kind,
        "actor": actor,
        "to": [PUBLIC],
        "object": obj,
    }


async def deliver(world: Fediverse, sender: str, *documents: dict[str, Any]) -> None:
    """Each document taken (202) and handled; every item so far done, none with an error."""
    for document in documents:
        assert (await world.post_as(sender, document)).status_code == 202
    await world.handle()
    items = await world.inbox_items()
    assert [(item.state, item.last_error) for item in items] == [(DONE, None)] * len(items)


async def resident(world: Fediverse, username: str) -> Actor:
    """A new resident of the instance, by their actor."""
    instance = world.instance
    async with instance.database.transaction() as session:
        account = await create_account(session, instance.settings, username, "password123")
        actor = await session.get(Actor, account.actor_id)
    assert actor is not None
    return actor
