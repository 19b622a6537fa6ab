"""List the translatable messages of the web UI that a language's catalog lacks.

Usage: python scripts/extract_messages.py [LANGUAGE ...]
With no language, every language the web UI supports is checked (English needs no catalog: its
words are the message ids). For each language it prints a line of counts, then the messages
without a translation (or with an empty plural form), one a line after the language's code.
Exit 1 when a language has no catalog or lacks a message.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parent.parent
METHOD_MAP = [("webui/**.py", "python"), ("webui/templates/**.html", "jinja2")]
OPTIONS = {"webui/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


def extracted_messages() -> set[str]:
    messages: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, options_map=OPTIONS
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def missing_translations(language: str = "fr", messages: set[str] | None = None) -> list[str]:
    """The messages that every ``.po`` file of ``language`` together leaves untranslated."""
    sys.path.insert(0, str(ROOT))
    from webui.i18n import read_catalog

    catalog = read_catalog(language)

    def translated(message_id: str) -> bool:
        message = catalog.get(message_id)
        if message is None:
            return False
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        return len(forms) > 0 and all(forms)

    wanted = extracted_messages() if messages is None else messages
    return sorted(m for m in wanted if not translated(m))


def languages_to_check() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from webui.i18n import SOURCE_LANGUAGE, SUPPORTED

    return [language for language in SUPPORTED if language != SOURCE_LANGUAGE]


def report(languages: list[str]) -> int:
    """Print each language's counts and missing messages; the number of problems found."""
    sys.path.insert(0, str(ROOT))
    from webui.i18n import has_catalog

    messages = extracted_messages()
    problems = 0
    for language in languages:
        if not has_catalog(language):
            print(f"{language}: no catalog in webui/translations/{language}/LC_MESSAGES")
            problems += 1
            continue
        missing = missing_translations(language, messages)
        print(f"{language}: {len(messages) - len(missing)} of {len(messages)} translated")
        for message in missing:
            print(f"{language}\t{message!r}")
        problems += len(missing)
    return problems


if __name__ == "__main__":
    sys.exit(1 if report(sys.argv[1:] or languages_to_check()) else 0)
