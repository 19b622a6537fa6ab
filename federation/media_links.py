"""The files an ``Audio``, ``Video``, ``Image`` or ``Document`` object *is*.

Mastodon and Pleroma put the files of a Note in ``attachment``. PeerTube and Funkwhale instead
publish the media itself as the object: the file is in the object's ``url``, a list of ``Link``s
each with a ``mediaType``, beside a ``text/html`` link to the page that plays it (and, on
PeerTube, an HLS playlist and JSON metadata). Pixelfed-style ``Image`` objects may give a bare
URL. These readers pick the files a browser can show or download, so that such an object is
kept with its media like a Note with attachments.
"""

from __future__ import annotations

from federation.parsing import ParsedAttachment, ParsedObject
from federation.vocab import as_list, first_str

MEDIA_OBJECT_TYPES = frozenset({"Audio", "Video", "Image", "Document"})
_NOT_FILES = ("text/", "application/x-bittorrent", "application/x-mpegurl", "application/vnd.")
"""Pages, torrents and streaming playlists: links, not files a page can show."""


def _web_href(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    href = value.strip()
    is_web = href.lower().startswith(("https://", "http://"))
    return href if is_web and len(href) <= 2048 else None


def _family(media_type: str) -> str:
    main = media_type.split("/", 1)[0]
    return main if main in ("audio", "video", "image") else "file"


def _is_file(media_type: str) -> bool:
    lowered = media_type.lower()
    return "json" not in lowered and not lowered.startswith(_NOT_FILES)


def parse_media_links(obj: ParsedObject) -> list[ParsedAttachment]:
    """The files of a media object, one per kind (audio, video, image, other), in order.

    Only top-level ``url`` entries are read (PeerTube nests every resolution of a video under
    its playlist: the page link is the way to those). Anything but http(s) is dropped. A bare
    URL counts only for an ``Image``, whose ``url`` is the picture itself.
    """
    if obj.type not in MEDIA_OBJECT_TYPES:
        return []
    found: dict[str, ParsedAttachment] = {}
    for item in as_list(obj.raw.get("url")):
        if isinstance(item, str):
            href, media_type = _web_href(item), "image/*" if obj.type == "Image" else None
        elif isinstance(item, dict):
            raw_type = item.get("mediaType")
            href = _web_href(item.get("href"))
            media_type = raw_type.strip() if isinstance(raw_type, str) else None
        else:
            continue
        if href is None or not media_type or not _is_file(media_type):
            continue
        family = _family(media_type)
        if family not in found:
            found[family] = ParsedAttachment(
                type=obj.type, url=href, media_type=media_type, name=obj.name or None
            )
    return list(found.values())


def kind_of_attachment(attachment: ParsedAttachment) -> str:
    """A content type for an attachment that gives none: from its AS2 type when it says."""
    if attachment.media_type:
        return attachment.media_type
    return {"Image": "image/*", "Audio": "audio/*", "Video": "video/*"}.get(
        first_str(attachment.type) or "", ""
    )
