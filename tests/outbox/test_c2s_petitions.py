"""Petitions through the client API: a facilitator's client drafts one in the collective's
outbox, a promoter's client confirms it, which opens it in every quartier; a resident of another
quartier signs and withdraws from their client as Mastodon votes; the facilitator's client says
it is handed over and publishes its answer. What the services refuse comes back as a 4xx with its
reason, nothing kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from commons.events.wire import iso_utc
from storage.models import Actor, Membership, Petition, utcnow
from storage.models.petitions import ANSWERED, COLLECTING, DRAFT, SUBMITTED
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote
from tests.outbox.c2s_support import post_outbox, token_for

HOSTS = ("paquis.test", "jonction.test")


def question(promoter: str, **changes: object) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": "Question",
        "name": "Des bancs au parc des Cropettes",
        "source": {"content": "Pour s’y **asseoir**.", "mediaType": "text/markdown"},
        "endTime": iso_utc(utcnow() + timedelta(days=30)),
        "signatureGoal": 200,
        "whoMaySign": "anyone",
        "addressee": "Ville de Genève",
        "promoters": [promoter],
    }
    document.update(changes)
    return document


async def copy_at(node: Node, uri: str) -> Petition | None:
    async with node.instance.database.session() as session:
        return await session.scalar(select(Petition).where(Petition.uri == uri))


async def test_a_petition_from_its_draft_to_its_answer_through_clients(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = (rig[host] for host in HOSTS)
        await paquis.resident("jeanmarc")
        karim = await paquis.resident("karim")
        assembly = await paquis.collective("assemblee", "jeanmarc", "assembly")
        async with paquis.instance.database.transaction() as session:
            session.add(Membership(group_id=assembly.id, member_id=karim.id, role="member"))
        omar = await jonction.resident("omar")
        await follow_remote(jonction, omar, assembly.uri)
        await rig.drain()
        jeanmarc_token = await token_for(paquis, "jeanmarc")
        karim_token = await token_for(paquis, "karim")
        omar_token = await token_for(jonction, "omar")

        # A draft without a goal, or in a person's own outbox, is refused, nothing kept
        no_goal = await post_outbox(rig.client, paquis, "assemblee", jeanmarc_token,
                                    question(karim.uri, signatureGoal=0))  # fmt: skip
        assert no_goal.status_code == 400 and "bad_goal" in no_goal.json()["error"]
        own = await post_outbox(rig.client, paquis, "jeanmarc", jeanmarc_token,
                                question(karim.uri))  # fmt: skip
        assert own.status_code == 400
        async with paquis.instance.database.session() as session:
            assert await session.scalar(select(func.count(Petition.id))) == 0

        # When Jean-Marc's client drafts it for the assembly, with Karim as second promoter
        drafted = await post_outbox(rig.client, paquis, "assemblee", jeanmarc_token,
                                    question(karim.uri))  # fmt: skip
        assert drafted.status_code == 201, drafted.text
        uri = drafted.headers["location"]
        draft = await copy_at(paquis, uri)
        assert draft is not None and draft.status == DRAFT and draft.goal == 200
        assert "<strong>asseoir</strong>" in draft.text_html

        # And Karim's client confirms it: it opens, and the Jonction has it
        confirmed = await post_outbox(rig.client, paquis, "karim", karim_token,
                                      {"type": "Accept", "object": uri})  # fmt: skip
        assert confirmed.status_code == 201, confirmed.text
        await rig.drain()
        for node in (paquis, jonction):
            copy = await copy_at(node, uri)
            assert copy is not None and copy.status == COLLECTING

        # When Omar's client votes « Je signe » from the Jonction, then takes it back
        wrong = await post_outbox(rig.client, jonction, "omar", omar_token,
                                  {"type": "Note", "name": "Je refuse", "inReplyTo": uri})  # fmt: skip
        assert wrong.status_code == 400
        signed = await post_outbox(rig.client, jonction, "omar", omar_token,
                                   {"type": "Note", "name": "Je signe", "inReplyTo": uri})  # fmt: skip
        assert signed.status_code == 201, signed.text
        await rig.drain()
        assert (await copy_at(paquis, uri)).signature_count == 1  # type: ignore[union-attr]
        twice = await post_outbox(rig.client, jonction, "omar", omar_token,
                                  {"type": "Note", "name": "Je signe", "inReplyTo": uri})  # fmt: skip
        assert twice.status_code == 409 and "already_signed" in twice.json()["error"]
        undone = await post_outbox(rig.client, jonction, "omar", omar_token,
                                   {"type": "Undo", "object": signed.headers["location"]})  # fmt: skip
        assert undone.status_code == 201, undone.text
        await rig.drain()
        assert (await copy_at(paquis, uri)).signature_count == 0  # type: ignore[union-attr]

        # When the facilitator's client says it is handed over, then publishes the answer
        for change in ({"petitionStatus": "submitted"},
                       {"petitionAnswer": "Des bancs **au printemps**."}):  # fmt: skip
            update = {"type": "Update", "object": {"id": uri, "type": "Question", **change}}
            sent = await post_outbox(rig.client, paquis, "assemblee", jeanmarc_token, update)
            assert sent.status_code == 201, sent.text
            await rig.drain()
            if "petitionStatus" in change:
                assert (await copy_at(jonction, uri)).status == SUBMITTED  # type: ignore[union-attr]

        # Then the Jonction shows its answer; Karim, no facilitator, may change nothing
        copy = await copy_at(jonction, uri)
        assert copy is not None and copy.status == ANSWERED
        assert copy.answer_html is not None and "<strong>au printemps</strong>" in copy.answer_html
        karims = await post_outbox(rig.client, paquis, "assemblee", karim_token,
                                   {"type": "Update", "object": {"id": uri, "type": "Question",
                                                                 "petitionAnswer": "Non."}})  # fmt: skip
        assert karims.status_code == 403
        async with paquis.instance.database.session() as session:
            assert await session.scalar(select(Actor.id).where(Actor.uri == omar.uri))
