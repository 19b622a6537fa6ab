"""Who a client is (its bearer token) and for whom it acts (its own outbox, or the outbox of a
collective it facilitates)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from actors.groups import find_membership, is_moderator
from actors.services import token_digest
from endpoints.c2s.errors import ClientError
from instance.runtime import Instance
from storage.models import Account, Actor, ApiToken, utcnow


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def token_owner(session: AsyncSession, token: str) -> Actor:
    """The resident a token belongs to; 401 when unknown, 403 when their account is suspended."""
    found = (
        await session.execute(
            select(ApiToken, Account)
            .join(Account, Account.id == ApiToken.account_id)
            .where(ApiToken.token_sha256 == token_digest(token))
        )
    ).first()
    if found is None:
        raise ClientError(401, "unknown token")
    api_token, account = found
    if account.is_suspended:
        raise ClientError(403, "this account is suspended")
    api_token.last_used_at = utcnow()
    actor = await session.get(Actor, account.actor_id)
    assert actor is not None
    return actor


async def may_act_for(session: AsyncSession, person: Actor, actor: Actor) -> bool:
    """A resident acts for themself, and for a collective of ours where they are a facilitator
    or an admin."""
    if person.id == actor.id:
        return True
    if not actor.is_local or not actor.is_group:
        return False
    return is_moderator(await find_membership(session, actor, person))


async def outbox_client(request: Request, instance: Instance) -> tuple[Actor, Actor]:
    """``(person, acting)``: the token's owner and the owner of the outbox in the path."""
    token = bearer_token(request)
    if token is None:
        raise ClientError(401, "a bearer token is required (quartiers token create USERNAME)")
    username = request.path_params["username"]
    async with instance.database.transaction() as session:
        person = await token_owner(session, token)
        if person.username == username and not person.is_group:
            return person, person
        acting = await session.scalar(
            select(Actor).where(Actor.username == username, Actor.is_local.is_(True))
        )
        if acting is None:
            raise ClientError(404, f"no outbox here for {username}")
        if not acting.is_group:
            raise ClientError(403, "a token may only post to its own outbox")
        if not await may_act_for(session, person, acting):
            raise ClientError(
                403, "only a facilitator or an admin of the collective may post to its outbox"
            )
        return person, acting


async def is_author_reading(request: Request, instance: Instance, author: Actor) -> bool:
    """Whether a GET carries the token of ``author`` (or of a facilitator of the collective
    ``author``); an unknown token is a 401, as on the outbox."""
    token = bearer_token(request)
    if token is None or not author.is_local:
        return False
    async with instance.database.transaction() as session:
        reader = await token_owner(session, token)
        return await may_act_for(session, reader, author)
