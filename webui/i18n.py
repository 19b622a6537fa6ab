"""Translations: English message ids, one catalog per language (French is the default),
per-request locale.

The ``.po`` catalogs are compiled in memory at start-up, so there is no build step to forget. A
language is offered only when its catalog folder is there (English needs none: its words are the
message ids).
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from config.settings import LANGUAGES

# The languages of Geneva's residents, in the order the language picker lists them.
SUPPORTED = LANGUAGES
DEFAULT_LANGUAGE = "fr"
SOURCE_LANGUAGE = "en"
# Each language named in itself, so a reader finds their own whatever the page's language.
LANGUAGE_NAMES = {
    "fr": "Français",
    "en": "English",
    "de": "Deutsch",
    "it": "Italiano",
    "es": "Español",
    "pt": "Português",
    "ar": "العربية",
}
RIGHT_TO_LEFT = frozenset({"ar"})
TRANSLATIONS_DIR = Path(__file__).parent / "translations"

_catalogs: dict[str, NullTranslations] = {}
current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LANGUAGE)


class CatalogError(ValueError):
    """A ``.po`` file of the web UI that cannot be served as it is."""


def read_catalog(language: str) -> Catalog:
    """Every ``.po`` file of a language merged into one catalog (one file per area of the UI).

    The plural rule is the one the files declare in their ``Plural-Forms`` header, never the
    one Babel derives from its CLDR data: CLDR changes between Babel releases (French gained a
    third form in 2.19), while the ``msgstr[n]`` of our files follow their own header. Every
    file must declare the same rule.
    """
    merged = Catalog(locale=language)
    declared: str | None = None
    for po_path in sorted((TRANSLATIONS_DIR / language / "LC_MESSAGES").glob("*.po")):
        source = po_path.read_bytes()
        # Babel fills in a rule of its own when the header has none: look at the file itself.
        if b'"Plural-Forms:' not in source:
            raise CatalogError(f"{po_path}: no Plural-Forms header")
        part = read_po(io.BytesIO(source), locale=language)
        rule = part.plural_forms
        if declared is None:
            declared = rule
            merged = part
            continue
        if rule != declared:
            raise CatalogError(f"{po_path}: Plural-Forms {rule!r} differs from {declared!r}")
        for message in part:
            if message.id and message.string:
                merged[message.id] = message
    return merged


def has_catalog(language: str) -> bool:
    """Whether the language's ``.po`` files are there (always for the language of the ids)."""
    if language == SOURCE_LANGUAGE:
        return True
    return any((TRANSLATIONS_DIR / language / "LC_MESSAGES").glob("*.po"))


def load_catalogs() -> None:
    loaded: dict[str, NullTranslations] = {}
    for language in SUPPORTED:
        if not has_catalog(language):
            continue
        catalog = read_catalog(language)
        if not len(catalog):
            loaded[language] = NullTranslations()
            continue
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        loaded[language] = Translations(compiled)
    _catalogs.clear()
    _catalogs.update(loaded)


def translations(language: str) -> NullTranslations:
    if not _catalogs:
        load_catalogs()
    return _catalogs.get(language) or _catalogs[DEFAULT_LANGUAGE]


def available_languages() -> tuple[str, ...]:
    """The supported languages that have their catalog, in the picker's order."""
    if not _catalogs:
        load_catalogs()
    return tuple(language for language in SUPPORTED if language in _catalogs)


def is_available(language: str) -> bool:
    return language in available_languages()


def language_choices() -> list[tuple[str, str]]:
    """``(code, name in itself)`` for each language a reader can choose."""
    return [(language, LANGUAGE_NAMES[language]) for language in available_languages()]


def text_direction(language: str) -> Literal["rtl", "ltr"]:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, count)


def negotiate_language(accept_language: str | None, default: str = "fr") -> str:
    """The best supported language for an ``Accept-Language`` header, by quality."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for parameter in pieces[1:]:
            key, _, value = parameter.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        primary = tag.split("-", 1)[0]
        if is_available(primary):
            return primary
        if tag == "*":
            return default
    return default
