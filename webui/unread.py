"""The number of unread notifications, for the menu of every page a resident opens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from commons.notifications import unread_count
from instance.runtime import instance_of
from webui.session import Viewer

SKIPPED_PREFIXES = ("/static/", "/media/", "/inbox", "/.well-known/", "/nodeinfo")


class UnreadCountMiddleware:
    """Counts the viewer's unread notifications once, for a page (a GET), before it renders.

    Runs after :class:`webui.session.ViewerMiddleware`, which has loaded the viewer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope["path"].startswith(SKIPPED_PREFIXES)
        ):
            request = Request(scope)
            viewer = getattr(request.state, "viewer", None)
            if isinstance(viewer, Viewer):
                async with instance_of(request).database.session() as session:
                    request.state.unread_count = await unread_count(session, viewer.actor.id)
        await self.app(scope, receive, send)
