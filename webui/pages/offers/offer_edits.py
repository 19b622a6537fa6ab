"""Pages: publishing an offer or a request, editing it, closing ("pourvu") and reopening it,
deleting it (whoever may publish for its author, checked by :mod:`commons.offers.services`).
Every POST reads its form through ``read_form`` (CSRF) first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from commons.events.organisers import NotOrganiser, may_organise, organisers_for
from commons.media import MediaError, store_image
from commons.offers import services as offers
from commons.offers.fields import MAX_IMAGES
from commons.offers.queries import offer_by_id
from config.errors import DomainError
from instance.runtime import instance_of
from storage.models.offers import CLOSED, OPEN
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.offers.offer_forms import (
    OfferForm,
    blank_values,
    form_options,
    read_offer_form,
    values_of,
)
from webui.pages.offers.offers import offer_at, page_url
from webui.render import render
from webui.session import Viewer, flash, require_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Actor, Media, Offer


def _form_context(form: OfferForm, authors: list[Actor], viewer: Viewer) -> dict[str, Any]:
    _ = i18n.gettext
    choices = [("", _("Myself (%(name)s)") % {"name": viewer.actor.name or viewer.actor.username})]
    choices += [(group.username, group.name or group.username) for group in authors[1:]]
    return {"values": form.values, "errors": form.errors, "author_options": choices,
            **form_options()}  # fmt: skip


def _pick_author(authors: list[Actor], name: str) -> Actor | None:
    if not name:
        return authors[0]
    return next((a for a in authors[1:] if a.username == name), None)


async def _store_images(session: AsyncSession, author: Actor, form: OfferForm) -> list[Media]:
    stored = []
    for index, (data, alt) in enumerate(form.images[:MAX_IMAGES], start=1):
        try:
            stored.append(await store_image(session, author, data, alt))
        except MediaError as error:
            error.field = f"image{index}"
            raise
    return stored


async def new_offer(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    async with instance.database.session() as session:
        authors = await organisers_for(session, viewer.actor)
    if request.method == "GET":
        form = OfferForm(blank_values(instance.settings.server.city))
        chosen = request.query_params.get("author", "")
        form.values["author"] = chosen if _pick_author(authors, chosen) else ""
        kind = request.query_params.get("kind", "")
        if kind in dict(form_options()["kind_options"]):
            form.values["kind"] = kind
        return render(request, "offers/new.html", _form_context(form, authors, viewer))
    form = await read_offer_form(await read_form(request, max_files=MAX_IMAGES))
    author = _pick_author(authors, form.values["author"])
    if author is None:
        raise HTTPException(403, "you do not publish for this collective")
    offer: Offer | None = None
    if form.fields is not None and not form.errors:
        try:
            async with instance.database.transaction() as session:
                images = await _store_images(session, author, form)
                offer = await offers.publish_offer(
                    session, instance.uris, viewer.actor, author, form.fields, images=images
                )
        except NotOrganiser:
            raise HTTPException(403, "you do not publish for this collective") from None
        except MediaError as error:
            form.errors[error.field or "image1"] = error_message(error)
            offer = None
        except DomainError as error:
            form.refuse(error)
            offer = None
    if offer is None:
        return render(request, "offers/new.html", _form_context(form, authors, viewer), 400)
    flash(request, i18n.gettext("It is published; your followers see it."), "success")
    return RedirectResponse(page_url(offer), status_code=303)


async def _editable(request: Request, viewer: Viewer) -> tuple[Offer, Actor]:
    async with instance_of(request).database.session() as session:
        offer, author = await offer_at(session, request)
        if not offer.is_local or not await may_organise(session, viewer.actor, author):
            raise HTTPException(403, "only who publishes it")
    return offer, author


async def edit_offer(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form_data = await read_form(request, max_files=MAX_IMAGES) if request.method == "POST" else None
    offer, author = await _editable(request, viewer)
    context: dict[str, Any] = {"offer": offer, "page_url": page_url(offer)}
    if form_data is None:
        form = OfferForm(values_of(offer, author.username))
        context.update(_form_context(form, [viewer.actor], viewer))
        return render(request, "offers/edit.html", context)
    form = await read_offer_form(form_data)
    saved = False
    if form.fields is not None and not form.errors:
        try:
            async with instance.database.transaction() as session:
                row = await offer_by_id(session, offer.id)
                assert row is not None
                images = await _store_images(session, author, form) if form.images else None
                if form_data.get("remove_images") == "1" and images is None:
                    images = []
                await offers.edit_offer(session, instance.uris, viewer.actor, row, form.fields,
                                        images=images)  # fmt: skip
                saved = True
        except NotOrganiser:
            raise HTTPException(403, "only who publishes it") from None
        except MediaError as error:
            form.errors[error.field or "image1"] = error_message(error)
        except DomainError as error:
            form.refuse(error)
    if not saved:
        context.update(_form_context(form, [viewer.actor], viewer))
        return render(request, "offers/edit.html", context, 400)
    flash(request, i18n.gettext("It is saved; your followers see the change."), "success")
    return RedirectResponse(page_url(offer), status_code=303)


async def change_status(request: Request) -> Response:
    """Close it ("pourvu") or reopen it: one button on its page."""
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form_data = await read_form(request)
    offer, _author = await _editable(request, viewer)
    status = CLOSED if form_data.get("status") == CLOSED else OPEN
    try:
        async with instance.database.transaction() as session:
            row = await offer_by_id(session, offer.id)
            assert row is not None
            await offers.set_status(session, instance.uris, viewer.actor, row, status)
    except NotOrganiser:
        raise HTTPException(403, "only who publishes it") from None
    _ = i18n.gettext
    flash(request, _("It is marked as done.") if status == CLOSED else _("It is open again."),
          "success")  # fmt: skip
    return RedirectResponse(page_url(offer), status_code=303)


async def delete_offer(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    form_data = await read_form(request) if request.method == "POST" else None
    offer, _author = await _editable(request, viewer)
    if form_data is None:
        return render(request, "offers/delete.html", {"offer": offer, "page_url": page_url(offer)})
    try:
        async with instance.database.transaction() as session:
            row = await offer_by_id(session, offer.id)
            assert row is not None
            await offers.delete_offer(session, instance.uris, viewer.actor, row)
    except NotOrganiser:
        raise HTTPException(403, "only who publishes it") from None
    flash(request, i18n.gettext("It is deleted; your followers' servers are told."), "success")
    return RedirectResponse("/offers", status_code=303)


routes: list[BaseRoute] = [
    Route("/offers/new", new_offer, methods=["GET", "POST"], name="new_offer"),
    Route("/offers/{offer_uuid:uuid}/edit", edit_offer, methods=["GET", "POST"], name="edit_offer"),
    Route("/offers/{offer_uuid:uuid}/status", change_status, methods=["POST"], name="offer_status"),
    Route("/offers/{offer_uuid:uuid}/delete", delete_offer, methods=["GET", "POST"],
          name="delete_offer"),
]  # fmt: skip
