"""Pages: writing, replying, editing, deleting, liking and boosting posts, and the thread page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.documents import webfinger_handle
from actors.queries import actor_by_id
from commons.markdown import html_to_text
from commons.posts.cards import PostCard, link_of
from commons.posts.mentions import resolve_mentions
from commons.posts.queries import find_post as post_by_key
from commons.posts.queries import post_by_id
from commons.posts.reactions import ANNOUNCE, LIKE, toggle_reaction
from commons.posts.removal import remove_post
from commons.posts.services import edit_note
from commons.posts.threads import can_see, load_thread
from instance.runtime import Instance, instance_of
from storage.models.posts import FOLLOWERS, MENTIONED, PUBLIC
from webui import i18n
from webui.csrf import read_form
from webui.pages.share_panel import sharing_panel
from webui.render import render
from webui.session import Viewer, current_viewer, flash, require_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor, Post

MAX_TEXT = 5000
MAX_SUMMARY = 300
VISIBILITIES = (PUBLIC, FOLLOWERS, MENTIONED)


def visibility_options() -> list[tuple[str, str]]:
    _ = i18n.gettext
    return [
        (PUBLIC, _("Public: everyone can read it")),
        (FOLLOWERS, _("Followers only")),
        (MENTIONED, _("Only the people mentioned")),
    ]


def safe_next(value: object, fallback: str) -> str:
    """Only a path of this site, never another site (``//host``) or a scheme."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and not any(char in value for char in "\\\r\n")
    ):
        return value
    return fallback


async def find_post(
    session: AsyncSession, instance: Instance, key: str
) -> tuple[Post, Actor] | None:
    """A post by the key our pages use: the uuid of ours, the row id of any."""
    return await post_by_key(session, instance.uris.base, key)


async def visible_post(
    request: Request, session: AsyncSession, viewer: Viewer | None
) -> tuple[Post, Actor]:
    found = await find_post(session, instance_of(request), request.path_params["key"])
    if found is None:
        raise HTTPException(404)
    post, author = found
    if not await can_see(session, post.id, viewer.actor.id if viewer else None):
        raise HTTPException(404)
    return post, author


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def text_errors(values: dict[str, str]) -> dict[str, str]:
    """What is wrong with a post's text and content warning (compose and edit alike)."""
    _ = i18n.gettext
    errors: dict[str, str] = {}
    if not values["text"]:
        errors["text"] = _("Write something before publishing.")
    elif len(values["text"]) > MAX_TEXT:
        errors["text"] = _("Your text is too long (5000 characters at most).")
    if len(values["summary"]) > MAX_SUMMARY:
        errors["summary"] = _("The content warning is too long (300 characters at most).")
    return errors


async def _live_post(request: Request) -> tuple[Post, Actor]:
    """The post named in the path and its author; 404 when unknown or deleted."""
    instance = instance_of(request)
    async with instance.database.session() as session:
        found = await find_post(session, instance, request.path_params["key"])
    if found is None or found[0].deleted_at is not None:
        raise HTTPException(404)
    return found


async def _own_local_post(request: Request, viewer: Viewer) -> tuple[Post, Actor]:
    post, author = await _live_post(request)
    if post.actor_id != viewer.actor.id or not post.is_local:
        raise HTTPException(403, "only its author may edit a post")
    return post, author


async def edit_form(request: Request) -> Response:
    viewer = await require_viewer(request)
    post, author = await _own_local_post(request, viewer)
    text = post.source if post.source is not None else html_to_text(post.content_html)
    values = {"text": text, "summary": post.summary or ""}
    card = PostCard(post, author, instance_of(request).settings.base_url)
    return render(request, "posts/edit.html", {"card": card, "values": values, "errors": {}})


async def edit(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request)
    post, author = await _own_local_post(request, viewer)
    _ = i18n.gettext
    instance = instance_of(request)
    values = {"text": form_text(form, "text"), "summary": form_text(form, "summary")}
    errors = text_errors(values)
    card = PostCard(post, author, instance.settings.base_url)
    if errors:
        context = {"card": card, "values": values, "errors": errors}
        return render(request, "posts/edit.html", context, 400)
    mentions = await resolve_mentions(
        instance.remote_actors, instance.settings.server.domain, values["text"]
    )
    async with instance.database.transaction() as session:
        row = await post_by_id(session, post.id)
        writer = await actor_by_id(session, author.id)
        assert row is not None and writer is not None
        await edit_note(
            session,
            instance.uris,
            writer,
            row,
            values["text"],
            summary=values["summary"] or None,
            mentions=mentions,
        )
    flash(request, _("Your post is updated."))
    return RedirectResponse(card.page_url, status_code=303)


