"""Writing a post: the compose form, replies, and publishing with images and an audience."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.queries import actor_by_id, member_collectives
from commons.media import MAX_ALT_TEXT, MediaError, clean_image_off_loop, media_path, store_image
from commons.posts.attachments import MAX_ATTACHMENTS, describe_kept_image
from commons.posts.cards import PostCard, card_details
from commons.posts.mentions import resolve_mentions
from commons.posts.queries import unposted_images
from commons.posts.services import publish_note
from commons.posts.threads import can_see
from config.errors import ErrorCode
from instance.runtime import instance_of
from storage.models.posts import PUBLIC
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.posts.posts import (
    VISIBILITIES,
    find_post,
    form_text,
    text_errors,
    visibility_options,
)
from webui.render import render
from webui.session import Viewer, flash, require_viewer
from webui.uploads import read_upload

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor, Media


async def compose_context(
    request: Request,
    viewer: Viewer,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    parent: PostCard | None = None,
) -> dict[str, Any]:
    async with instance_of(request).database.session() as session:
        collectives = await member_collectives(session, viewer.actor.id)
    return {
        "values": values or {"visibility": PUBLIC},
        "errors": errors or {},
        "collectives": collectives,
        "visibility_options": visibility_options(),
        "parent": parent,
        "image_slots": range(1, MAX_ATTACHMENTS + 1),
    }


async def _parent_card(request: Request, viewer: Viewer, key: str) -> PostCard | None:
    instance = instance_of(request)
    async with instance.database.session() as session:
        found = await find_post(session, instance, key)
        if found is None or found[0].deleted_at is not None:
            return None
        if not await can_see(session, found[0].id, viewer.actor.id):
            return None
        cards = await card_details(session, [found], viewer.actor.id, instance.settings.base_url)
    return cards[0]


def _reply_prefill(parent: PostCard, viewer: Viewer) -> str:
    if parent.author.id == viewer.actor.id:
        return ""
    handle = parent.author.username
    if not parent.author.is_local:
        handle = f"{handle}@{parent.author.domain}"
    return f"@{handle} "


async def compose_form(request: Request) -> Response:
    viewer = await require_viewer(request)
    values: dict[str, str] = {"visibility": PUBLIC}
    parent = None
    reply_key = request.path_params.get("key") or request.query_params.get("in_reply_to")
    if reply_key:
        parent = await _parent_card(request, viewer, reply_key)
        if parent is None:
            raise HTTPException(404)
        values.update(in_reply_to=parent.key, text=_reply_prefill(parent, viewer))
        if parent.post.visibility != PUBLIC:
            values["visibility"] = parent.post.visibility
    context = await compose_context(request, viewer, values, parent=parent)
    return render(request, "posts/compose.html", context)


def _uploads(form: FormData) -> list[tuple[int, UploadFile, str]]:
    found = []
    for slot in range(1, MAX_ATTACHMENTS + 1):
        upload = form.get(f"image{slot}")
        if isinstance(upload, UploadFile) and upload.filename and (upload.size or 0) > 0:
            found.append((slot, upload, form_text(form, f"alt{slot}")))
    return found


async def _kept_images(
    session: AsyncSession, owner: Actor, form: FormData, skip: set[int]
) -> dict[int, Media]:
    """Images sent with a form that came back refused, kept so nobody chooses them again:
    the viewer's own, not yet in a post, by the key the form carried."""
    keys = {
        slot: key
        for slot in range(1, MAX_ATTACHMENTS + 1)
        if slot not in skip and (key := form_text(form, f"kept{slot}"))
    }
    if not keys:
        return {}
    by_key = await unposted_images(session, owner.id, keys.values())
    return {slot: by_key[key] for slot, key in keys.items() if key in by_key}


async def _keep_uploads(
    request: Request,
    viewer: Viewer,
    uploads: list[tuple[int, UploadFile, str]],
    errors: dict[str, str],
) -> dict[str, str]:
    """Store the images of a refused form (without their description yet) so the form comes
    back with them; an image that cannot be read gets its reason beside its field instead."""
    kept: dict[str, str] = {}
    images = []  # decoded off the event loop, before the transaction opens
    for slot, upload, alt in uploads:
        try:
            images.append((slot, await clean_image_off_loop(await read_upload(upload)), alt))
        except MediaError as error:
            errors[f"image{slot}"] = error_message(error)
    instance = instance_of(request)
    async with instance.database.transaction() as session:
        owner = await actor_by_id(session, viewer.actor.id)
        assert owner is not None
        for slot, image, alt in images:
            media = await store_image(session, owner, image, alt, require_alt=False)
            kept |= _kept_values({slot: media})
    return kept


