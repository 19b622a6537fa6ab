"""Paper signatures: typed in by the collective's facilitators, counted once per person (a keyed
hash of the folded name and address, never the two in clear unless names are shown), the
residents who signed online under the same name pointed out, the tally kept in the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from commons.petitions.paper import (
    AlreadyCounted,
    PaperEntry,
    add_paper_signature,
    anonymous_id,
    check_entry,
    folded,
    name_hash,
)
from commons.petitions.services import confirm, draft_petition
from commons.petitions.signatures import sign
from config.errors import Conflict, DomainError, NotAllowed
from storage.database import Database
from storage.models import Actor, Petition, Signature, utcnow
from storage.models.petitions import PAPER, SUBMITTED
from tests.commons.event_support import Quartier
from tests.commons.petitions.test_petitions import fields

SECRET = "s" * 40
GENEVA = ZoneInfo("Europe/Zurich")


def today() -> date:
    return datetime.now(GENEVA).date()


def line(
    name: str = "Zoé Müller", address: str = "rue de Berne 50", **changes: object
) -> PaperEntry:
    values: dict[str, object] = {"name": name, "address": address, "signed_on": today(),
                                 "sheet": "7"}  # fmt: skip
    values.update(changes)
    return PaperEntry(**values)  # type: ignore[arg-type]


async def opened(database: Database, q: Quartier, **changes: object) -> Petition:
    async with database.transaction() as session:
        petition = await draft_petition(session, q.uris, q.jeanmarc, q.cafe, fields(**changes),
                                        [q.karim])  # fmt: skip
    async with database.transaction() as session:
        row = await session.get(Petition, petition.id)
        assert row is not None
        await confirm(session, q.uris, q.karim, row)
        return row


async def typed(database: Database, q: Quartier, petition: Petition, entry: PaperEntry,
                by: Actor | None = None) -> tuple[Petition, list[Actor]]:  # fmt: skip
    async with database.transaction() as session:
        row = await session.get(Petition, petition.id)
        person = await session.get(Actor, (by or q.jeanmarc).id)
        assert row is not None and person is not None
        result = await add_paper_signature(session, person, row, entry, SECRET)
        return row, result.same_name_online


def test_a_name_and_address_fold_alike_and_hash_with_the_instances_key() -> None:
    assert folded("  Zoé   MÜLLER ") == folded("zoe muller") == "zoe muller"
    assert folded("Zoë") != folded("Zoa")
    same = name_hash("Zoé Müller", "Rue de Berne 50", SECRET)
    assert same == name_hash(" zoe  MULLER", "rue de berne  50", SECRET)
    assert len(same) == 64 and int(same, 16) >= 0
    # Another person, another address, another key: another hash
    assert same != name_hash("Zoé Müller", "rue de Berne 52", SECRET)
    assert same != name_hash("Léa Müller", "rue de Berne 50", SECRET)
    assert same != name_hash("Zoé Müller", "rue de Berne 50", "t" * 40)


def test_a_line_needs_a_name_an_address_and_a_day_that_can_be_on_the_sheet() -> None:
    petition = Petition(
        published=utcnow() - timedelta(days=3), deadline=utcnow() + timedelta(days=9)
    )
    assert check_entry(line("  Zoé   Müller "), petition, today()).name == "Zoé Müller"
    for entry, where in (
        (line(name=" "), "name"),
        (line(address=""), "address"),
        (line(signed_on=None), "signed_on"),
        (line(signed_on=today() + timedelta(days=1)), "signed_on"),  # to come
        (line(signed_on=today() - timedelta(days=30)), "signed_on"),  # before it was drafted
        (line(sheet="1" * 40), "sheet"),
    ):
        with pytest.raises(DomainError) as refused:
            check_entry(entry, petition, today())
        assert refused.value.field == where, entry


async def test_a_paper_signature_counts_once_and_keeps_neither_name_nor_address(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    petition = await opened(database, q)

    row, _ = await typed(database, q, petition, line())

    assert row.signature_count == 1
    async with database.session() as session:
        signature = await session.scalar(select(Signature))
    assert signature is not None and signature.way == PAPER and signature.signer_id is None
    assert signature.name is None and signature.sheet == "7" and signature.quartier == ""
    digest = name_hash("Zoé Müller", "rue de Berne 50", SECRET)
    assert signature.name_hash == digest and signature.signer_uri == f"paper:{digest}"
    assert anonymous_id(signature, SECRET) == digest[:16]

    # The same person, written otherwise on another sheet, is refused and not counted
    with pytest.raises(AlreadyCounted):
        await typed(database, q, petition, line("ZOE MULLER", "Rue de Berne  50", sheet="8"))
    async with database.session() as session:
        again = await session.get(Petition, petition.id)
        assert again is not None and again.signature_count == 1


async def test_names_are_kept_where_the_petition_shows_them(
    database: Database, quartier: Quartier
) -> None:
    petition = await opened(database, quartier, names_public=True)
    await typed(database, quartier, petition, line())
    async with database.session() as session:
        assert await session.scalar(select(Signature.name)) == "Zoé Müller"


async def test_a_name_already_signed_online_is_pointed_out_but_counted(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    petition = await opened(database, q)
    async with database.transaction() as session:
        nadia = await session.get(Actor, q.nadia.id)
        row = await session.get(Petition, petition.id)
        assert nadia is not None and row is not None
        nadia.name = "Nadia Benali"
        await sign(session, q.uris, nadia, row)

    row, warned = await typed(database, q, petition, line("NADIA  bénali", "Rue des Alpes 3"))
    assert [actor.id for actor in warned] == [q.nadia.id] and row.signature_count == 2
    _row, quiet = await typed(database, q, petition, line("Nadia Rossi", "Rue des Alpes 3"))
    assert quiet == []


async def test_only_the_facilitators_type_in_and_only_while_it_may_count(
    database: Database, quartier: Quartier
) -> None:
    q = quartier
    petition = await opened(database, q)
    with pytest.raises(NotAllowed):  # Karim is a member of the café, not a facilitator
        await typed(database, q, petition, line(), by=q.karim)
    async with database.transaction() as session:
        row = await session.get(Petition, petition.id)
        assert row is not None
        row.status = SUBMITTED
    with pytest.raises(Conflict) as submitted:
        await typed(database, q, petition, line())
    assert submitted.value.code == "petition_not_open"
