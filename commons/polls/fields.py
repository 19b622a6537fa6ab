"""What a poll is made of, checked before it is written: the question, its text, its answers,
one choice or several, its last moment, who may vote and whether results wait for the end."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from commons.polls.vocabulary import MAX_OPTIONS, MIN_OPTIONS
from config.errors import ErrorCode, Invalid
from storage.models import utcnow

MAX_QUESTION = 300
MAX_TEXT = 20_000
MAX_OPTION = 200
MAX_DAYS = 366
ANYONE = "anyone"
MEMBERS = "members"
WHO_MAY_VOTE = (ANYONE, MEMBERS)


@dataclass(frozen=True, slots=True)
class PollFields:
    question: str
    options: tuple[str, ...]
    deadline: datetime | None
    text: str = ""
    multiple: bool = False
    results_hidden: bool = False
    may_vote: str = ANYONE


def clean_options(options: tuple[str, ...]) -> tuple[str, ...]:
    """Each answer on one line of single spaces, the empty ones left out."""
    return tuple(cleaned for option in options if (cleaned := " ".join(option.split())))


def check_fields(fields: PollFields, now: datetime | None = None) -> PollFields:
    """The fields cleaned, or :class:`Invalid` naming the first field a person must fix."""
    now = now or utcnow()
    question = " ".join(fields.question.split())
    if not question:
        raise Invalid(ErrorCode.MISSING_QUESTION, "question")
    if len(question) > MAX_QUESTION:
        raise Invalid(ErrorCode.QUESTION_TOO_LONG, "question")
    text = fields.text.strip()
    if len(text) > MAX_TEXT:
        raise Invalid(ErrorCode.DESCRIPTION_TOO_LONG, "text", count=MAX_TEXT)
    options = clean_options(fields.options)
    folded = {option.casefold() for option in options}
    if (
        not MIN_OPTIONS <= len(options) <= MAX_OPTIONS
        or len(folded) != len(options)
        or any(len(option) > MAX_OPTION for option in options)
    ):
        raise Invalid(ErrorCode.POLL_OPTIONS, "options")
    if fields.deadline is None or fields.deadline <= now:
        raise Invalid(ErrorCode.DEADLINE_PAST, "deadline")
    if fields.deadline.tzinfo is None:
        raise Invalid(ErrorCode.INVALID_TIMEZONE, "deadline")
    if fields.deadline > now + timedelta(days=MAX_DAYS):
        raise Invalid(ErrorCode.POLL_TOO_LONG, "deadline")
    if fields.may_vote not in WHO_MAY_VOTE:
        raise Invalid(ErrorCode.INVALID_WHO_MAY_VOTE, "may_vote")
    return replace(fields, question=question, text=text, options=options)
