"""Pages: creating an event, editing it, cancelling it (organisers only, checked by the
services of :mod:`commons.events`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from commons.events import services as events
from commons.events.queries import event_by_id
from commons.media import MediaError, store_image
from config.errors import DomainError
from instance.runtime import instance_of
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.events.event_forms import (
    EventForm,
    blank_values,
    form_options,
    read_event_form,
    values_of,
)
from webui.pages.events.events import event_at, page_url, when_lines
from webui.render import render
from webui.session import Viewer, flash, require_viewer

if TYPE_CHECKING:
    from storage.models import Actor, Event


def _form_context(form: EventForm, organisers: list[Actor], viewer: Viewer) -> dict[str, Any]:
    _ = i18n.gettext
    choices = [("", _("Myself (%(name)s)") % {"name": viewer.actor.name or viewer.actor.username})]
    choices += [(group.username, group.name or group.username) for group in organisers[1:]]
    return {"values": form.values, "errors": form.errors, "organiser_options": choices,
            **form_options()}  # fmt: skip


def _pick_organiser(organisers: list[Actor], name: str) -> Actor | None:
    if not name:
        return organisers[0]
    return next((a for a in organisers[1:] if a.username == name), None)


async def new_event(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    async with instance.database.session() as session:
        organisers = await events.organisers_for(session, viewer.actor)
    if request.method == "GET":
        form = EventForm(blank_values(instance.settings.server.city))
        chosen = request.query_params.get("organiser", "")
        form.values["organiser"] = chosen if _pick_organiser(organisers, chosen) else ""
        return render(request, "events/new.html", _form_context(form, organisers, viewer))
    form = await read_event_form(await read_form(request))
    organiser = _pick_organiser(organisers, form.values["organiser"])
    if organiser is None:
        raise HTTPException(403, "you do not organise for this collective")
    event: Event | None = None
    if form.fields is not None and not form.errors:
        try:
            async with instance.database.transaction() as session:
                image = None
                if form.image is not None:
                    image = await store_image(
                        session, organiser, form.image, form.values["image_alt"]
                    )
                event = await events.create_event(
                    session, instance.uris, viewer.actor, organiser, form.fields, image=image
                )
        except events.NotOrganiser:
            raise HTTPException(403, "you do not organise for this collective") from None
        except MediaError as error:
            form.errors["image"] = error_message(error)
        except DomainError as error:
            form.refuse(error)
    if event is None:
        return render(request, "events/new.html", _form_context(form, organisers, viewer), 400)
    flash(request, i18n.gettext("The event is published."), "success")
    return RedirectResponse(page_url(event), status_code=303)


async def edit_event(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    async with instance.database.session() as session:
        event, organiser = await event_at(session, request)
        if not event.is_local or not await events.may_organise(session, viewer.actor, organiser):
            raise HTTPException(403, "organisers only")
    context: dict[str, Any] = {"event": event, "page_url": page_url(event)}
    if request.method == "GET":
        form = EventForm(values_of(event, organiser))
        context.update(_form_context(form, [viewer.actor], viewer))
        return render(request, "events/edit.html", context)
    form = await read_event_form(await read_form(request))
    form.values["organiser"] = organiser.username
    saved = False
    if form.fields is not None and not form.errors:
        try:
            async with instance.database.transaction() as session:
                row = await event_by_id(session, event.id)
                assert row is not None
                image = None
                if form.image is not None:
                    image = await store_image(
                        session, organiser, form.image, form.values["image_alt"]
                    )
                await events.edit_event(session, instance.uris, viewer.actor, row, form.fields,
                                        image=image)  # fmt: skip
                saved = True
        except events.NotOrganiser:
            raise HTTPException(403, "organisers only") from None
        except MediaError as error:
            form.errors["image"] = error_message(error)
        except DomainError as error:
            form.refuse(error)
    if not saved:
        context.update(_form_context(form, [viewer.actor], viewer))
        return render(request, "events/edit.html", context, 400)
    flash(request, i18n.gettext("The event is saved; participants and followers are told."),
          "success")  # fmt: skip
    return RedirectResponse(page_url(event), status_code=303)


async def cancel_event(request: Request) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    async with instance.database.session() as session:
        event, organiser = await event_at(session, request)
        if not event.is_local or not await events.may_organise(session, viewer.actor, organiser):
            raise HTTPException(403, "organisers only")
    if request.method == "GET":
        context = {"event": event, "page_url": page_url(event),
                   "when": when_lines(event.start_time, event.end_time, event.timezone)}  # fmt: skip
        return render(request, "events/cancel.html", context)
    await read_form(request)
    try:
        async with instance.database.transaction() as session:
            row = await event_by_id(session, event.id)
            assert row is not None
            await events.cancel_event(session, instance.uris, viewer.actor, row)
    except events.NotOrganiser:
        raise HTTPException(403, "organisers only") from None
    flash(request, i18n.gettext("The event is cancelled; participants and followers are told."),
          "success")  # fmt: skip
    return RedirectResponse(page_url(event), status_code=303)


routes: list[BaseRoute] = [
    Route("/events/new", new_event, methods=["GET", "POST"], name="new_event"),
    Route("/events/{event_uuid:uuid}/edit", edit_event, methods=["GET", "POST"], name="edit_event"),
    Route("/events/{event_uuid:uuid}/cancel", cancel_event, methods=["GET", "POST"],
          name="cancel_event"),
]  # fmt: skip
