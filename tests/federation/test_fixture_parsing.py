"""Every captured payload of every other server parses; Mastodon's parse to what they say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from federation.parsing import (
    ParsedActivity,
    ParsedActor,
    ParsedObject,
    parse_activity,
    parse_actor,
    parse_document,
    parse_object,
)
from tests.federation.federation_support import SHARED, shared_path

ACTIVITYPUB = SHARED / "fixtures" / "activitypub"
SOFTWARE = (
    sorted(p.name for p in ACTIVITYPUB.iterdir() if p.is_dir()) if ACTIVITYPUB.exists() else []
)


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("software", SOFTWARE)
def test_every_payload_parses(software: str) -> None:
    # Given every JSON file captured from one software
    files = sorted((ACTIVITYPUB / software).rglob("*.json"))
    assert files, f"no fixtures for {software}"
    for path in files:
        # When parsed by the reader chosen from its type
        parsed = parse_document(_load(path))
        # Then it reads without error into the matching typed shape
        assert isinstance(parsed, ParsedActivity | ParsedActor | ParsedObject), path


def mastodon(*parts: str) -> Any:
    return _load(shared_path("fixtures", "activitypub", "mastodon", *parts))


def test_mastodon_create_note() -> None:
    activity = parse_activity(mastodon("activities", "create_note.json"))
    assert activity.type == "Create"
    assert activity.id == "https://mastodon.madrid/users/felix/statuses/107224289116410645/activity"
    assert activity.actor_uri == "https://mastodon.madrid/users/felix"
    assert activity.object_uri == "https://mastodon.madrid/users/felix/statuses/107224289116410645"
    assert "https://www.w3.org/ns/activitystreams#Public" in activity.cc
    note = parse_object(activity.object)
    assert note.type == "Note"
    assert note.attributed_to == "https://mastodon.madrid/users/felix"
    assert note.in_reply_to == "https://mamot.fr/users/retiolus/statuses/107224244380204526"
    assert note.published is not None and note.published.year == 2021
    assert "https://mamot.fr/users/retiolus" in note.mention_uris


def test_mastodon_follow_and_undo() -> None:
    follow = parse_activity(mastodon("activities", "follow.json"))
    assert (follow.type, follow.actor_uri, follow.object_uri) == (
        "Follow",
        "https://masto.asonix.dog/users/asonix",
        "https://ds9.lemmy.ml/c/testcom",
    )
    undo = parse_activity(mastodon("activities", "undo_follow.json"))
    assert undo.type == "Undo" and undo.object is not None
    assert parse_activity(undo.object).type == "Follow"


def test_mastodon_person() -> None:
    actor = parse_actor(mastodon("objects", "person.json"))
    assert actor.id == "https://masto.qa.urbanwildlife.biz/users/mastodon"
    assert actor.type == "Person" and not actor.is_group
    assert actor.shared_inbox == "https://masto.qa.urbanwildlife.biz/inbox"
    assert actor.public_key_id == "https://masto.qa.urbanwildlife.biz/users/mastodon#main-key"
    assert actor.public_key_pem is not None and "BEGIN PUBLIC KEY" in actor.public_key_pem
    assert actor.owner == actor.id


def test_mobilizon_event_and_group() -> None:
    folder = ("fixtures", "activitypub", "mobilizon", "objects")
    event = parse_object(_load(shared_path(*folder, "event.json")))
    assert event.type == "Event"
    assert event.attributed_to == "https://rendezvous.nomagic.uk/@devon_caledonian_society"
    assert event.start_time is not None and event.start_time.hour == 19
    assert event.end_time is not None and event.end_time > event.start_time
    group = parse_actor(_load(shared_path(*folder, "group.json")))
    assert group.is_group and group.type == "Group"


def test_prismo_lists_of_embedded_actors_and_link_url() -> None:
    doc = _load(shared_path("fixtures", "activitypub", "mobilizon-tests", "prismo-url-map.json"))
    activity = parse_activity(doc)
    assert activity.actor_uri == "https://prismo.news/@mxb"
    article = parse_object(activity.object)
    assert article.attributed_to == "https://prismo.news/@mxb"
    assert article.url == "https://prismo.news/posts/83"
