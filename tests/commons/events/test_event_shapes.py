"""The AS2 shape of events: what we emit reads well in Mastodon; what others send is read leniently."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from commons.events.recurrence import next_occurrences
from commons.events.wire import (
    EventShapeError,
    build_event,
    parse_remote_event,
)
from commons.events.words import describe_rule
from federation.vocab import PUBLIC
from storage.models import Actor, Event
from tests.support import SHARED

FIXTURES = SHARED / "fixtures" / "activitypub"


def collective() -> Actor:
    return Actor(
        id=1, uri="https://paquis.test/@repair-cafe", type="Group", username="repair-cafe",
        domain="paquis.test", followers_uri="https://paquis.test/@repair-cafe/followers",
    )  # fmt: skip


def repair_cafe(**changes: Any) -> Event:
    event = Event(
        id=1, uri="https://paquis.test/events/0b7c", url="https://paquis.test/events/0b7c",
        actor_id=1, is_local=True, title="Repair Café", description_html="<p>On répare.</p>",
        start_time=datetime(2026, 12, 5, 9, 0, tzinfo=UTC),
        end_time=datetime(2026, 12, 5, 15, 0, tzinfo=UTC), timezone="Europe/Zurich",
        place_name="Maison de quartier des Pâquis", street_address="rue de Berne 50",
        postal_code="1201", locality="Genève", country="CH", latitude=46.2102, longitude=6.1432,
        category="repair_cafe", capacity=20, participant_count=3, join_mode="free",
        comments_enabled=True, status="confirmed", image_url="https://paquis.test/media/a.jpg",
        image_alt="Des grille-pain sur une table", published=datetime(2026, 11, 1, tzinfo=UTC),
    )  # fmt: skip
    for key, value in changes.items():
        setattr(event, key, value)
    return event


def test_an_event_reads_well_alone_in_mastodon() -> None:
    document = build_event(repair_cafe(), collective())
    assert document["summary"] == (
        "<p>Samedi 5 décembre 2026, 10:00–16:00 · Maison de quartier des Pâquis, rue de Berne 50,"
        " 1201 Genève · Entrée libre · 17 places restantes</p>"
    )
    assert document["type"] == "Event" and document["name"] == "Repair Café"
    assert document["attributedTo"] == document["audience"] == "https://paquis.test/@repair-cafe"
    assert document["to"] == [PUBLIC]
    assert document["cc"] == ["https://paquis.test/@repair-cafe/followers"]
    assert document["startTime"] == "2026-12-05T09:00:00Z"
    assert document["timezone"] == "Europe/Zurich"
    assert document["location"]["address"] == {
        "type": "PostalAddress", "streetAddress": "rue de Berne 50", "postalCode": "1201",
        "addressLocality": "Genève", "addressCountry": "CH",
    }  # fmt: skip
    assert document["location"]["latitude"] == 46.2102
    assert document["maximumAttendeeCapacity"] == 20
    assert document["remainingAttendeeCapacity"] == 17
    assert document["eventStatus"] == document["ical:status"] == "CONFIRMED"
    assert document["image"]["name"] == "Des grille-pain sur une table"
    assert document["attachment"][0]["name"] == "Des grille-pain sur une table"
    assert document["contentMap"] == {"fr": "<p>On répare.</p>"}
    context = document["@context"][2]
    assert context["rrule"] == "qc:rrule" and context["eventStatus"] == "ical:status"


def test_a_series_gives_its_rule_in_words_and_its_next_three_dates() -> None:
    event = repair_cafe(rrule="FREQ=WEEKLY;BYDAY=SA")
    upcoming = next_occurrences(
        event.rrule, event.start_time, event.end_time, event.timezone,
        now=datetime(2026, 12, 1, tzinfo=UTC),
    )  # fmt: skip
    document = build_event(event, collective(), upcoming=upcoming)
    assert document["summary"].startswith(
        "<p>Chaque samedi, 10:00–16:00 · Prochaines dates : samedi 5 décembre 2026, "
        "samedi 12 décembre 2026, samedi 19 décembre 2026 · Maison de quartier"
    )
    assert document["rrule"] == "FREQ=WEEKLY;BYDAY=SA"


@pytest.mark.parametrize(
    ("rule", "words"),
    [("FREQ=MONTHLY;BYDAY=1SA", "Chaque mois, le premier samedi"),
     ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "Un mardi sur deux"),
     ("FREQ=DAILY", "Chaque jour")],
)  # fmt: skip
def test_rules_in_words(rule: str, words: str) -> None:
    assert describe_rule(rule) == words


def test_a_cancelled_event_says_so_first() -> None:
    document = build_event(repair_cafe(status="cancelled"), collective())
    assert document["summary"].startswith("<p>ANNULÉ — Samedi 5 décembre 2026")
    assert document["eventStatus"] == "CANCELLED"


def test_an_online_event_has_a_virtual_location() -> None:
    event = repair_cafe(place_name=None, street_address=None, postal_code=None, locality=None,
                        online_url="https://visio.example/forum")  # fmt: skip
    document = build_event(event, collective())
    assert document["location"] == {"type": "VirtualLocation", "url": "https://visio.example/forum"}
    assert document["isOnline"] is True


def test_our_own_event_reads_back() -> None:
    document = build_event(repair_cafe(rrule="FREQ=WEEKLY;BYDAY=SA"), collective())
    fields = parse_remote_event(json.loads(json.dumps(document)))
    assert fields.start == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    assert (fields.place_name, fields.postal_code, fields.latitude) == (
        "Maison de quartier des Pâquis", "1201", 46.2102)  # fmt: skip
    assert fields.category == "repair_cafe" and fields.capacity == 20
    assert fields.rrule == "FREQ=WEEKLY;BYDAY=SA" and fields.image_alt.startswith("Des grille")  # type: ignore[union-attr]


def test_an_event_without_start_is_refused() -> None:
    with pytest.raises(EventShapeError) as refused:
        parse_remote_event({"id": "https://m.example/events/1", "type": "Event", "name": "x"})
    assert refused.value.code == "missing_start"


@pytest.mark.parametrize(
    "location",
    [42, ["nowhere", 3], [1, 2], {"type": "Place", "latitude": "north", "longitude": 500}],
)
def test_a_malformed_location_is_dropped_not_the_event(location: object) -> None:
    fields = parse_remote_event({
        "id": "https://m.example/events/1", "type": "Event", "name": "Fête",
        "startTime": "2026-06-21T18:00:00+02:00", "location": location,
    })  # fmt: skip
    assert fields.start == datetime(2026, 6, 21, 16, 0, tzinfo=UTC)
    assert fields.latitude is None and fields.longitude is None


def test_gancio_offsets_and_utc_times() -> None:
    gancio = {"id": "https://g.example/federation/m/1", "type": "Event", "name": "Demo",
              "startTime": "2026-07-14T17:30:00+02:00", "location": {"name": "Colosseo"}}  # fmt: skip
    fields = parse_remote_event(gancio)
    assert fields.timezone == "Europe/Zurich" and fields.place_name == "Colosseo"
    fields = parse_remote_event({**gancio, "startTime": "2026-07-14T17:30:00-04:00"})
    assert fields.timezone == "Etc/GMT+4"
    assert fields.start == datetime(2026, 7, 14, 21, 30, tzinfo=UTC)
    fields = parse_remote_event({**gancio, "startTime": "2026-07-14T15:30:00Z",
                                 "endTime": "2026-07-14T15:00:00Z"})  # fmt: skip
    assert fields.end is None and "endTime" in fields.dropped


def test_a_naive_time_is_read_in_the_given_zone_and_address_may_be_text() -> None:
    fields = parse_remote_event({
        "id": "https://m.example/events/2", "type": "Event", "name": "Vide-grenier",
        "startTime": "2026-05-02T09:00:00", "timezone": "Europe/Paris",
        "location": {"type": "Place", "name": "Place du Marché", "address": "1 place du Marché, Annemasse"},
        "maximumAttendeeCapacity": -3, "joinMode": "restricted", "ical:status": "TENTATIVE",
        "rrule": "FREQ=SOMETIMES",
    })  # fmt: skip
    assert fields.start == datetime(2026, 5, 2, 7, 0, tzinfo=UTC)
    assert fields.street_address == "1 place du Marché, Annemasse"
    assert fields.capacity is None and fields.join_mode == "approval"
    assert fields.status == "tentative" and fields.rrule is None and "rrule" in fields.dropped


def load(path: str) -> dict[str, Any]:
    if not FIXTURES.exists():
        pytest.skip(f"shared fixtures absent: {FIXTURES}")
    data: dict[str, Any] = json.loads((FIXTURES / path).read_text())
    return data


def test_mobilizon_event_fixture() -> None:
    fields = parse_remote_event(load("mobilizon/objects/event.json"))
    assert fields.start == datetime(2022, 12, 11, 19, 0, tzinfo=UTC)
    assert fields.end == datetime(2022, 12, 11, 21, 0, tzinfo=UTC)
    assert fields.timezone == "Europe/London"
    assert fields.place_name == "The Kenn Centre" and fields.postal_code == "EX6 7TW"
    assert fields.locality == "Teignbridge" and fields.latitude == pytest.approx(50.66881615)
    assert fields.organiser_uri == "https://rendezvous.nomagic.uk/@devon_caledonian_society"
    assert fields.capacity is None and fields.join_mode == "free" and fields.status == "confirmed"
