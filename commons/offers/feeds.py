"""An Atom feed of offers and requests, for feed readers (one per kind, quartier or city).

``feedgen`` is imported on the first feed asked for (see :mod:`commons.agenda.feeds`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from commons.agenda.feeds import AtomFeed
from commons.markdown import html_to_text
from commons.offers.queries import OfferCard


def build_offers_atom(
    feed: AtomFeed,
    cards: Sequence[OfferCard],
    *,
    page_url: Callable[[OfferCard], str],
    summarise: Callable[[OfferCard], str],
    now: datetime | None = None,
) -> bytes:
    """Newest first, as the marketplace lists them; each entry says its kind and terms."""
    from feedgen.feed import FeedGenerator

    generator = FeedGenerator()
    generator.id(feed.feed_id)
    generator.title(feed.title)
    generator.link(href=feed.page_url, rel="alternate", type="text/html")
    generator.link(href=feed.feed_url, rel="self", type="application/atom+xml")
    generator.language(feed.language)
    generator.generator("Quartiers Collaboratifs")
    generator.updated(
        max(
            (card.offer.updated or card.offer.published for card in cards),
            default=now or datetime.now(UTC),
        )
    )
    for card in reversed(cards):
        offer = card.offer
        item = generator.add_entry()
        item.id(offer.uri)
        item.title(offer.title)
        item.link(href=page_url(card), rel="alternate", type="text/html")
        item.published(offer.published)
        item.updated(offer.updated or offer.published)
        item.author({"name": card.author.name or card.author.username})
        item.category(term=offer.kind)
        item.summary(summarise(card))
        if offer.description_html:
            item.content(html_to_text(offer.description_html), type="text")
    return bytes(generator.atom_str(pretty=False))
