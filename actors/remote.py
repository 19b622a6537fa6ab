"""Resolving and caching remote actors and their keys.

Every fetch is a signed GET by the instance actor (authorized fetch). A fetched actor is trusted
only if its id lives on the origin it was fetched from, and its key is owned by it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urldefrag, urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from config.errors import ErrorCode, NotFound
from config.uris import INSTANCE_USERNAME
from federation.client import FederationClient, Signer
from federation.errors import FederationError, FetchError, InvalidActivity
from federation.integrity import InvalidProofKey, decode_public_multikey
from federation.parsing import ParsedActor, parse_actor
from federation.vocab import ACTOR_TYPES, as_list, id_of, same_origin
from federation.webfinger import resolve_actor_via_webfinger
from storage.among import among
from storage.blocks import DomainBlocks
from storage.database import Database
from storage.models import Actor, utcnow

log = logging.getLogger(__name__)

REFRESH_AFTER = timedelta(days=1)
KEY_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class KnownKey:
    """What verifying a signature needs, kept in memory to spare a query per inbox POST."""

    key_id: str
    actor_id: int
    actor_uri: str
    public_key_pem: str
    is_gone: bool


def _is_stale(actor: Actor) -> bool:
    return actor.fetched_at is None or utcnow() - actor.fetched_at > REFRESH_AFTER


class HandleNotResolved(NotFound):
    """A ``user@host`` handle that gives no actor: why, in one word the callers explain."""

    def __init__(self, reason: Literal["blocked", "unreachable", "not_found"]) -> None:
        super().__init__(ErrorCode(reason), "handle")
        self.reason = reason


class RemoteActors:
    """The door to other servers' actors: their keys, their documents, their handles.

    Every fetch is signed by the instance actor, refused for blocked domains, and checked
    (same origin, a key owned by the actor) before anything is stored.
    """

    def __init__(
        self,
        database: Database,
        client: FederationClient | None,
        *,
        blocks: DomainBlocks | None = None,
        url_scheme: str = "https",
    ) -> None:
        self.database = database
        self.client = client
        self.blocks = blocks or DomainBlocks(database)
        self.url_scheme = url_scheme
        self._keys: OrderedDict[str, KnownKey] = OrderedDict()
        self._signer: Signer | None = None

    async def signer(self) -> Signer:
        """The instance actor's key, which signs every fetch."""
        if self._signer is None:
            async with self.database.session() as session:
                actor = await session.scalar(
                    select(Actor).where(
                        Actor.is_local.is_(True), Actor.username == INSTANCE_USERNAME
                    )
                )
            if actor is None or actor.private_key_pem is None:
                raise RuntimeError("no instance actor: run `quartiers migrate`")
            self._signer = Signer(actor.public_key_id, actor.private_key_pem)
        return self._signer

    def forget(self, actor_uri: str) -> None:
        for key_id in [k for k, v in self._keys.items() if v.actor_uri == actor_uri]:
            del self._keys[key_id]

    def _remember(self, actor: Actor) -> KnownKey:
        known = KnownKey(
            actor.public_key_id, actor.id, actor.uri, actor.public_key_pem, actor.is_gone
        )
        self._keys[actor.public_key_id] = known
        self._keys.move_to_end(actor.public_key_id)
        while len(self._keys) > KEY_CACHE_SIZE:
            self._keys.popitem(last=False)
        return known

    async def key(self, key_id: str, *, refresh: bool = False) -> KnownKey | None:
        """The key ``key_id`` (from memory, the database, or fetched); None if it cannot be had."""
        if not refresh:
            known = self._keys.get(key_id)
            if known is not None:
                self._keys.move_to_end(key_id)
                return known
            async with self.database.session() as session:
                actor = await session.scalar(select(Actor).where(Actor.public_key_id == key_id))
            if actor is not None:
                return self._remember(actor)
        actor = await self.fetch_actor(urldefrag(key_id).url, expected_key_id=key_id)
        return self._remember(actor) if actor is not None else None

    async def actor(self, uri: str, *, refresh: bool = False) -> Actor | None:
        """A known actor by id, fetched when unknown or stale."""
        async with self.database.session() as session:
            actor = await session.scalar(select(Actor).where(Actor.uri == uri))
        if actor is not None and (actor.is_local or actor.is_gone):
            return actor
        if actor is not None and not (refresh or _is_stale(actor)):
            return actor
        fetched = await self.fetch_actor(uri)
        return fetched or actor

    async def stored_actors(self, uris: Iterable[str]) -> dict[str, Actor]:
        """The actors among ``uris`` that :meth:`actor` would answer from the database, without
        a fetch, read in one query (the senders of a batch of received activities)."""
        wanted = set(uris)
        if not wanted:
            return {}
        async with self.database.session() as session:
            found = await session.scalars(select(Actor).where(among(Actor.uri, wanted)))
        return {
            actor.uri: actor
            for actor in found
            if actor.is_local or actor.is_gone or not _is_stale(actor)
        }

    async def fetch_actor(self, url: str, *, expected_key_id: str | None = None) -> Actor | None:
        if self.client is None:
            return None
        try:
            document = await self.client.fetch_document(url, await self.signer())
            data = document.data
            if data.get("type") not in ACTOR_TYPES and isinstance(data.get("owner"), str):
                # The key id named a standalone Key document: its owner is the actor.
                document = await self.client.fetch_document(data["owner"], await self.signer())
            parsed = parse_actor(document.data)
        except (FetchError, InvalidActivity) as error:
            log.info("cannot fetch actor %s: %s", url, error)
            return None
        if not same_origin(parsed.id, document.url) or not parsed.inbox:
            log.warning("refusing actor %s served from %s", parsed.id, document.url)
            return None
        if not parsed.public_key_pem or not parsed.public_key_id:
            log.info("actor %s has no public key", parsed.id)
            return None
        if parsed.owner and parsed.owner != parsed.id:
            log.warning("key of %s is owned by %s", parsed.id, parsed.owner)
            return None
        if expected_key_id and parsed.public_key_id != expected_key_id:
            log.info("actor %s does not carry key %s", parsed.id, expected_key_id)
            return None
        try:
            async with self.database.transaction() as session:
                actor = await store_remote_actor(session, parsed)
        except IntegrityError:
            # Two requests signed by a new actor arrived together and the other stored it first.
            async with self.database.transaction() as session:
                actor = await store_remote_actor(session, parsed)
        self.forget(actor.uri)
        return actor

    async def by_handle(self, username: str, host: str) -> Actor:
        """The remote actor ``username@host``, found by WebFinger and stored (the one place a
        handle is resolved). Raises :class:`HandleNotResolved`."""
        if await self.blocks.is_blocked(host.split(":", 1)[0]):
            raise HandleNotResolved("blocked")
        if self.client is None:
            raise HandleNotResolved("unreachable")
        try:
            resolved = await resolve_actor_via_webfinger(
                self.client, f"{username}@{host}", await self.signer(), url_scheme=self.url_scheme
            )
        except FederationError as error:
            log.info("handle %s@%s not resolved: %s", username, host, error)
            raise HandleNotResolved("not_found") from error
        try:
            async with self.database.transaction() as session:
                return await store_remote_actor(session, resolved.actor)
        except IntegrityError:
            # Resolved at the same time by another request, which stored it first.
            async with self.database.session() as session:
                actor = await session.scalar(select(Actor).where(Actor.uri == resolved.actor.id))
            if actor is None:
                raise HandleNotResolved("not_found") from None
            return actor


