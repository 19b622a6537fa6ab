"""A resident reports another quartier's post and forwards the report: the other quartier's
moderators receive it from this quartier's instance actor, without the resident's name."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from actors.reports import report_post
from commons.posts.services import publish_note
from config.uris import Uris
from storage.models import Account, Actor, Notification, Report
from tests.federation_rig.rig import federation_rig
from tests.federation_rig.steps import follow_remote
from tests.federation_rig.test_following import post_on

HOSTS = ("paquis.test", "jonction.test")
REASON = "Vente d'objets volés"


async def test_a_forwarded_report_reaches_the_other_quartiers_moderators(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given Nadia's post on jonction, read on paquis by Jean-Marc who follows her,
        # and Omar, the admin of jonction
        nadia = await jonction.resident("nadia")
        omar = await jonction.resident("omar")
        async with jonction.instance.database.transaction() as session:
            await session.execute(
                update(Account).where(Account.actor_id == omar.id).values(is_admin=True)
            )
        jeanmarc = await paquis.resident("jeanmarc")
        await follow_remote(paquis, jeanmarc, nadia.uri)
        await rig.drain()
        async with jonction.instance.database.transaction() as session:
            author = await session.get(Actor, nadia.id)
            assert author is not None
            post = await publish_note(
                session, Uris(jonction.settings.base_url), author, "Vélos à 10 francs"
            )
        await rig.drain()
        copy = await post_on(paquis, post.uri)
        assert copy is not None

        # When Jean-Marc reports it on paquis and forwards the report
        async with paquis.instance.database.transaction() as session:
            reporter = await session.get(Actor, jeanmarc.id)
            assert reporter is not None
            await report_post(
                session, paquis.settings, reporter=reporter, post=copy, comment=REASON, forward=True
            )
        await rig.drain()

        # Then jonction keeps the report, from paquis's instance actor, with the reason
        async with jonction.instance.database.session() as session:
            (report,) = list(await session.scalars(select(Report)))
            sender = await session.get(Actor, report.reporter_id)
            told = list(
                await session.scalars(
                    select(Notification.kind).where(Notification.recipient_id == omar.id)
                )
            )
        assert report.comment == REASON
        assert report.account_id == nadia.id
        assert sender is not None and sender.uri == f"{paquis.settings.base_url}/actor"
        assert "jeanmarc" not in report.object_uris
        # and its admin is told
        assert told == ["report"]
