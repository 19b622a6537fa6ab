"""An offer published on one quartier reaches the quartiers that follow its author, over real
signed HTTP: it is in their city marketplace with its terms, follows its changes (closed,
reopened) and leaves when it is deleted; the quartier it comes from keeps it as its own."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from commons.offers import responses
from commons.offers import services as offers
from commons.offers.bookables import BookingRules, set_booking_rules
from commons.offers.fields import OfferFields
from commons.offers.queries import MarketFilter, market_offers
from config.uris import Uris
from storage.models import Actor, Bookable, Offer, OfferResponse, ReservationSlot
from storage.models.offers import ACCEPTED, CLOSED, OPEN, REJECTED
from tests.federation_rig.rig import Node, federation_rig
from tests.federation_rig.steps import follow_remote

HOSTS = ("paquis.test", "jonction.test", "servette.test")
GENEVA = ZoneInfo("Europe/Zurich")


async def city_titles(node: Node) -> list[str]:
    async with node.instance.database.session() as session:
        cards = await market_offers(session, MarketFilter(open_only=False))
    return [card.offer.title for card in cards if card.offer.deleted_at is None]


async def copy_of(node: Node, uri: str) -> Offer | None:
    async with node.instance.database.session() as session:
        return await session.scalar(select(Offer).where(Offer.uri == uri))


async def test_an_offer_of_the_repair_cafe_reaches_the_other_quartiers_and_follows_its_changes(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction, servette = (rig[host] for host in HOSTS)
        # Given the repair café of paquis, followed from jonction and servette
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        for node, name in ((jonction, "omar"), (servette, "ines")):
            await follow_remote(node, await node.resident(name), cafe.uri)
        await rig.drain()

        # When Jean-Marc lends its drill for the café, against a coffee
        uris = Uris(paquis.settings.base_url)
        async with paquis.instance.database.transaction() as session:
            person = await session.scalar(select(Actor).where(Actor.username == "jeanmarc"))
            author = await session.get(Actor, cafe.id)
            assert person is not None and author is not None
            fields = OfferFields(kind="pret", title="Perceuse à percussion",
                                 reciprocity="exchange", exchange_for="un café",
                                 available_quantity=2.0, description="Avec **mèches**.")  # fmt: skip
            offer = await offers.publish_offer(session, uris, person, author, fields)
        await rig.drain()

        # Then both quartiers have it in their city marketplace, under the café, with its terms
        for node in (jonction, servette):
            assert await city_titles(node) == ["Perceuse à percussion"]
            copy = await copy_of(node, offer.uri)
            assert copy is not None and not copy.is_local
            assert (copy.kind, copy.reciprocity, copy.exchange_for) == (
                "pret",
                "exchange",
                "un café",
            )
            assert (
                copy.available_quantity == 2.0
                and "<strong>mèches</strong>" in copy.description_html
            )
            remote_cafe = await node.actor(cafe.uri)
            assert remote_cafe is not None and copy.actor_id == remote_cafe.id
        # And paquis lists it as its own
        async with paquis.instance.database.session() as session:
            ours = await market_offers(session, MarketFilter(local_only=True))
        assert [card.offer.uri for card in ours] == [offer.uri]

        # When it is marked as done, then reopened
        for status in (CLOSED, OPEN, CLOSED):
            async with paquis.instance.database.transaction() as session:
                row = await session.get(Offer, offer.id)
                person = await session.scalar(select(Actor).where(Actor.username == "jeanmarc"))
                assert row is not None and person is not None
                await offers.set_status(session, uris, person, row, status)
            await rig.drain()
            copy = await copy_of(jonction, offer.uri)
            assert copy is not None and copy.status == status

        # When it is deleted, it leaves every quartier
        async with paquis.instance.database.transaction() as session:
            row = await session.get(Offer, offer.id)
            person = await session.scalar(select(Actor).where(Actor.username == "jeanmarc"))
            assert row is not None and person is not None
            await offers.delete_offer(session, uris, person, row)
        await rig.drain()
        for node in (jonction, servette):
            copy = await copy_of(node, offer.uri)
            assert copy is not None and copy.deleted_at is not None
            assert await city_titles(node) == []


async def test_an_answer_from_servette_is_accepted_and_what_is_left_is_known_everywhere(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction, servette = (rig[host] for host in HOSTS)
        # Given Karim's three jars of jam on paquis, followed from jonction and servette
        karim = await paquis.resident("karim")
        for node, name in ((jonction, "omar"), (servette, "ines")):
            await follow_remote(node, await node.resident(name), karim.uri)
        await rig.drain()
        uris = Uris(paquis.settings.base_url)
        async with paquis.instance.database.transaction() as session:
            author = await session.get(Actor, karim.id)
            assert author is not None
            fields = OfferFields(kind="don", title="Confiture de coings", quantity=1.0,
                                 available_quantity=3.0, unit_based=True)  # fmt: skip
            offer = await offers.publish_offer(session, uris, author, author, fields)
        await rig.drain()

        # When Inès, on servette, asks for two jars from her own quartier
        ines = await servette.actor(f"{servette.settings.base_url}/@ines")
        assert ines is not None
        async with servette.instance.database.transaction() as session:
            copy = await session.scalar(select(Offer).where(Offer.uri == offer.uri))
            person = await session.get(Actor, ines.id)
            assert copy is not None and person is not None
            await responses.respond(session, Uris(servette.settings.base_url), person, copy,
                                    quantity=2.0, message="Pour la fête de l'école")  # fmt: skip
        await rig.drain()

        # Then Karim has her answer, and accepts it
        async with paquis.instance.database.transaction() as session:
            [answer] = list(await session.scalars(select(OfferResponse)))
            assert (answer.quantity, answer.message) == (2.0, "Pour la fête de l'école")
            person = await session.get(Actor, karim.id)
            assert person is not None
            await responses.answer(session, uris, person, answer, accept=True)
        await rig.drain()

        # Then Inès's answer is accepted on servette, and every quartier knows one jar is left
        async with servette.instance.database.session() as session:
            states = list(await session.scalars(select(OfferResponse.state)))
        assert states == [ACCEPTED]
        for node in (paquis, jonction, servette):
            copy = await copy_of(node, offer.uri)
            assert copy is not None and copy.available_quantity == 1.0, node.settings.base_url

        # And an answer asking more than is left is refused on paquis, with the reason told on
        # servette (whose copy was out of date)
        async with servette.instance.database.transaction() as session:
            copy = await session.scalar(select(Offer).where(Offer.uri == offer.uri))
            person = await session.get(Actor, ines.id)
            assert copy is not None and person is not None
            copy.available_quantity = 5.0
            await session.flush()
            await responses.respond(session, Uris(servette.settings.base_url), person, copy,
                                    quantity=2.0, message="Encore deux ?")  # fmt: skip
        await rig.drain()
        async with paquis.instance.database.session() as session:
            kept = list(await session.scalars(select(OfferResponse.state)))
        assert kept == [ACCEPTED]
        async with servette.instance.database.session() as session:
            answers = list(await session.scalars(select(OfferResponse).order_by(OfferResponse.id)))
        assert [a.state for a in answers] == [ACCEPTED, REJECTED]
        assert answers[1].reason == "La quantité demandée n'est pas disponible."


async def test_two_quartiers_book_the_same_day_of_the_repair_cafes_drill_one_gets_it(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, HOSTS) as rig:
        paquis, jonction, servette = (rig[host] for host in HOSTS)
        # Given the repair café's drill, bookable by the day, followed from both quartiers
        await paquis.resident("jeanmarc")
        cafe = await paquis.collective("repair-cafe", "jeanmarc")
        people = {}
        for node, name in ((jonction, "omar"), (servette, "ines")):
            people[name] = await node.resident(name)
            await follow_remote(node, people[name], cafe.uri)
        await rig.drain()
        uris = Uris(paquis.settings.base_url)
        async with paquis.instance.database.transaction() as session:
            person = await session.scalar(select(Actor).where(Actor.username == "jeanmarc"))
            author = await session.get(Actor, cafe.id)
            assert person is not None and author is not None
            offer = await offers.publish_offer(session, uris, person, author,
                                               OfferFields(kind="pret", title="Perceuse"))  # fmt: skip
            await set_booking_rules(session, uris, person, offer, BookingRules(max_slots=2))
        await rig.drain()
        for node in (jonction, servette):
            copy = await copy_of(node, offer.uri)
            assert copy is not None
            async with node.instance.database.session() as session:
                rules = await session.get(Bookable, copy.id)
            assert rules is not None and rules.max_slots == 2  # the rules travelled with it

        # When Omar and Inès both book next Monday, each from their own quartier
        monday = datetime.now(GENEVA).date() + timedelta(days=7 - datetime.now(GENEVA).weekday())
        start = datetime.combine(monday, time(), GENEVA)
        for node, name in ((jonction, "omar"), (servette, "ines")):
            async with node.instance.database.transaction() as session:
                copy = await session.scalar(select(Offer).where(Offer.uri == offer.uri))
                who = await session.get(Actor, people[name].id)
                assert copy is not None and who is not None
                await responses.respond(session, Uris(node.settings.base_url), who, copy,
                                        starts_at=start, ends_at=start + timedelta(days=1))  # fmt: skip
        await rig.drain()

        # Then paquis holds the day for one of them, and the other is told why not
        async with paquis.instance.database.session() as session:
            kept = list(await session.scalars(select(OfferResponse.state)))
            slots = await session.scalar(select(func.count()).select_from(ReservationSlot))
        assert kept == [ACCEPTED] and slots == 1
        outcomes = {}
        for node in (jonction, servette):
            async with node.instance.database.session() as session:
                answer = await session.scalar(select(OfferResponse))
            assert answer is not None
            outcomes[answer.state] = answer.reason
        assert set(outcomes) == {ACCEPTED, REJECTED}
        assert outcomes[REJECTED] == "Ce créneau vient d'être réservé par quelqu'un d'autre."
