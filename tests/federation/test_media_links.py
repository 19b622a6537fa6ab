"""The files a media object is (federation/media_links.py): a PeerTube video, a Funkwhale track,
a Pixelfed-style picture. What a browser can show or download is kept, one per kind and the
first of each; pages, playlists, torrents, metadata and anything not on the web are not."""

from __future__ import annotations

from typing import Any

import pytest

from federation.media_links import kind_of_attachment, parse_media_links
from federation.parsing import ParsedAttachment, parse_object

VIDEO = "https://tube.test/videos/watch/7"


def media(kind: str, url: Any, **fields: Any) -> list[ParsedAttachment]:
    return parse_media_links(parse_object({"id": VIDEO, "type": kind, "url": url, **fields}))


def link(href: str, media_type: Any) -> dict[str, Any]:
    return {"type": "Link", "href": href, "mediaType": media_type}


def test_a_peertube_video_is_its_first_file_of_each_kind_not_its_page_or_playlists() -> None:
    # Given a video as PeerTube publishes it: its page, its playlist, a torrent, its metadata,
    # two resolutions, its poster and a subtitle file
    urls = [
        link(VIDEO, "text/html"),
        link("https://tube.test/static/7/master.m3u8", "application/x-mpegURL"),
        link("https://tube.test/static/7-720.torrent", "application/x-bittorrent"),
        link("https://tube.test/api/v1/videos/7/metadata", "application/json"),
        link("https://tube.test/static/7-720.dash", "application/vnd.mpeg.dash.mpd"),
        link("https://tube.test/static/7-720.mp4", "video/mp4"),
        link("https://tube.test/static/7-1080.mp4", "video/mp4"),
        link("https://tube.test/static/7.jpg", "image/jpeg"),
        link("https://tube.test/static/7.vtt", "text/vtt"),
        link("https://tube.test/static/7.ld", "application/activity+json"),
    ]
    # Then the first video file and the poster are its files, named after the video
    assert media("Video", urls, name="Réparer un vélo") == [
        ParsedAttachment("Video", "https://tube.test/static/7-720.mp4", "video/mp4",
                         "Réparer un vélo"),
        ParsedAttachment("Video", "https://tube.test/static/7.jpg", "image/jpeg",
                         "Réparer un vélo"),
    ]  # fmt: skip


def test_a_track_keeps_one_file_of_each_kind_and_a_document_its_file() -> None:
    urls = [link("https://music.test/t/1.ogg", "audio/ogg"),
            link("https://music.test/t/1.mp3", "audio/mpeg"),
            link("https://music.test/t/1.pdf", "application/pdf"),
            link("https://music.test/t/1.zip", "application/zip")]  # fmt: skip
    assert [(found.url, found.media_type, found.name) for found in media("Audio", urls)] == [
        ("https://music.test/t/1.ogg", "audio/ogg", None),
        ("https://music.test/t/1.pdf", "application/pdf", None),
    ]
    assert [found.url for found in media("Document", urls[2:])] == ["https://music.test/t/1.pdf"]


def test_a_bare_address_is_the_file_of_a_picture_only() -> None:
    picture = "https://pix.test/storage/1.jpg"
    assert media("Image", picture) == [ParsedAttachment("Image", picture, "image/*", None)]
    assert media("Image", [picture, link("https://pix.test/2.png", "image/png")]) == [
        ParsedAttachment("Image", picture, "image/*", None)
    ]
    assert media("Video", picture) == []
    assert media("Audio", [picture]) == []


@pytest.mark.parametrize(
    "url",
    [
        link("ftp://tube.test/7.mp4", "video/mp4"),
        link("javascript:alert(1)", "video/mp4"),
        link("/static/7.mp4", "video/mp4"),
        link("https://tube.test/" + "a" * 2030 + ".mp4", "video/mp4"),
        link("https://tube.test/7.mp4", None),
        link("https://tube.test/7.mp4", ""),
        link("https://tube.test/7.mp4", 4),
        {"type": "Link", "mediaType": "video/mp4"},
        {"type": "Link", "href": ["https://tube.test/7.mp4"], "mediaType": "video/mp4"},
        7,
        None,
    ],
    ids=[
        "ftp",
        "javascript",
        "relative",
        "too long",
        "no type",
        "empty type",
        "type not text",
        "no href",
        "href not text",
        "a number",
        "nothing",
    ],
)
def test_what_is_not_a_web_file_with_a_media_type_is_dropped(url: Any) -> None:
    assert media("Video", [url]) == []


def test_an_address_and_a_media_type_are_read_as_a_browser_would() -> None:
    # An upper-case scheme is the web still; spaces around either are dropped, and an address
    # at the longest we keep is kept
    longest = "https://tube.test/" + "a" * (2048 - len("https://tube.test/"))
    [found] = media("Video", [link("  HTTPS://tube.test/7.webm ", " video/webm ")])
    assert (found.url, found.media_type) == ("HTTPS://tube.test/7.webm", "video/webm")
    assert [found.url for found in media("Video", [link(longest, "video/mp4")])] == [longest]
    # A playlist or a page is no file, whatever its case
    assert media("Video", [link("https://tube.test/7.m3u8", "APPLICATION/X-MPEGURL")]) == []
    assert media("Video", [link("https://tube.test/7", "Text/HTML")]) == []
    assert media("Video", [link("https://tube.test/7.json", "application/ld+JSON")]) == []


def test_an_object_that_is_no_media_has_no_media_files() -> None:
    urls = [link("https://tube.test/static/7-720.mp4", "video/mp4")]
    assert media("Note", urls) == []
    assert media("Page", urls) == []


@pytest.mark.parametrize(
    ("kind", "media_type", "expected"),
    [("Image", None, "image/*"), ("Audio", None, "audio/*"), ("Video", None, "video/*"),
     ("Document", None, ""), (None, None, ""), ("Image", "image/png", "image/png"),
     ("Document", "application/pdf", "application/pdf")],
)  # fmt: skip
def test_an_attachment_without_a_content_type_is_given_one_by_its_type(
    kind: str | None, media_type: str | None, expected: str
) -> None:
    attachment = ParsedAttachment(kind, "https://pix.test/1", media_type, None)
    assert kind_of_attachment(attachment) == expected


def test_one_file_of_each_kind_is_kept_and_any_other_file_is_one_kind() -> None:
    # A video, a picture, an audio track, and two other files (a document, a font), on http
    # or https: one of each kind, the two others counting as one
    urls = [link("http://tube.test/7.mp4", "video/mp4"),
            link("https://tube.test/7.png", "image/png"),
            link("https://tube.test/7.pdf", "application/pdf"),
            link("https://tube.test/7.woff2", "font/woff2"),
            link("https://tube.test/7.ogg", "audio/ogg")]  # fmt: skip
    assert [found.url for found in media("Video", urls)] == [
        "http://tube.test/7.mp4", "https://tube.test/7.png", "https://tube.test/7.pdf",
        "https://tube.test/7.ogg"]  # fmt: skip


def test_an_address_one_character_over_the_longest_is_dropped() -> None:
    too_long = "https://tube.test/" + "a" * (2049 - len("https://tube.test/"))
    assert media("Video", [link(too_long, "video/mp4")]) == []
