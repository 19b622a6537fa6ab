"""The listing of a page built once and shared by the signed-in residents who read it next.

The marketplace and the agendas are the same list for every resident who opens them with the
same filters: only the frame around it is theirs (the menu with their name and unread
notifications, the messages waiting for them, their CSRF token). So what a page shows inside ``{% block main %}`` is kept
here, beside the context it was rendered from, under the rules of the visitors' whole pages
(:mod:`webui.visitor_pages`): until this process commits a write, or for
``webui.visitor_cache_seconds`` at most. The next resident's request runs none of the
endpoint's queries and renders only the frame, around the kept listing.

Only a page whose listing says nothing of its reader but whether one is signed in may use
:func:`listing_shared` (the key holds that one fact); a listing that asked for the CSRF token
while it was rendered is never kept.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from instance.runtime import instance_of
from webui.csrf import csrf_token
from webui.render import render
from webui.session import current_viewer
from webui.visitor_pages import Endpoint, kept_store, page_key


@dataclass(frozen=True, slots=True)
class _Listing:
    template: str
    context: dict[str, Any]
    main: Markup
    commits: int
    kept_at: float

    @property
    def size(self) -> int:
        return len(self.main)


@pass_context
def keep_listing(context: Context, main: str) -> Markup:
    """The filter around ``{% block main %}`` in base.html: hands what it rendered to
    :mod:`webui.shared_listings` when the page is to be kept, unless it shows the CSRF token."""
    main = main if isinstance(main, Markup) else escape(main)
    keep = context.get("keep_listing")
    request = context.get("request")
    if keep is not None and request is not None:
        shows_token = getattr(request.state, "page_has_token", False) and (
            csrf_token(request) in main
        )
        if not shows_token:
            keep(main)
    return main


def listing_shared(endpoint: Endpoint) -> Endpoint:
    """``endpoint``'s listing, rendered once and shared until this process writes or it ages."""

    @functools.wraps(endpoint)
    async def serve(request: Request) -> Response:
        listings = kept_store(request, "shared_listings") if request.method == "GET" else None
        if listings is None:
            return await endpoint(request)
        key = (*page_key(request), await current_viewer(request) is not None)
        commits = instance_of(request).database.commits
        listing = listings.get(key, commits)
        if listing is not None:
            return render(request, listing.template, listing.context, kept_main=listing.main)

        def keep(template: str, context: dict[str, Any], main: Markup) -> None:
            listings.keep(key, _Listing(template, context, main, commits, time.time()))

        request.state.keep_listing = keep
        return await endpoint(request)

    return serve
