"""A petition at its address, for servers: the Question (a draft is not found), and its
signatures collection — its count, and who signed only when the petition shows names."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import httpx2
from sqlalchemy import Select, select

from actors.services import create_group
from commons.petitions.fields import PetitionFields
from commons.petitions.services import confirm, draft_petition
from commons.petitions.signatures import sign
from config.settings import Settings
from config.uris import Uris
from storage.database import Database
from storage.models import Actor, Membership, Petition, utcnow
from tests.webui.web_support import resident

AP = {"Accept": "application/activity+json"}


async def petition(database: Database, settings: Settings, *, opened: bool,
                   names_public: bool = False) -> Petition:  # fmt: skip
    uris = Uris(settings.base_url)
    _, amelie = await resident(database, settings, "amelie")
    _, fatou = await resident(database, settings, "fatou")
    _, karim = await resident(database, settings, "karim")
    async with database.transaction() as session:
        group = await create_group(session, settings, "assemblee", "assembly", "amelie")
        session.add(Membership(group_id=group.id, member_id=fatou.id, role="member"))
        fields = PetitionFields(title="Des bancs", text="Pour **tous**.", goal=50,
                                deadline=utcnow() + timedelta(days=9), names_public=names_public)  # fmt: skip
        row = await draft_petition(session, uris, amelie, group, fields, [fatou])
        if opened:
            await confirm(session, uris, await session.get(Actor, fatou.id), row)  # type: ignore[arg-type]
            await sign(session, uris, await session.get(Actor, karim.id), row)  # type: ignore[arg-type]
        return row


async def test_servers_get_the_question_and_its_count(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    row = await petition(database, settings, opened=True)
    path = urlsplit(row.uri).path
    document = (await client.get(path, headers=AP)).json()
    assert document["type"] == "Question" and document["id"] == row.uri
    assert document["oneOf"][0]["name"] == "Je signe" and document["votersCount"] == 1
    assert "summary" not in document and document["endTime"]
    collection = (await client.get(f"{path}/signatures", headers=AP)).json()
    assert collection == {"@context": "https://www.w3.org/ns/activitystreams",
                          "id": f"{row.uri}/signatures", "type": "OrderedCollection",
                          "totalItems": 1}  # fmt: skip
    assert (await client.get(path + "0", headers=AP)).status_code == 404


async def test_a_draft_is_not_found_and_public_names_are_listed(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    draft = await petition(database, settings, opened=False)
    path = urlsplit(draft.uri).path
    assert (await client.get(path, headers=AP)).status_code == 404
    assert (await client.get(f"{path}/signatures", headers=AP)).status_code == 404
    async with database.transaction() as session:
        row = await session.get(Petition, draft.id)
        assert row is not None
        row.names_public = True
        fatou = await session.scalar(select_actor("fatou"))
        assert fatou is not None
        await confirm(session, Uris(settings.base_url), fatou, row)
        karim = await session.scalar(select_actor("karim"))
        assert karim is not None
        await sign(session, Uris(settings.base_url), karim, row)
    collection = (await client.get(f"{path}/signatures", headers=AP)).json()
    assert collection["orderedItems"] == [f"{settings.base_url}/@karim"]


def select_actor(username: str) -> Select[Actor]:
    return select(Actor).where(Actor.username == username, Actor.is_local.is_(True))