async def _deletable(request: Request, viewer: Viewer) -> tuple[Post, Actor]:
    post, author = await _live_post(request)
    if post.actor_id != viewer.actor.id and not viewer.is_moderator:
        raise HTTPException(403, "only its author or a moderator may delete a post")
    return post, author


async def delete_form(request: Request) -> Response:
    viewer = await require_viewer(request)
    post, author = await _deletable(request, viewer)
    card = PostCard(post, author, instance_of(request).settings.base_url)
    return render(request, "posts/delete.html", {"card": card})


async def delete(request: Request) -> Response:
    viewer = await require_viewer(request)
    await read_form(request)
    post, _author = await _deletable(request, viewer)
    instance = instance_of(request)
    async with instance.database.transaction() as session:
        await remove_post(session, instance.uris, post.id)
    flash(request, i18n.gettext("The post is deleted."))
    return RedirectResponse("/home", status_code=303)


async def _toggle(request: Request, kind: str) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request)
    instance = instance_of(request)
    async with instance.database.transaction() as session:
        post, author = await visible_post(request, session, viewer)
        if post.deleted_at is not None:
            raise HTTPException(404)
        if kind == ANNOUNCE and post.visibility != PUBLIC:
            raise HTTPException(403, "only public posts can be boosted")
        actor = await actor_by_id(session, viewer.actor.id)
        assert actor is not None
        await toggle_reaction(session, instance.uris, actor, post, kind)
    card = PostCard(post, author, instance.settings.base_url)
    return RedirectResponse(safe_next(form.get("next"), card.page_url), status_code=303)


async def like(request: Request) -> Response:
    return await _toggle(request, LIKE)


async def boost(request: Request) -> Response:
    return await _toggle(request, ANNOUNCE)


async def thread_page(
    request: Request, post: Post, author: Actor, audience: Actor | None = None
) -> Response:
    """The post with the posts it answers above and the replies to it below."""
    instance = instance_of(request)
    viewer = await current_viewer(request)
    viewer_id = viewer.actor.id if viewer else None
    async with instance.database.session() as session:
        if post.deleted_at is None and not await can_see(session, post.id, viewer_id):
            raise HTTPException(404)
        if audience is None and post.audience_id:
            audience = await actor_by_id(session, post.audience_id)
        thread = await load_thread(session, post, author, viewer_id, instance.settings.base_url)
        sharing = await sharing_panel(session, request, "post", post)
    is_deleted = post.deleted_at is not None
    context = {
        "post": post,
        "author": author,
        "author_handle": webfinger_handle(author, instance.settings)
        if author.is_local
        else author.handle,
        "audience": audience,
        "author_url": link_of(author),
        "audience_url": link_of(audience) if audience is not None else "#",
        "is_deleted": is_deleted,
        "thread": thread,
        "sharing": sharing,
    }
    return render(request, "post.html", context, 410 if is_deleted else 200)


async def any_post_page(request: Request) -> Response:
    instance = instance_of(request)
    async with instance.database.session() as session:
        found = await find_post(session, instance, str(request.path_params["post_id"]))
    if found is None:
        raise HTTPException(404)
    post, author = found
    if post.is_local:
        card = PostCard(post, author, instance.settings.base_url)
        return RedirectResponse(card.page_url, status_code=301)
    return await thread_page(request, post, author)


routes: list[BaseRoute] = [
    Route("/posts/{post_id:int}", any_post_page, methods=["GET"], name="post_by_id"),
    Route("/posts/{key}/edit", edit_form, methods=["GET"], name="edit_post"),
    Route("/posts/{key}/edit", edit, methods=["POST"], name="save_post"),
    Route("/posts/{key}/delete", delete_form, methods=["GET"], name="confirm_delete_post"),
    Route("/posts/{key}/delete", delete, methods=["POST"], name="delete_post"),
    Route("/posts/{key}/like", like, methods=["POST"], name="like_post"),
    Route("/posts/{key}/boost", boost, methods=["POST"], name="boost_post"),
]
