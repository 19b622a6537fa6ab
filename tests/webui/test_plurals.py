"""Every plural message reads right at 0, 1, 2 and 5 in every language the web UI serves."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from webui import i18n

COUNTS = (0, 1, 2, 5)


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
