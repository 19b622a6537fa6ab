"""Notes, Articles and Pages from a client: the same services as the web pages' compose, edit
and delete forms (:mod:`commons.posts`), with the client's addressing."""

from __future__ import annotations

import logging
from types import EllipsisType
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.groups import NotAllowed
from commons.posts.hashtags import normalise_tag
from commons.posts.services import (
    PostChanges,
    PostDraft,
    delete_note,
    edit_post,
    publish_post,
    render_post,
)
from endpoints.c2s.errors import ClientError
from endpoints.c2s.objects import ClientPost, ClientText, PostUpdate, read_post
from federation.vocab import is_public
from instance.runtime import Instance
from storage.among import among
from storage.models import Activity, Actor, Post

log = logging.getLogger(__name__)


async def newest_activity_uri(
    session: AsyncSession, actor: Actor, activity_type: str, object_uri: str | None = None
) -> str:
    """The activity a service just queued (the newest of this type on this object by ``actor``)."""
    query = select(Activity.uri).where(
        Activity.actor_id == actor.id, Activity.type == activity_type
    )
    if object_uri is not None:
        query = query.where(Activity.object_uri == object_uri)
    uri = await session.scalar(query.order_by(Activity.id.desc()).limit(1))
    assert uri is not None
    return uri


async def resolve_actors(instance: Instance, uris: list[str], acting: Actor) -> None:
    """Bring the actors a client names into our database (a fetch for unknown remote ones), so
    the post reaches them. What is not an actor (someone's collection, a dead link) stays in the
    addressing as sent and is delivered to nobody."""
    for uri in uris:
        is_ours = uri.startswith(instance.uris.base + "/")
        if is_public(uri) or is_ours or uri in (acting.uri, acting.followers_uri):
            continue
        if await instance.remote_actors.actor(uri) is None:
            log.info("c2s: %s names %s, which is not an actor we can reach", acting.uri, uri)


async def _audience(instance: Instance, uri: str | None) -> Actor | None:
    if uri is None:
        return None
    group = await instance.remote_actors.actor(uri)
    if group is None or not group.is_group:
        raise ClientError(400, f"the audience must be a collective; {uri} is not one we know")
    return group


async def _draft(
    session: AsyncSession, instance: Instance, author: Actor, post: ClientPost | None,
    text: ClientText, **fields: Any,
) -> PostDraft:  # fmt: skip
    if text.markdown is not None:
        rendered = await render_post(session, instance.uris, author, text.markdown)
        return PostDraft.of(rendered, text.markdown, **fields)
    mentioned: list[Actor] = []
    hashtags: list[str] = []
    if post is not None:
        hrefs = [t.href for t in post.tags if t.type == "Mention" and t.href]
        if hrefs:
            mentioned = list(await session.scalars(select(Actor).where(among(Actor.uri, hrefs))))
        hashtags = [normalise_tag(t.name) for t in post.tags if t.type == "Hashtag" and t.name]
    return PostDraft(text.html, hashtags, mentioned, None, language=text.language or "fr", **fields)


async def create_post(
    instance: Instance, acting: Actor, activity: dict[str, Any], obj: dict[str, Any]
) -> str:
    post = read_post(activity, obj)
    mentions = [t.href for t in post.tags if t.type == "Mention" and t.href]
    await resolve_actors(instance, [*post.addressing.everyone, *mentions], acting)
    audience = await _audience(instance, post.audience_uri)
    async with instance.database.transaction() as session:
        draft = await _draft(
            session, instance, acting, post, post.text,
            type=post.type, name=post.name, summary=post.summary,
        )  # fmt: skip
        try:
            row = await publish_post(
                session,
                instance.uris,
                acting,
                draft,
                addressing=post.addressing,
                audience=audience,
                in_reply_to=post.in_reply_to,
                linked_attachments=post.attachments,
            )
        except NotAllowed:
            raise ClientError(403, "only members may post in this collective") from None
        return await newest_activity_uri(session, acting, "Create", row.uri)


async def own_post(session: AsyncSession, acting: Actor, uri: str) -> Post | None:
    """The live local post at ``uri``; None when there is none, 403 when it is someone else's."""
    post = await session.scalar(select(Post).where(Post.uri == uri, Post.deleted_at.is_(None)))
    if post is None:
        return None
    if post.actor_id != acting.id or not post.is_local:
        raise ClientError(403, "only its author may change a post")
    return post


async def update_post(
    instance: Instance, acting: Actor, session: AsyncSession, post: Post, update: PostUpdate
) -> str:
    content: PostDraft | EllipsisType = ...
    if not isinstance(update.text, EllipsisType):
        content = await _draft(session, instance, acting, None, update.text)
    changes = PostChanges(
        content=content,
        summary=update.summary,
        name=update.name,
        linked_attachments=update.attachments,
    )
    await edit_post(session, instance.uris, acting, post, changes)
    return await newest_activity_uri(session, acting, "Update", post.uri)


async def delete_post(instance: Instance, acting: Actor, session: AsyncSession, post: Post) -> str:
    await delete_note(session, instance.uris, acting, post)
    return await newest_activity_uri(session, acting, "Delete", post.uri)
