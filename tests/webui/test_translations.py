"""Every message of the web UI has a French translation (French is the default language)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from webui import i18n

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "extract_messages.py"


def load_extractor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_messages", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_web_ui_message_has_a_french_translation() -> None:
    # Given the messages extracted from webui's code and templates
    extractor = load_extractor()
    messages = extractor.extracted_messages()
    assert "Latest news" in messages

    # When the French catalog is checked
    missing = extractor.missing_translations("fr")

    # Then none is missing
    assert missing == [], f"no French translation in webui/translations/fr: {missing}"


def test_the_french_catalog_is_what_the_app_serves() -> None:
    # Given the compiled catalogs
    i18n.load_catalogs()

    # Then French translates and English keeps the message ids
    assert i18n.translations("fr").gettext("Latest news") == "Dernières nouvelles"
    assert i18n.translations("en").gettext("Latest news") == "Latest news"
