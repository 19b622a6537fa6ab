"""Pages: a facilitator holds a poll for a collective. What was typed is read back into
:class:`commons.polls.fields.PollFields`; a refusal comes back beside its field, with what was
typed kept. Every POST reads its form through ``read_form`` (CSRF) first."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from commons.events.organisers import NotOrganiser, organisers_for
from commons.polls.fields import ANYONE, MEMBERS, PollFields, check_fields
from commons.polls.services import hold_poll
from config.errors import DomainError, Invalid
from instance.runtime import instance_of
from storage.models import utcnow
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.form_dates import read_day
from webui.pages.petitions.petition_edits import pick_collective
from webui.pages.polls.polls import page_url
from webui.render import render
from webui.session import flash, require_viewer

if TYPE_CHECKING:
    from storage.models import Poll

GENEVA = ZoneInfo("Europe/Zurich")
TEXT_FIELDS = ("collective", "question", "text", "options", "day", "hour", "may_vote")
DEFAULT_HOUR = "20:00"


def may_vote_labels() -> list[tuple[str, str]]:
    _ = i18n.gettext
    return [
        (ANYONE, _("Anyone, here, in the other quartiers and on Mastodon")),
        (MEMBERS, _("The members of the collective")),
    ]


def read_hour(raw: str) -> time | None:
    """``20:00``, ``20h30`` or ``20h`` (8 pm when left empty); None if it is not a time of day."""
    if not raw:
        return time(20)
    hours, _sep, minutes = raw.lower().replace("h", ":").partition(":")
    try:
        return time(int(hours), int(minutes or 0))
    except ValueError:
        return None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def read_poll_form(form: FormData) -> tuple[dict[str, Any], PollFields]:
    values: dict[str, Any] = {name: _text(form, name) for name in TEXT_FIELDS}
    values["multiple"] = form.get("multiple") == "1"
    values["results_hidden"] = form.get("results_hidden") == "1"
    day, hour = read_day(values["day"]), read_hour(values["hour"])
    deadline = datetime.combine(day, hour, GENEVA) if day and hour else None
    fields = PollFields(
        question=values["question"], options=tuple(values["options"].splitlines()),
        deadline=deadline, text=values["text"], multiple=bool(values["multiple"]),
        results_hidden=bool(values["results_hidden"]), may_vote=values["may_vote"],
    )  # fmt: skip
    return values, fields


STAND_INS: dict[str, dict[str, Any]] = {
    "question": {"question": "-"},
    "text": {"text": ""},
    "options": {"options": ("a", "b")},
}


def refusals(fields: PollFields) -> dict[str, str]:
    """Every field the rules refuse, each by its field, not only the first."""
    found: dict[str, str] = {}
    for _round in range(len(TEXT_FIELDS)):
        try:
            check_fields(fields)
        except Invalid as error:
            where = "day" if error.field == "deadline" else (error.field or "question")
            found.setdefault(where, error_message(error))
            changes = STAND_INS.get(error.field or "")
            if error.field == "deadline":  # a moment still to come when it is checked
                changes = {"deadline": utcnow() + timedelta(days=1)}
            if changes is None:
                break
            fields = replace(fields, **changes)
        else:
            break
    return found


def _blank(collective: str) -> dict[str, Any]:
    next_week = (utcnow().astimezone(GENEVA) + timedelta(days=7)).date()
    return {"collective": collective, "may_vote": ANYONE, "day": next_week.isoformat(),
            "hour": DEFAULT_HOUR, "multiple": False, "results_hidden": False}  # fmt: skip


async def new_poll(request: Request) -> Response:
    """Step one (when the resident facilitates several collectives): for which one; step two:
    the question, its answers, until when, and how it is voted."""
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form_data = await read_form(request) if request.method == "POST" else None
    wanted = (
        str(form_data.get("collective") or "")
        if form_data is not None
        else request.query_params.get("collective", "")
    )
    async with instance.database.session() as session:
        collectives = (await organisers_for(session, viewer.actor))[1:]
    collective = pick_collective(collectives, wanted)
    base = {"collectives": collectives, "collective": collective,
            "may_vote_options": may_vote_labels(), "today": date.today().isoformat()}  # fmt: skip
    if collective is None:
        if form_data is not None:
            raise HTTPException(403, "you do not act for this collective")
        return render(request, "polls/new.html", base)
    if form_data is None:
        return render(request, "polls/new.html",
                      {**base, "values": _blank(collective.username), "errors": {}})  # fmt: skip
    values, fields = read_poll_form(form_data)
    errors = refusals(fields)
    poll: Poll | None = None
    if not errors:
        try:
            async with instance.database.transaction() as session:
                poll = await hold_poll(session, instance.uris, viewer.actor, collective, fields)
        except NotOrganiser:
            raise HTTPException(403, "you do not act for this collective") from None
        except DomainError as error:
            errors[error.field or "question"] = error_message(error)
    if poll is None:
        return render(request, "polls/new.html", {**base, "values": values, "errors": errors}, 400)
    flash(request, i18n.gettext("The poll is open: the collective's followers receive it."),
          "success")  # fmt: skip
    return RedirectResponse(page_url(poll), status_code=303)


routes: list[BaseRoute] = [
    Route("/polls/new", new_poll, methods=["GET", "POST"], name="new_poll"),
]
