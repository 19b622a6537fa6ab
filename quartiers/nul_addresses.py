"""Addresses holding a NUL character are refused before anything reads them.

``%00`` in a path or a query is decoded to a character that no name, word or id of ours can
hold, and that PostgreSQL refuses in any text it is given: looked up, it failed as a 500. No
link of ours makes one, so it is a 400, said plainly, for every route (the inbox's included).
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

REFUSAL = PlainTextResponse("an address cannot hold a NUL character (%00)", status_code=400)


class RefuseNulInAddress:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            await REFUSAL(scope, receive, send)
            return
        await self.app(scope, receive, send)
