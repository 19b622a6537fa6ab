"""The timelines as a signed-in resident sees them, kept for that resident alone a few seconds.

A resident's feed (``/home``) is theirs: the posts of whom they follow, their followers-only
and mentioned posts. Every timeline also shows what they liked or boosted, what they may edit
or delete, and their CSRF token in each form. So their page is kept whole, as a visitor's is
(:mod:`webui.visitor_pages`, under the same rules: dropped by any write of this process, a new
post, a follow or an unfollow, a block, a deletion, a like, and never older than
``webui.visitor_cache_seconds``), under a key that holds everything of the reader the page
shows: their account and actor, their roles, the token of their cookie and their count of
unread notifications, read afresh for every request. A page is given back only to a request
whose cookie carries the same token for the same resident; a resident with a message waiting
(a flash) gets a page built for them.
"""

from __future__ import annotations

from starlette.requests import Request

from webui.csrf import csrf_token
from webui.session import current_viewer
from webui.visitor_pages import Endpoint, kept_pages


async def _reader(request: Request) -> tuple[object, ...] | None:
    """The reader as their page shows them, or None when their page is not to be kept."""
    if (request.scope.get("session") or {}).get("flash"):
        return None
    viewer = await current_viewer(request)
    if viewer is None:
        return None
    account, unread = viewer.account, getattr(request.state, "unread_count", 0)
    roles = (account.is_admin, viewer.is_moderator)
    return (account.id, viewer.actor.id, *roles, unread, csrf_token(request))


def kept_for_reader(endpoint: Endpoint) -> Endpoint:
    """``endpoint``'s page, kept for the signed-in resident who asked for it, for them alone."""
    return kept_pages(endpoint, "reader_pages", _reader)
