"""Every plural message reads right at every count in every language the web UI serves: the
form its file's rule picks, a rule that says what CLDR says of the language, and as many forms as
the rule names (Arabic has six: zero, one, two, few, many, other)."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po

from webui import i18n

COUNTS = (0, 1, 2, 3, 5, 10, 11, 99, 100, 101, 102, 103, 111, 1000)
# CLDR's plural categories in the order the msgstr[n] of a .po file follow.
CATEGORY_ORDER = ("zero", "one", "two", "few", "many", "other")
# The CLDR locale whose rule each catalog follows, when it is not the language's own: Geneva's
# Portuguese speakers write European Portuguese, where 0 takes the plural (CLDR's "pt" is
# Brazilian, where 0 and 1 are singular).
CLDR_LOCALES = {"pt": "pt_PT"}


def plural_messages() -> list[tuple[str, Path, str, str, tuple[str, ...], str]]:
    """(language, file, singular, plural, forms, Plural-Forms) of every plural message on disk."""
    found = []
    for po_path in sorted(i18n.TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.po")):
        language = po_path.parent.parent.name
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        rule = dict(catalog.mime_headers).get("Plural-Forms", "")
        for message in catalog:
            if message.pluralizable and message.string:
                singular, plural = message.id
                found.append((language, po_path, singular, plural, tuple(message.string), rule))
    return found


def test_there_are_plural_messages_to_check() -> None:
    assert {language for language, *_ in plural_messages()} >= {"fr"}


@pytest.mark.parametrize(
    ("language", "po_path", "singular", "plural", "forms", "rule"),
    plural_messages(),
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None,
)
def test_plural_message_at_every_count(
    language: str,
    po_path: Path,
    singular: str,
    plural: str,
    forms: tuple[str, ...],
    rule: str,
) -> None:
    # Given the rule the file declares, read with the standard library's own parser of it
    nplurals = int(rule.split("nplurals=")[1].split(";")[0])
    choose = gettext.c2py(rule.split("plural=")[1].rstrip(";").strip())
    assert len(forms) == nplurals, f"{po_path.name}: {singular!r} has {len(forms)} forms"
    assert all(forms), f"{po_path.name}: {singular!r} has an empty form"
    i18n.load_catalogs()

    for count in COUNTS:
        # When the app translates the message for that count
        served = i18n.translations(language).ngettext(singular, plural, count)

        # Then it is the form of the catalog that the file's rule picks
        assert served == forms[choose(count)], f"{singular!r} at {count} in {language}"


def declared_rules() -> dict[str, str]:
    """The Plural-Forms of each language's catalog (one per language: read_catalog checks it)."""
    return {
        language: i18n.read_catalog(language).plural_forms
        for language in i18n.available_languages()
        if language != i18n.SOURCE_LANGUAGE
    }


@pytest.mark.parametrize(("language", "rule"), sorted(declared_rules().items()))
def test_each_language_declares_the_plural_rule_of_cldr(language: str, rule: str) -> None:
    # Given Babel's CLDR rule for the language, over the counts a page shows
    cldr = Locale.parse(CLDR_LOCALES.get(language, language)).plural_form
    counts = range(0, 1001)
    categories = [c for c in CATEGORY_ORDER if any(cldr(n) == c for n in counts)]

    # Then the file's rule has one form per category, and picks the category's form at each count
    nplurals = int(rule.split("nplurals=")[1].split(";")[0])
    choose = gettext.c2py(rule.split("plural=")[1].rstrip(";").strip())
    assert nplurals == len(categories), f"{language}: {rule} for {categories}"
    for count in counts:
        assert choose(count) == categories.index(cldr(count)), f"{language} at {count}"


@pytest.mark.parametrize(
    ("language", "forms"),
    [
        ("de", {0: "0 Veranstaltungen", 1: "1 Veranstaltung", 2: "2 Veranstaltungen",
                3: "3 Veranstaltungen", 11: "11 Veranstaltungen", 100: "100 Veranstaltungen"}),
        ("ar", {0: "0 فعالية", 1: "فعالية واحدة", 2: "فعاليتان", 3: "3 فعاليات",
                11: "11 فعالية", 100: "100 فعالية"}),
    ],
)  # fmt: skip
def test_counts_take_their_languages_form(language: str, forms: dict[int, str]) -> None:
    i18n.load_catalogs()
    catalog = i18n.translations(language)
    for count, expected in forms.items():
        # When a count of events is written in the language
        text = catalog.ngettext("%(num)s event", "%(num)s events", count) % {"num": count}

        # Then it takes the form of that count: Arabic has its own for none, one, two, a few
        # (3 to 10), many (11 to 99) and the hundreds
        assert text == expected, f"{count} in {language}"


def test_arabic_series_and_places_follow_the_count() -> None:
    i18n.load_catalogs()
    arabic = i18n.translations("ar")
    weeks = [
        arabic.ngettext("Every week", "Every %(num)s weeks", n) % {"num": n}
        for n in (1, 2, 3, 11, 100)
    ]
    assert weeks == ["كل أسبوع", "كل أسبوعين", "كل 3 أسابيع", "كل 11 أسبوعًا", "كل 100 أسبوع"]
    places = arabic.ngettext("%(num)s place left", "%(num)s places left", 0)
    assert places == "لم يبقَ أي مكان"


def test_a_french_count_of_two_reads_french() -> None:
    i18n.load_catalogs()
    french = i18n.translations("fr")
    assert french.ngettext("%(num)s like", "%(num)s likes", 2) % {"num": 2} == "2 j’aime"
    assert french.ngettext("%(num)s boost", "%(num)s boosts", 2) % {"num": 2} == "2 partages"


def test_a_file_without_its_plural_rule_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a catalog whose file does not say how its plurals are chosen
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "a.po").write_text('msgid "Hello"\nmsgstr "Bonjour"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path)

    # Then reading it fails, naming the file, instead of guessing from Babel's data
    with pytest.raises(i18n.CatalogError, match=r"a\.po: no Plural-Forms header"):
        i18n.read_catalog("fr")


def test_files_with_different_plural_rules_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals={n}; plural={rule};\\n"\n\n'
    (folder / "a.po").write_text(header.format(n=2, rule="(n > 1)"), encoding="utf-8")
    (folder / "b.po").write_text(header.format(n=3, rule="(n%3)"), encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path)

    with pytest.raises(i18n.CatalogError, match=r"b\.po: Plural-Forms"):
        i18n.read_catalog("fr")
