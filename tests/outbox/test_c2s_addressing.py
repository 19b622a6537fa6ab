"""C2S addressing is the client's: to, cc, bto, bcc and audience decide who receives a post and
who may read it; bto and bcc never leave the server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.models import Actor, InboxItem, Post, PostRecipient
from storage.models.posts import FOLLOWERS, MENTIONED, PUBLIC
from tests.federation_rig.rig import Rig, federation_rig
from tests.federation_rig.steps import follow_remote
from tests.outbox.c2s_support import (
    PUBLIC as AS_PUBLIC,
)
from tests.outbox.c2s_support import (
    created,
    delivered_to,
    get_as,
    has_post,
    member_of,
    post_outbox,
    sees,
    sent_payload,
    token_for,
)


def names_hidden_recipients(document: dict[str, Any]) -> bool:
    """Whether an activity, or the object it carries, has a ``bto`` or ``bcc`` (the keys, not
    the letters, which a random id may well contain)."""
    carried = document.get("object")
    parts = [document, carried] if isinstance(carried, dict) else [document]
    return any(key in part for part in parts for key in ("bto", "bcc"))


async def _neighbourhood(rig: Rig) -> tuple[Actor, Actor, Actor, Actor, Actor, str]:
    """amelie on paquis, followed by karim (servette) and bob (paquis); nadia on jonction."""
    paquis, jonction, servette = rig["paquis.test"], rig["jonction.test"], rig["servette.test"]
    amelie = await paquis.resident("amelie")
    bob = await paquis.resident("bob")
    nadia = await jonction.resident("nadia")
    karim = await servette.resident("karim")
    theo = await servette.resident("theo")
    await follow_remote(servette, karim, amelie.uri)
    await follow_remote(paquis, bob, amelie.uri)
    await rig.drain()
    return amelie, bob, nadia, karim, theo, await token_for(paquis, "amelie")


async def test_a_note_to_one_person_reaches_that_person_alone(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        paquis, jonction, servette = rig["paquis.test"], rig["jonction.test"], rig["servette.test"]
        _amelie, bob, nadia, _karim, _theo, token = await _neighbourhood(rig)

        # When amelie sends a note addressed to nadia alone
        response = await post_outbox(
            rig.client, paquis, "amelie", token,
            {"type": "Note", "content": "<p>Ta perceuse est prête</p>", "to": [nadia.uri]},
        )  # fmt: skip
        post = await created(paquis, response)

        # Then it is kept for nadia only, and queued for her server alone
        assert post.visibility == MENTIONED
        async with paquis.instance.database.session() as session:
            named = await session.scalars(
                select(Actor.uri)
                .join(PostRecipient, PostRecipient.actor_id == Actor.id)
                .where(PostRecipient.post_id == post.id)
            )
            assert list(named) == [nadia.uri]
        assert await delivered_to(paquis, response.headers["location"]) == {"jonction.test"}
        await rig.drain()
        assert await has_post(jonction, post.uri)
        assert not await has_post(servette, post.uri)
        # Where nadia may read it, and her neighbours may not
        async with jonction.instance.database.session() as session:
            copy = await session.scalar(select(Post).where(Post.uri == post.uri))
        assert copy is not None
        assert await sees(jonction, nadia, copy)
        assert not await sees(jonction, await jonction.resident("ines"), copy)
        # And nobody else may read it: not her followers, not an anonymous GET
        assert not await sees(paquis, bob, post)
        assert (await get_as(rig.client, post.uri)).status_code == 404
        mine = await get_as(rig.client, post.uri, token)
        assert mine.status_code == 200 and mine.json()["to"] == [nadia.uri]


async def test_bto_and_bcc_are_delivered_but_never_shown(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        paquis, jonction, servette = rig["paquis.test"], rig["jonction.test"], rig["servette.test"]
        amelie, bob, nadia, _karim, theo, token = await _neighbourhood(rig)

        # When amelie writes to her followers, with nadia in bto and theo in bcc
        response = await post_outbox(
            rig.client, paquis, "amelie", token,
            {"type": "Note", "content": "Réunion jeudi", "to": [amelie.followers_uri],
             "bto": nadia.uri, "bcc": [theo.uri]},
        )  # fmt: skip
        post = await created(paquis, response)

        # Then it goes to the followers' servers and to nadia's and theo's
        assert post.visibility == FOLLOWERS
        assert await delivered_to(paquis, response.headers["location"]) == {
            "jonction.test",
            "servette.test",
        }
        sent = await sent_payload(paquis, response.headers["location"])
        await rig.drain()
        # And no copy says who was in bto or bcc: not the one sent, not the one received,
        # not the one served to its author
        assert not names_hidden_recipients(sent)
        assert nadia.uri not in str(sent) and theo.uri not in str(sent)
        for node in (jonction, servette):
            async with node.instance.database.session() as session:
                received = await session.scalar(
                    select(InboxItem.payload).where(
                        InboxItem.activity_uri == response.headers["location"]
                    )
                )
            assert received is not None and not names_hidden_recipients(json.loads(received))
        served = (await get_as(rig.client, post.uri, token)).json()
        assert not names_hidden_recipients(served)
        # And the local follower may read it; the public may not
        assert await sees(paquis, bob, post)
        assert (await get_as(rig.client, post.uri)).status_code == 404


async def test_a_note_without_recipients_stays_with_its_author(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        paquis = rig["paquis.test"]
        amelie, bob, _nadia, _karim, _theo, token = await _neighbourhood(rig)

        # When amelie posts a note with no addressing at all
        response = await post_outbox(
            rig.client, paquis, "amelie", token, {"type": "Note", "content": "Brouillon"}
        )
        post = await created(paquis, response)

        # Then it is delivered to nobody and shown to her alone
        assert post.visibility == MENTIONED
        assert await delivered_to(paquis, response.headers["location"]) == set()
        assert not await sees(paquis, bob, post)
        assert await sees(paquis, amelie, post)
        assert (await get_as(rig.client, post.uri)).status_code == 404
        outbox = (await get_as(rig.client, f"{amelie.uri}/outbox")).json()
        assert outbox["totalItems"] == 0


async def test_a_note_for_a_collective_only_is_for_its_members(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        paquis = rig["paquis.test"]
        amelie, bob, _nadia, _karim, _theo, token = await _neighbourhood(rig)
        lea = await paquis.resident("lea")
        cafe = await paquis.collective("repair-cafe", "lea")
        await member_of(paquis, cafe, amelie)

        # When amelie posts with only the collective as audience
        response = await post_outbox(
            rig.client, paquis, "amelie", token,
            {"type": "Note", "content": "Qui ouvre samedi ?", "audience": cafe.uri},
        )  # fmt: skip
        post = await created(paquis, response)

        # Then it is not public: its members read it, her followers do not
        assert post.visibility == MENTIONED and post.audience_id == cafe.id
        assert await delivered_to(paquis, response.headers["location"]) == set()
        assert await sees(paquis, lea, post)
        assert not await sees(paquis, bob, post)
        assert (await get_as(rig.client, post.uri)).status_code == 404


async def test_a_public_note_reaches_the_followers_when_they_are_addressed(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind) as rig:
        paquis, jonction, servette = rig["paquis.test"], rig["jonction.test"], rig["servette.test"]
        amelie, bob, _nadia, _karim, _theo, token = await _neighbourhood(rig)

        # When amelie posts to everyone, cc her followers
        response = await post_outbox(
            rig.client, paquis, "amelie", token,
            {"type": "Note", "content": "Marché samedi", "to": [AS_PUBLIC],
             "cc": [amelie.followers_uri]},
        )  # fmt: skip
        post = await created(paquis, response)

        # Then it is public and reaches karim's server, not the one nobody there follows her on
        assert post.visibility == PUBLIC
        assert await delivered_to(paquis, response.headers["location"]) == {"servette.test"}
        await rig.drain()
        assert await has_post(servette, post.uri)
        assert not await has_post(jonction, post.uri)
        assert await sees(paquis, bob, post)
        assert (await get_as(rig.client, post.uri)).status_code == 200
