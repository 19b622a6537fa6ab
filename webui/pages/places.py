"""Address search for the event and collective forms, when the admin configured a geocoder."""

from __future__ import annotations

import httpx2
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from commons.geocoding import GeocoderUnavailable, search_places
from instance.runtime import instance_of
from webui import i18n
from webui.session import require_viewer

MIN_QUERY = 3
MAX_QUERY = 300


async def search(request: Request) -> Response:
    """``GET /places/search?q=…`` → ``{"places": [...]}``, or ``{"error": "…"}`` for people."""
    await require_viewer(request)
    settings = instance_of(request).settings
    _ = i18n.gettext
    if not settings.webui.geocoder_url:
        return JSONResponse({"error": _("Address search is not available here.")}, 404)
    query = " ".join(request.query_params.get("q", "").split())
    if not MIN_QUERY <= len(query) <= MAX_QUERY:
        return JSONResponse({"error": _("Type an address of at least three characters.")}, 400)
    async with httpx2.AsyncClient(headers={"User-Agent": settings.user_agent}) as http:
        try:
            places = await search_places(
                http, settings.webui.geocoder_url, query, i18n.current_locale.get()
            )
        except GeocoderUnavailable:
            message = _("The address search does not answer right now. Click on the map instead.")
            return JSONResponse({"error": message}, 502)
    if not places:
        return JSONResponse({"places": [], "error": _("No place found for this address.")})
    return JSONResponse({"places": [place.as_json() for place in places]})


routes: list[BaseRoute] = [Route("/places/search", search, methods=["GET"], name="place_search")]
