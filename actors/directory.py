"""The city's directory of quartiers: this one, as it describes itself, and its neighbours, as
each described itself in its NodeInfo.

A neighbour is a server of ours that this quartier has met (a resident follows someone there,
or its posts reached us: :mod:`actors.neighbours`); what it says of itself is read by
:mod:`actors.neighbour_descriptions`. The directory is served as a page and as a JSON document
(``/quartiers``, ``/quartiers.json``), and the same description goes into our NodeInfo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.quartier_federation import federated_domains, instance_actor_of
from config.area import Area, area_from_json, parse_area
from config.settings import MAX_CONTACT, MAX_DESCRIPTION, Settings
from storage.models import Host

LANGUAGES = ("fr", "en")
MAX_NAME = 200
DIRECTORY_PATH = "/quartiers"


@dataclass(frozen=True, slots=True)
class Quartier:
    """One quartier of the directory."""

    domain: str
    url: str
    name: str
    city: str
    description: str
    contact: str
    area: Area | None
    is_here: bool
    described_at: datetime | None
    federated: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "url": self.url,
            "name": self.name,
            "city": self.city,
            "description": self.description,
            "contact": self.contact,
            "area": self.area.as_json() if self.area else None,
            "federated": self.federated,
        }


@dataclass(frozen=True, slots=True)
class Described:
    """What a neighbour's NodeInfo says of it, cut to sizes we store."""

    name: str | None
    city: str | None
    description: str | None
    contact: str | None
    area: Area | None


def this_quartier(settings: Settings) -> Quartier:
    server = settings.server
    return Quartier(
        domain=server.domain,
        url=settings.base_url,
        name=server.name,
        city=server.city,
        description=server.description.strip(),
        contact=server.contact.strip(),
        area=parse_area(server.area),
        is_here=True,
        described_at=None,
    )


def self_description(settings: Settings) -> dict[str, Any]:
    """The metadata of our NodeInfo that names the quartier and says where and what it is."""
    here = this_quartier(settings)
    return {
        "nodeName": here.name,
        "neighbourhood": here.name,
        "city": here.city,
        "languages": list(LANGUAGES),
        "nodeDescription": here.description,
        "contact": here.contact,
        "area": here.area.as_json() if here.area else None,
        "directory": f"{here.url}{DIRECTORY_PATH}.json",
    }


def _text(value: object, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text[:limit] if text else None


def read_description(metadata: dict[str, Any]) -> Described:
    """A neighbour's NodeInfo metadata, read as untrusted: plain text of bounded length only
    (templates escape it), an area only when it is a real box."""
    return Described(
        name=_text(metadata.get("neighbourhood"), MAX_NAME)
        or _text(metadata.get("nodeName"), MAX_NAME),
        city=_text(metadata.get("city"), MAX_NAME),
        description=_text(metadata.get("nodeDescription"), MAX_DESCRIPTION),
        contact=_text(metadata.get("contact"), MAX_CONTACT),
        area=area_from_json(metadata.get("area")),
    )


def _neighbour(host: Host, federated: set[str]) -> Quartier:
    authority = (host.origin or "").partition("://")[2] or host.host
    return Quartier(
        domain=host.host,
        url=host.origin or f"https://{host.host}",
        name=host.quartier_name or host.host,
        city=host.city or "",
        description=host.description or "",
        contact=host.contact or "",
        area=area_from_json(host.area),
        is_here=False,
        described_at=host.described_at,
        federated=authority in federated or host.host in federated,
    )


async def city_directory(session: AsyncSession, settings: Settings) -> list[Quartier]:
    """This quartier first, then its neighbours by name; those it federates with say so."""
    hosts = await session.scalars(select(Host).where(Host.is_neighbour.is_(True)))
    try:
        federated = await federated_domains(session, await instance_actor_of(session))
    except LookupError:
        federated = set()
    neighbours = sorted(
        (_neighbour(host, federated) for host in hosts), key=lambda q: q.name.casefold()
    )
    return [this_quartier(settings), *neighbours]


def directory_document(quartiers: list[Quartier]) -> dict[str, Any]:
    here, *others = quartiers
    return {"quartier": here.as_json(), "neighbours": [q.as_json() for q in others]}
