"""The demo neighbourhood's offers and requests: at least one of every kind, from residents and
from the collectives, with the terms people in the Pâquis would really write."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from actors.services import find_local_actor
from commons.offers.fields import OfferFields
from commons.offers.services import publish_offer
from config.settings import Settings
from config.uris import Uris


@dataclass(frozen=True)
class DemoOffer:
    person: str
    author: str
    kind: str
    title: str
    description: str
    purpose: str = "offer"
    days_valid: int | None = None
    terms: dict[str, object] = field(default_factory=dict)


OFFERS = (
    DemoOffer("jeanmarc", "repair-cafe", "pret", "Perceuse à percussion et jeu de mèches",
              "Une Bosch de 750 W avec des mèches à béton et à bois. À venir chercher le "
              "samedi au Repair Café, à rendre dans la semaine.",
              terms={"category": "outils", "place_name": "Repair Café des Pâquis",
                     "street_address": "rue de Berne 50", "locality": "Genève",
                     "latitude": 46.2113, "longitude": 6.1467}),
    DemoOffer("lucia", "fablab", "service", "Découpe laser de vos plaques de bois",
              "Apportez votre dessin (SVG ou PDF) : on découpe ensemble, jusqu'à 60 × 40 cm.",
              terms={"reciprocity": "price", "price_centimes": 1000, "quantity": 1.0,
                     "unit": "hour", "place_name": "FabLab des Pâquis", "locality": "Genève"}),
    DemoOffer("amelie", "amelie", "don", "Poussette en bon état",
              "Une poussette citadine, pliable, avec sa protection pluie. Elle a servi deux ans.",
              days_valid=30, terms={"category": "enfants", "locality": "Pâquis"}),
    DemoOffer("karim", "karim", "troc", "Confiture de coings contre un coup de main",
              "J'ai fait trop de confiture ! Un pot contre une heure d'aide pour monter une "
              "étagère.",
              terms={"reciprocity": "exchange", "exchange_for": "une heure d'aide",
                     "quantity": 1.0, "available_quantity": 12.0, "unit_based": True}),
    DemoOffer("fatou", "fatou", "logement", "Chambre pour une étudiante, de janvier à juin",
              "Chambre meublée dans un 4 pièces près de la gare, cuisine partagée, calme.",
              days_valid=45,
              terms={"reciprocity": "price", "price_centimes": 65000, "quantity": 1.0,
                     "unit": "month", "street_address": "rue de Neuchâtel",
                     "locality": "Genève"}),
    DemoOffer("jeanmarc", "repair-cafe", "emploi", "Coordinateur·rice bénévole du samedi",
              "Accueillir les visiteurs, orienter vers les réparateurs, tenir le registre. "
              "Quatre heures un samedi sur deux, défraiement des repas.",
              terms={"category": "bénévolat", "place_name": "Repair Café des Pâquis",
                     "locality": "Genève"}),
    DemoOffer("karim", "karim", "besoin", "Cherche quelqu'un pour arroser mes plantes",
              "Du 20 au 31 décembre, deux fois par semaine. Je rends la pareille volontiers !",
              purpose="request", days_valid=20, terms={"locality": "Pâquis"}),
)  # fmt: skip


async def demo_offers(session: AsyncSession, settings: Settings, uris: Uris) -> None:
    zone = ZoneInfo(settings.server.timezone)
    today = datetime.now(zone).date()
    for item in OFFERS:
        person = await find_local_actor(session, item.person)
        author = await find_local_actor(session, item.author)
        assert person is not None and author is not None
        until = (
            datetime.combine(today + timedelta(days=item.days_valid), time(23, 59), zone)
            if item.days_valid
            else None
        )
        fields = OfferFields(kind=item.kind, title=item.title, purpose=item.purpose,
                             description=item.description, valid_until=until,
                             **item.terms)  # type: ignore[arg-type]  # fmt: skip
        await publish_offer(session, uris, person, author, fields)
