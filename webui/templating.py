"""The Jinja2 environment: autoescaped, translated per request, dates in the reader's locale."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.templating import Jinja2Templates

from webui import i18n
from webui.card_fragments import PostCards
from webui.place_picker import place_picker

TEMPLATES_DIR = Path(__file__).parent / "templates"


def build_templates(timezone: str) -> Jinja2Templates:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    zone = ZoneInfo(timezone)

    def format_datetime(moment: datetime, form: str = "medium") -> str:
        return babel_format_datetime(
            moment.astimezone(zone), form, locale=i18n.current_locale.get()
        )

    environment.filters["format_datetime"] = format_datetime
    environment.globals["format_datetime"] = format_datetime
    environment.globals["post_card"] = PostCards(environment)
    environment.globals["place_picker"] = place_picker
    return Jinja2Templates(env=environment)
