"""List every translatable message of the web UI, and those the French catalog lacks.

Usage: python scripts/extract_messages.py  (exit 1 when a message has no French translation,
or a plural message lacks one of its forms)
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


def missing_translations(language: str = "fr") -> list[str]:
    sys.path.insert(0, str(ROOT))
    from webui.i18n import read_catalog

    catalog = read_catalog(language)

    def translated(message_id: str) -> bool:
        message = catalog.get(message_id)
        if message is None:
            return False
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        return len(forms) > 0 and all(forms)

    return sorted(m for m in extracted_messages() if not translated(m))


if __name__ == "__main__":
    missing = missing_translations()
    for message in missing:
        print(message)
    sys.exit(1 if missing else 0)
