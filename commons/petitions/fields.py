"""What a petition is made of, checked before it is written: title, text, addressee, goal,
deadline, the quartiers it speaks for and who may sign."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from commons.markdown import render_markdown
from config.errors import ErrorCode, Invalid
from storage.models import Petition, utcnow
from storage.models.petitions import WHO_MAY_SIGN

MAX_TITLE = 300
MAX_TEXT = 20_000
MAX_GOAL = 1_000_000
MAX_DAYS = 730
MAX_ANSWER = 20_000
"""Characters of the answer a petition received, in Markdown."""
DOMAIN_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?$")


@dataclass(frozen=True, slots=True)
class PetitionFields:
    title: str
    text: str
    deadline: datetime | None
    goal: int
    addressee: str = ""
    scope_domains: tuple[str, ...] = ()
    """The quartiers it speaks for (their servers' domains); empty: this quartier alone."""
    may_sign: str = "anyone"
    names_public: bool = False
    is_initiative: bool = False


def check_fields(fields: PetitionFields, home: str, now: datetime | None = None) -> PetitionFields:
    """The fields cleaned, or :class:`Invalid` naming the first field a person must fix."""
    now = now or utcnow()
    title = " ".join(fields.title.split())
    if not title:
        raise Invalid(ErrorCode.MISSING_TITLE, "title")
    if len(title) > MAX_TITLE:
        raise Invalid(ErrorCode.TITLE_TOO_LONG, "title", count=MAX_TITLE)
    text = fields.text.strip()
    if len(text) > MAX_TEXT:
        raise Invalid(ErrorCode.DESCRIPTION_TOO_LONG, "text", count=MAX_TEXT)
    if not 1 <= fields.goal <= MAX_GOAL:
        raise Invalid(ErrorCode.BAD_GOAL, "goal")
    if fields.deadline is None:
        raise Invalid(ErrorCode.DEADLINE_PAST, "deadline")
    if fields.deadline.tzinfo is None:
        raise Invalid(ErrorCode.INVALID_TIMEZONE, "deadline")
    if fields.deadline <= now:
        raise Invalid(ErrorCode.DEADLINE_PAST, "deadline")
    if fields.deadline > now + timedelta(days=MAX_DAYS):
        raise Invalid(ErrorCode.DEADLINE_TOO_FAR, "deadline")
    if fields.may_sign not in WHO_MAY_SIGN:
        raise Invalid(ErrorCode.INVALID_WHO_MAY_SIGN, "may_sign")
    domains = tuple(dict.fromkeys(domain.strip().lower() for domain in fields.scope_domains))
    domains = tuple(domain for domain in domains if domain)
    if any(not DOMAIN_RE.match(domain) for domain in domains):
        raise Invalid(ErrorCode.INVALID_SCOPE, "scope")
    addressee = " ".join(fields.addressee.split())[:MAX_TITLE]
    return replace(
        fields, title=title, text=text, addressee=addressee, scope_domains=domains or (home,)
    )


def apply_fields(petition: Petition, fields: PetitionFields) -> None:
    petition.title = fields.title
    petition.text_source = fields.text
    petition.text_html = render_markdown(fields.text) if fields.text else ""
    petition.addressee = fields.addressee
    petition.goal = fields.goal
    assert fields.deadline is not None
    petition.deadline = fields.deadline
    petition.scope_domains = " ".join(fields.scope_domains)
    petition.may_sign = fields.may_sign
    petition.names_public = fields.names_public
    petition.is_initiative = fields.is_initiative
