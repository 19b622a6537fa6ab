"""Invitation links to sign up: only the SHA-256 of a code is stored, so a link is shown once."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invitation, utcnow

MAX_USES_LIMIT = 1000
MAX_VALID_DAYS = 365


@dataclass(frozen=True, slots=True)
class NewInvitation:
    invitation: Invitation
    code: str


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def create_invitation(
    session: AsyncSession,
    *,
    created_by_id: int | None,
    max_uses: int = 1,
    valid_days: int | None = 7,
) -> NewInvitation:
    """An instance sign-up invitation; ``valid_days=None`` never expires."""
    if not 1 <= max_uses <= MAX_USES_LIMIT:
        raise ValueError(f"max_uses must be between 1 and {MAX_USES_LIMIT}")
    if valid_days is not None and not 1 <= valid_days <= MAX_VALID_DAYS:
        raise ValueError(f"valid_days must be between 1 and {MAX_VALID_DAYS}")
    code = secrets.token_urlsafe(18)
    invitation = Invitation(
        code_sha256=code_digest(code),
        created_by_id=created_by_id,
        max_uses=max_uses,
        uses=0,
        expires_at=utcnow() + timedelta(days=valid_days) if valid_days else None,
    )
    session.add(invitation)
    await session.flush()
    return NewInvitation(invitation, code)


def is_usable(invitation: Invitation, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        invitation.group_id is None
        and invitation.uses < invitation.max_uses
        and (invitation.expires_at is None or invitation.expires_at > now)
    )


async def find_usable_invitation(session: AsyncSession, code: str) -> Invitation | None:
    """The sign-up invitation behind ``code`` if it can still be used, else None."""
    if not code or len(code) > 200:
        return None
    invitation = await session.scalar(
        select(Invitation).where(Invitation.code_sha256 == code_digest(code))
    )
    if invitation is None or not is_usable(invitation):
        return None
    return invitation


async def use_invitation(session: AsyncSession, code: str) -> bool:
    """Count one use, atomically: two people racing for the last use cannot both get it."""
    invitation = await find_usable_invitation(session, code)
    if invitation is None:
        return False
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.uses < Invitation.max_uses)
        .values(uses=Invitation.uses + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def list_invitations(session: AsyncSession) -> Sequence[Invitation]:
    return (
        await session.scalars(
            select(Invitation)
            .where(Invitation.group_id.is_(None))
            .order_by(Invitation.created_at.desc())
            .limit(200)
        )
    ).all()


RESIDENT_INVITATIONS_OPEN = 10
"""How many unused, unexpired links a resident may hold at once (an admin has no limit)."""


async def invitations_by(session: AsyncSession, account_id: int) -> Sequence[Invitation]:
    """The sign-up invitations one account made, newest first."""
    return (
        await session.scalars(
            select(Invitation)
            .where(Invitation.group_id.is_(None), Invitation.created_by_id == account_id)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
            .limit(50)
        )
    ).all()


async def revoke_invitation(session: AsyncSession, invitation_id: int) -> bool:
    result = await session.execute(
        delete(Invitation).where(Invitation.id == invitation_id, Invitation.group_id.is_(None))
    )
    return bool(getattr(result, "rowcount", 0))
