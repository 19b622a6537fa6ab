"""Images: the form body is capped while it is read, the pixel count is checked from the header
before decoding, and decoding runs off the event loop."""

from __future__ import annotations

import asyncio
import io
import struct
import threading
import tracemalloc
import zlib
from collections.abc import AsyncIterator

import httpx2
import pytest
from PIL import Image
from sqlalchemy import func, select

from commons.media import IMAGE_WORKERS, MAX_PIXELS, MediaError, clean_image
from config.settings import Settings
from storage.database import Database
from storage.models import Media
from tests.webui.web_support import Resident, log_in_as

HTML = {"Accept": "text/html"}
MEGABYTE = 1024 * 1024
BOUNDARY = "quartiers-test-boundary"


def png(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG claiming ``width`` × ``height`` whose pixel data is one compressed row: its header
    reads fine, decoding it would fail."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = zlib.compress(b"\0" * (1 + 3 * min(width, 16)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", row)
        + png_chunk(b"IEND", b"")
    )


def part(name: str, value: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


async def huge_compose_form(csrf: str, file_bytes: int) -> AsyncIterator[bytes]:
    """A post with one image of ``file_bytes``, streamed in 64 KB chunks, no Content-Length."""
    yield part("csrf_token", csrf) + part("text", "Mon vélo") + part("alt1", "Un vélo")
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image1"; '
        'filename="velo.png"\r\nContent-Type: image/png\r\n\r\n'
    ).encode()
    chunk = b"\0" * (64 * 1024)
    for _ in range(file_bytes // len(chunk)):
        yield chunk
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.fixture
async def amelie(client: httpx2.AsyncClient, settings: Settings, database: Database) -> Resident:
    return await log_in_as(client, settings, database, "amelie")


async def media_rows(database: Database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(Media)) or 0


async def test_a_huge_upload_is_refused_at_the_cap_with_flat_memory(
    client: httpx2.AsyncClient, amelie: Resident, database: Database
) -> None:
    # Given a resident whose browser sends a 300 MB "image" with her post
    headers = {**HTML, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}

    # When the form is posted
    tracemalloc.start()
    try:
        response = await client.post(
            "/compose", content=huge_compose_form(amelie.csrf, 300 * MEGABYTE), headers=headers
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Then reading stopped at the form's cap: a 413 with a French sentence, nothing kept,
    # and the server held a few megabytes, not the upload
    assert response.status_code == 413
    assert "trop gros" in response.text and "8 Mo" in response.text
    assert await media_rows(database) == 0
    assert peak < 16 * MEGABYTE, f"peak {peak / MEGABYTE:.1f} MB"


async def test_an_image_over_its_own_cap_is_refused_with_a_sentence(
    client: httpx2.AsyncClient, amelie: Resident, database: Database
) -> None:
    # Given a 12 MB file in a form that may carry four images (so under the form's cap)
    headers = {**HTML, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}

    # When it is posted
    response = await client.post(
        "/compose", content=huge_compose_form(amelie.csrf, 12 * MEGABYTE), headers=headers
    )

    # Then the form comes back with the image's limit, nothing kept
    assert response.status_code == 400
    assert "8 Mo au maximum" in response.text
    assert await media_rows(database) == 0


def test_the_pixel_cap_is_read_from_the_header_before_any_decoding() -> None:
    # Given a PNG header claiming 6,300 × 6,300 pixels, without any pixel data behind it
    raw = png_header_only(6300, 6300)
    assert MAX_PIXELS < 6300 * 6300

    # When it is cleaned
    # Then it is refused for its pixels (decoding would have said "not an image")
    with pytest.raises(MediaError) as raised:
        clean_image(raw)
    assert raised.value.code == "too_many_pixels"
    # (the same file under the cap reaches the decoder, which finds its data missing)
    with pytest.raises(MediaError) as decoded:
        clean_image(png_header_only(630, 630))
    assert decoded.value.code == "not_an_image"


async def test_too_many_pixels_is_a_clear_sentence_on_the_form(
    client: httpx2.AsyncClient, amelie: Resident, database: Database
) -> None:
    # Given a resident choosing an image of 40 million pixels
    files = {"image1": ("grand.png", png_header_only(8000, 5000), "image/png")}
    data = {"csrf_token": amelie.csrf, "text": "Le grand panorama", "alt1": "Le Salève"}

    # When she publishes it
    response = await client.post("/compose", data=data, files=files, headers=HTML)

    # Then the form says the image has too many pixels, and nothing is kept
    assert response.status_code == 400
    assert "trop de pixels" in response.text
    assert await media_rows(database) == 0


async def test_other_requests_are_served_while_an_image_is_being_processed(
    client: httpx2.AsyncClient, amelie: Resident, database: Database
) -> None:
    # Given the image workers busy with work that waits for our signal
    release = threading.Event()
    busy = [asyncio.create_task(IMAGE_WORKERS.run(release.wait)) for _ in range(IMAGE_WORKERS.size)]
    files = {"image1": ("velo.png", png(), "image/png")}
    data = {"csrf_token": amelie.csrf, "text": "Mon vélo", "alt1": "Un vélo rouge"}
    try:
        # When a resident publishes a post with an image, which waits for the image workers
        publishing = asyncio.create_task(
            client.post("/compose", data=data, files=files, headers=HTML)
        )
        for _ in range(2000):
            if IMAGE_WORKERS.in_flight > IMAGE_WORKERS.size:
                break
            await asyncio.sleep(0.01)
        assert IMAGE_WORKERS.in_flight > IMAGE_WORKERS.size, "the image never reached a worker"

        # Then another page is served meanwhile, and the post is not finished yet
        home = await client.get("/home", headers=HTML)
        assert home.status_code == 200
        assert not publishing.done()
    finally:
        release.set()
        await asyncio.gather(*busy)

    # And once the workers are free, the post is published with its image
    published = await publishing
    assert published.status_code == 303
    assert await media_rows(database) == 1


async def test_a_form_without_files_is_capped_at_its_text(client: httpx2.AsyncClient) -> None:
    # Given a login form stuffed with 5 MB of text
    stuffed = {"username": "amelie", "password": "x" * (5 * MEGABYTE)}

    # When it is posted
    response = await client.post("/login", data=stuffed, headers=HTML)

    # Then it is refused for its size, with the page that says so
    assert response.status_code == 413
    assert "trop gros" in response.text


async def test_an_upload_past_the_waiting_places_is_refused_at_once_and_the_text_kept(
    client: httpx2.AsyncClient, amelie: Resident, database: Database
) -> None:
    # Given every image thread busy and every waiting place taken
    release = threading.Event()
    taken = IMAGE_WORKERS.size + IMAGE_WORKERS.waiting
    busy = [asyncio.create_task(IMAGE_WORKERS.run(release.wait)) for _ in range(taken)]
    await asyncio.sleep(0)
    files = {"image1": ("velo.png", png(), "image/png")}
    data = {"csrf_token": amelie.csrf, "text": "Mon vélo à prêter", "alt1": "Un vélo rouge"}
    try:
        # When a resident publishes a post with an image
        refused = await client.post("/compose", data=data, files=files, headers=HTML)

        # Then she is asked, in French, to send it again in a moment, with her text still there
        assert refused.status_code == 400
        assert "renvoyer le formulaire dans un instant" in refused.text
        assert "Mon vélo à prêter" in refused.text
        assert IMAGE_WORKERS.in_flight == taken, "the refused upload did not wait in memory"
        assert await media_rows(database) == 0
    finally:
        release.set()
        await asyncio.gather(*busy)

    # And once the images are done, the same form goes through
    published = await client.post("/compose", data=data, files=files, headers=HTML)
    assert published.status_code == 303
    assert await media_rows(database) == 1
