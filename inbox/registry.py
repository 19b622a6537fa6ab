"""The dispatch table: (activity type, object kind) → the one handler that applies it.

Handler modules register with :func:`handles`; a pair nobody registered is ignored with its
reason (logged), never an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.context import InboxContext
from inbox.kinds import ObjectKind, Target

Handler = Callable[[InboxContext, AsyncSession, Target], Awaitable[None]]

HANDLERS: dict[tuple[str, ObjectKind], Handler] = {}


def handles(activity_type: str, *kinds: ObjectKind) -> Callable[[Handler], Handler]:
    """Register the decorated handler for ``activity_type`` about each of ``kinds``."""

    def register(handler: Handler) -> Handler:
        for kind in kinds:
            key = (activity_type, kind)
            if key in HANDLERS:
                raise RuntimeError(f"two handlers for {activity_type} of {kind}")
            HANDLERS[key] = handler
        return handler

    return register
