"""The listing pages as visitors who are not signed in see them, kept for a few seconds.

The marketplace, the neighbourhood's and the city's timelines and the agendas are read far more
often by visitors than they change, and such a visitor's page depends only on its address, the
language, the easy-read choice and the neighbourhood's look. A page built for one visitor is
kept by this process and given to the next one, until either:

- this process commits a write to the database (a resident publishes, the in-process inbox
  worker stores a remote offer or post: :attr:`storage.database.Database.commits` moves), or
- ``webui.visitor_cache_seconds`` have passed, which bounds what another process writes (a
  separate ``quartiers worker``) and what time changes (an offer or an event that ends).

A signed-in resident (who may get a kept listing in a frame of their own instead, see
:mod:`webui.shared_listings`, or their own timeline kept for them alone, see
:mod:`webui.reader_pages`), a visitor with a message waiting (a flash), a page that carries a
CSRF token, and any answer but a 200 are never kept nor served from here. The store is bounded
in bytes, least recently used first out; readers who ask for a page while it is being built wait
for it (:func:`kept_pages` serves both the visitors' pages and the residents' own).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from instance.runtime import instance_of
from webui import i18n
from webui.csrf import csrf_token
from webui.easy_read import easy_read_on
from webui.look import current_look
from webui.session import SESSION_TOKEN

Endpoint = Callable[[Request], Awaitable[Response]]

MAX_BYTES = 8 * 1024 * 1024
MAX_PAGE_BYTES = 512 * 1024
KEPT_HEADERS = ("content-type", "content-language", "vary")


class Kept(Protocol):
    """What :class:`KeptPages` keeps: something of a size, made after a number of commits."""

    @property
    def size(self) -> int: ...

    @property
    def commits(self) -> int: ...

    @property
    def kept_at(self) -> float: ...


K = TypeVar("K", bound=Kept)


@dataclass(frozen=True, slots=True)
class _Page:
    body: bytes
    headers: tuple[tuple[str, str], ...]
    commits: int
    kept_at: float

    @property
    def size(self) -> int:
        return len(self.body)


class KeptPages(Generic[K]):
    """One process's kept pages (or parts of pages), keyed by everything they depend on: each
    is given out while no commit of this process came since and it is younger than ``seconds``;
    the whole is bounded in bytes, least recently used first out."""

    def __init__(self, seconds: float, max_bytes: int = MAX_BYTES) -> None:
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.size = 0
        self._pages: OrderedDict[tuple[object, ...], K] = OrderedDict()
        self.building: dict[tuple[object, ...], asyncio.Event] = {}
        """The pages being built now: a request for one waits for it rather than building it
        again (when a page ages, the readers of that moment would all build it at once)."""

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, key: tuple[object, ...], commits: int) -> K | None:
        page = self._pages.get(key)
        if page is None:
            return None
        age = time.time() - page.kept_at
        if page.commits != commits or not 0 <= age < self.seconds:
            self._drop(key)
            return None
        self._pages.move_to_end(key)
        return page

    def keep(self, key: tuple[object, ...], page: K) -> None:
        if page.size > MAX_PAGE_BYTES:
            return
        self._drop(key)
        self._pages[key] = page
        self.size += page.size
        while self.size > self.max_bytes and self._pages:
            self._drop(next(iter(self._pages)))

    def _drop(self, key: tuple[object, ...]) -> None:
        page = self._pages.pop(key, None)
        if page is not None:
            self.size -= page.size


VisitorPages = KeptPages[_Page]


def kept_seconds(request: Request) -> float:
    """How long a page may be kept here (``webui.visitor_cache_seconds``; 0: never)."""
    return instance_of(request).settings.webui.visitor_cache_seconds


def page_key(request: Request) -> tuple[object, ...]:
    """Everything a listing page depends on but its reader: its address, the language, the
    easy-read choice and the neighbourhood's look."""
    return (
        request.url.path,
        request.url.query,
        i18n.current_locale.get(),
        easy_read_on(request),
        current_look(request),
    )


def kept_store(request: Request, attribute: str) -> KeptPages[Any] | None:
    """This process's store named ``attribute`` (made on first use); None when the admin keeps
    nothing (``webui.visitor_cache_seconds = 0``)."""
    state = request.app.state
    store: KeptPages[Any] | None = getattr(state, attribute, None)
    if store is None:
        seconds = kept_seconds(request)
        if seconds <= 0:
            return None
        store = KeptPages(seconds)
        setattr(state, attribute, store)
    return store


def _is_visitor(request: Request) -> bool:
    cookie = request.scope.get("session") or {}
    return (
        request.method == "GET"
        and cookie.get(SESSION_TOKEN) is None
        and not cookie.get("flash")
        and getattr(request.state, "viewer", None) is None
    )


ReaderFacts = Callable[[Request], Awaitable[tuple[object, ...] | None]]
"""What a kept page's key holds of its reader; None when this reader's page is not kept."""


def kept_pages(endpoint: Endpoint, store: str, reader_facts: ReaderFacts) -> Endpoint:
    """``endpoint``'s page, kept in this process's store named ``store`` under its address and
    ``reader_facts``. A page that shows the CSRF token is kept only when the facts hold that
    very token: it is then given back to requests of the same cookie only."""

    @functools.wraps(endpoint)
    async def serve(request: Request) -> Response:
        pages = kept_store(request, store) if request.method == "GET" else None
        reader = await reader_facts(request) if pages is not None else None
        if pages is None or reader is None:
            return await endpoint(request)
        key = (*page_key(request), *reader)
        database = instance_of(request).database
        page = pages.get(key, database.commits)
        building = pages.building.get(key) if page is None else None
        if building is not None:
            await building.wait()
            page = pages.get(key, database.commits)
        if page is not None:
            return Response(page.body, headers=dict(page.headers))
        if key in pages.building:
            return await endpoint(request)
        pages.building[key] = built = asyncio.Event()
        try:
            return await _build(endpoint, request, pages, key, reader, database.commits)
        finally:
            del pages.building[key]
            built.set()

    return serve


async def _build(
    endpoint: Endpoint,
    request: Request,
    pages: KeptPages[_Page],
    key: tuple[object, ...],
    reader: tuple[object, ...],
    commits: int,
) -> Response:
    """The endpoint's page, kept unless it is an error, sets a cookie or shows a token the key
    does not hold."""
    response = await endpoint(request)
    shows_token = getattr(request.state, "page_has_token", False)
    if (
        response.status_code == 200
        and (not shows_token or csrf_token(request) in reader)
        and "set-cookie" not in response.headers
        and isinstance(response.body, bytes)
    ):
        headers = tuple(
            (name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers
        )
        pages.keep(key, _Page(bytes(response.body), headers, commits, time.time()))
    return response


async def _visitor(request: Request) -> tuple[object, ...] | None:
    return () if _is_visitor(request) else None


def kept_for_visitors(endpoint: Endpoint) -> Endpoint:
    """``endpoint``'s page, served from :class:`VisitorPages` to visitors who are not signed in."""
    return kept_pages(endpoint, "visitor_pages", _visitor)
