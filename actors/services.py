"""Creating local actors: residents (with accounts), collectives and the instance actor."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.errors import InvalidGroupKind, InvalidUsername, NameTaken, UnknownAccount
from actors.passwords import hash_password
from config.settings import Settings
from config.uris import INSTANCE_USERNAME, Uris, is_valid_username, normalise_username
from federation.keys import generate_rsa_keypair
from storage.models import Account, Actor, ApiToken, Membership
from storage.models.actors import APPLICATION, GROUP, GROUP_KINDS, PERSON


async def find_local_actor(session: AsyncSession, username: str) -> Actor | None:
    return await session.scalar(
        select(Actor).where(Actor.is_local.is_(True), Actor.username == username)
    )


async def find_account(session: AsyncSession, username: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.username == username))


async def _new_local_actor(
    session: AsyncSession,
    settings: Settings,
    username: str,
    actor_type: str,
    *,
    name: str = "",
    summary: str = "",
    group_kind: str | None = None,
    check_name: bool = True,
) -> Actor:
    if check_name and not is_valid_username(username):
        raise InvalidUsername(username)
    if await find_local_actor(session, username) is not None:
        raise NameTaken(username)
    uris = Uris(settings.base_url)
    uri = uris.instance_actor() if actor_type == APPLICATION else uris.actor(username)
    keys = generate_rsa_keypair()
    actor = Actor(
        uri=uri,
        type=actor_type,
        username=username,
        domain=settings.server.domain,
        is_local=True,
        name=name or username,
        summary=summary,
        url=uri,
        inbox_uri=f"{uri}/inbox",
        shared_inbox_uri=uris.shared_inbox(),
        outbox_uri=f"{uri}/outbox",
        followers_uri=f"{uri}/followers",
        following_uri=f"{uri}/following",
        public_key_id=uris.key_id(uri),
        public_key_pem=keys.public_pem,
        private_key_pem=keys.private_pem,
        group_kind=group_kind,
    )
    session.add(actor)
    await session.flush()
    return actor


async def ensure_instance_actor(session: AsyncSession, settings: Settings) -> Actor:
    """The ``Application`` actor that signs our fetches; created once."""
    existing = await find_local_actor(session, INSTANCE_USERNAME)
    if existing is not None:
        return existing
    return await _new_local_actor(
        session,
        settings,
        INSTANCE_USERNAME,
        APPLICATION,
        name=settings.server.name,
        check_name=False,
    )


async def create_account(
    session: AsyncSession,
    settings: Settings,
    username: str,
    password: str | None,
    *,
    display_name: str = "",
    is_admin: bool = False,
) -> Account:
    username = normalise_username(username)
    actor = await _new_local_actor(session, settings, username, PERSON, name=display_name)
    account = Account(
        actor_id=actor.id,
        username=username,
        password_hash=hash_password(password) if password else None,
        is_admin=is_admin,
        language=settings.server.default_language,
    )
    session.add(account)
    await session.flush()
    return account


async def create_group(
    session: AsyncSession,
    settings: Settings,
    name: str,
    kind: str,
    owner_username: str,
    *,
    display_name: str = "",
    summary: str = "",
) -> Actor:
    """A collective with its owner as its first admin member."""
    if kind not in GROUP_KINDS:
        raise InvalidGroupKind(kind)
    owner = await find_account(session, normalise_username(owner_username))
    if owner is None:
        raise UnknownAccount(owner_username)
    group = await _new_local_actor(
        session,
        settings,
        normalise_username(name),
        GROUP,
        name=display_name,
        summary=summary,
        group_kind=kind,
    )
    session.add(Membership(group_id=group.id, member_id=owner.actor_id, role="admin"))
    await session.flush()
    return group


async def create_api_token(session: AsyncSession, username: str, label: str = "") -> str:
    """A new bearer token; only its hash is kept, so it is shown once."""
    account = await find_account(session, normalise_username(username))
    if account is None:
        raise UnknownAccount(username)
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(account_id=account.id, token_sha256=token_digest(token), label=label))
    await session.flush()
    return token


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def count_local_people(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Actor)
        .where(Actor.is_local.is_(True), Actor.type == PERSON)
    )
    return count or 0
