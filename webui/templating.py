"""The Jinja2 environment: autoescaped, translated per request, dates and numbers in the reader's
locale (see :mod:`webui.formats`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, pass_context, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.templating import Jinja2Templates

from webui import formats, i18n
from webui.card_fragments import PostCards
from webui.place_picker import place_picker
from webui.shared_listings import keep_listing

TEMPLATES_DIR = Path(__file__).parent / "templates"


@pass_context
def counted_ngettext(
    context: Context, singular: str, plural: str, number: int, **variables: Any
) -> str:
    """Jinja's ``ngettext`` (new style), with ``num`` in the digits of the reader's language."""
    variables.setdefault("num", formats.format_count(number))
    text = i18n.ngettext(singular, plural, number)
    if context.eval_ctx.autoescape:
        # The message comes from our own catalogs; the values are escaped by the %.
        return Markup(text) % variables  # noqa: S704
    return text % variables


@pass_eval_context
def translated(eval_context: EvalContext, message: str, **variables: Any) -> str:
    """``_()`` in a template: what Jinja's new-style ``gettext`` gives (the message trusted, the
    values escaped by the %), called directly rather than through two lookups of the context —
    a page's menu asks for some forty messages."""
    text = i18n.gettext(message)
    if eval_context.autoescape:
        text = Markup(text)  # noqa: S704 (our own catalogs)
    return text % variables if "%" in text else text


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
        """``5 déc. 2026, 15:04`` ("short", "medium"), with the weekday for "full"."""
        if form == "full":
            return formats.format_full_moment(moment, zone)
        return formats.format_moment(moment, zone)

    environment.filters["format_datetime"] = format_datetime
    environment.globals["format_datetime"] = format_datetime
    environment.globals["ngettext"] = counted_ngettext
    environment.globals["_"] = translated
    environment.globals["post_card"] = PostCards(environment)
    environment.globals["place_picker"] = place_picker
    environment.filters["keep_listing"] = keep_listing
    return Jinja2Templates(env=environment)
