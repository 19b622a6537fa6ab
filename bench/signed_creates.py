"""Signed ``Create(Note)`` requests from remote actors, as raw HTTP/1.1 bytes for the shared
inbox (``bench/inbox.py``) or as payloads for the inbox queue (``bench/inbox_handling.py``).

Each request is signed with draft-cavage (unique activity ids, Digest, Date, ``Host``); the
signing is spread over one process per core.
"""

from __future__ import annotations

import json
import os
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from support import ROOT  # noqa: F401 (the repository first on the import path)

HOST_HEADER = "bench.local"
ACTOR_HOSTS = 5


def receiving_settings(database_url: str) -> Any:
    """The settings of the instance these requests are addressed to."""
    from config.settings import DatabaseSettings, ServerSettings, Settings, WebUISettings

    return Settings(
        server=ServerSettings(name="Bench", domain=HOST_HEADER, scheme="http"),
        database=DatabaseSettings(url=database_url),
        webui=WebUISettings(secret_key="bench-secret-" + "x" * 40),
    )


@dataclass(frozen=True)
class RemoteActor:
    uri: str
    key_id: str
    public_pem: str
    private_pem: str


def make_actors(count: int) -> list[RemoteActor]:
    from federation.keys import generate_rsa_keypair

    actors = []
    for index in range(count):
        keys = generate_rsa_keypair()
        uri = f"https://remote{index % ACTOR_HOSTS}.example/users/u{index}"
        actors.append(RemoteActor(uri, f"{uri}#main-key", keys.public_pem, keys.private_pem))
    return actors


def build_create(actor_uri: str, serial: int, run: str) -> bytes:
    note_uri = f"{actor_uri}/statuses/{run}{serial}"
    activity = {
        "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
        "id": f"{note_uri}/activity",
        "type": "Create",
        "actor": actor_uri,
        "published": "2026-11-05T11:46:50Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{actor_uri}/followers"],
        "object": {
            "id": note_uri,
            "type": "Note",
            "summary": None,
            "inReplyTo": None,
            "published": "2026-11-05T11:46:50Z",
            "url": note_uri.replace("/users/", "/@"),
            "attributedTo": actor_uri,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [f"{actor_uri}/followers"],
            "sensitive": False,
            "content": (
                "<p>Samedi au <strong>Repair Café</strong> des Pâquis : vélos, grille-pain et "
                "machines à coudre, de 10h à 16h. Venez avec vos objets cassés ! "
                f'<a href="https://paquis.example/tags/repair">#repair</a> n°{serial}</p>'
            ),
            "contentMap": {"fr": "<p>Samedi au Repair Café des Pâquis…</p>"},
            "attachment": [],
            "tag": [
                {"type": "Hashtag", "href": "https://paquis.example/tags/repair", "name": "#repair"}
            ],
        },
    }
    return json.dumps(activity, ensure_ascii=False).encode()


def sign_chunk(job: tuple[list[RemoteActor], int, int, str]) -> list[bytes]:
    """Raw HTTP/1.1 requests ``start..stop``, each signed by actor ``serial % len(actors)``."""
    from federation.signatures import Scheme, sign_request

    actors, start, stop, run = job
    requests = []
    for serial in range(start, stop):
        actor = actors[serial % len(actors)]
        body = build_create(actor.uri, serial, run)
        base = {"Content-Type": "application/activity+json"}
        signed = sign_request(
            "POST",
            f"http://{HOST_HEADER}/inbox",
            base,
            body,
            actor.key_id,
            actor.private_pem,
            Scheme.CAVAGE,
        )
        headers = {**base, **signed, "Content-Length": str(len(body))}
        head = "POST /inbox HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        requests.append(head.encode() + b"\r\n" + body)
    return requests


def sign_all(actors: list[RemoteActor], count: int) -> list[bytes]:
    run = uuid.uuid4().hex[:8]
    workers = max(os.cpu_count() or 1, 1)
    size = max(count // (workers * 4), 1)
    jobs = [(actors, start, min(start + size, count), run) for start in range(0, count, size)]
    with ProcessPoolExecutor(workers) as pool:
        return [request for chunk in pool.map(sign_chunk, jobs) for request in chunk]
