"""``POST /inbox`` and ``POST /@name/inbox``: verify, persist, answer 202. Handlers run later.

:class:`InboxFirst` answers those POSTs before the web pages' middleware (language, form
checks, sessions, the viewer, the unread count, the look), none of which a server's POST uses:
the inbox is the busiest route of a federated instance.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from config.errors import DomainError
from endpoints.errors import status_and_reason
from federation.bodies import without_nul_escapes
from inbox.prechecks import check_before_storing
from inbox.receive import (
    ReceivedPost,
    Refusal,
    is_self_delete,
    parse_body,
    read_capped_body,
    sender_host,
    verify,
)
from inbox.store import store_inbox_item
from instance.runtime import Instance, instance_in, instance_of
from storage.models import Actor

log = logging.getLogger(__name__)


ACCEPTED = Response(status_code=202)
"""The answer to every POST taken (or silently dropped): built once, sent as it is."""


async def shared_inbox(request: Request) -> Response:
    return await _receive(request.scope, request.receive, instance_of(request), recipient_id=None)


async def actor_inbox(request: Request) -> Response:
    username = request.path_params.get("username", "instance")
    return await _to_actor(request.scope, request.receive, instance_of(request), username)


async def _to_actor(scope: Scope, receive: Receive, instance: Instance, username: str) -> Response:
    async with instance.database.session() as session:
        recipient_id = await session.scalar(
            select(Actor.id).where(Actor.is_local.is_(True), Actor.username == username)
        )
    if recipient_id is None:
        return JSONResponse({"error": "no such actor"}, status_code=404)
    return await _receive(scope, receive, instance, recipient_id=recipient_id)


async def _receive(
    scope: Scope, receive: Receive, instance: Instance, recipient_id: int | None
) -> Response:
    federation = instance.settings.federation
    post = ReceivedPost.from_scope(scope)
    try:
        body = await read_capped_body(post, Request(scope, receive), federation.max_body_bytes)
        activity = parse_body(body)
        if await instance.blocks.is_blocked(sender_host(activity)):
            return ACCEPTED
        try:
            await verify(
                post,
                body,
                activity,
                instance.remote_actors,
                max_age=timedelta(seconds=federation.signature_max_age_seconds),
                url_scheme=instance.settings.server.scheme,
            )
        except Refusal:
            if is_self_delete(activity):
                # A deleted account's key is gone with it; there is nothing left to verify.
                return ACCEPTED
            raise
    except Refusal as refusal:
        log.info("inbox refused (%s): %s", refusal.status, refusal.reason)
        return JSONResponse({"error": refusal.reason}, status_code=refusal.status)
    try:
        await check_before_storing(instance, activity)
    except DomainError as error:
        status, reason = status_and_reason(error)
        log.info("inbox refused (%s): %s", status, reason)
        return JSONResponse({"error": reason}, status_code=status)
    # Kept as the handlers will read it: its signature is checked, and no text can hold a NUL.
    await store_inbox_item(instance.database, activity, without_nul_escapes(body), recipient_id)
    return ACCEPTED


routes = [
    Route("/inbox", shared_inbox, methods=["POST"]),
    Route("/actor/inbox", actor_inbox, methods=["POST"]),
    Route("/@{username}/inbox", actor_inbox, methods=["POST"]),
]

INBOX_PATHS = re.compile(r"/(?:inbox|actor/inbox|@(?P<username>[^/]+)/inbox)")


class InboxFirst:
    """Outermost middleware: a POST to an inbox is answered here; anything else goes on through
    the application's stack.

    The inbox endpoints are called directly, without a router, and read the request's headers
    once from its scope (a request object only streams the body): they return their responses
    and raise nothing a router would turn into one, and an unexpected error still reaches the
    application's error middleware around this one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            match = INBOX_PATHS.fullmatch(scope["path"])
            if match is not None:
                await self._inbox(match, scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _inbox(
        self, match: re.Match[str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        instance = instance_in(scope)
        if match.group(0) == "/inbox":
            response = await _receive(scope, receive, instance, recipient_id=None)
        else:
            username = match.group("username") or "instance"
            response = await _to_actor(scope, receive, instance, username)
        await response(scope, receive, send)
