"""Every message of the web UI is translated in every language it offers (French is the default).

Each language's catalog is all the ``.po`` files of its folder together, so a message may live in
any of them.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from webui import i18n

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "extract_messages.py"
TRANSLATED = [language for language in i18n.SUPPORTED if language != i18n.SOURCE_LANGUAGE]


def load_extractor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_messages", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def messages() -> set[str]:
    extracted: set[str] = load_extractor().extracted_messages()
    return extracted


def test_the_languages_of_geneva_are_supported() -> None:
    assert i18n.SUPPORTED == ("fr", "en", "de", "it", "es", "pt", "ar")
    assert set(i18n.LANGUAGE_NAMES) == set(i18n.SUPPORTED)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_supported_language_has_a_complete_catalog(messages: set[str], language: str) -> None:
    # Given the messages extracted from webui's code and templates
    assert "Latest news" in messages
    extractor = load_extractor()

    # Then the language has its catalog
    assert i18n.has_catalog(language), f"no catalog in webui/translations/{language}"

    # And no message is missing from it
    missing = extractor.missing_translations(language, messages)
    assert missing == [], f"not translated in webui/translations/{language}: {missing}"


def test_the_french_catalog_is_what_the_app_serves() -> None:
    # Given the compiled catalogs
    i18n.load_catalogs()

    # Then each language translates, and English keeps the message ids
    assert i18n.translations("fr").gettext("Latest news") == "Dernières nouvelles"
    assert i18n.translations("de").gettext("Latest news") == "Neuigkeiten"
    assert i18n.translations("ar").gettext("Latest news") == "آخر الأخبار"
    assert i18n.translations("en").gettext("Latest news") == "Latest news"


@pytest.fixture
def only_some_catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The French and German catalogs alone, as before the other languages' files arrive."""
    for language in ("fr", "de"):
        shutil.copytree(i18n.TRANSLATIONS_DIR / language, tmp_path / language)
    (tmp_path / "it" / "LC_MESSAGES").mkdir(parents=True)
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path)
    i18n.load_catalogs()
    yield tmp_path
    monkeypatch.undo()
    i18n.load_catalogs()


def test_a_language_without_its_catalog_is_not_offered(only_some_catalogs: Path) -> None:
    # Given catalogs for French and German only (and an empty folder for Italian)

    # Then French, English (the message ids) and German are offered, in the picker's order
    assert i18n.available_languages() == ("fr", "en", "de")
    assert i18n.language_choices() == [("fr", "Français"), ("en", "English"), ("de", "Deutsch")]

    # And a reader asking for another one gets the best one there is
    assert i18n.negotiate_language("it-CH, de;q=0.8, fr;q=0.5") == "de"
    assert i18n.negotiate_language("ar, it;q=0.9") == "fr"
    assert i18n.translations("it").gettext("Latest news") == "Dernières nouvelles"


def test_the_report_names_each_language_and_what_it_lacks(
    only_some_catalogs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a German catalog that lost one message
    extractor = load_extractor()
    layout = only_some_catalogs / "de" / "LC_MESSAGES" / "layout.po"
    text = layout.read_text(encoding="utf-8")
    layout.write_text(text.replace('msgstr "Suchen"', 'msgstr ""'), encoding="utf-8")

    # When the report is made for French, German and Italian
    problems = extractor.report(["fr", "de", "it"])

    # Then each language has its line, and the missing message is named under German
    out = capsys.readouterr().out
    assert problems == 2
    assert "fr: " in out and "de: " in out
    assert "de\t'Search'" in out
    assert "it: no catalog" in out
