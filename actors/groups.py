"""Membership of local collectives: joining, leaving, requests, invitations, roles.

Roles, from most to least: ``admin`` (everything, including roles), ``facilitator`` (answers
requests, invites, removes plain members, edits the profile) and ``member``. Every function that
acts on behalf of someone checks that person's role itself: the web UI and the inbox cannot skip
it. A remote resident's Join is answered with ``Accept``/``Reject`` (as Mobilizon expects).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from config import errors as config_errors
from config.errors import Conflict, ErrorCode, Invalid, NotFound
from config.uris import Uris
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Invitation, Membership, Notification, utcnow
from storage.models.actors import (
    GROUP,
    MEMBER_ROLES,
    MEMBERSHIP_ACCEPTED,
    MEMBERSHIP_PENDING,
)

ADMIN = "admin"
FACILITATOR = "facilitator"
MEMBER = "member"
MODERATOR_ROLES = (ADMIN, FACILITATOR)
INVITATION_MAX_USES = 25


class NotAllowed(config_errors.NotAllowed):
    """The acting person's role does not allow this action."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.NOT_ALLOWED)


class LastAdmin(Conflict):
    """A collective keeps at least one admin."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.LAST_ADMIN)


class InvitationRequired(config_errors.NotAllowed):
    """The collective admits by invitation and no valid code was given."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.INVITATION_REQUIRED, "invitation")


class NotAMember(NotFound):
    def __init__(self) -> None:
        super().__init__(ErrorCode.NOT_A_MEMBER)


class InvalidRole(Invalid):
    def __init__(self) -> None:
        super().__init__(ErrorCode.INVALID_ROLE, "role")


@dataclass(frozen=True, slots=True)
class JoinOutcome:
    membership: Membership
    is_new: bool


def invitation_digest(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


async def find_membership(session: AsyncSession, group: Actor, member: Actor) -> Membership | None:
    return await session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.member_id == member.id)
    )


def is_moderator(membership: Membership | None) -> bool:
    return (
        membership is not None
        and membership.state == MEMBERSHIP_ACCEPTED
        and membership.role in MODERATOR_ROLES
    )


def is_admin(membership: Membership | None) -> bool:
    return (
        membership is not None
        and membership.state == MEMBERSHIP_ACCEPTED
        and membership.role == ADMIN
    )


def is_accepted(membership: Membership | None) -> bool:
    return membership is not None and membership.state == MEMBERSHIP_ACCEPTED


async def may_post(session: AsyncSession, group: Actor, author: Actor) -> bool:
    """Anyone may post to an open collective; a members-only one takes its accepted members."""
    if author.id == group.id or not group.members_only_posting:
        return True
    return is_accepted(await find_membership(session, group, author))


async def count_members(session: AsyncSession, group: Actor) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.group_id == group.id, Membership.state == MEMBERSHIP_ACCEPTED)
    )
    return count or 0


async def list_memberships(
    session: AsyncSession, group: Actor, state: str
) -> list[tuple[Membership, Actor]]:
    rows = await session.execute(
        select(Membership, Actor)
        .join(Actor, Actor.id == Membership.member_id)
        .where(Membership.group_id == group.id, Membership.state == state)
        .order_by(Membership.id)
    )
    return [(row[0], row[1]) for row in rows]


async def list_invitations(session: AsyncSession, group: Actor) -> list[Invitation]:
    rows = await session.scalars(
        select(Invitation).where(Invitation.group_id == group.id).order_by(Invitation.id.desc())
    )
    return list(rows.all())


async def _require_moderator(session: AsyncSession, group: Actor, acting: Actor) -> Membership:
    membership = await find_membership(session, group, acting)
    if not is_moderator(membership):
        raise NotAllowed()
    assert membership is not None
    return membership


async def _count_admins(session: AsyncSession, group: Actor) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.group_id == group.id,
            Membership.role == ADMIN,
            Membership.state == MEMBERSHIP_ACCEPTED,
        )
    )
    return count or 0


async def _use_invitation(session: AsyncSession, group: Actor, code: str | None) -> bool:
    if not code or not code.strip():
        return False
    invitation = await session.scalar(
        select(Invitation).where(
            Invitation.code_sha256 == invitation_digest(code), Invitation.group_id == group.id
        )
    )
    if invitation is None or invitation.uses >= invitation.max_uses:
        return False
    if invitation.expires_at is not None and invitation.expires_at <= utcnow():
        return False
    invitation.uses += 1
    return True


async def _notify_moderators(session: AsyncSession, group: Actor, member: Actor) -> None:
    moderator_ids = await session.scalars(
        select(Membership.member_id).where(
            Membership.group_id == group.id,
            Membership.role.in_(MODERATOR_ROLES),
            Membership.state == MEMBERSHIP_ACCEPTED,
        )
    )
    for recipient_id in moderator_ids:
        session.add(
            Notification(
                recipient_id=recipient_id,
                kind="join_request",
                from_actor_id=member.id,
                group_id=group.id,
            )
        )


def _join_document(group: Actor, member: Actor, membership: Membership) -> dict[str, object]:
    return {
        "id": membership.uri,
        "type": "Join",
        "actor": member.uri,
        "object": group.uri,
    }


async def _answer_remote_join(
    session: AsyncSession,
    uris: Uris,
    group: Actor,
    member: Actor,
    membership: Membership,
    *,
    accept: bool,
) -> None:
    """Tell a remote resident what became of their Join (nothing to say to a local one)."""
    if member.is_local or not membership.uri:
        return
    answer = build_activity(
        uris,
        "Accept" if accept else "Reject",
        group,
        _join_document(group, member, membership),
        [member.uri],
        [],
    )
    await enqueue_activity(session, group, answer, to_followers=False, inboxes=[member.inbox_uri])


