"""The petition form: what a facilitator typed, read back into
:class:`commons.petitions.fields.PetitionFields`, and every refusal as a sentence beside its field.

What was typed is kept in ``values``, so a refused form comes back filled in. Every field the
rules refuse is shown at once: :func:`refusals` asks :func:`commons.petitions.fields.check_fields`
again with each refused field set aside, rather than one mistake per try.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from commons.petitions.fields import PetitionFields, check_fields
from config.errors import DomainError, ErrorCode, Invalid
from storage.integers import parse_row_id, parse_whole
from storage.models import Petition, utcnow
from storage.models.petitions import ANYONE, MEMBERS, RESIDENTS
from webui import i18n
from webui.error_messages import message as error_message
from webui.form_dates import end_of_day, read_day

GENEVA = ZoneInfo("Europe/Zurich")
TEXT_FIELDS = ("collective", "title", "text", "addressee", "goal", "deadline", "scope", "may_sign")
SCOPE_SEPARATORS = re.compile(r"[\s,;]+")


def stand_in(name: str | None) -> dict[str, Any] | None:
    """What stands in for a refused field while the others are checked (None: no other field
    can be checked past this one)."""
    match name:
        case "title":
            return {"title": "-"}
        case "text":
            return {"text": ""}
        case "goal":
            return {"goal": 1}
        case "deadline":
            return {"deadline": utcnow() + timedelta(days=1)}
        case "may_sign":
            return {"may_sign": ANYONE}
        case "scope":
            return {"scope_domains": ()}
    return None


@dataclass
class PetitionForm:
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    fields: PetitionFields | None = None
    promoter_ids: set[int] = field(default_factory=set)

    def refuse(self, refusal: DomainError | ErrorCode, where: str | None = None) -> None:
        """Show a refusal by its field (the first one found there stays)."""
        if isinstance(refusal, DomainError):
            where = where or refusal.field
        self.errors.setdefault(where or "title", error_message(refusal))


def may_sign_labels() -> list[tuple[str, str]]:
    _ = i18n.gettext
    return [
        (ANYONE, _("Anyone, here, in the other quartiers and on Mastodon")),
        (RESIDENTS, _("The residents of the quartiers named below")),
        (MEMBERS, _("The members of the collective")),
    ]


def blank_values(collective: str = "") -> dict[str, Any]:
    return {"collective": collective, "may_sign": ANYONE, "names_public": False,
            "is_initiative": False}  # fmt: skip


def values_of(petition: Petition, collective: str) -> dict[str, Any]:
    return {
        "collective": collective,
        "title": petition.title,
        "text": petition.text_source or "",
        "addressee": petition.addressee,
        "goal": str(petition.goal),
        "deadline": petition.deadline.astimezone(GENEVA).date().isoformat(),
        "scope": "\n".join(petition.scope_domains.split()),
        "may_sign": petition.may_sign,
        "names_public": petition.names_public,
        "is_initiative": petition.is_initiative,
    }


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def read_goal(raw: str) -> int | None:
    """``500``, ``1'000``, ``1 000``, ``1’000``; None if it is not a whole number."""
    cleaned = re.sub(r"[\s'’.]", "", raw)
    return parse_whole(cleaned, 999_999_999)


def read_scope(raw: str) -> tuple[str, ...]:
    """Servers' domains, one a line or separated by commas; a pasted address keeps its domain."""
    domains = []
    for word in SCOPE_SEPARATORS.split(raw):
        domain = word.strip().lower().removeprefix("https://").removeprefix("http://")
        domain = domain.split("/", 1)[0].removeprefix("@")
        if domain:
            domains.append(domain)
    return tuple(domains)


def read_petition_form(form: FormData) -> PetitionForm:
    """What was typed, and PetitionFields (the rules check them afterwards)."""
    values: dict[str, Any] = {name: _text(form, name) for name in TEXT_FIELDS}
    values["names_public"] = form.get("names_public") == "1"
    values["is_initiative"] = form.get("is_initiative") == "1"
    result = PetitionForm(values)
    result.promoter_ids = {
        found for raw in form.getlist("promoters") if (found := parse_row_id(raw)) is not None
    }
    goal = read_goal(values["goal"])
    if goal is None:
        result.refuse(ErrorCode.BAD_GOAL, "goal")
    day = read_day(values["deadline"])
    if day is None:
        result.refuse(ErrorCode.DEADLINE_PAST, "deadline")
    result.fields = PetitionFields(
        title=values["title"],
        text=values["text"],
        deadline=end_of_day(day) if day else None,
        goal=goal or 0,
        addressee=values["addressee"],
        scope_domains=read_scope(values["scope"]),
        may_sign=values["may_sign"],
        names_public=bool(values["names_public"]),
        is_initiative=bool(values["is_initiative"]),
    )
    return result


def refusals(fields: PetitionFields, home: str) -> list[Invalid]:
    """Every field the rules refuse, not only the first."""
    found: list[Invalid] = []
    while len(found) <= len(TEXT_FIELDS):
        try:
            check_fields(fields, home)
        except Invalid as error:
            found.append(error)
            changes = stand_in(error.field)
            if changes is None:
                return found
            fields = replace(fields, **changes)
        else:
            break
    return found


def check_form(form: PetitionForm, home: str) -> None:
    """Add the rules' refusals to those the form found while reading."""
    if form.fields is None:
        return
    for error in refusals(form.fields, home):
        form.refuse(error)
