"""What our quartier's outbox lists: the activities a quartier that federates with ours reads
to see what our collectives published before (see ``endpoints/quartier_outbox.py``).

Kept when an activity is written, so that reading a page is one walk of a partial index: a
public ``Create``, ``Update`` or ``Announce`` of one of our collectives is listed; an ``Update``
of an event, offer, petition or poll takes the place of its older versions (an ``Update``
creates what the reader does not know yet); an ``Update`` of a post is not listed, its
``Create`` stays (servers ignore an ``Update`` of a post they do not have, as Mastodon does);
a ``Delete`` takes everything of its object out.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Activity, Post

LISTED_TYPES = frozenset({"Create", "Update", "Announce"})
SUPERSEDING_TYPES = frozenset({"Update", "Delete"})


async def list_in_quartier_outbox(session: AsyncSession, activity: Activity) -> None:
    """Mark ``activity`` (relayed, not yet flushed) listed or not, and unlist what it
    supersedes."""
    activity.in_quartier_outbox = activity.type in LISTED_TYPES
    uri = activity.object_uri
    if activity.type not in SUPERSEDING_TYPES or not uri:
        return
    is_post = await session.scalar(select(Post.id).where(Post.uri == uri)) is not None
    if activity.type == "Update" and is_post:
        activity.in_quartier_outbox = False
        return
    older = [Activity.object_uri == uri, Activity.in_quartier_outbox.is_(True)]
    if activity.type == "Update":
        older.append(Activity.type.in_(("Create", "Update")))
    await session.execute(
        update(Activity)
        .where(*older, Activity.actor_id == activity.actor_id)
        .values(in_quartier_outbox=False)
        .execution_options(synchronize_session=False)
    )
