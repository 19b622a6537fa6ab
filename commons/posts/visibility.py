"""Who may see a post: the conditions every list of posts adds to its query."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select

from storage.models import Follow, Membership, Post, PostMention, PostRecipient
from storage.models.actors import MEMBERSHIP_ACCEPTED
from storage.models.follows import ACCEPTED
from storage.models.posts import FOLLOWERS, PUBLIC

ViewerId = int | ColumnElement[int]
"""A reader's actor id, or the bound parameter that stands for it in a prepared statement."""


def followed_by(viewer_id: ViewerId) -> Select[int]:
    return select(Follow.followed_id).where(
        Follow.follower_id == viewer_id, Follow.state == ACCEPTED
    )


def member_of(viewer_id: ViewerId) -> Select[int]:
    return select(Membership.group_id).where(
        Membership.member_id == viewer_id, Membership.state == MEMBERSHIP_ACCEPTED
    )


def visible_to(viewer_id: ViewerId | None) -> ColumnElement[bool]:
    """Public posts to anyone; followers-only ones to accepted followers; any post to the actors
    it names (addressed or mentioned), to its author and, when in a collective, its members."""
    if viewer_id is None:
        return Post.visibility == PUBLIC
    return or_(
        Post.visibility == PUBLIC,
        Post.actor_id == viewer_id,
        and_(Post.visibility == FOLLOWERS, Post.actor_id.in_(followed_by(viewer_id))),
        Post.audience_id.in_(member_of(viewer_id)),
        exists().where(PostMention.post_id == Post.id, PostMention.actor_id == viewer_id),
        exists().where(PostRecipient.post_id == Post.id, PostRecipient.actor_id == viewer_id),
    )
