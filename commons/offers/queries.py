"""The reads the bourses' pages and endpoints need: one offer, and the marketplace's listing
(ours only, or the city's: every offer this server received), filtered and newest first."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from commons.offers.search_words import query_words
from storage.blocks import limited_actor_ids
from storage.models import Actor, Offer, OfferResponse, Post, utcnow
from storage.models.offers import OPEN
from storage.models.posts import PUBLIC

PAGE_SIZE = 30


@dataclass(frozen=True, slots=True)
class OfferCard:
    """An offer with the actor who publishes it, as a listing shows them."""

    offer: Offer
    author: Actor


def is_open(offer: Offer, now: datetime | None = None) -> bool:
    over = offer.valid_until is not None and offer.valid_until <= (now or utcnow())
    return offer.status == OPEN and offer.deleted_at is None and not over


@dataclass(frozen=True, slots=True)
class MarketFilter:
    """What a reader of the marketplace asks for; None or empty means any."""

    kind: str | None = None
    purpose: str | None = None
    local_only: bool = False
    open_only: bool = True
    words: str | None = None
    category: str | None = None
    author_id: int | None = None
    before_id: int | None = None
    located: bool = False
    near: tuple[float, float] | None = None
    """(latitude, longitude): only offers within ``within_km`` of it, nearest first."""
    within_km: float = 2.0
    left_out: tuple[str, ...] = ()
    """Domains whose offers the city views leave out (the admin's choice of quartiers)."""
    quartier: str | None = None
    """Only the offers of actors of this domain (one quartier of the city)."""


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _listing(wanted: MarketFilter, now: datetime) -> Select[Offer, Actor]:
    query = (
        select(Offer, Actor)
        .join(Actor, Actor.id == Offer.actor_id)
        .where(Offer.deleted_at.is_(None), Actor.is_gone.is_(False))
    )
    if wanted.author_id is None:  # the city's offers leave out limited domains
        query = query.where(Offer.actor_id.not_in(limited_actor_ids()))
    if wanted.open_only:
        query = query.where(
            Offer.status == OPEN, or_(Offer.valid_until.is_(None), Offer.valid_until > now)
        )
    if wanted.kind:
        query = query.where(Offer.kind == wanted.kind)
    if wanted.purpose:
        query = query.where(Offer.purpose == wanted.purpose)
    if wanted.local_only:
        query = query.where(Offer.is_local.is_(True))
    if wanted.author_id is not None:
        query = query.where(Offer.actor_id == wanted.author_id)
    if wanted.left_out:
        query = query.where(Actor.domain.not_in(wanted.left_out))
    if wanted.quartier is not None:
        query = query.where(Actor.domain == wanted.quartier)
    if wanted.located or wanted.near is not None:
        query = query.where(Offer.latitude.is_not(None), Offer.longitude.is_not(None))
    if wanted.near is not None:
        south, west, north, east = bounding_box(wanted.near, wanted.within_km)
        query = query.where(
            Offer.latitude.between(south, north), Offer.longitude.between(west, east)
        )
    if wanted.before_id is not None:
        query = query.where(Offer.id < wanted.before_id)
    if wanted.category:
        query = query.where(func.lower(Offer.category) == wanted.category.casefold())
    for word in query_words(wanted.words or ""):
        # every word somewhere in the title, category, description or place, accents aside
        query = query.where(Offer.search_text.like(_like(word), escape="\\"))
    return query.order_by(Offer.id.desc())


async def market_offers(
    session: AsyncSession,
    wanted: MarketFilter,
    *,
    now: datetime | None = None,
    limit: int = PAGE_SIZE,
) -> list[OfferCard]:
    """A page of the marketplace, newest first (``before_id`` gives the next page); near a
    place, the nearest first, within the distance asked."""
    if wanted.near is None:
        rows = await session.execute(_listing(wanted, now or utcnow()).limit(limit))
        return [OfferCard(offer, author) for offer, author in rows.all()]
    rows = await session.execute(_listing(wanted, now or utcnow()).limit(NEAR_LIMIT))
    found = [
        (distance_km(wanted.near, (offer.latitude or 0.0, offer.longitude or 0.0)), offer, author)
        for offer, author in rows.all()
    ]
    found = [item for item in found if item[0] <= wanted.within_km]
    found.sort(key=lambda item: item[0])
    return [OfferCard(offer, author) for _km, offer, author in found[:limit]]


NEAR_LIMIT = 2000
EARTH_KM = 6371.0


def bounding_box(point: tuple[float, float], km: float) -> tuple[float, float, float, float]:
    """(south, west, north, east) around ``point``: a cheap first filter the index can use."""
    latitude, longitude = point
    degrees = math.degrees(km / EARTH_KM)
    across = degrees / max(math.cos(math.radians(latitude)), 0.01)
    return latitude - degrees, longitude - across, latitude + degrees, longitude + across


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


async def offer_by_id(session: AsyncSession, offer_id: int) -> Offer | None:
    return await session.get(Offer, offer_id)


async def response_by_id(session: AsyncSession, response_id: int) -> OfferResponse | None:
    return await session.get(OfferResponse, response_id)


async def offer_by_uri(session: AsyncSession, uri: str) -> Offer | None:
    return await session.scalar(select(Offer).where(Offer.uri == uri))


async def offer_comments(session: AsyncSession, offer: Offer) -> list[tuple[Post, Actor, bool]]:
    """The public replies under an offer, oldest first, with their author and whether each
    was already taken as an answer."""
    rows = await session.execute(
        select(Post, Actor, OfferResponse.id)
        .join(Actor, Actor.id == Post.actor_id)
        .outerjoin(OfferResponse, OfferResponse.post_id == Post.id)
        .where(
            Post.in_reply_to_uri == offer.uri,
            Post.visibility == PUBLIC,
            Post.deleted_at.is_(None),
        )
        .order_by(Post.id)
        .limit(200)
    )
    return [(post, actor, taken is not None) for post, actor, taken in rows.all()]


async def answer_thread(session: AsyncSession, response: OfferResponse) -> list[tuple[Post, Actor]]:
    """The messages between the two sides of an answer, oldest first (for those two only)."""
    rows = await session.execute(
        select(Post, Actor)
        .join(Actor, Actor.id == Post.actor_id)
        .where(Post.in_reply_to_uri == response.agreement_uri, Post.deleted_at.is_(None))
        .order_by(Post.id)
        .limit(200)
    )
    return [(post, actor) for post, actor in rows.all()]
