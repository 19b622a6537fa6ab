"""The words an offer is found by: folded once when it is written, so the marketplace's search
ignores case and accents (« velo » finds « Vélo cargo ») and a plural finds the singular."""

from __future__ import annotations

import re
import unicodedata

from commons.markdown import html_to_text

MAX_CHARS = 4000
MAX_WORDS = 6
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, without accents, one space between words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", bare).strip()


def offer_words(
    title: str,
    category: str | None,
    description: str | None,
    description_html: str,
    place_name: str | None,
    locality: str | None,
) -> str:
    """What :attr:`storage.models.Offer.search_text` holds: title, category, description (its
    text, or the text of its HTML when another server sent no source) and place, folded."""
    body = description or html_to_text(description_html)
    parts = (title, category or "", body, place_name or "", locality or "")
    return fold(" ".join(parts))[:MAX_CHARS]


def query_words(words: str) -> list[str]:
    """The words someone typed, folded; a long word loses a plural ``s`` or ``x`` so that
    « perceuses » finds « perceuse » as well."""
    found = []
    for word in fold(words).split()[:MAX_WORDS]:
        if len(word) > 3 and word[-1] in "sx":
            word = word[:-1]
        found.append(word)
    return found
