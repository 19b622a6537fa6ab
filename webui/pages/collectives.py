"""Pages: the list of collectives, creating one, joining and leaving (managing one: see
:mod:`webui.pages.collective_manage`).

Roles are checked by the services of :mod:`actors.groups` on every action; a forged form from
someone without the role gets 403.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors import groups
from actors.city_scope import neighbours_of_city
from actors.errors import InvalidUsername, NameTaken
from actors.group_profiles import (
    CollectiveProfile,
    apply_collective_profile,
)
from actors.queries import city_collectives, collective_directory, local_collective
from actors.services import create_group
from commons.media import MediaError
from commons.posts.cards import link_of
from config.errors import ErrorCode
from config.uris import is_valid_username, normalise_username
from instance.runtime import instance_of
from storage.models.actors import (
    GROUP_KINDS,
    JOIN_MODES,
    MEMBERSHIP_PENDING,
)
from webui import i18n
from webui.city_filter import chosen_quartier, quartier_choices
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.render import render
from webui.routes import kind_labels
from webui.session import current_viewer, flash, require_viewer
from webui.uploads import read_upload

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor

MAX_HOURS_LINES = 14
MAX_LINE = 120
INVITATION_SESSION_KEY = "collective_invitation"
TEXT_LIMITS = {
    "display_name": 255,
    "place_name": 255,
    "street_address": 255,
    "postal_code": 16,
    "locality": 255,
    "description": 5000,
    "avatar_alt": 1500,
}


def join_mode_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {
        "open": _("Open: anyone can join"),
        "approval": _("On approval by a facilitator"),
        "invitation": _("By invitation only"),
    }


def role_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {"admin": _("Admin"), "facilitator": _("Facilitator"), "member": _("Member")}


# The collective's form, shared by creation and editing


@dataclass
class CollectiveForm:
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    latitude: float | None = None
    longitude: float | None = None
    avatar: bytes | None = None


def blank_values(group: Actor | None = None, *, city: str = "") -> dict[str, Any]:
    if group is None:
        return {"kind": "project", "locality": city, "join_mode": "open",
                "members_only_posting": True}  # fmt: skip
    return {
        "name": group.username,
        "display_name": group.name,
        "kind": group.group_kind or "project",
        "description": group.summary_source or "",
        "place_name": group.place_name or "",
        "street_address": group.street_address or "",
        "postal_code": group.postal_code or "",
        "locality": group.locality or "",
        "latitude": _format_coordinate(group.latitude),
        "longitude": _format_coordinate(group.longitude),
        "opening_hours": group.opening_hours or "",
        "join_mode": group.join_mode,
        "members_only_posting": group.members_only_posting,
        "avatar_alt": group.icon_alt or "",
    }


def _format_coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}".rstrip("0").rstrip(".")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _coordinate(raw: str, limit: float) -> float | None:
    """A decimal degree within ±limit; a comma is taken as the decimal separator."""
    try:
        value = float(raw.replace(",", ".").replace("°", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


async def read_collective_form(form: FormData, *, is_new: bool) -> CollectiveForm:
    _ = i18n.gettext
    values: dict[str, Any] = {name: _text(form, name) for name in (*TEXT_LIMITS, "kind", "join_mode",
                              "latitude", "longitude", "opening_hours", "name")}  # fmt: skip
    values["members_only_posting"] = form.get("members_only_posting") == "1"
    result = CollectiveForm(values)
    errors = result.errors
    if is_new:
        values["name"] = normalise_username(values["name"])
        if not values["name"]:
            errors["name"] = _("Choose a short name for the address.")
        elif not is_valid_username(values["name"]):
            errors["name"] = _(
                "Use 1 to 30 lowercase letters, digits, dots, dashes or underscores."
            )
    if not values["display_name"]:
        errors["display_name"] = _("Give the collective a name.")
    for name, limit in TEXT_LIMITS.items():
        if len(values[name]) > limit and name not in errors:
            errors[name] = _("This is too long (%(limit)s characters at most).") % {"limit": limit}
    if values["kind"] not in GROUP_KINDS:
        errors["kind"] = _("Choose a kind of collective.")
    if values["join_mode"] not in JOIN_MODES:
        errors["join_mode"] = _("Choose how people join.")
    lines = [line.strip() for line in values["opening_hours"].splitlines() if line.strip()]
    if len(lines) > MAX_HOURS_LINES or any(len(line) > MAX_LINE for line in lines):
        errors["opening_hours"] = _("Write at most 14 short lines.")
    values["opening_hours"] = "\n".join(lines)
    if values["latitude"] or values["longitude"]:
        result.latitude = _coordinate(values["latitude"], 90)
        result.longitude = _coordinate(values["longitude"], 180)
        if result.latitude is None:
            errors["latitude"] = _("Give a latitude between -90 and 90, for example 46.2102.")
        if result.longitude is None:
            errors["longitude"] = _("Give a longitude between -180 and 180, for example 6.1432.")
    upload = form.get("avatar")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await read_upload(upload)
        if data:
            result.avatar = data
            if not values["avatar_alt"]:
                errors["avatar_alt"] = error_message(ErrorCode.MISSING_ALT)
    return result


def profile_of(form: CollectiveForm) -> CollectiveProfile:
    values = form.values
    return CollectiveProfile(
        display_name=values["display_name"],
        kind=values["kind"],
        description=values["description"],
        join_mode=values["join_mode"],
        members_only_posting=bool(values["members_only_posting"]),
        place_name=values["place_name"],
        street_address=values["street_address"],
        postal_code=values["postal_code"],
        locality=values["locality"],
        latitude=form.latitude,
        longitude=form.longitude,
        opening_hours=values["opening_hours"],
        avatar=form.avatar,
        avatar_alt=values["avatar_alt"],
    )


def form_context(form: CollectiveForm) -> dict[str, Any]:
    _ = i18n.gettext
    return {
        "values": form.values,
        "errors": form.errors,
        "kind_options": list(kind_labels().items()),
        "join_mode_options": list(join_mode_labels().items()),
    }


# Listing and creating


async def list_collectives(request: Request) -> Response:
    """This quartier's collectives, or the city's (``?scope=city``): ours and those of the
    neighbour quartiers the city views show, each labelled with its quartier."""
    kind = request.query_params.get("kind")
    kind = kind if kind in GROUP_KINDS else None
    city = request.query_params.get("scope") == "city"
    quartier = chosen_quartier(request) if city else None
    settings = instance_of(request).settings
    async with instance_of(request).database.session() as session:
        if city:
            neighbours = await neighbours_of_city(session)
            domains = neighbours.domains(shown=True)
            found = await city_collectives(session, domains, kind=kind, quartier=quartier)
            names = neighbours.names
            choices = quartier_choices(settings, neighbours.choices)
        else:
            found, names, choices = await collective_directory(session, kind), None, []
    scope = {"scope": "city"} if city else {}
    context = {
        "collectives": [
            (
                group,
                None if group.is_local or names is None else names.of(group.domain),
                link_of(group),
            )
            for group in found
        ],
        "kind": kind,
        "kind_labels": kind_labels(),
        "city": city,
        "scope_query": scope,
        "local_link": "/collectives" + (f"?kind={kind}" if kind else ""),
        "city_link": "/collectives?"
        + urlencode({"scope": "city", **({"kind": kind} if kind else {})}),
        "quartier_choices": choices,
        "chosen_quartier": quartier,
    }
    return render(request, "collectives/list.html", context)


async def new_collective(request: Request) -> Response:
    viewer = await require_viewer(request)
    if request.method == "GET":
        city = instance_of(request).settings.server.city
        context = form_context(CollectiveForm(blank_values(city=city)))
        return render(request, "collectives/new.html", context)
    form = await read_collective_form(await read_form(request), is_new=True)
    instance = instance_of(request)
    _ = i18n.gettext
    if not form.errors:
        try:
            async with instance.database.transaction() as session:
                group = await create_group(
                    session,
                    instance.settings,
                    form.values["name"],
                    form.values["kind"],
                    viewer.account.username,
                )
                await apply_collective_profile(session, instance.settings, group, profile_of(form))
                url = group.url or group.uri
        except NameTaken:
            form.errors["name"] = _("This name is already taken here.")
        except InvalidUsername:
            form.errors["name"] = _("This name is reserved.")
        except MediaError as error:
            form.errors["avatar"] = error_message(error)
    if form.errors:
        return render(request, "collectives/new.html", form_context(form), 400)
    flash(request, _("The collective is created. You are its admin."), "success")
    return RedirectResponse(url, status_code=303)


# Joining and leaving


def manage_url(request: Request, anchor: str = "") -> str:
    """The manage page of the collective in the path, at ``anchor``. From the path, not the row:
    after a rolled-back transaction the row is expired."""
    url = f"/@{request.path_params['username'].lower()}/manage"
    return f"{url}#{anchor}" if anchor else url


async def collective_in_path(session: AsyncSession, request: Request) -> Actor:
    uri = instance_of(request).uris.actor(request.path_params["username"].lower())
    group = await local_collective(session, uri)
    if group is None or group.is_gone:
        raise HTTPException(404)
    return group


async def join_page(request: Request) -> Response:
    """Where an invitation link leads: a button to join (a GET changes nothing)."""
    viewer = await current_viewer(request)
    async with instance_of(request).database.session() as session:
        group = await collective_in_path(session, request)
        membership = await groups.find_membership(session, group, viewer.actor) if viewer else None
    context: dict[str, Any] = {
        "group": group,
        "membership": membership,
        "code": request.query_params.get("code", ""),
        "errors": {},
    }
    return render(request, "collectives/join.html", context)


async def join_collective(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request)
    code = _text(form, "code")
    instance = instance_of(request)
    _ = i18n.gettext
    try:
        async with instance.database.transaction() as session:
            group = await collective_in_path(session, request)
            outcome = await groups.join(
                session, instance.uris, group, viewer.actor, invitation_code=code
            )
            state = outcome.membership.state
    except groups.InvitationRequired:
        async with instance.database.session() as session:
            group = await collective_in_path(session, request)
        message = (
            _("This invitation code is not valid (any more).")
            if code
            else _("This collective admits new members by invitation: enter your invitation code.")
        )
        context = {"group": group, "membership": None, "code": code, "errors": {"code": message}}
        return render(request, "collectives/join.html", context, 400)
    if state == MEMBERSHIP_PENDING:
        flash(request, _("Your request is sent; a facilitator will answer it."), "success")
    else:
        flash(request, _("Welcome! You are now a member."), "success")
    return RedirectResponse(_profile_url(request), status_code=303)


async def leave_collective(request: Request) -> Response:
    viewer = await require_viewer(request)
    await read_form(request)
    instance = instance_of(request)
    _ = i18n.gettext
    try:
        async with instance.database.transaction() as session:
            group = await collective_in_path(session, request)
            await groups.leave(session, group, viewer.actor)
    except groups.LastAdmin:
        flash(request, _("You are the last admin: name another admin before leaving."), "error")
    else:
        flash(request, _("You have left the collective."), "success")
    return RedirectResponse(_profile_url(request), status_code=303)


def _profile_url(request: Request) -> str:
    return instance_of(request).uris.actor(request.path_params["username"].lower())


routes: list[BaseRoute] = [
    Route("/collectives", list_collectives, methods=["GET"], name="collectives"),
    Route("/collectives/new", new_collective, methods=["GET", "POST"], name="new_collective"),
    Route("/@{username}/join", join_page, methods=["GET"], name="collective_join_page"),
    Route("/@{username}/join", join_collective, methods=["POST"], name="collective_join"),
    Route("/@{username}/leave", leave_collective, methods=["POST"], name="collective_leave"),
]
