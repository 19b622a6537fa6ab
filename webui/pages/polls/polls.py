"""Pages: the polls of this quartier (and those of the city this server received), and one poll
— its question, its answers with their results (or when they will be published), who may vote,
and the ballot.

Reading goes through :mod:`commons.polls.queries`; who may vote is the rule of
:func:`commons.polls.votes.check_may_vote`, asked before the ballot is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel.numbers import format_percent
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from actors.queries import actor_by_id
from commons.events.organisers import may_organise
from commons.polls.fields import MEMBERS
from commons.polls.queries import answers_of, choices_of, listed_polls, poll_by_id, poll_by_uri
from commons.polls.votes import check_may_vote, is_open
from commons.polls.wire import results_shown
from config.errors import DomainError
from instance.runtime import instance_of
from storage.models import utcnow
from webui import formats, i18n
from webui.error_messages import message as error_message
from webui.pages.petitions.petitions import collective_handle
from webui.render import render
from webui.session import current_viewer
from webui.visitor_pages import kept_for_visitors

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor, Poll, PollOption

GENEVA = ZoneInfo("Europe/Zurich")


def page_url(poll: Poll) -> str:
    if poll.is_local:
        return "/polls/" + poll.uri.rsplit("/", 1)[-1]
    return f"/polls/remote/{poll.id}"


async def poll_at(session: AsyncSession, request: Request) -> tuple[Poll, Actor]:
    """The poll the address names (ours by its uuid, another quartier's by its number) and its
    collective; 404 when there is none."""
    params = request.path_params
    if "poll_id" in params:
        poll = await poll_by_id(session, params["poll_id"])
        if poll is not None and poll.is_local:
            poll = None
    else:
        uri = f"{instance_of(request).uris.base}/polls/{params['poll_uuid']}"
        poll = await poll_by_uri(session, uri)
        if poll is not None and not poll.is_local:
            poll = None
    if poll is None or poll.deleted_at is not None:
        raise HTTPException(404)
    collective = await actor_by_id(session, poll.actor_id)
    if collective is None or collective.is_gone:
        raise HTTPException(404)
    return poll, collective


def moment_text(moment: datetime) -> str:
    return formats.format_moment(moment, GENEVA)


def status_text(poll: Poll, now: datetime) -> str:
    _ = i18n.gettext
    if is_open(poll, now):
        return _("Open until %(moment)s.") % {"moment": moment_text(poll.deadline)}
    return _("Closed on %(moment)s.") % {"moment": moment_text(poll.closed_at or poll.deadline)}


def voters_text(poll: Poll) -> str:
    return i18n.ngettext("%(num)s person voted", "%(num)s people voted", poll.voters_count) % {
        "num": formats.format_count(poll.voters_count)
    }


def answer_rows(poll: Poll, options: list[PollOption], chosen: set[int]) -> list[dict[str, Any]]:
    """Each answer with its share of the voters (only once results may be shown)."""
    shown = results_shown(poll)
    voters = max(poll.voters_count, 1)
    rows = []
    for option in options:
        share = option.votes_count / voters if shown else 0.0
        rows.append({
            "position": option.position,
            "name": option.name,
            "chosen": option.position in chosen,
            "votes": i18n.ngettext("%(num)s vote", "%(num)s votes", option.votes_count)
            % {"num": formats.format_count(option.votes_count)},
            "percent": format_percent(share, locale=formats.reader_locale()) if shown else "",
            "width": round(min(share, 1.0) * 100),
        })  # fmt: skip
    return rows


def poll_view(
    poll: Poll, collective: Actor, options: list[PollOption], now: datetime,
    chosen: set[int] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What a card and the page show of a poll, in the reader's words."""
    _ = i18n.gettext
    return {
        "poll": poll,
        "collective": collective,
        "url": page_url(poll),
        "answers": answer_rows(poll, options, chosen or set()),
        "results_shown": results_shown(poll),
        "voters": voters_text(poll),
        "status": status_text(poll, now),
        "is_open": is_open(poll, now),
        "how_many": _("Several answers may be chosen.") if poll.multiple
        else _("One answer only."),
    }  # fmt: skip


@kept_for_visitors
async def polls_index(request: Request) -> Response:
    now = utcnow()
    async with instance_of(request).database.session() as session:
        here = await listed_polls(session, is_local=True)
        elsewhere = await listed_polls(session, is_local=False)
    context = {
        "cards": [poll_view(card.poll, card.collective, card.options, now) for card in here],
        "city_cards": [
            poll_view(card.poll, card.collective, card.options, now) for card in elsewhere
        ],
    }
    return render(request, "polls/index.html", context)


def who_may_vote_text(poll: Poll, collective: Actor) -> str:
    _ = i18n.gettext
    if poll.may_vote == MEMBERS:
        return _("The members of %(collective)s may vote.") % {
            "collective": collective.name or collective.username
        }
    return _("Anyone may vote: the residents of this quartier and of the others, and anyone on "
             "Mastodon or elsewhere on the fediverse.")  # fmt: skip


async def poll_context(
    session: AsyncSession, request: Request, poll: Poll, collective: Actor
) -> dict[str, Any]:
    viewer = await current_viewer(request)
    now = utcnow()
    chosen = await choices_of(session, poll, viewer.actor) if viewer else set()
    refusal = None
    if viewer and not chosen and is_open(poll, now):
        try:
            await check_may_vote(session, poll, viewer.actor)
        except DomainError as error:
            refusal = error_message(error)
    is_facilitator = bool(
        viewer and poll.is_local and await may_organise(session, viewer.actor, collective)
    )
    return {
        **poll_view(poll, collective, await answers_of(session, poll), now, chosen),
        "who_may_vote": who_may_vote_text(poll, collective),
        "has_voted": bool(chosen),
        "may_vote": bool(viewer and is_open(poll, now) and not chosen and refusal is None),
        "refusal": refusal,
        "is_facilitator": is_facilitator,
        "deadline_text": moment_text(poll.deadline),
        "handle": collective_handle(request, collective),
        "original_url": None if poll.is_local else (poll.url or poll.uri),
        "next": request.url.path,
    }


async def poll_page(request: Request) -> Response:
    """The page of one poll (ours at its own address, shared with its ``Question``)."""
    async with instance_of(request).database.session() as session:
        poll, collective = await poll_at(session, request)
        context = await poll_context(session, request, poll, collective)
    return render(request, "polls/poll.html", context)


routes: list[BaseRoute] = [
    Route("/polls", polls_index, methods=["GET"], name="polls"),
    Route("/polls/remote/{poll_id:int}", poll_page, methods=["GET"], name="remote_poll"),
]
