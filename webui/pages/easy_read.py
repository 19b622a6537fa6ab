"""Easy to read (FALC): any visitor turns it on or off; the main pages then open with their
essentials in short lines, one idea each, a pictogram before each (``templates/falc/``).

The choice is a cookie (``falc=1``), as the language is: it needs no account.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from webui.easy_read import FALC_COOKIE

ONE_YEAR = 365 * 24 * 3600


def _safe_next(target: str) -> str:
    """A path of this site only (never ``//elsewhere`` nor a full URL)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def switch_easy_read(request: Request) -> Response:
    state = request.path_params["state"]
    response = RedirectResponse(_safe_next(request.query_params.get("next", "/")), 303)
    if state == "on":
        response.set_cookie(FALC_COOKIE, "1", max_age=ONE_YEAR, samesite="lax")
    else:
        response.delete_cookie(FALC_COOKIE, samesite="lax")
    return response


routes: list[BaseRoute] = [
    Route("/falc/{state:str}", switch_easy_read, name="switch_easy_read"),
]
