"""Flag: another server reports an account or posts of ours to our moderators."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from actors.reports import receive_report
from federation.vocab import first_str
from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target
from inbox.registry import handles


@handles("Flag", ObjectKind.REPORTED)
async def on_flag(ctx: InboxContext, session: AsyncSession, target: Target) -> None:
    """Kept once per id, with its reason: ``content`` (Mastodon, Mbin) or ``summary`` (Lemmy)."""
    if ctx.activity.id is None or target.reported is None:
        return
    raw = ctx.activity.raw
    comment = first_str(raw.get("content")) or first_str(raw.get("summary")) or ""
    await receive_report(
        session,
        uri=ctx.activity.id,
        reporter=ctx.sender,
        named=target.named,
        comment=comment,
        reported=target.reported,
    )
