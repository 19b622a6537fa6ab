"""The marketplace as an Atom feed, filtered as the page is (``/offers.atom?kind=pret``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from actors.city_scope import neighbours_of_city
from commons.agenda.feeds import AtomFeed
from commons.offers.feeds import build_offers_atom
from commons.offers.queries import OfferCard, market_offers
from instance.runtime import instance_of
from webui import i18n
from webui.pages.offers.offer_forms import kind_labels
from webui.pages.offers.offers import (
    PAGE_SIZE,
    in_city_scope,
    market_filter,
    market_link,
    offer_view,
    page_url,
)

ATOM_TYPE = "application/atom+xml; charset=utf-8"


async def marketplace_atom(request: Request) -> Response:
    """The marketplace as it is filtered, for a feed reader (``/offers.atom?kind=pret``)."""
    instance = instance_of(request)
    wanted, chosen = market_filter(request)
    async with instance.database.session() as session:
        wanted = in_city_scope(wanted, await neighbours_of_city(session))
        cards = await market_offers(session, wanted, limit=PAGE_SIZE)
    base_url = instance.settings.base_url
    query = market_link(chosen).removeprefix("/offers")
    kind = kind_labels().get(chosen["kind"], "")
    title = i18n.gettext("Exchange and mutual aid") + (f" · {kind}" if kind else "")
    feed = AtomFeed(
        feed_id=f"{base_url}/offers.atom{query}",
        title=f"{title} — {instance.settings.server.name}",
        page_url=f"{base_url}/offers{query}",
        feed_url=f"{base_url}/offers.atom{query}",
        language=i18n.current_locale.get(),
    )

    def summary(card: OfferCard) -> str:
        view = offer_view(card.offer, card.author)
        pieces = [f"{view['purpose']} · {view['kind']}", view["terms"], view["place"]]
        return " — ".join(piece for piece in pieces if piece)

    body = build_offers_atom(
        feed, cards, page_url=lambda card: base_url + page_url(card.offer), summarise=summary
    )
    return Response(body, media_type=ATOM_TYPE, headers={"Cache-Control": "public, max-age=300"})


routes: list[BaseRoute] = [
    Route("/offers.atom", marketplace_atom, methods=["GET"], name="marketplace_atom"),
]
