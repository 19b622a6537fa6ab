"""Sounds, videos and documents from elsewhere (Funkwhale's Audio, PeerTube's Video, a shared
Document, a note's attached sound) are kept and shown, with their files, not dropped."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from federation.vocab import PUBLIC
from outbox.activities import build_activity
from outbox.enqueue import enqueue_activity
from storage.models import Actor, Media, Post
from tests.federation_rig.rig import Node, Rig, federation_rig
from tests.support import SHARED

PAQUIS_JONCTION = ("paquis.test", "jonction.test")
PEERTUBE_VIDEO = SHARED / "fixtures" / "activitypub" / "peertube" / "objects" / "video.json"


async def send_create(rig: Rig, sender: Node, author: Actor, obj: dict[str, Any]) -> None:
    """``author`` on ``sender`` sends ``Create(obj)``, signed, to paquis.test's shared inbox."""
    async with sender.instance.database.transaction() as session:
        create = build_activity(sender.instance.uris, "Create", author, obj, [PUBLIC], [])
        await enqueue_activity(
            session, author, create, to_followers=False, inboxes=["http://paquis.test/inbox"]
        )
    await rig.drain()


async def kept(node: Node, uri: str) -> tuple[Post, list[Media]]:
    async with node.instance.database.session() as session:
        post = await session.scalar(select(Post).where(Post.uri == uri))
        assert post is not None, f"{uri} was dropped"
        media = (await session.scalars(select(Media).where(Media.post_id == post.id))).all()
    return post, list(media)


def funkwhale_audio(author: Actor) -> dict[str, Any]:
    """Funkwhale's shape: the track is the object, its file is in ``url`` beside its page."""
    return {
        "id": f"{author.uri}/tracks/7",
        "type": "Audio",
        "attributedTo": author.uri,
        "name": "Chorale des Grottes – répétition",
        "to": [PUBLIC],
        "url": [
            {"type": "Link", "mediaType": "text/html", "href": f"{author.uri}/tracks/7/page"},
            {"type": "Link", "mediaType": "audio/mpeg", "href": "https://cdn.example/7.mp3"},
            {"type": "Link", "mediaType": "audio/ogg", "href": "https://cdn.example/7.ogg"},
        ],
    }


async def test_a_remote_audio_is_kept_with_its_title_and_played_in_place(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=PAQUIS_JONCTION) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        # Given a resident of jonction.test who publishes a recording, as Funkwhale does
        nadia = await jonction.resident("nadia")
        audio = funkwhale_audio(nadia)

        # When its Create reaches paquis.test
        await send_create(rig, jonction, nadia, audio)

        # Then it is kept as an Audio with its title, linking to its page, its first file kept
        post, media = await kept(paquis, audio["id"])
        assert post.type == "Audio" and post.url == f"{nadia.uri}/tracks/7/page"
        assert "<strong>Chorale des Grottes – répétition</strong>" in post.content_html
        assert [(m.content_type, m.remote_url) for m in media] == [
            ("audio/mpeg", "https://cdn.example/7.mp3")
        ]
        # and its page plays it in place
        page = await rig.client.get(f"http://paquis.test/posts/{post.id}")
        assert page.status_code == 200
        assert '<audio controls preload="none" src="https://cdn.example/7.mp3">' in page.text
        assert "Chorale des Grottes – répétition</a></figcaption>" in page.text


async def test_a_remote_document_and_a_notes_sound_and_file_are_kept(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=PAQUIS_JONCTION) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        nadia = await jonction.resident("nadia")
        # Given a shared Document (the minutes of an assembly, a PDF)
        document = {
            "id": f"{nadia.uri}/documents/pv-novembre",
            "type": "Document",
            "attributedTo": nadia.uri,
            "name": "PV de l'assemblée de novembre",
            "content": "<p>Le procès-verbal.</p>",
            "to": [PUBLIC],
            "url": {
                "type": "Link",
                "mediaType": "application/pdf",
                "href": "https://f.example/pv.pdf",
            },
        }
        # and a Note carrying an Audio attachment (Pleroma) and a Document one (Mastodon)
        note = {
            "id": f"{nadia.uri}/statuses/1",
            "type": "Note",
            "attributedTo": nadia.uri,
            "content": "<p>L'enregistrement et le plan.</p>",
            "to": [PUBLIC],
            "attachment": [
                {"type": "Audio", "url": "https://f.example/rec.m4a", "name": "Enregistrement"},
                {
                    "type": "Document",
                    "mediaType": "video/mp4",
                    "url": "https://f.example/visite.mp4",
                    "name": "Visite du local",
                },
                {"type": "Document", "mediaType": "application/pdf", "url": "https://f.example/plan.pdf"},
            ],
        }  # fmt: skip

        # When both reach paquis.test
        await send_create(rig, jonction, nadia, document)
        await send_create(rig, jonction, nadia, note)

        # Then the Document is kept, titled, with its file to download
        post, media = await kept(paquis, document["id"])
        assert post.type == "Document" and "PV de l'assemblée de novembre" in post.content_html
        assert [(m.content_type, m.remote_url) for m in media] == [
            ("application/pdf", "https://f.example/pv.pdf")
        ]
        page = await rig.client.get(f"http://paquis.test/posts/{post.id}")
        assert '<a href="https://f.example/pv.pdf" rel="nofollow noopener">PV de' in page.text
        # and the note keeps its sound and video (played in place) and its file (a link)
        post, media = await kept(paquis, note["id"])
        assert [m.content_type for m in media] == ["audio/*", "video/mp4", "application/pdf"]
        page = await rig.client.get(f"http://paquis.test/posts/{post.id}")
        assert '<audio controls preload="none" src="https://f.example/rec.m4a">' in page.text
        assert '<video controls preload="none" src="https://f.example/visite.mp4">' in page.text
        assert '<a href="https://f.example/plan.pdf" rel="nofollow noopener">' in page.text


@pytest.mark.skipif(not PEERTUBE_VIDEO.is_file(), reason=f"shared fixture absent: {PEERTUBE_VIDEO}")
async def test_a_peertube_video_from_the_shared_fixtures_is_kept_with_its_title(
    tmp_path: Path, database_kind: str
) -> None:
    async with federation_rig(tmp_path, database_kind, hosts=PAQUIS_JONCTION) as rig:
        paquis, jonction = rig["paquis.test"], rig["jonction.test"]
        nadia = await jonction.resident("nadia")
        # Given PeerTube's captured Video, as if nadia's server had published it
        video = json.loads(PEERTUBE_VIDEO.read_text())
        video.pop("@context")
        video["id"] = f"{nadia.uri}/videos/1"
        video["attributedTo"] = [{"type": "Person", "id": nadia.uri}]

        # When its Create reaches paquis.test
        await send_create(rig, jonction, nadia, video)

        # Then it is kept with its title and a link to its page; its HLS playlist is no file
        post, media = await kept(paquis, video["id"])
        assert post.type == "Video"
        assert f"<strong>{html.escape(video['name'], quote=False)}</strong>" in post.content_html
        assert post.url == "https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1"
        assert media == []
