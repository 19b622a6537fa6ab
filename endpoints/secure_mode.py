"""Secure mode (authorized fetch): ActivityPub GETs of our documents must be signed.

Discovery (WebFinger, host-meta, NodeInfo) and the instance actor stay open, or no server could
ever fetch the key it needs to sign its first request. Pages for people are never concerned.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from federation.errors import SignatureError
from federation.signatures import signature_key_id, verify_request
from federation.vocab import host_of, is_activitypub_media_type
from instance.runtime import Instance

OPEN_PREFIXES = ("/.well-known/", "/nodeinfo/", "/static/")
OPEN_PATHS = frozenset({"/actor"})


class SecureModeMiddleware:
    def __init__(self, app: ASGIApp, instance: Instance) -> None:
        self.app = app
        self.instance = instance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._concerns(scope):
            await self.app(scope, receive, send)
            return
        refusal = await self._refusal(Request(scope))
        if refusal is not None:
            await JSONResponse({"error": refusal}, status_code=401)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _concerns(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return False
        path: str = scope["path"]
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return False
        return is_activitypub_media_type(Headers(scope=scope).get("accept"))

    async def _refusal(self, request: Request) -> str | None:
        try:
            _scheme, key_id = signature_key_id(request.headers)
        except SignatureError:
            return "this server requires signed requests (secure mode)"
        if await self.instance.blocks.is_blocked(host_of(key_id) or ""):
            return "blocked"
        key = await self.instance.remote_actors.key(key_id)
        if key is None:
            return "cannot get the signing key"
        query = request.url.query
        path = request.url.path + (f"?{query}" if query else "")
        host = request.headers.get("host", "")
        max_age = timedelta(seconds=self.instance.settings.federation.signature_max_age_seconds)
        try:
            verify_request(
                request.method,
                path,
                host,
                request.headers,
                None,
                key.public_key_pem,
                max_skew=max_age,
                url_scheme=self.instance.settings.server.scheme,
            )
        except SignatureError as error:
            return f"signature does not verify: {error}"
        return None
