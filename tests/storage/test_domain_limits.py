"""Limited domains in the database: which actors a limit covers, the shared views that leave
them out, and delivery and inbox checks that still take them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from actors.queries import located_collectives
from commons.petitions.queries import listed_petitions
from commons.search import search_text
from outbox.recipients import deliverable
from storage.blocks import DomainBlocks, block_domain, limited_actor_ids, unblock_domain
from storage.database import Database
from storage.models import Actor, Petition, Post, utcnow

DOMAINS = ("loud.example", "social.loud.example", "loud.example:8443", "notloud.example")


def remote(domain: str, name: str = "someone") -> Actor:
    host = f"https://{domain}"
    return Actor(
        uri=f"{host}/users/{name}", type="Group", username=name, domain=domain,
        inbox_uri=f"{host}/users/{name}/inbox", public_key_id=f"{host}/users/{name}#key",
        public_key_pem="", name=f"Groupe {domain}", latitude=46.2, longitude=6.14,
    )  # fmt: skip


async def given_content(database: Database) -> dict[str, int]:
    """A collective on each domain, with a public post and a petition."""
    ids: dict[str, int] = {}
    async with database.transaction() as session:
        for domain in DOMAINS:
            actor = remote(domain)
            session.add(actor)
            await session.flush()
            ids[domain] = actor.id
            session.add(
                Post(
                    uri=f"{actor.uri}/posts/1", actor_id=actor.id,
                    content_html=f"<p>Soupe populaire {domain}</p>",
                )
            )  # fmt: skip
            session.add(
                Petition(
                    uri=f"{actor.uri}/petitions/1", actor_id=actor.id, is_local=False,
                    title=f"Pétition {domain}", deadline=utcnow() + timedelta(days=9), goal=5,
                    status="collecting",
                )
            )  # fmt: skip
    return ids


async def test_a_limit_covers_the_domain_its_subdomains_and_ports_only(
    database: Database,
) -> None:
    # Given collectives on a domain, a subdomain, the domain with a port, and a lookalike
    ids = await given_content(database)

    # When the domain is limited
    async with database.transaction() as session:
        assert await block_domain(session, "loud.example", "bruyant", severity="limit")
        limited = set((await session.scalars(limited_actor_ids())).all())

    # Then the limit covers the first three, not the lookalike
    assert limited == {ids[d] for d in DOMAINS[:3]}

    # And the shared views leave them out: search, petitions, the map's collectives
    async with database.session() as session:
        actors, cards = await search_text(session, "soupe", None, "http://paquis.test")
        petitions = await listed_petitions(session, is_local=False)
        located = await located_collectives(session, 50)
    assert [card.post.content_html for card in cards] == ["<p>Soupe populaire notloud.example</p>"]
    assert [card.petition.title for card in petitions] == ["Pétition notloud.example"]
    assert [actor.domain for actor in located] == ["notloud.example"]
    assert all(actor.domain == "notloud.example" for actor in actors)

    # And the limit is no block: inbox checks let it in, and deliveries still go to it
    blocks = DomainBlocks(database)
    assert not await blocks.is_blocked("social.loud.example")
    async with database.session() as session:
        pairs = await deliverable(session, ["https://loud.example/inbox"])
    assert pairs == [("https://loud.example/inbox", "loud.example")]

    # When its severity becomes a suspension, it is blocked and not delivered to
    async with database.transaction() as session:
        assert await block_domain(session, "loud.example", severity="suspend")
    blocks.invalidate()
    assert await blocks.is_blocked("social.loud.example")
    async with database.session() as session:
        assert await deliverable(session, ["https://loud.example/inbox"]) == []
        assert set((await session.scalars(limited_actor_ids())).all()) == set()

    # When it is lifted, everything shows again
    async with database.transaction() as session:
        assert await unblock_domain(session, "loud.example")
    async with database.session() as session:
        _actors, cards = await search_text(session, "soupe", None, "http://paquis.test")
        remaining = await session.scalar(select(Post.id).where(Post.actor_id == ids[DOMAINS[0]]))
    assert len(cards) == len(DOMAINS) and remaining is not None
