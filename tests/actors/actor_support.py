"""Local actors for route tests: a resident, a collective, the instance actor, remote followers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from actors.services import create_account, create_group, ensure_instance_actor
from config.settings import Settings
from federation.keys import KeyPair
from storage.database import Database
from storage.models import Actor, Follow, utcnow
from storage.models.actors import PERSON
from storage.models.follows import ACCEPTED
from tests.federation.federation_support import session_keypair

AP_ACCEPT = "application/activity+json"
LD_ACCEPT = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"


def use_session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every new local actor gets the session's key pair: RSA generation is slow."""

    def fixed_keypair(bits: int = 2048) -> KeyPair:
        return session_keypair()

    monkeypatch.setattr("actors.services.generate_rsa_keypair", fixed_keypair)


@dataclass(frozen=True)
class Neighbourhood:
    alice: Actor
    repair_cafe: Actor
    instance: Actor


async def seed_neighbourhood(database: Database, settings: Settings) -> Neighbourhood:
    async with database.transaction() as session:
        account = await create_account(
            session, settings, "alice", None, display_name="Alice Martin"
        )
        group = await create_group(
            session, settings, "repair-cafe", "space", "alice",
            display_name="Repair Café", summary="On répare ensemble.\n\nChaque samedi <3",
        )  # fmt: skip
        instance_actor = await ensure_instance_actor(session, settings)
        alice = await session.get(Actor, account.actor_id)
        assert alice is not None
    return Neighbourhood(alice=alice, repair_cafe=group, instance=instance_actor)


async def add_remote_people(
    database: Database, count: int, host: str = "jonction.test", prefix: str = "voisin"
) -> list[Actor]:
    """`count` remote Person actors, inserted in one statement."""
    rows = [
        {
            "uri": f"http://{host}/users/{prefix}{n}",
            "type": PERSON,
            "username": f"{prefix}{n}",
            "domain": host,
            "is_local": False,
            "inbox_uri": f"http://{host}/users/{prefix}{n}/inbox",
            "shared_inbox_uri": f"http://{host}/inbox",
            "public_key_id": f"http://{host}/users/{prefix}{n}#main-key",
            "public_key_pem": session_keypair().public_pem,
        }
        for n in range(count)
    ]
    async with database.transaction() as session:
        await session.execute(insert(Actor), rows)
        found = await session.scalars(select(Actor).where(Actor.domain == host).order_by(Actor.id))
        return list(found)


async def add_follows(
    database: Database, followers: list[Actor], followed: list[Actor], state: str = ACCEPTED
) -> None:
    """Each follower follows each followed actor, in the order given (ids increase)."""
    start = utcnow() - timedelta(days=1)
    rows = [
        {
            "uri": f"{follower.uri}#follows/{target.id}",
            "follower_id": follower.id,
            "followed_id": target.id,
            "state": state,
            "created_at": start + timedelta(seconds=n),
            "accepted_at": start + timedelta(seconds=n) if state == ACCEPTED else None,
        }
        for n, (follower, target) in enumerate(
            (follower, target) for follower in followers for target in followed
        )
    ]
    async with database.transaction() as session:
        for row in rows:  # one by one, so that ids follow the list order on every database
            await session.execute(insert(Follow).values(**row))
