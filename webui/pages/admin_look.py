"""Pages: administration — the neighbourhood's look (accent colour and logo), for admins."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.look import (
    DEFAULT_ACCENT,
    PRESETS,
    Look,
    accent_problem,
    load_look,
    save_look,
    worst_contrast,
)
from commons.media import MAX_ALT_TEXT, MediaError, clean_image_off_loop
from instance.runtime import instance_of
from webui import formats, i18n
from webui.csrf import read_form
from webui.error_messages import message
from webui.look import remember
from webui.pages.accounts import text_field
from webui.render import render
from webui.session import flash, require_admin
from webui.uploads import read_upload

CUSTOM = "custom"


def _accent_message(code: str, colour: str) -> str:
    _ = i18n.gettext
    if code == "low_contrast":
        return _(
            "This colour is too pale for text to stay readable on it and with it (contrast "
            "%(ratio)s:1, 4.5:1 needed). Choose a darker one."
        ) % {"ratio": formats.format_ratio(worst_contrast(colour))}
    return _("Choose a colour, for example #a3401c.")


def _page(
    request: Request, look: Look, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    context = {
        "values": values,
        "errors": errors,
        "presets": list(PRESETS.items()),
        "look": look,
        "custom": CUSTOM,
    }
    return render(request, "admin/look.html", context, status)


def _values_of(look: Look) -> dict[str, Any]:
    preset = look.accent if look.accent in PRESETS else CUSTOM
    return {"accent": preset, "custom_accent": look.accent, "logo_alt": look.logo_alt}


async def look_page(request: Request) -> Response:
    await require_admin(request)
    if request.method == "POST":
        return await _save(request)
    async with instance_of(request).database.session() as session:
        look = await load_look(session)
    return _page(request, look, _values_of(look), {})


async def _save(request: Request) -> Response:
    await require_admin(request)
    form = await read_form(request, max_files=1)
    values: dict[str, Any] = {
        "accent": text_field(form, "accent") or DEFAULT_ACCENT,
        "custom_accent": text_field(form, "custom_accent").lower(),
        "logo_alt": text_field(form, "logo_alt"),
    }
    accent = values["custom_accent"] if values["accent"] == CUSTOM else values["accent"].lower()
    errors: dict[str, str] = {}
    if values["accent"] != CUSTOM and accent not in PRESETS:
        errors["accent"] = _accent_message("not_a_colour", accent)
    elif problem := accent_problem(accent):
        errors["custom_accent"] = _accent_message(problem, accent)
    upload = form.get("logo")
    raw = await read_upload(upload) if isinstance(upload, UploadFile) else b""
    removing = form.get("remove_logo") == "1"
    instance = instance_of(request)
    async with instance.database.session() as session:
        before = await load_look(session)
    keeps_logo = before.logo_url is not None and not removing
    if (raw or keeps_logo) and not values["logo_alt"]:
        errors["logo_alt"] = message("missing_alt")
    elif len(values["logo_alt"]) > MAX_ALT_TEXT:
        errors["logo_alt"] = message("alt_too_long")
    image = None
    if raw and not errors:
        try:
            image = await clean_image_off_loop(raw)
        except MediaError as error:
            errors["logo"] = message(error)
    if errors:
        return _page(request, before, values, errors, 400)
    async with instance.database.transaction() as session:
        look = await save_look(
            session,
            instance.settings,
            accent=accent,
            logo=image,
            logo_alt=values["logo_alt"],
            remove_logo=removing,
        )
    remember(request.app, look)
    flash(request, i18n.gettext("The neighbourhood's look is saved."))
    return RedirectResponse("/admin/look", status_code=303)


routes: list[BaseRoute] = [
    Route("/admin/look", look_page, methods=["GET", "POST"], name="admin_look"),
]