async def join(
    session: AsyncSession,
    uris: Uris,
    group: Actor,
    member: Actor,
    *,
    invitation_code: str | None = None,
    join_uri: str | None = None,
) -> JoinOutcome:
    """Join by the collective's mode: open → member; approval → pending; invitation → code.

    Raises :class:`InvitationRequired` (a remote joiner is sent ``Reject`` instead).
    """
    assert group.type == GROUP and group.is_local
    existing = await find_membership(session, group, member)
    if existing is not None and existing.state == MEMBERSHIP_ACCEPTED:
        if join_uri:
            existing.uri = join_uri
            await _answer_remote_join(session, uris, group, member, existing, accept=True)
        return JoinOutcome(existing, is_new=False)
    state = MEMBERSHIP_ACCEPTED
    if group.join_mode == "approval":
        state = MEMBERSHIP_PENDING
    elif group.join_mode == "invitation" and not await _use_invitation(
        session, group, invitation_code
    ):
        if join_uri and not member.is_local:
            rejected = Membership(group_id=group.id, member_id=member.id, uri=join_uri)
            await _answer_remote_join(session, uris, group, member, rejected, accept=False)
        raise InvitationRequired()
    if existing is None:
        membership = Membership(
            group_id=group.id, member_id=member.id, role=MEMBER, state=state, uri=join_uri
        )
        session.add(membership)
    else:
        membership = existing
        membership.state = state
        membership.uri = join_uri or membership.uri
    await session.flush()
    if state == MEMBERSHIP_PENDING:
        if existing is None:
            await _notify_moderators(session, group, member)
    else:
        await _answer_remote_join(session, uris, group, member, membership, accept=True)
    return JoinOutcome(membership, is_new=existing is None)


async def leave(session: AsyncSession, group: Actor, member: Actor) -> bool:
    """Leave (or withdraw a request); False if not a member. The last admin cannot leave."""
    membership = await find_membership(session, group, member)
    if membership is None:
        return False
    if is_admin(membership) and await _count_admins(session, group) <= 1:
        raise LastAdmin()
    await session.execute(delete(Membership).where(Membership.id == membership.id))
    return True


async def _membership_of(session: AsyncSession, group: Actor, member_id: int) -> Membership:
    membership = await session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.member_id == member_id)
    )
    if membership is None:
        raise NotAMember()
    return membership


async def answer_request(
    session: AsyncSession,
    uris: Uris,
    group: Actor,
    acting: Actor,
    member_id: int,
    *,
    accept: bool,
) -> Membership:
    """A facilitator or an admin accepts or refuses a pending request."""
    await _require_moderator(session, group, acting)
    membership = await _membership_of(session, group, member_id)
    if membership.state != MEMBERSHIP_PENDING:
        raise NotAMember()
    member = await session.get(Actor, member_id)
    assert member is not None
    if accept:
        membership.state = MEMBERSHIP_ACCEPTED
    else:
        await session.execute(delete(Membership).where(Membership.id == membership.id))
    await session.flush()
    await _answer_remote_join(session, uris, group, member, membership, accept=accept)
    return membership


async def create_invitation(
    session: AsyncSession,
    group: Actor,
    acting: Actor,
    *,
    created_by_account_id: int | None = None,
    max_uses: int = INVITATION_MAX_USES,
) -> str:
    """A new invitation code to join ``group``; only its hash is kept, so it is shown once."""
    await _require_moderator(session, group, acting)
    code = secrets.token_urlsafe(18)
    session.add(
        Invitation(
            code_sha256=invitation_digest(code),
            created_by_id=created_by_account_id,
            group_id=group.id,
            max_uses=max_uses,
        )
    )
    await session.flush()
    return code


async def change_role(
    session: AsyncSession, group: Actor, acting: Actor, member_id: int, role: str
) -> Membership:
    """Only an admin changes roles; the last admin cannot step down."""
    if role not in MEMBER_ROLES:
        raise InvalidRole()
    if not is_admin(await find_membership(session, group, acting)):
        raise NotAllowed()
    membership = await _membership_of(session, group, member_id)
    if membership.state != MEMBERSHIP_ACCEPTED:
        raise NotAMember()
    if membership.role == ADMIN and role != ADMIN and await _count_admins(session, group) <= 1:
        raise LastAdmin()
    membership.role = role
    await session.flush()
    return membership


async def remove_member(session: AsyncSession, group: Actor, acting: Actor, member_id: int) -> None:
    """An admin removes anyone but the last admin; a facilitator removes plain members only."""
    acting_membership = await _require_moderator(session, group, acting)
    membership = await _membership_of(session, group, member_id)
    if acting_membership.role != ADMIN and membership.role != MEMBER:
        raise NotAllowed()
    if is_admin(membership) and await _count_admins(session, group) <= 1:
        raise LastAdmin()
    await session.execute(delete(Membership).where(Membership.id == membership.id))


@dataclass(frozen=True, slots=True)
class GroupProfile:
    """What a collective's page shows besides the actor: its size and the viewer's place in it."""

    member_count: int
    viewer_membership: Membership | None

    @property
    def viewer_may_manage(self) -> bool:
        return is_moderator(self.viewer_membership)


async def load_group_profile(
    session: AsyncSession, group: Actor, viewer: Actor | None
) -> GroupProfile:
    membership = await find_membership(session, group, viewer) if viewer is not None else None
    return GroupProfile(await count_members(session, group), membership)


async def ensure_may_post(session: AsyncSession, group: Actor | None, author: Actor) -> None:
    """Raise :class:`NotAllowed` when ``author`` may not post in our collective ``group``."""
    if group is None or not group.is_local or not group.is_group:
        return
    if not await may_post(session, group, author):
        raise NotAllowed()
