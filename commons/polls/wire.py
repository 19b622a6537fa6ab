"""Polls on the wire: the ``Question`` Mastodon shows as a poll (``oneOf`` for one choice,
``anyOf`` for several), and reading the polls other quartiers' servers send.

As for petitions (see :mod:`commons.petitions.wire`): options are read from ``name``; ``endTime``
is always sent; there is no ``summary``; ``votersCount`` and each option's ``replies.totalItems``
carry the tally, and an ``Update`` carries a newer ``updated``. A vote is the Note Mastodon
sends (:func:`commons.petitions.wire.build_vote_note`), one per chosen answer.

Results hidden until the end: no protocol carries that, and Mastodon reads an option without
``replies`` as 0 votes. So while it is open such a poll sends the number of voters and no
option's tally, says in its text when the results will be published, and its closing ``Update``
carries them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from commons.events.wire import iso_utc
from commons.markdown import received_text
from commons.polls.fields import MAX_OPTION, MAX_QUESTION, MAX_TEXT, WHO_MAY_VOTE
from commons.polls.vocabulary import MAX_OPTIONS, POLL_CONTEXT
from federation.parsing import parse_datetime
from federation.vocab import AS_NAMESPACE, PUBLIC, as_list, first_str, id_of
from storage.models import Actor, Poll, PollOption
from storage.models.polls import CLOSED, OPEN

GENEVA = ZoneInfo("Europe/Zurich")


def results_shown(poll: Poll) -> bool:
    return poll.status == CLOSED or not poll.results_hidden


def poll_content(poll: Poll) -> str:
    """What Mastodon shows above the options: the question, the text, and when results come."""
    parts = [f"<p><strong>{escape(poll.question)}</strong></p>", poll.text_html]
    if not results_shown(poll):
        moment = poll.deadline.astimezone(GENEVA).strftime("%d.%m.%Y à %H:%M")
        parts.append(f"<p>Les résultats seront publiés à la clôture, le {moment}.</p>")
    return "".join(parts)


def build_poll(poll: Poll, options: list[PollOption], author: Actor) -> dict[str, Any]:
    """Our poll as Mastodon and our servers read it."""
    shown = results_shown(poll)
    choices = []
    for option in sorted(options, key=lambda option: option.position):
        choice: dict[str, Any] = {"type": "Note", "name": option.name}
        if shown:
            choice["replies"] = {"type": "Collection", "totalItems": option.votes_count}
        choices.append(choice)
    content = poll_content(poll)
    document: dict[str, Any] = {
        "@context": [AS_NAMESPACE, POLL_CONTEXT],
        "id": poll.uri,
        "type": "Question",
        "name": poll.question,
        "content": content,
        "contentMap": {"fr": content},
        "mediaType": "text/html",
        "source": {"content": poll.text_source or "", "mediaType": "text/markdown"},
        "url": poll.url or poll.uri,
        "attributedTo": author.uri,
        "to": [PUBLIC],
        "cc": [author.followers_uri] if author.followers_uri else [],
        "published": iso_utc(poll.published),
        "endTime": iso_utc(poll.deadline),
        "anyOf" if poll.multiple else "oneOf": choices,
        "votersCount": poll.voters_count,
        "whoMayVote": poll.may_vote,
        "resultsHidden": poll.results_hidden,
        "inLanguage": "fr",
    }
    if author.is_group:
        document["audience"] = author.uri
    if poll.updated is not None:
        document["updated"] = iso_utc(poll.updated)
    if poll.status == CLOSED:
        document["closed"] = iso_utc(poll.closed_at or poll.deadline)
    return document


def is_poll(data: dict[str, Any]) -> bool:
    """A collective's poll from one of our servers: a ``Question`` with our ``whoMayVote``.
    Any other poll (Mastodon's) stays a post."""
    return "Question" in as_list(data.get("type")) and "whoMayVote" in data


@dataclass(frozen=True, slots=True)
class RemoteOption:
    name: str
    votes: int | None


@dataclass(frozen=True, slots=True)
class RemotePoll:
    uri: str
    attributed_to: str | None
    question: str
    text_source: str | None
    text_html: str
    options: tuple[RemoteOption, ...]
    multiple: bool
    results_hidden: bool
    may_vote: str
    deadline: datetime
    voters: int
    closed_at: datetime | None
    url: str | None
    published: datetime | None
    updated: datetime | None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and 0 <= value <= 100_000_000 else None


def read_remote_poll(data: dict[str, Any]) -> RemotePoll | str:
    """The poll a document describes, or why it cannot be kept."""
    uri = id_of(data.get("id"))
    multiple = "anyOf" in data
    raw_options = [item for item in as_list(data.get("anyOf" if multiple else "oneOf"))
                   if isinstance(item, dict)]  # fmt: skip
    names = [first_str(item.get("name")) for item in raw_options]
    deadline = parse_datetime(data.get("endTime"))
    if uri is None:
        return "a poll without id"
    if not 1 <= len(raw_options) <= MAX_OPTIONS or not all(names):
        return "a poll has from 1 to 10 named options"
    if deadline is None:
        return "a poll without endTime"
    options = []
    for item, name in zip(raw_options, names, strict=True):
        replies = item.get("replies")
        votes = _count(replies.get("totalItems")) if isinstance(replies, dict) else None
        options.append(RemoteOption(str(name)[:MAX_OPTION], votes))
    text_source, text_html = received_text(data, MAX_TEXT)
    closed = data.get("closed")
    may_vote = first_str(data.get("whoMayVote")) or "anyone"
    return RemotePoll(
        uri=uri,
        attributed_to=id_of(data.get("attributedTo")),
        question=(first_str(data.get("name")) or "")[:MAX_QUESTION] or "Sondage",
        text_source=text_source,
        text_html=text_html,
        options=tuple(options),
        multiple=multiple,
        results_hidden=data.get("resultsHidden") is True,
        may_vote=may_vote if may_vote in WHO_MAY_VOTE else "anyone",
        deadline=deadline,
        voters=_count(data.get("votersCount")) or 0,
        closed_at=parse_datetime(closed) if isinstance(closed, str) else None,
        url=id_of(data.get("url")),
        published=parse_datetime(data.get("published")),
        updated=parse_datetime(data.get("updated")),
    )


def status_of(remote: RemotePoll, now: datetime) -> str:
    return CLOSED if remote.closed_at is not None or remote.deadline <= now else OPEN
