"""The city's directory of quartiers: a page for people, a JSON document for other servers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from actors.directory import DIRECTORY_PATH, city_directory, directory_document
from instance.runtime import instance_of
from webui.render import render

# Read by other servers' pages and tools, like NodeInfo.
CORS = {"Access-Control-Allow-Origin": "*"}


async def directory_page(request: Request) -> Response:
    instance = instance_of(request)
    async with instance.database.session() as session:
        here, *neighbours = await city_directory(session, instance.settings)
    return render(
        request,
        "directory.html",
        {"here": here, "neighbours": neighbours, "json_url": f"{DIRECTORY_PATH}.json"},
    )


async def directory_json(request: Request) -> Response:
    instance = instance_of(request)
    async with instance.database.session() as session:
        quartiers = await city_directory(session, instance.settings)
    return JSONResponse(directory_document(quartiers), headers=CORS)


routes: list[BaseRoute] = [
    Route(DIRECTORY_PATH, directory_page, methods=["GET"], name="directory"),
    Route(f"{DIRECTORY_PATH}.json", directory_json, methods=["GET"], name="directory_json"),
]
