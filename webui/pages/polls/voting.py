"""Pages: a resident votes in a poll — ours, or another quartier's, whose server then receives
the vote — and a facilitator closes one of our polls before its time, or removes it. A refusal
comes back as a sentence on the poll's page. Every POST reads its form (CSRF) first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.queries import actor_by_id
from commons.events.organisers import NotOrganiser
from commons.polls.services import delete_poll, end_poll_early
from commons.polls.votes import vote
from config.errors import DomainError
from instance.runtime import instance_of
from storage.integers import parse_whole
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.polls.polls import page_url, poll_at
from webui.session import flash, require_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from config.uris import Uris
    from storage.models import Actor, Poll

Action = Callable[["AsyncSession", "Uris", "Actor", "Poll", FormData], Awaitable[None]]


async def _act(
    request: Request, action: Action, done: str, where: Callable[[str], str], refused: str = ""
) -> Response:
    """Run ``action`` for the signed-in resident on the poll of the address, in one transaction;
    say ``done`` and go ``where(page)``, or say why not and go back to its page."""
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form = await read_form(request)
    async with instance.database.session() as session:
        poll, _collective = await poll_at(session, request)
    url = page_url(poll)
    try:
        async with instance.database.transaction() as session:
            row, _collective = await poll_at(session, request)
            # The resident as this transaction holds them.
            person = await actor_by_id(session, viewer.actor.id)
            assert person is not None
            await action(session, instance.uris, person, row, form)
    except NotOrganiser:
        flash(request, refused, "error")
        return RedirectResponse(url, status_code=303)
    except DomainError as error:
        flash(request, error_message(error), "error")
        return RedirectResponse(url + "#ballot", status_code=303)
    flash(request, done, "success")
    return RedirectResponse(where(url), status_code=303)


async def cast(
    session: AsyncSession, uris: Uris, person: Actor, poll: Poll, form: FormData
) -> None:
    answers = form.getlist("answer")
    await vote(session, uris, person, poll,
               [found for raw in answers if (found := parse_whole(raw)) is not None])  # fmt: skip


async def end_early(
    session: AsyncSession, uris: Uris, person: Actor, poll: Poll, _form: FormData
) -> None:
    await end_poll_early(session, uris, person, poll)


async def delete(
    session: AsyncSession, uris: Uris, person: Actor, poll: Poll, _form: FormData
) -> None:
    await delete_poll(session, uris, person, poll)


async def vote_in_poll(request: Request) -> Response:
    done = i18n.gettext("Thank you, your vote is counted.")
    return await _act(request, cast, done, lambda url: url + "#ballot")


async def close_now(request: Request) -> Response:
    _ = i18n.gettext
    return await _act(request, end_early, _("The poll is closed; its results are published."),
                      lambda url: url, _("Only the collective's facilitators may close it."))  # fmt: skip


async def remove(request: Request) -> Response:
    _ = i18n.gettext
    return await _act(
        request, delete, _("The poll is removed, here and for everyone who received it."),
        lambda _url: "/polls", _("Only the collective's facilitators may remove it."),
    )  # fmt: skip


routes: list[BaseRoute] = [
    Route("/polls/{poll_uuid:uuid}/vote", vote_in_poll, methods=["POST"], name="vote_in_poll"),
    Route("/polls/{poll_uuid:uuid}/close", close_now, methods=["POST"], name="close_poll"),
    Route("/polls/{poll_uuid:uuid}/delete", remove, methods=["POST"], name="delete_poll"),
    Route("/polls/remote/{poll_id:int}/vote", vote_in_poll, methods=["POST"],
          name="vote_in_remote_poll"),
]  # fmt: skip
