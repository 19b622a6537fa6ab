"""Which quartiers the city views show, and each quartier's name for the items' labels.

The city agenda, marketplace, petitions, map and timeline show what this server received from
the other quartiers of the city. The admin may leave a federated quartier out of them (its
content is still received and shown to those who follow someone there); a reader may narrow a
city view to one quartier. Quartiers are told apart by the domain their actors carry (host and
port), which is how an item's author is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.neighbours import host_of_domain
from storage.models import Host


def authority_of(host: Host) -> str:
    """The domain a neighbour's actors carry: from where it answers, else its host name."""
    return (host.origin or "").partition("://")[2] or host.host


@dataclass(frozen=True, slots=True)
class QuartierNames:
    """The neighbours' names by the domain their actors carry; any other server by its domain."""

    by_domain: dict[str, str]

    def of(self, domain: str) -> str:
        found = self.by_domain.get(domain)
        if found is None:
            found = self.by_domain.get(host_of_domain(domain), domain)
        return found


@dataclass(frozen=True, slots=True)
class NeighbourChoice:
    """A neighbour quartier as the city views' filter and the admin's page offer it."""

    domain: str
    name: str
    in_city_views: bool


@dataclass(frozen=True, slots=True)
class Neighbours:
    """The neighbour quartiers as one read of ``hosts`` gives them, for a page of the city."""

    hosts: list[Host]

    @property
    def names(self) -> QuartierNames:
        names: dict[str, str] = {}
        for host in self.hosts:
            if host.quartier_name:
                names[authority_of(host)] = host.quartier_name
                names.setdefault(host.host, host.quartier_name)
        return QuartierNames(names)

    @property
    def choices(self) -> list[NeighbourChoice]:
        """Every neighbour quartier by name, with the admin's choice for the city views."""
        found = [
            NeighbourChoice(authority_of(host), host.quartier_name or host.host, host.in_city_views)
            for host in self.hosts
        ]
        return sorted(found, key=lambda choice: choice.name.casefold())

    def domains(self, *, shown: bool) -> tuple[str, ...]:
        """The domains the city views show (``shown``), or those the admin left out, sorted."""
        return tuple(sorted({authority_of(h) for h in self.hosts if h.in_city_views is shown}))


async def neighbours_of_city(session: AsyncSession) -> Neighbours:
    return Neighbours(list(await session.scalars(select(Host).where(Host.is_neighbour.is_(True)))))


async def quartier_names(session: AsyncSession) -> QuartierNames:
    return (await neighbours_of_city(session)).names


async def neighbour_choices(session: AsyncSession) -> list[NeighbourChoice]:
    """Every neighbour quartier by name, with the admin's choice for the city views."""
    return (await neighbours_of_city(session)).choices


async def set_in_city_views(session: AsyncSession, domain: str, shown: bool) -> bool:
    """Show or leave out a neighbour quartier (by the domain its actors carry, or its host
    name) in the city views; False when no such neighbour is known."""
    for host in (await neighbours_of_city(session)).hosts:
        if domain in (authority_of(host), host.host):
            host.in_city_views = shown
            await session.flush()
            return True
    return False
