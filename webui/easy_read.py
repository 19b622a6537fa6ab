"""Whether a visitor reads the easy-to-read (FALC) version of the pages: a cookie they set."""

from __future__ import annotations

from starlette.requests import Request

FALC_COOKIE = "falc"


def easy_read_on(request: Request) -> bool:
    return request.cookies.get(FALC_COOKIE) == "1"
