"""Quartiers read each other's blocklists: what a neighbour blocks waits for our admin's review,
and is applied only by them, remembering where it came from."""

from __future__ import annotations

from pathlib import Path

from actors import blocklists
from commons.posts.services import publish_note
from storage.models import Actor, DomainBlock
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote
from tests.federation_rig.test_quartier_federation import has_post, shown
from tests.federation_rig.test_replies import browser
from tests.webui.web_support import log_in_as

HOSTS = ("paquis.test", "servette.test", "jonction.test")
SERVETTE_LIST = "http://servette.test/moderation/blocklist.csv"


async def note_by(node: Node, actor: Actor, text: str) -> str:
    async with node.instance.database.transaction() as session:
        author = await session.get(Actor, actor.id)
        assert author is not None
        return (await publish_note(session, node.instance.uris, author, text)).uri


async def waiting(node: Node) -> list[tuple[str, str, str]]:
    async with node.instance.database.session() as session:
        found = await blocklists.waiting_proposals(session)
    return [(item.proposal.domain, item.proposal.severity, item.source_url) for item in found]


async def test_a_quartier_reviews_and_applies_what_its_neighbour_blocks(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(
        tmp_path,
        database_kind,
        HOSTS,
        federation={"servette.test": {"publish_blocklist": True}},
    ) as rig:
        paquis, servette, jonction = (rig[host] for host in HOSTS)
        # Given Amélie of the Pâquis following Jules of the Jonction
        amelie = await paquis.resident("amelie")
        jules = await jonction.resident("jules")
        await follow_remote(paquis, amelie, jules.uri)
        await rig.drain()
        async with browser(servette) as leo_web, browser(paquis) as ada_web:
            leo = await log_in_as(
                leo_web, servette.settings, servette.instance.database, "leo", admin=True
            )
            ada = await log_in_as(
                ada_web, paquis.settings, paquis.instance.database, "ada", admin=True
            )
            # And the Servette's admin blocking the Jonction, which the Servette publishes
            blocked = await leo_web.post(
                "/admin/domains",
                data={
                    "csrf_token": leo.csrf,
                    "domain": "jonction.test",
                    "severity": "suspend",
                    "reason": "Spam en masse",
                },
            )
            assert blocked.status_code == 303
            published = await leo_web.get("/moderation/blocklist.csv")
            assert published.status_code == 200
            assert published.headers["content-type"].startswith("text/csv")
            assert published.text.splitlines()[1] == (
                "jonction.test,suspend,false,false,Spam en masse,false"
            )
            # (the Pâquis does not publish its own)
            assert (await ada_web.get("/moderation/blocklist.csv")).status_code == 404

            # When Ada, admin of the Pâquis, subscribes to the Servette's blocklist
            subscribed = await ada_web.post(
                "/admin/blocklists", data={"csrf_token": ada.csrf, "url": SERVETTE_LIST}
            )
            assert subscribed.status_code == 303

            # Then the entry waits for her review, with its reason and where it comes from
            assert await waiting(paquis) == [("jonction.test", "suspend", SERVETTE_LIST)]
            page = shown(await ada_web.get("/admin/blocklists"))
            assert "La liste a été lue" in page
            assert "Entrées en attente de votre examen" in page
            assert "jonction.test" in page and "Spam en masse" in page
            assert f"Proposé par {SERVETTE_LIST}" in page

            # And nothing is applied: a post of Jules still reaches the Pâquis
            before = await note_by(jonction, jules, "Encore là")
            await rig.drain()
            assert await has_post(paquis, before)

            # When Ada applies the entry
            async with paquis.instance.database.session() as session:
                [proposal] = await blocklists.waiting_proposals(session)
            applied = await ada_web.post(
                f"/admin/blocklists/proposals/{proposal.proposal.id}/apply",
                data={"csrf_token": ada.csrf},
            )
            assert applied.status_code == 303

            # Then what the Jonction sends is refused
            after = await note_by(jonction, jules, "Plus là")
            await rig.drain()
            assert not await has_post(paquis, after)

            # And the list of blocks says where this one came from
            domains = shown(await ada_web.get("/admin/domains"))
            assert "jonction.test" in domains and "suspendu" in domains
            assert f"De la liste de blocage {SERVETTE_LIST}" in domains

            # When the list is read again, the entry applied is not proposed again
            await ada_web.post(
                f"/admin/blocklists/{proposal.proposal.subscription_id}/read",
                data={"csrf_token": ada.csrf},
            )
            assert await waiting(paquis) == []

            # When Ada stops reading the list, the block applied from it stays hers
            ended = await ada_web.post(
                f"/admin/blocklists/{proposal.proposal.subscription_id}/remove",
                data={"csrf_token": ada.csrf},
            )
            assert ended.status_code == 303
            async with paquis.instance.database.session() as session:
                block = await session.get(DomainBlock, "jonction.test")
                assert block is not None and block.source_url == SERVETTE_LIST
                assert await blocklists.list_subscriptions(session) == []


async def test_a_list_that_cannot_be_read_is_said_on_the_page_never_a_failure(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS[:2]) as rig:
        paquis = rig["paquis.test"]
        async with browser(paquis) as ada_web:
            ada = await log_in_as(
                ada_web, paquis.settings, paquis.instance.database, "ada", admin=True
            )
            # When Ada subscribes to a web page, to a server that is not there, to a list the
            # Servette does not publish, and to something that is no address
            for url, said in (
                ("http://servette.test/quartiers", "aucune ligne ne nomme un domaine"),
                ("http://ailleurs.test/blocklist.csv", "Le serveur n'a pas répondu."),
                (SERVETTE_LIST, "Le serveur a répondu par une erreur."),
            ):
                answer = await ada_web.post(
                    "/admin/blocklists", data={"csrf_token": ada.csrf, "url": url}
                )

                # Then the page says why it could not be read (in French), and proposes nothing
                assert answer.status_code == 303
                page = shown(await ada_web.get("/admin/blocklists"))
                assert "La liste n'a pas pu être lue" in page and said in page
            assert await waiting(paquis) == []
            wrong = await ada_web.post(
                "/admin/blocklists", data={"csrf_token": ada.csrf, "url": "pas une adresse"}
            )
            assert wrong.status_code == 400
            assert "Donnez l'adresse d'une liste de blocage" in shown(wrong)
