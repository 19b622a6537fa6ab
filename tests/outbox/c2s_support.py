"""A client of the C2S API in rig tests: raw JSON to an outbox, and what came of it."""

from __future__ import annotations

import json

import httpx2
from sqlalchemy import select

from actors.groups import join
from actors.services import create_api_token
from commons.posts.threads import can_see
from federation.vocab import PUBLIC
from storage.models import Activity, Actor, Delivery, Post
from tests.federation_rig.rig import Node

AP = "application/activity+json"
__all__ = ["AP", "PUBLIC"]


async def token_for(node: Node, username: str) -> str:
    async with node.instance.database.transaction() as session:
        return await create_api_token(session, username)


async def post_outbox(
    client: httpx2.AsyncClient,
    node: Node,
    username: str,
    token: str,
    document: object,
    *,
    content_type: str = AP,
) -> httpx2.Response:
    return await client.post(
        f"{node.settings.base_url}/@{username}/outbox",
        content=json.dumps(document),
        headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"},
    )


async def get_as(client: httpx2.AsyncClient, url: str, token: str | None = None) -> httpx2.Response:
    headers = {"Accept": AP}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return await client.get(url, headers=headers)


async def created(node: Node, response: httpx2.Response) -> Post:
    """The post whose Create is named in the answer's Location."""
    assert response.status_code == 201, response.text
    async with node.instance.database.session() as session:
        activity = await session.scalar(
            select(Activity).where(Activity.uri == response.headers["location"])
        )
        assert activity is not None and activity.type == "Create"
        post = await session.scalar(select(Post).where(Post.uri == activity.object_uri))
        assert post is not None
        return post


async def delivered_to(node: Node, activity_uri: str) -> set[str]:
    """The hosts the activity was queued for."""
    async with node.instance.database.session() as session:
        activity_id = select(Activity.id).where(Activity.uri == activity_uri).scalar_subquery()
        hosts = await session.scalars(
            select(Delivery.host).where(Delivery.activity_id == activity_id)
        )
        return set(hosts)


async def sent_payload(node: Node, activity_uri: str) -> dict[str, object]:
    async with node.instance.database.session() as session:
        payload = await session.scalar(select(Activity.payload).where(Activity.uri == activity_uri))
    assert payload is not None
    document: dict[str, object] = json.loads(payload)
    return document


async def has_post(node: Node, uri: str) -> bool:
    async with node.instance.database.session() as session:
        return await session.scalar(select(Post.id).where(Post.uri == uri)) is not None


async def sees(node: Node, who: Actor, post: Post) -> bool:
    async with node.instance.database.session() as session:
        return await can_see(session, post.id, who.id)


async def member_of(node: Node, group: Actor, member: Actor) -> None:
    async with node.instance.database.transaction() as session:
        await join(session, node.instance.uris, group, member)
