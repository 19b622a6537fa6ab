"""Uploaded images: checked, re-encoded without their metadata, stored, served.

Re-encoding through Pillow drops EXIF (a phone photo's GPS position, its owner's name) and
refuses anything that is not really an image of an accepted type, whatever its file name says.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Actor, Media

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2560
MAX_ALT_TEXT = 1500
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


class MediaError(ValueError):
    """An upload we refuse; ``code`` names the reason for the page to translate."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int


def clean_image(raw: bytes) -> CleanImage:
    """Decode, bound, orient and re-encode an image; raise MediaError(code) when it cannot be.

    Codes: ``too_large``, ``not_an_image``, ``unsupported_type``, ``too_many_pixels``.
    """
    if len(raw) > MAX_UPLOAD_BYTES:
        raise MediaError("too_large")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            image_format = probe.format or ""
            if image_format not in FORMATS:
                raise MediaError("unsupported_type")
            if probe.width * probe.height > MAX_PIXELS:
                raise MediaError("too_many_pixels")
            probe.load()
            image = ImageOps.exif_transpose(probe) or probe
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            output = io.BytesIO()
            if image_format == "JPEG":
                image.convert("RGB").save(output, "JPEG", quality=85, optimize=True)
            elif image_format == "GIF":
                image.save(output, "GIF")
            else:
                image.save(output, image_format)
            width, height = image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise MediaError("not_an_image") from None
    return CleanImage(output.getvalue(), FORMATS[image_format], width, height)


async def store_image(
    session: AsyncSession, owner: Actor, raw: bytes, alt_text: str, *, require_alt: bool = True
) -> Media:
    """Keep a cleaned image; alt text is required by default (``missing_alt`` otherwise)."""
    alt = alt_text.strip()
    if require_alt and not alt:
        raise MediaError("missing_alt")
    if len(alt) > MAX_ALT_TEXT:
        raise MediaError("alt_too_long")
    image = clean_image(raw)
    media = Media(
        key=secrets.token_urlsafe(16),
        owner_id=owner.id,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        size=len(image.data),
        alt_text=alt,
        data=image.data,
    )
    session.add(media)
    await session.flush()
    return media


def media_path(media: Media) -> str:
    """The path our server serves the image at (prefix it with the base URL for a full URL)."""
    return f"/media/{media.key}.{EXTENSIONS.get(media.content_type, 'bin')}"
