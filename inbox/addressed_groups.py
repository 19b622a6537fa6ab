"""The collectives a received post is addressed to or mentions: ours, to publish it in, and a
remote one, as its audience. Shared by the classifier and the plain notes' fast path."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.parsing import ParsedObject
from federation.vocab import is_public
from storage.among import among
from storage.models import Actor
from storage.models.actors import GROUP


async def groups_named(
    session: AsyncSession, note: ParsedObject
) -> tuple[Actor | None, Actor | None]:
    """In one query: the collective of ours a public post is addressed to or mentions, and
    the remote collective it is addressed to (its audience), when it names them."""
    candidates = group_candidates(note)
    if not candidates:
        return None, None
    return pick_groups(note, await session.scalars(groups_among(candidates)))


def group_candidates(note: ParsedObject) -> list[str]:
    """The ids that may name a collective of a post: its addressing, and, when it is public,
    the actors it mentions."""
    addressed = [*note.audience, *note.to, *note.cc]
    public = any(is_public(uri) for uri in [*note.to, *note.cc])
    return [*addressed, *note.mention_uris] if public else addressed


def groups_among(uris: Iterable[str]) -> Select[Actor]:
    return select(Actor).where(among(Actor.uri, set(uris)), Actor.type == GROUP).order_by(Actor.id)


def pick_groups(note: ParsedObject, groups: Iterable[Actor]) -> tuple[Actor | None, Actor | None]:
    """Among ``groups`` (by id, first created first), the collective of ours a public post is
    addressed to or mentions, and the remote collective it is addressed to; the groups that
    are none of its candidates are passed over."""
    addressed = [*note.audience, *note.to, *note.cc]
    public = any(is_public(uri) for uri in [*note.to, *note.cc])
    candidates = set(group_candidates(note))
    local = remote = None
    for group in groups:
        if group.uri not in candidates:
            continue
        if group.is_local and not group.is_gone and public and local is None:
            local = group
        elif not group.is_local and group.uri in addressed and remote is None:
            remote = group
    return local, remote
