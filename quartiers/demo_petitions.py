"""The demo neighbourhood's petitions and poll: the assembly collects signatures for a safe
crossing in front of the school (some residents have signed, each with their integrity proof), a
second petition waits for its promoter committee to confirm it, and the assembly asks which
evening suits its next meeting (some residents have voted); a member's proposal waits for its
answer, supported by two neighbours."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from actors.services import find_local_actor
from commons.petitions.fields import PetitionFields
from commons.petitions.services import confirm, draft_petition
from commons.petitions.signatures import sign
from commons.polls.fields import PollFields
from commons.polls.services import hold_poll
from commons.polls.votes import vote
from commons.proposals.services import add_support, propose
from config.uris import Uris
from storage.models import Actor, Membership, utcnow


@dataclass(frozen=True)
class DemoPetition:
    title: str
    text: str
    addressee: str
    goal: int
    days: int
    promoters: tuple[str, ...]
    confirmed: bool
    signers: tuple[str, ...] = ()


PETITIONS = (
    DemoPetition(
        "Un passage piéton sécurisé devant l’école de Pâquis-Centre",
        "Chaque matin, plus de 300 enfants traversent la rue de Berne pour aller à l’école. "
        "Nous demandons **un passage piéton surélevé** et une patrouilleuse scolaire aux heures "
        "d’entrée et de sortie.",
        "Conseil administratif de la Ville de Genève",
        150,
        45,
        ("amelie", "fatou"),
        True,
        ("karim", "lucia", "jeanmarc", "fatou"),
    ),
    DemoPetition(
        "Des fontaines à eau potable au bord du lac",
        "L’été, les baigneuses et baigneurs des Bains des Pâquis n’ont qu’une fontaine. "
        "Nous demandons deux fontaines de plus sur le quai du Mont-Blanc.",
        "Service de l’espace public",
        200,
        60,
        ("amelie", "karim"),
        False,
    ),
)


async def _person(session: AsyncSession, username: str) -> Actor:
    actor = await find_local_actor(session, username)
    assert actor is not None
    return actor


async def demo_petitions(session: AsyncSession, uris: Uris) -> None:
    assembly = await _person(session, "assemblee")
    for username in ("fatou", "karim"):
        member = await _person(session, username)
        session.add(Membership(group_id=assembly.id, member_id=member.id, role="member"))
    await session.flush()
    for demo in PETITIONS:
        first, *others = [await _person(session, name) for name in demo.promoters]
        fields = PetitionFields(
            title=demo.title, text=demo.text, addressee=demo.addressee, goal=demo.goal,
            deadline=utcnow() + timedelta(days=demo.days), may_sign="anyone",
        )  # fmt: skip
        petition = await draft_petition(session, uris, first, assembly, fields, others)
        if demo.confirmed:
            for promoter in others:
                await confirm(session, uris, promoter, petition)
        for name in demo.signers:
            await sign(session, uris, await _person(session, name), petition)


POLL = PollFields(
    question="Quel soir pour la prochaine assemblée de quartier ?",
    text="La salle de la maison de quartier est libre ces trois soirs-là. "
    "Vous pouvez en choisir **plusieurs**.",
    options=("Mardi 19 h", "Mercredi 19 h", "Jeudi 18 h 30"),
    deadline=None,
    multiple=True,
)
POLL_VOTES = (("karim", (0, 2)), ("lucia", (2,)), ("fatou", (1, 2)))


async def demo_poll(session: AsyncSession, uris: Uris) -> None:
    assembly = await _person(session, "assemblee")
    facilitator = await _person(session, "amelie")
    fields = replace(POLL, deadline=utcnow() + timedelta(days=9))
    poll = await hold_poll(session, uris, facilitator, assembly, fields)
    for name, positions in POLL_VOTES:
        await vote(session, uris, await _person(session, name), poll, positions)


async def demo_proposal(session: AsyncSession, uris: Uris) -> None:
    assembly = await _person(session, "assemblee")
    proposal = await propose(
        session, uris, await _person(session, "fatou"), assembly,
        "Une outilthèque à la maison de quartier",
        "Perceuses, scies, échelles : chacun en a besoin deux fois par an. Une **outilthèque** "
        "ouverte le samedi matin permettrait de les prêter plutôt que de les acheter.",
    )  # fmt: skip
    for name in ("karim", "lucia"):
        await add_support(session, proposal, await _person(session, name))
