"""The HTML face of resources whose id is also an ActivityPub document.

A server asking for ``application/activity+json`` gets the JSON from ``endpoints/``; a browser
asking for the same URL gets the page. The pages live in ``webui.pages``, above this package's
concerns, so the app passes them in once, where it is assembled (``quartiers/app.py``), and the
routes here find them on ``app.state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from federation.vocab import is_activitypub_media_type
from storage.models import Actor, Post


@dataclass(frozen=True)
class HtmlFaces:
    """The page shown to people for each resource with two faces."""

    actor: Callable[[Request, AsyncSession, Actor], Awaitable[Response]]
    post: Callable[[Request, Post, Actor, Actor | None], Awaitable[Response]]
    event: Callable[[Request], Awaitable[Response]]
    date: Callable[[Request], Awaitable[Response]]
    offer: Callable[[Request], Awaitable[Response]]
    petition: Callable[[Request], Awaitable[Response]]
    poll: Callable[[Request], Awaitable[Response]]
    proposal: Callable[[Request], Awaitable[Response]]


def wants_activitypub(request: Request) -> bool:
    return is_activitypub_media_type(request.headers.get("accept"))


def html_faces(request: Request) -> HtmlFaces:
    faces: HtmlFaces = request.app.state.html_faces
    return faces
