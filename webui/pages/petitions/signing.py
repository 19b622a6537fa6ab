"""Pages: a resident signs a petition (« Je signe ») or withdraws their signature while it
collects — ours, or another quartier's, whose server then receives the vote. A refusal comes back
as a sentence on the petition's page. Every POST reads its form (CSRF) first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.queries import actor_by_id
from commons.petitions.signatures import sign, withdraw
from config.errors import DomainError
from instance.runtime import instance_of
from webui import i18n
from webui.csrf import read_form
from webui.error_messages import message as error_message
from webui.pages.petitions.petitions import page_url, petition_at
from webui.session import flash, require_viewer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from config.uris import Uris
    from storage.models import Actor, Petition


async def _act(request: Request, withdrawing: bool) -> Response:
    viewer = await require_viewer(request)
    instance = instance_of(request)
    await read_form(request)
    action = withdraw if withdrawing else _sign
    async with instance.database.session() as session:
        petition, _collective = await petition_at(session, request)
    url = page_url(petition)
    try:
        async with instance.database.transaction() as session:
            row, _collective = await petition_at(session, request)
            # The signer as this transaction holds them: signing may give them their key.
            signer = await actor_by_id(session, viewer.actor.id)
            assert signer is not None
            await action(session, instance.uris, signer, row)
    except DomainError as error:
        flash(request, error_message(error), "error")
        return RedirectResponse(url + "#signing", status_code=303)
    _ = i18n.gettext
    if withdrawing:
        flash(request, _("Your signature is withdrawn; you may sign again while it collects."),
              "success")  # fmt: skip
    else:
        flash(request, _("Thank you, your signature is counted."), "success")
    return RedirectResponse(url + "#signing", status_code=303)


async def _sign(session: AsyncSession, uris: Uris, person: Actor, petition: Petition) -> None:
    await sign(session, uris, person, petition)


async def sign_petition(request: Request) -> Response:
    return await _act(request, withdrawing=False)


async def withdraw_signature(request: Request) -> Response:
    return await _act(request, withdrawing=True)


routes: list[BaseRoute] = [
    Route("/petitions/{petition_uuid:uuid}/sign", sign_petition, methods=["POST"],
          name="sign_petition"),
    Route("/petitions/{petition_uuid:uuid}/withdraw", withdraw_signature, methods=["POST"],
          name="withdraw_signature"),
    Route("/petitions/remote/{petition_id:int}/sign", sign_petition, methods=["POST"],
          name="sign_remote_petition"),
    Route("/petitions/remote/{petition_id:int}/withdraw", withdraw_signature, methods=["POST"],
          name="withdraw_remote_signature"),
]  # fmt: skip
