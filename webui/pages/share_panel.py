"""The "Share into a collective" panel of an item's page, and the collectives it came through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request

from commons.shares.items import ItemRow
from commons.shares.queries import ShareChoice, share_choices, shared_via
from webui.session import current_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor


@dataclass(frozen=True, slots=True)
class SharingPanel:
    kind: str
    item_id: int
    via: list[Actor] = field(default_factory=list)
    choices: list[ShareChoice] = field(default_factory=list)


async def sharing_panel(
    session: AsyncSession, request: Request, kind: str, row: ItemRow
) -> SharingPanel:
    viewer = await current_viewer(request)
    choices = await share_choices(session, viewer.actor, row.uri) if viewer else []
    return SharingPanel(kind, row.id, await shared_via(session, row.uri), choices)
