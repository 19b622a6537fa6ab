"""Serving stored images, cached for long: their key changes whenever the image does."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from instance.runtime import instance_of
from storage.models import Media


async def media_file(request: Request) -> Response:
    key = request.path_params["key"]
    async with instance_of(request).database.session() as session:
        media = await session.scalar(select(Media).where(Media.key == key))
    if media is None or media.data is None:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(
        media.data,
        media_type=media.content_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


routes = [Route("/media/{key}.{extension}", media_file)]
