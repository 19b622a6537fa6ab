"""``create_app(settings)``: the ASGI application of one instance."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from config.settings import Settings
from endpoints.actors import routes as actor_routes
from endpoints.c2s import routes as c2s_routes
from endpoints.events import routes as event_routes
from endpoints.faces import HtmlFaces
from endpoints.inbox import InboxFirst
from endpoints.inbox import routes as inbox_routes
from endpoints.media import routes as media_routes
from endpoints.objects import routes as object_routes
from endpoints.offers import routes as offer_routes
from endpoints.petitions import routes as petition_routes
from endpoints.polls import routes as poll_routes
from endpoints.proposals import routes as proposal_routes
from endpoints.secure_mode import SecureModeMiddleware
from federation.client import FederationClient
from instance.runtime import Instance
from quartiers.nul_addresses import RefuseNulInAddress
from quartiers.workers import build_federation_client, running_workers
from storage.database import Database
from webui import errors as web_errors
from webui import i18n
from webui.csrf import SameOriginMiddleware
from webui.look import LookMiddleware
from webui.middleware import LanguageMiddleware
from webui.pages import routes as page_routes
from webui.pages.events.event_dates import occurrence_page
from webui.pages.events.events import event_page
from webui.pages.offers.offers import offer_page
from webui.pages.petitions.petitions import petition_page
from webui.pages.polls.polls import poll_page
from webui.pages.posts.posts import thread_page
from webui.pages.profiles import profile_page
from webui.pages.proposals.proposals import proposal_page
from webui.routes import routes as web_routes
from webui.session import SESSION_COOKIE, SESSION_MAX_AGE, ViewerMiddleware
from webui.templating import build_templates

STATIC_DIR = Path(__file__).resolve().parent.parent / "webui" / "static"


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    http_client: httpx2.AsyncClient | None = None,
    run_workers: bool = True,
) -> Starlette:
    """Build the application. Nothing connects until the lifespan starts."""
    federation = (
        FederationClient(
            http_client,
            user_agent=settings.user_agent,
            allow_private_addresses=settings.federation.allow_private_addresses,
            max_response_bytes=settings.federation.max_response_bytes,
            timeout_seconds=settings.federation.fetch_timeout_seconds,
        )
        if http_client is not None
        else build_federation_client(settings)
    )
    instance = Instance(
        settings=settings,
        database=database or Database(settings.database_url),
        federation=federation,
    )
    owns_database = database is None
    i18n.load_catalogs()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            if run_workers:
                async with running_workers(instance):
                    yield
            else:
                yield
        finally:
            if http_client is None:
                await federation.aclose()
            if owns_database:
                await instance.database.dispose()

    routes: list[BaseRoute] = [
        *inbox_routes,
        *c2s_routes,
        *actor_routes,
        *object_routes,
        *media_routes,
        *event_routes,
        *offer_routes,
        *petition_routes,
        *poll_routes,
        *proposal_routes,
        *page_routes,
        *web_routes,
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RefuseNulInAddress),
            Middleware(InboxFirst),
            Middleware(LanguageMiddleware, default_language=settings.server.default_language),
            Middleware(SameOriginMiddleware, base_url=settings.base_url),
            Middleware(
                SessionMiddleware,
                secret_key=settings.webui.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE,
                same_site="lax",
                https_only=settings.secure_cookies,
            ),
            Middleware(ViewerMiddleware),
            Middleware(LookMiddleware),
            *(
                [Middleware(SecureModeMiddleware, instance=instance)]
                if settings.federation.secure_mode
                else []
            ),
        ],
        exception_handlers={
            401: web_errors.http_error,
            404: web_errors.http_error,
            403: web_errors.http_error,
            405: web_errors.http_error,
            400: web_errors.http_error,
            413: web_errors.http_error,
            500: web_errors.server_error,
        },
        lifespan=lifespan,
    )
    app.state.instance = instance
    # The resources with two faces: the JSON from endpoints/, the page people see from webui/.
    app.state.html_faces = HtmlFaces(
        actor=profile_page,
        post=thread_page,
        event=event_page,
        date=occurrence_page,
        offer=offer_page,
        petition=petition_page,
        poll=poll_page,
        proposal=proposal_page,
    )
    app.state.templates = build_templates(settings.server.timezone)
    return app
