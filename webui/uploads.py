"""Forms with images: the cap on a whole form, and reading one uploaded file within its cap."""

from __future__ import annotations

from starlette.datastructures import UploadFile

from commons.media import MAX_UPLOAD_BYTES

FORM_FIELDS_BYTES = 1024 * 1024
"""What the text fields of a form may weigh together, beside its files."""


def form_body_limit(max_files: int) -> int:
    """The largest body a form with ``max_files`` images may send: each image at its cap."""
    return max_files * MAX_UPLOAD_BYTES + FORM_FIELDS_BYTES


async def read_upload(upload: UploadFile) -> bytes:
    """The file's bytes, never more than one byte past the image cap (which refuses it)."""
    await upload.seek(0)
    return await upload.read(MAX_UPLOAD_BYTES + 1)
