"""A believable Geneva neighbourhood for an empty instance: residents, collectives and news."""

from __future__ import annotations

from dataclasses import dataclass

from actors.services import create_account, create_group, find_local_actor
from actors.uris import Uris
from commons.posts import publish_note
from quartiers.settings import Settings
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
        "Un samedi par mois, on répare ensemble grille-pain, vélos et vêtements, "
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


async def fill_demo_neighbourhood(settings: Settings, database: Database) -> str:
    uris = Uris(settings.base_url)
    async with database.transaction() as session:
        for resident in RESIDENTS:
            await create_account(
                session, settings, resident.username, None, display_name=resident.name
            )
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
        for username, text in POSTS:
            author = await find_local_actor(session, username)
            assert author is not None
            await publish_note(session, uris, author, text)
    return (
        f"Demo neighbourhood ready: {len(RESIDENTS)} residents, {len(COLLECTIVES)} collectives, "
        f"{len(POSTS)} posts."
    )