def _kept_values(kept: dict[int, Media]) -> dict[str, str]:
    return {f"kept{slot}": media.key for slot, media in kept.items()} | {
        f"kept_src{slot}": media_path(media) for slot, media in kept.items()
    }


async def publish(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request, max_files=MAX_ATTACHMENTS)
    _ = i18n.gettext
    instance = instance_of(request)
    values = {
        name: form_text(form, name)
        for name in ("text", "summary", "visibility", "audience", "in_reply_to")
    }
    values["in_reply_to"] = values["in_reply_to"] or str(request.path_params.get("key", ""))
    values["visibility"] = values["visibility"] or PUBLIC
    for slot in range(1, MAX_ATTACHMENTS + 1):
        values[f"alt{slot}"] = form_text(form, f"alt{slot}")
    errors = text_errors(values)
    if values["visibility"] not in VISIBILITIES:
        errors["visibility"] = _("Choose who can read this post.")
    uploads = _uploads(form)
    audience: Actor | None = None
    async with instance.database.session() as session:
        kept = await _kept_images(session, viewer.actor, form, {slot for slot, _u, _a in uploads})
        if values["audience"]:
            audience = next(
                (
                    group
                    for group in await member_collectives(session, viewer.actor.id)
                    if str(group.id) == values["audience"]
                ),
                None,
            )
            if audience is None:
                errors["audience"] = _("You are not a member of this collective.")
    for slot in sorted({slot for slot, _u, _a in uploads} | set(kept)):
        alt = values[f"alt{slot}"]
        if not alt:
            errors[f"alt{slot}"] = error_message(ErrorCode.MISSING_ALT)
        elif len(alt) > MAX_ALT_TEXT:
            errors[f"alt{slot}"] = error_message(ErrorCode.ALT_TOO_LONG)
    parent: PostCard | None = None
    if values["in_reply_to"]:
        parent = await _parent_card(request, viewer, values["in_reply_to"])
        if parent is None:
            errors["text"] = _("The post you are answering is no longer available.")
    if errors:
        values |= _kept_values(kept) | await _keep_uploads(request, viewer, uploads, errors)
        context = await compose_context(request, viewer, values, errors, parent)
        return render(request, "posts/compose.html", context, 400)
    mentions = await resolve_mentions(
        instance.remote_actors, instance.settings.server.domain, values["text"]
    )
    try:
        images = {}  # decoded off the event loop, before the transaction opens
        for slot, upload, alt in uploads:
            try:
                images[slot] = (await clean_image_off_loop(await read_upload(upload)), alt)
            except MediaError as error:
                error.field = f"image{slot}"
                raise
        async with instance.database.transaction() as session:
            author = await actor_by_id(session, viewer.actor.id)
            assert author is not None
            media = []
            for slot in range(1, MAX_ATTACHMENTS + 1):
                if slot in images:
                    image, alt = images[slot]
                    media.append(await store_image(session, author, image, alt))
                elif slot in kept:
                    alt = values[f"alt{slot}"]
                    media.append(await describe_kept_image(session, kept[slot].id, alt))
            post = await publish_note(
                session,
                instance.uris,
                author,
                values["text"],
                audience=audience,
                visibility=values["visibility"],
                summary=values["summary"] or None,
                in_reply_to=parent.post.uri if parent is not None else None,
                mentions=mentions,
                attachments=media,
            )
            post_key = PostCard(post, author, instance.settings.base_url).key
    except MediaError as error:
        errors[error.field or "images"] = error_message(error)
        errors.setdefault("images", _("Please choose your images again."))
        values |= _kept_values(kept)
        context = await compose_context(request, viewer, values, errors, parent)
        return render(request, "posts/compose.html", context, 400)
    flash(request, _("Your post is published."))
    return RedirectResponse(f"/posts/{post_key}", status_code=303)


routes: list[BaseRoute] = [
    Route("/compose", compose_form, methods=["GET"], name="compose"),
    Route("/compose", publish, methods=["POST"], name="publish"),
    Route("/posts/{key}/reply", compose_form, methods=["GET"], name="reply"),
    Route("/posts/{key}/reply", publish, methods=["POST"], name="publish_reply"),
]
