"""Uploaded images: checked, re-encoded without their metadata, stored, served.

Re-encoding through Pillow drops EXIF (a phone photo's GPS position, its owner's name) and
refuses anything that is not really an image of an accepted type, whatever its file name says.

Decoding and re-encoding take a CPU for up to seconds: they run on a few threads of their own
(:data:`IMAGE_WORKERS`; Pillow releases the GIL while it decodes and resizes), never on the
event loop, and only once the header has shown a size within :data:`MAX_PIXELS`. Each job
waiting for a thread holds its upload in memory, so only a few may wait (:data:`IMAGES_WAITING`);
past them an upload is refused at once with ``images_busy``, and the form comes back as it was
sent, asking to try again in a moment.
"""

from __future__ import annotations

import asyncio
import io
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from config.errors import ErrorCode, Invalid
from storage.models import Actor, Media

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 33_177_600
"""7680 × 4320 (8K), as Mastodon: decoded, such an image already takes about 130 MB."""
MAX_SIDE = 2560
MAX_ALT_TEXT = 1500
IMAGE_THREADS = 2
IMAGES_WAITING = 8
"""Jobs that may wait for a thread: at 8 MB each, at most 64 MB of uploads held."""
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


class MediaError(Invalid):
    """An upload we refuse; ``field`` is the form's slot when the caller knows it."""


class ImagesBusy(MediaError):
    """The image threads and their waiting places are all taken: try again in a moment."""


@dataclass(frozen=True, slots=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int


T = TypeVar("T")


class ImageWorkers:
    """A bounded pool of threads for image work, and how many jobs it holds (run or waiting).

    At most ``size`` jobs run and ``waiting`` more wait; one more raises :class:`ImagesBusy`
    without queueing, so neither memory nor the wait grows with a burst of uploads.
    """

    def __init__(self, size: int, waiting: int = IMAGES_WAITING) -> None:
        self.size = size
        self.waiting = waiting
        self.in_flight = 0
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="images")

    async def run(self, function: Callable[..., T], *args: object) -> T:
        if self.in_flight >= self.size + self.waiting:
            raise ImagesBusy(ErrorCode.IMAGES_BUSY)
        self.in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)
        finally:
            self.in_flight -= 1


IMAGE_WORKERS = ImageWorkers(IMAGE_THREADS)


async def clean_image_off_loop(raw: bytes) -> CleanImage:
    """:func:`clean_image` on the image workers; the event loop goes on serving meanwhile."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise MediaError(ErrorCode.TOO_LARGE)
    return await IMAGE_WORKERS.run(clean_image, raw)


def clean_image(raw: bytes) -> CleanImage:
    """Decode, bound, orient and re-encode an image; raise MediaError(code) when it cannot be.

    Codes: ``too_large``, ``not_an_image``, ``unsupported_type``, ``too_many_pixels``. The
    pixel count comes from the header, before anything is decoded. (Pillow is imported with the
    first image: a server at rest does not hold it.)
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(raw) > MAX_UPLOAD_BYTES:
        raise MediaError(ErrorCode.TOO_LARGE)
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            image_format = probe.format or ""
            if image_format not in FORMATS:
                raise MediaError(ErrorCode.UNSUPPORTED_TYPE)
            if probe.width * probe.height > MAX_PIXELS:
                raise MediaError(ErrorCode.TOO_MANY_PIXELS)
            if image_format == "JPEG":
                probe.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at a reduced scale when it can
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
        raise MediaError(ErrorCode.NOT_AN_IMAGE) from None
    return CleanImage(output.getvalue(), FORMATS[image_format], width, height)


async def store_image(
    session: AsyncSession,
    owner: Actor,
    raw: bytes | CleanImage,
    alt_text: str,
    *,
    require_alt: bool = True,
) -> Media:
    """Keep an image (cleaned here unless it already is); alt text is required by default
    (``missing_alt`` otherwise)."""
    alt = alt_text.strip()
    if require_alt and not alt:
        raise MediaError(ErrorCode.MISSING_ALT)
    if len(alt) > MAX_ALT_TEXT:
        raise MediaError(ErrorCode.ALT_TOO_LONG)
    image = raw if isinstance(raw, CleanImage) else await clean_image_off_loop(raw)
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