async def store_remote_actor(session: AsyncSession, parsed: ParsedActor) -> Actor:
    """Insert or refresh the cached copy of a remote actor."""
    actor = await session.scalar(select(Actor).where(Actor.uri == parsed.id))
    if actor is not None and actor.is_local:
        return actor
    if actor is None:
        actor = Actor(uri=parsed.id, is_local=False)
        session.add(actor)
    split = urlsplit(parsed.id)
    actor.type = parsed.type
    actor.username = (parsed.preferred_username or split.path.rstrip("/").rsplit("/", 1)[-1])[:255]
    actor.domain = split.netloc.lower()
    actor.name = (parsed.name or actor.username)[:255]
    actor.summary = parsed.summary or ""
    actor.url = parsed.url
    actor.icon_url = parsed.icon_url
    actor.inbox_uri = parsed.inbox or ""
    actor.shared_inbox_uri = parsed.shared_inbox
    actor.outbox_uri = parsed.outbox
    actor.followers_uri = parsed.followers
    actor.following_uri = parsed.following
    actor.public_key_id = parsed.public_key_id or ""
    actor.public_key_pem = parsed.public_key_pem or ""
    actor.assertion_key = assertion_key_of(parsed.raw, parsed.id)
    actor.manually_approves_followers = bool(parsed.manually_approves_followers)
    actor.document = dict(parsed.raw)
    actor.fetched_at = utcnow()
    actor.is_gone = False
    await session.flush()
    return actor


def assertion_key_of(document: Mapping[str, Any], actor_uri: str) -> str | None:
    """The Ed25519 Multikey an actor lists under ``assertionMethod`` (FEP-521a): the one it
    controls, under its own id; what checks the integrity proofs of its signatures."""
    for method in as_list(document.get("assertionMethod")):
        if not isinstance(method, dict) or method.get("type") != "Multikey":
            continue
        key = method.get("publicKeyMultibase")
        if (
            isinstance(key, str)
            and len(key) <= 128
            and method.get("controller") == actor_uri
            and (id_of(method.get("id")) or "").split("#", 1)[0] == actor_uri
        ):
            try:
                decode_public_multikey(key)
            except InvalidProofKey:
                continue
            return key
    return None
