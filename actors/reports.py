"""Reports of accounts and posts, kept until a moderator has handled them.

Another server sends a ``Flag`` when one of its users reports something of ours: Mastodon from
its instance actor, with the reported account and posts in ``object`` and the reason in
``content``; Lemmy with one post and the reason in ``summary``; Mbin with both. Only what is
ours counts: a report naming nothing of ours is not kept. A resident here reports a post,
ours or another server's; the report of another server's post can be forwarded to it, as
Mastodon does: a ``Flag`` from our instance actor, so the resident's name stays here. Each time
the moderators and admins of the instance are told, and so are the people who run a reported
collective.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import nh3
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.services import ensure_instance_actor
from commons.notifications import notify, running_members
from config.settings import Settings
from config.uris import Uris
from federation.vocab import AS_NAMESPACE
from outbox.enqueue import enqueue_activity
from storage.among import among
from storage.models import Account, Actor, Post, Report, utcnow

MAX_COMMENT = 2000
MAX_NAMED = 50
"""The ids a report may name that are looked at; Mastodon sends the account and a few posts."""
RECENTLY_HANDLED = 20


@dataclass(frozen=True, slots=True)
class Reported:
    """What a report names that is ours: the account (or collective) and its posts."""

    account: Actor | None = None
    posts: list[Post] = field(default_factory=list)

    @property
    def is_ours(self) -> bool:
        return self.account is not None or bool(self.posts)


@dataclass(frozen=True, slots=True)
class ReportView:
    """A report as the moderators' page shows it."""

    report: Report
    reporter: Actor | None
    account: Actor | None
    posts: list[Post]


def report_comment(text: str | None) -> str:
    """The reason given, as plain text (servers send it as text or as a little HTML)."""
    plain = nh3.clean(text or "", tags=set()).strip()
    return plain[:MAX_COMMENT]


async def reported_here(session: AsyncSession, uris: Sequence[str]) -> Reported:
    """The live accounts, collectives and posts of ours among ``uris``."""
    named = list(dict.fromkeys(uris))[:MAX_NAMED]
    if not named:
        return Reported()
    account = await session.scalar(
        select(Actor)
        .where(among(Actor.uri, named), Actor.is_local.is_(True), Actor.is_gone.is_(False))
        .order_by(Actor.id)
        .limit(1)
    )
    posts = list(
        await session.scalars(
            select(Post)
            .where(among(Post.uri, named), Post.is_local.is_(True), Post.deleted_at.is_(None))
            .order_by(Post.id)
        )
    )
    if account is None and posts:
        account = await session.get(Actor, posts[0].actor_id)
    return Reported(account, posts)


async def receive_report(
    session: AsyncSession,
    *,
    uri: str,
    reporter: Actor,
    named: Sequence[str],
    comment: str,
    reported: Reported,
) -> Report | None:
    """Keep a report (once per id) and tell those who must look at it; None if already kept."""
    if await session.scalar(select(Report.id).where(Report.uri == uri)) is not None:
        return None
    report = Report(
        uri=uri,
        reporter_id=reporter.id,
        account_id=reported.account.id if reported.account is not None else None,
        object_uris=json.dumps(list(dict.fromkeys(named))[:MAX_NAMED]),
        comment=report_comment(comment),
        created_at=utcnow(),
    )
    session.add(report)
    await session.flush()
    await _tell(session, report, reporter, reported)
    return report


async def report_post(
    session: AsyncSession,
    settings: Settings,
    *,
    reporter: Actor,
    post: Post,
    comment: str,
    forward: bool,
) -> Report:
    """A resident reports a post to the moderators here; with ``forward``, a post of another
    server is reported to its moderators too."""
    author = await session.get(Actor, post.actor_id)
    assert author is not None
    named = [author.uri, post.uri]
    report = Report(
        uri=Uris(settings.base_url).new_activity(),
        reporter_id=reporter.id,
        account_id=author.id,
        object_uris=json.dumps(named),
        comment=report_comment(comment),
        created_at=utcnow(),
    )
    session.add(report)
    await session.flush()
    await _tell(session, report, reporter, Reported(author, [post]))
    if forward and not post.is_local and not author.is_gone:
        instance_actor = await ensure_instance_actor(session, settings)
        flag = {
            "@context": AS_NAMESPACE,
            "id": report.uri,
            "type": "Flag",
            "actor": instance_actor.uri,
            "content": report.comment,
            "object": named,
            "to": [author.uri],
        }
        await enqueue_activity(
            session, instance_actor, flag, to_followers=False, inboxes=[author.delivery_inbox]
        )
    return report


async def _tell(session: AsyncSession, report: Report, reporter: Actor, reported: Reported) -> None:
    """Notify the moderators and admins, and the people who run a reported collective of ours."""
    first_post = reported.posts[0].id if reported.posts else None
    staff = await _staff(session)
    for actor_id in staff:
        await notify(session, actor_id, "report", reporter.id, first_post)
    account = reported.account
    if account is not None and account.is_group:
        for actor_id in await running_members(session, account.id):
            if actor_id not in staff:
                await notify(session, actor_id, "report", reporter.id, first_post, account.id)


async def _staff(session: AsyncSession) -> list[int]:
    """The actors of the instance's moderators and admins (not suspended)."""
    found = await session.scalars(
        select(Account.actor_id)
        .where(or_(Account.is_admin.is_(True), Account.is_moderator.is_(True)))
        .where(Account.is_suspended.is_(False))
        .order_by(Account.actor_id)
    )
    return list(found)


async def open_report_count(session: AsyncSession) -> int:
    found = await session.scalar(select(func.count(Report.id)).where(Report.resolved_at.is_(None)))
    return int(found or 0)


async def reports_to_show(session: AsyncSession) -> tuple[list[ReportView], list[ReportView]]:
    """The reports still open (oldest first), then the latest handled ones."""
    open_reports = await session.scalars(
        select(Report).where(Report.resolved_at.is_(None)).order_by(Report.created_at, Report.id)
    )
    handled = await session.scalars(
        select(Report)
        .where(Report.resolved_at.is_not(None))
        .order_by(Report.resolved_at.desc(), Report.id.desc())
        .limit(RECENTLY_HANDLED)
    )
    return (
        [await _view(session, report) for report in open_reports.all()],
        [await _view(session, report) for report in handled.all()],
    )


async def _view(session: AsyncSession, report: Report) -> ReportView:
    named = json.loads(report.object_uris or "[]")
    posts = list(
        await session.scalars(select(Post).where(among(Post.uri, named)).order_by(Post.id))
    )
    return ReportView(
        report=report,
        reporter=await session.get(Actor, report.reporter_id) if report.reporter_id else None,
        account=await session.get(Actor, report.account_id) if report.account_id else None,
        posts=posts,
    )


async def resolve_report(session: AsyncSession, report_id: int, by: Actor) -> bool:
    """Mark a report handled; False when there is no such open report."""
    report = await session.get(Report, report_id)
    if report is None or report.resolved_at is not None:
        return False
    report.resolved_at = utcnow()
    report.resolved_by_id = by.id
    await session.flush()
    return True
