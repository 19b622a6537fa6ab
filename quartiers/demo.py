"""A believable Geneva neighbourhood for an empty instance: residents, collectives and news."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from actors.services import create_account, create_group, find_local_actor
from commons.events.services import EventFields, create_event
from commons.posts.services import publish_note
from config.settings import Settings
from config.uris import Uris
from quartiers.demo_offers import OFFERS, demo_offers
from quartiers.demo_petitions import PETITIONS, demo_petitions, demo_poll, demo_proposal
from quartiers.progress import Progress
from storage.database import Database


@dataclass(frozen=True)
class DemoResident:
    username: str
    name: str


@dataclass(frozen=True)
class DemoCollective:
    username: str
    name: str
    kind: str
    owner: str
    summary: str


RESIDENTS = (
    DemoResident("amelie", "Amélie Rochat"),
    DemoResident("karim", "Karim Benali"),
    DemoResident("lucia", "Lucía Fernández"),
    DemoResident("jeanmarc", "Jean-Marc Dubois"),
    DemoResident("fatou", "Fatou Diop"),
)

COLLECTIVES = (
    DemoCollective(
        "repair-cafe",
        "Repair Café des Pâquis",
        "space",
        "jeanmarc",
        "Chaque samedi, on répare ensemble grille-pain, vélos et vêtements, "
        "rue de Berne. Apportez vos objets cassés !",
    ),
    DemoCollective(
        "fablab",
        "FabLab des Pâquis",
        "space",
        "lucia",
        "Atelier ouvert : découpe laser, impression 3D et électronique, "
        "pour petits et grands projets du quartier.",
    ),
    DemoCollective(
        "assemblee",
        "Assemblée de quartier des Pâquis",
        "assembly",
        "amelie",
        "L'assemblée ouverte des habitant·es : circulation, espaces verts, "
        "logement et vie du quartier.",
    ),
    DemoCollective(
        "jardin-berne",
        "Jardin partagé de la rue de Berne",
        "project",
        "fatou",
        "Un potager en bacs dans la cour de l'école : on cherche des mains vertes et des graines.",
    ),
)

POSTS = (
    (
        "repair-cafe",
        "Prochain **Repair Café** samedi de 10h à 16h à la Maison de quartier des Pâquis. "
        "Bénévoles couture et électronique bienvenus !",
    ),
    (
        "fablab",
        "Nouvelle découpeuse laser installée ✨ Initiation gratuite mardi à 18h30, "
        "inscriptions sur place.",
    ),
    (
        "assemblee",
        "Compte rendu de l'assemblée de novembre : la pétition pour des bancs à la place "
        "de la Navigation a recueilli 214 signatures. Prochaine réunion le 9 décembre.",
    ),
    (
        "jardin-berne",
        "Merci à toutes celles et ceux venus planter les bulbes ce week-end 🌷 "
        "Il reste des bacs à parrainer.",
    ),
    (
        "karim",
        "Je prête volontiers ma perceuse-visseuse aux voisin·es de la rue de Neuchâtel, "
        "écrivez-moi.",
    ),
    (
        "lucia",
        "Qui serait partant·e pour un atelier vélo au FabLab ? On pourrait imprimer des "
        "pièces de rechange.",
    ),
)


@dataclass(frozen=True)
class DemoEvent:
    organiser: str
    title: str
    days_ahead: int  # from next Saturday
    start: time
    hours: int
    category: str
    place_name: str
    street_address: str
    description: str
    rrule: str | None = None
    capacity: int | None = None
    join_mode: str = "free"
    latitude: float | None = None
    longitude: float | None = None


EVENTS = (
    DemoEvent("repair-cafe", "Repair Café des Pâquis", 0, time(10), 6, "repair_cafe",
              "Maison de quartier des Pâquis", "rue de Berne 50",
              "Grille-pain, vélos, vêtements : on répare ensemble, chaque samedi. "
              "Bénévoles couture et électronique bienvenus.",
              rrule="FREQ=WEEKLY;BYDAY=SA", latitude=46.2113, longitude=6.1467),
    DemoEvent("jardin-berne", "Safari urbain : les arbres des Pâquis", 7, time(14), 2,
              "safari_urbain", "Devant l'école de Pâquis-Centre", "rue de Berne 44",
              "Une balade d'une heure et demie pour découvrir les arbres du quartier avec un "
              "jardinier de la Ville. Bonnes chaussures conseillées.", capacity=25),
    DemoEvent("assemblee", "Forum de quartier : la place de la Navigation", 10, time(19), 2,
              "forum", "Salle du Môle", "rue du Môle 9",
              "Bancs, arbres, circulation : venez dire ce que vous voulez pour la place. "
              "Garderie sur place.", join_mode="approval", capacity=80),
    DemoEvent("assemblee", "Assemblée de quartier de décembre", 18, time(19, 30), 2,
              "debat", "Maison de quartier des Pâquis", "rue de Berne 50",
              "Ordre du jour : logement, sécurité sur le chemin de l'école, budget participatif.",
              latitude=46.2113, longitude=6.1467),
)  # fmt: skip


def _next_saturday(now: datetime) -> datetime:
    return now + timedelta(days=(5 - now.weekday()) % 7 or 7)


async def _demo_events(session: AsyncSession, settings: Settings, uris: Uris) -> None:
    zone = ZoneInfo(settings.server.timezone)
    saturday = _next_saturday(datetime.now(zone)).date()
    for item in EVENTS:
        organiser = await find_local_actor(session, item.organiser)
        owner = next(c.owner for c in COLLECTIVES if c.username == item.organiser)
        author = await find_local_actor(session, owner)
        assert organiser is not None and author is not None
        start = datetime.combine(saturday + timedelta(days=item.days_ahead), item.start, zone)
        fields = EventFields(
            title=item.title, start=start, end=start + timedelta(hours=item.hours),
            description=item.description, timezone=settings.server.timezone,
            place_name=item.place_name, street_address=item.street_address,
            postal_code="1201", locality="Genève", latitude=item.latitude,
            longitude=item.longitude, category=item.category, capacity=item.capacity,
            join_mode=item.join_mode, rrule=item.rrule,
        )  # fmt: skip
        await create_event(session, uris, author, organiser, fields)


async def fill_demo_neighbourhood(settings: Settings, database: Database) -> str:
    uris = Uris(settings.base_url)
    total = (
        len(RESIDENTS) + len(COLLECTIVES) + len(POSTS) + len(EVENTS) + len(OFFERS) + len(PETITIONS)
    )
    with Progress("demo neighbourhood", total, unit="items") as progress:
        async with database.transaction() as session:
            await _fill(session, settings, uris, progress)
    return (
        f"Demo neighbourhood ready: {len(RESIDENTS)} residents, {len(COLLECTIVES)} collectives, "
        f"{len(POSTS)} posts, {len(EVENTS)} events, {len(OFFERS)} offers and requests, "
        f"{len(PETITIONS)} petitions, a poll and a proposal."
    )


async def _fill(session: AsyncSession, settings: Settings, uris: Uris, progress: Progress) -> None:
    """Residents, collectives, posts, events, offers: each kind is one batch of the progress."""
    for resident in RESIDENTS:
        await create_account(session, settings, resident.username, None, display_name=resident.name)
    progress.advance(len(RESIDENTS))
    for collective in COLLECTIVES:
        await create_group(
            session,
            settings,
            collective.username,
            collective.kind,
            collective.owner,
            display_name=collective.name,
            summary=collective.summary,
        )
    progress.advance(len(COLLECTIVES))
    for username, text in POSTS:
        author = await find_local_actor(session, username)
        assert author is not None
        await publish_note(session, uris, author, text)
    progress.advance(len(POSTS))
    await _demo_events(session, settings, uris)
    progress.advance(len(EVENTS))
    await demo_offers(session, settings, uris)
    progress.advance(len(OFFERS))
    await demo_petitions(session, uris)
    await demo_poll(session, uris)
    await demo_proposal(session, uris)
    progress.advance(len(PETITIONS))
