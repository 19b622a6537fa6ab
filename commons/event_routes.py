"""Events on the wire and for people: /events/{uuid} by content negotiation."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
