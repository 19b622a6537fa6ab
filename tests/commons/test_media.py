"""Uploaded images lose their metadata, and only real images of accepted types are kept."""

from __future__ import annotations

import io

import httpx2
import pytest
from PIL import Image

from actors.services import create_account
from commons.media import MediaError, clean_image, media_path, store_image
from config.settings import Settings
from storage.database import Database
from storage.models import Actor


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x8825] = {2: (46.0, 12.0, 30.0)}  # GPSInfo: a latitude
    exif[0x013B] = "Amélie Rochat"  # Artist
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_metadata_is_stripped() -> None:
    raw = jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif()  # the upload carries EXIF
    cleaned = clean_image(raw)
    assert cleaned.content_type == "image/jpeg" and (cleaned.width, cleaned.height) == (64, 48)
    assert not Image.open(io.BytesIO(cleaned.data)).getexif()
    assert b"Rochat" not in cleaned.data


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "not_an_image",
        ),
        (b"GIF89a not really", "not_an_image"),
        (b"\x00" * 10, "not_an_image"),
    ],
)
def test_non_images_are_refused(raw: bytes, code: str) -> None:
    with pytest.raises(MediaError) as refused:
        clean_image(raw)
    assert refused.value.code == code


def test_unsupported_type_is_refused() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "BMP")
    with pytest.raises(MediaError) as refused:
        clean_image(buffer.getvalue())
    assert refused.value.code == "unsupported_type"


async def test_stored_image_needs_alt_text_and_is_served(
    settings: Settings, database: Database, client: httpx2.AsyncClient
) -> None:
    async with database.transaction() as session:
        account = await create_account(session, settings, "amelie", None)
        owner = await session.get(Actor, account.actor_id)
        assert owner is not None
        with pytest.raises(MediaError) as refused:
            await store_image(session, owner, jpeg_with_gps(), "  ")
        assert refused.value.code == "missing_alt"
        media = await store_image(session, owner, jpeg_with_gps(), "Un grille-pain réparé")
    response = await client.get(media_path(media))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/media/unknown.jpg")).status_code == 404
