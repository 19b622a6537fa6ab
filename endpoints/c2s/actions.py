"""Applying a client's activity: one branch per type, each calling the service the web pages
call, so an action has the same effects (deliveries, notifications) whoever asks for it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.follows import follow, unfollow
from commons.events.services import delete_event, find_event
from commons.offers.queries import offer_by_uri
from commons.petitions.queries import petition_by_uri
from commons.petitions.wire import is_vote
from commons.posts.reactions import ANNOUNCE, LIKE, NotBoostable, react, undo_reaction
from commons.posts.threads import can_see
from endpoints.c2s import petitions
from endpoints.c2s.errors import ClientError
from endpoints.c2s.events import create_event_from, update_event
from endpoints.c2s.objects import (
    EVENT_TYPE,
    embedded_object,
    main_type,
    object_id,
    read_post_update,
)
from endpoints.c2s.offers import (
    answer_offer,
    create_offer_from,
    delete_own_offer,
    is_proposal,
    reply_to_answer,
    update_offer,
)
from endpoints.c2s.petitions import is_question
from endpoints.c2s.posts import (
    create_post,
    delete_post,
    newest_activity_uri,
    own_post,
    update_post,
)
from federation.vocab import id_of
from instance.runtime import Instance
from storage.models import Actor, Follow, Post, Reaction


async def perform(
    instance: Instance, person: Actor, acting: Actor, kind: str, activity: dict[str, Any]
) -> str:
    """Apply the activity; the id of the activity we send is the answer's ``Location``."""
    match kind:
        case "Create":
            obj = embedded_object(activity, kind)
            if main_type(obj, (EVENT_TYPE,)) == EVENT_TYPE:
                return await create_event_from(instance, person, acting, obj)
            if is_proposal(obj):
                return await create_offer_from(instance, person, acting, obj)
            if is_question(obj) and ("signatureGoal" in obj or "promoters" in obj):
                return await petitions.draft_from(instance, person, acting, obj)
            if is_vote(obj) and await petitions.is_petition_uri(
                instance, id_of(obj.get("inReplyTo"))
            ):
                return await petitions.vote(instance, acting, obj)
            return await create_post(instance, acting, activity, obj)
        case "Update":
            return await _update(instance, person, acting, embedded_object(activity, kind))
        case "Delete":
            return await _delete(instance, person, acting, object_id(activity))
        case "Follow":
            return await _follow(instance, acting, object_id(activity))
        case "Like" | "Announce":
            reaction = LIKE if kind == "Like" else ANNOUNCE
            return await _react(instance, acting, object_id(activity), reaction)
        case "Undo":
            uri = object_id(activity)
            return await petitions.undo_vote(instance, acting, uri) or await _undo(
                instance, acting, uri
            )
        case "Offer":
            return await answer_offer(instance, acting, activity)
        case "Accept" if await petitions.is_petition_uri(instance, object_id(activity)):
            return await petitions.confirm_petition(instance, person, object_id(activity))
        case "Accept" | "Reject":
            return await reply_to_answer(instance, person, kind, activity)
    raise ClientError(400, f"{kind} is not supported here")


async def _update(instance: Instance, person: Actor, acting: Actor, obj: dict[str, Any]) -> str:
    uri = obj.get("id")
    if not isinstance(uri, str) or not uri:
        raise ClientError(400, "Update takes the embedded object with its id")
    async with instance.database.transaction() as session:
        post = await own_post(session, acting, uri)
        if post is not None:
            return await update_post(instance, acting, session, post, read_post_update(obj))
        offer = await offer_by_uri(session, uri)
        if offer is not None and offer.is_local and offer.deleted_at is None:
            return await update_offer(instance, person, acting, session, offer, obj)
        petition = await petition_by_uri(session, uri)
        if petition is not None and petition.deleted_at is None:
            return await petitions.update_petition(instance, person, acting, session, petition, obj)
        event = await find_event(session, uri)
        if event is None or event.deleted_at is not None:
            raise ClientError(404, f"nothing of yours to update at {uri}")
        if event.actor_id != acting.id:
            raise ClientError(403, "only its organiser may change an event, from its outbox")
        return await update_event(instance, person, session, event, obj)


async def _delete(instance: Instance, person: Actor, acting: Actor, uri: str) -> str:
    async with instance.database.transaction() as session:
        post = await own_post(session, acting, uri)
        if post is not None:
            return await delete_post(instance, acting, session, post)
        offer = await offer_by_uri(session, uri)
        if offer is not None and offer.is_local and offer.deleted_at is None:
            return await delete_own_offer(instance, person, acting, session, offer)
        event = await find_event(session, uri)
        if event is None or event.deleted_at is not None:
            raise ClientError(404, f"nothing of yours to delete at {uri}")
        if event.actor_id != acting.id:
            raise ClientError(403, "only its organiser may delete an event, from its outbox")
        await delete_event(session, instance.uris, person, event)
        return await newest_activity_uri(session, acting, "Delete", event.uri)


async def _follow(instance: Instance, actor: Actor, target_uri: str) -> str:
    target = await instance.remote_actors.actor(target_uri)
    if target is None or target.is_gone:
        raise ClientError(404, f"cannot find the actor {target_uri}")
    if target.id == actor.id:
        raise ClientError(400, "one cannot follow oneself")
    async with instance.database.transaction() as session:
        row = await follow(session, instance.uris, actor, target)
        return row.uri


async def _react(instance: Instance, actor: Actor, post_uri: str, kind: str) -> str:
    async with instance.database.transaction() as session:
        post = await session.scalar(
            select(Post).where(Post.uri == post_uri, Post.deleted_at.is_(None))
        )
        if post is None or not await can_see(session, post.id, actor.id):
            raise ClientError(404, f"no post {post_uri}")
        try:
            reaction = await react(session, instance.uris, actor, post, kind)
        except NotBoostable:
            raise ClientError(403, "only public posts can be boosted") from None
        return reaction.uri


async def _undo(instance: Instance, actor: Actor, uri: str) -> str:
    async with instance.database.transaction() as session:
        reaction = await session.scalar(
            select(Reaction).where(Reaction.uri == uri, Reaction.actor_id == actor.id)
        )
        if reaction is not None:
            await undo_reaction(session, instance.uris, actor, reaction)
            return await newest_activity_uri(session, actor, "Undo")
        return await _undo_follow(session, instance, actor, uri)


async def _undo_follow(session: AsyncSession, instance: Instance, actor: Actor, uri: str) -> str:
    row = await session.scalar(
        select(Follow).where(Follow.uri == uri, Follow.follower_id == actor.id)
    )
    if row is None:
        raise ClientError(404, f"nothing of yours to undo at {uri}")
    target = await session.get(Actor, row.followed_id)
    assert target is not None
    await unfollow(session, instance.uris, actor, target)
    if target.is_local:
        return row.uri
    return await newest_activity_uri(session, actor, "Undo")
