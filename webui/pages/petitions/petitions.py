"""Pages: the petitions of this quartier (and those of the city this server received), and one
petition — its text, its progress, who may sign and how, the committee while it is a draft, the
signatures over time, and for its collective's facilitators the way to the sheets, the export
and the audit.

Reading goes through :mod:`commons.petitions.queries`; who may sign is the rule of
:func:`commons.petitions.signatures.check_may_sign`, asked before the button is shown.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel.numbers import format_percent
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from actors.city_scope import neighbours_of_city
from actors.documents import webfinger_handle
from actors.queries import actor_by_id
from commons.events.organisers import may_organise
from commons.petitions.queries import (
    drafts_of_committee,
    listed_petitions,
    petition_by_id,
    petition_by_uri,
    signature_of,
    signing_moments,
)
from commons.petitions.services import committee_of
from commons.petitions.signatures import check_may_sign, is_collecting
from config.errors import DomainError
from instance.runtime import instance_of
from storage.models import utcnow
from storage.models.petitions import ANSWERED, DRAFT, MEMBERS, RESIDENTS, SUBMITTED
from webui import formats, i18n
from webui.city_filter import chosen_quartier, quartier_choices
from webui.error_messages import message as error_message
from webui.pages.petitions.chart import FEWEST_DAYS, signature_chart
from webui.pages.share_panel import sharing_panel
from webui.render import render
from webui.session import current_viewer
from webui.visitor_pages import kept_for_visitors

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor, Petition

GENEVA = ZoneInfo("Europe/Zurich")


def page_url(petition: Petition) -> str:
    if petition.is_local:
        return "/petitions/" + petition.uri.rsplit("/", 1)[-1]
    return f"/petitions/remote/{petition.id}"


async def petition_at(session: AsyncSession, request: Request) -> tuple[Petition, Actor]:
    """The petition the address names (ours by its uuid, another quartier's by its number) and
    its collective; 404 when there is none."""
    params = request.path_params
    if "petition_id" in params:
        petition = await petition_by_id(session, params["petition_id"])
        if petition is not None and petition.is_local:
            petition = None
    else:
        uri = f"{instance_of(request).uris.base}/petitions/{params['petition_uuid']}"
        petition = await petition_by_uri(session, uri)
        if petition is not None and not petition.is_local:
            petition = None
    if petition is None or petition.deleted_at is not None:
        raise HTTPException(404)
    collective = await actor_by_id(session, petition.actor_id)
    if collective is None or collective.is_gone:
        raise HTTPException(404)
    return petition, collective


def geneva_day(moment: datetime) -> date:
    return moment.astimezone(GENEVA).date()


def progress_text(petition: Petition) -> str:
    """``127 signatures sur 500 (25 %)``."""
    count, goal = petition.signature_count, max(petition.goal, 1)
    words = i18n.ngettext(
        "%(num)s signature out of %(goal)s", "%(num)s signatures out of %(goal)s", count
    ) % {"num": formats.format_count(count), "goal": formats.format_count(goal)}
    share = format_percent(count / goal, locale=formats.reader_locale())
    return f"{words} ({share})"


def status_text(petition: Petition, now: datetime) -> str:
    _ = i18n.gettext

    def day_of(moment: datetime | None) -> str:
        return formats.format_day(geneva_day(moment or petition.deadline), with_weekday=False)

    if petition.status == DRAFT:
        return _("Draft: it opens once every member of its promoter committee confirms it.")
    if is_collecting(petition, now):
        return _("Collecting signatures until %(day)s.") % {"day": day_of(petition.deadline)}
    if petition.status == SUBMITTED:
        return _("Submitted on %(day)s.") % {"day": day_of(petition.submitted_at)}
    if petition.status == ANSWERED:
        return _("Answered on %(day)s.") % {"day": day_of(petition.answered_at)}
    return _("Closed on %(day)s: it no longer collects signatures.") % {
        "day": day_of(petition.closed_at)
    }


def who_may_sign_text(petition: Petition, collective: Actor) -> str:
    _ = i18n.gettext
    if petition.may_sign == RESIDENTS:
        quartiers = formats.format_list_of(petition.scope_domains.split())
        return _("The residents of these quartiers may sign: %(quartiers)s.") % {
            "quartiers": quartiers
        }
    if petition.may_sign == MEMBERS:
        return _("The members of %(collective)s may sign.") % {
            "collective": collective.name or collective.username
        }
    return _("Anyone may sign: the residents of this quartier and of the others, and anyone on "
             "Mastodon or elsewhere on the fediverse.")  # fmt: skip


def petition_view(petition: Petition, collective: Actor, now: datetime) -> dict[str, Any]:
    """What a card and the page show of a petition, in the reader's words."""
    return {
        "petition": petition,
        "collective": collective,
        "url": page_url(petition),
        "kind": i18n.gettext("Initiative") if petition.is_initiative else i18n.gettext("Petition"),
        "progress": progress_text(petition),
        "share": min(petition.signature_count, max(petition.goal, 1)),
        "goal": max(petition.goal, 1),
        "goal_text": formats.format_count(petition.goal),
        "deadline": formats.format_day(geneva_day(petition.deadline)),
        "status": status_text(petition, now),
        "is_collecting": is_collecting(petition, now),
        "is_draft": petition.status == DRAFT,
    }


@kept_for_visitors
async def petitions_index(request: Request) -> Response:
    viewer = await current_viewer(request)
    now = utcnow()
    instance = instance_of(request)
    quartier = chosen_quartier(request)
    async with instance.database.session() as session:
        here = await listed_petitions(session, is_local=True)
        neighbours = await neighbours_of_city(session)
        left_out = neighbours.domains(shown=False)
        elsewhere = await listed_petitions(
            session, is_local=False, left_out=left_out, quartier=quartier
        )
        drafts = await drafts_of_committee(session, viewer.actor) if viewer else []
        names = neighbours.names
    # The quartiers of the city other than this one, to narrow the city's petitions to one.
    choices = quartier_choices(instance.settings, neighbours.choices)[1:]
    context = {
        "quartier_choices": choices,
        "chosen_quartier": quartier,
        "cards": [petition_view(card.petition, card.collective, now) for card in here],
        "city_cards": [
            {
                **petition_view(card.petition, card.collective, now),
                "quartier": names.of(card.collective.domain),
            }
            for card in elsewhere
        ],
        "drafts": [
            {**petition_view(card.petition, card.collective, now), "confirmed": confirmed}
            for card, confirmed in drafts
        ],
    }
    return render(request, "petitions/index.html", context)


def collective_handle(request: Request, collective: Actor) -> str:
    if collective.is_local:
        return webfinger_handle(collective, instance_of(request).settings)
    return collective.handle


async def petition_context(
    session: AsyncSession, request: Request, petition: Petition, collective: Actor
) -> dict[str, Any]:
    viewer = await current_viewer(request)
    viewer_id = viewer.actor.id if viewer else None
    now = utcnow()
    is_facilitator = bool(
        viewer and petition.is_local and await may_organise(session, viewer.actor, collective)
    )
    committee = await committee_of(session, petition) if petition.status == DRAFT else []
    in_committee = any(actor.id == viewer_id for actor, _ in committee)
    if petition.status == DRAFT and not (is_facilitator or in_committee):
        raise HTTPException(404)
    collecting = is_collecting(petition, now)
    mine = await signature_of(session, petition, viewer.actor) if viewer else None
    refusal = None
    if viewer and collecting and mine is None:
        try:
            await check_may_sign(session, petition, viewer.actor)
        except DomainError as error:
            refusal = error_message(error)
    first = geneva_day(petition.opened_at or petition.published)
    shown_until = max(geneva_day(now), first + timedelta(days=FEWEST_DAYS - 1))
    last = min(shown_until, geneva_day(petition.closed_at or petition.deadline))
    return {
        **petition_view(petition, collective, now),
        "who_may_sign": who_may_sign_text(petition, collective),
        "handle": collective_handle(request, collective),
        "my_signature": mine,
        "signed_on": formats.format_day(geneva_day(mine.signed_at)) if mine else None,
        "may_sign": bool(viewer and collecting and mine is None and refusal is None),
        "refusal": refusal,
        "committee": [
            {"actor": actor, "confirmed": confirmed, "is_viewer": actor.id == viewer_id}
            for actor, confirmed in committee
        ],
        "may_confirm": any(actor.id == viewer_id and not done for actor, done in committee),
        "is_facilitator": is_facilitator,
        "chart": signature_chart(await signing_moments(session, petition), first, last)
        if petition.status != DRAFT
        else None,
        "original_url": None if petition.is_local else (petition.url or petition.uri),
        "next": request.url.path,
    }


async def petition_page(request: Request) -> Response:
    """The page of one petition (ours at its own address, shared with its ``Question``)."""
    async with instance_of(request).database.session() as session:
        petition, collective = await petition_at(session, request)
        context = await petition_context(session, request, petition, collective)
        context["sharing"] = await sharing_panel(session, request, "petition", petition)
    return render(request, "petitions/petition.html", context)


routes: list[BaseRoute] = [
    Route("/petitions", petitions_index, methods=["GET"], name="petitions"),
    Route("/petitions/remote/{petition_id:int}", petition_page, methods=["GET"],
          name="remote_petition"),
]  # fmt: skip
