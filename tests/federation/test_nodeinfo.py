"""NodeInfo: our documents validate against the jhass schemas; others' documents parse."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from federation.nodeinfo import (
    best_nodeinfo_href,
    build_nodeinfo,
    build_nodeinfo_links,
    parse_nodeinfo,
    parse_nodeinfo_links,
)
from tests.federation.federation_support import shared_path


def _ours(version: Any) -> dict[str, Any]:
    return build_nodeinfo(
        version,
        software_name="quartiers-collaboratifs",
        software_version="0.1.0",
        repository="https://example.org/quartiers",
        homepage="https://quartiers.example",
        total_users=12,
        active_month=5,
        active_halfyear=9,
        local_posts=40,
        open_registrations=False,
        metadata={"nodeName": "Pâquis"},
    )


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_our_nodeinfo_is_schema_valid(version: str) -> None:
    schema = json.loads(
        shared_path("vectors", "nodeinfo-schemas", version, "schema.json").read_text()
    )
    document = _ours(version)
    jsonschema.Draft4Validator(schema).validate(document)
    assert parse_nodeinfo(document) is not None


def test_repository_only_in_2_1() -> None:
    assert "repository" not in _ours("2.0")["software"]
    assert _ours("2.1")["software"]["homepage"] == "https://quartiers.example"


def test_schema_examples_parse() -> None:
    for version in ("2.0", "2.1", "2.2"):
        example = json.loads(
            shared_path("vectors", "nodeinfo-schemas", version, "example.json").read_text()
        )
        parsed = parse_nodeinfo(example)
        assert parsed is not None and parsed.version == version


def test_links_document() -> None:
    links = parse_nodeinfo_links(build_nodeinfo_links("https://paquis.example/"))
    assert links == {
        "2.0": "https://paquis.example/nodeinfo/2.0",
        "2.1": "https://paquis.example/nodeinfo/2.1",
    }
    assert best_nodeinfo_href(links) == "https://paquis.example/nodeinfo/2.1"


@pytest.mark.parametrize(
    ("name", "versions"),
    [
        ("regular.json", {"2.0"}),
        ("both_versions.json", {"2.0", "2.1"}),
        ("older_versions.json", {"1.1"}),
        ("wp-event-federation.json", {"2.0"}),
    ],
)
def test_discovery_fixtures_parse(name: str, versions: set[str]) -> None:
    doc = json.loads(shared_path("fixtures", "nodeinfo", name).read_text())
    assert set(parse_nodeinfo_links(doc)) == versions


def test_real_world_documents_parse_leniently() -> None:
    mobilizon = parse_nodeinfo(
        json.loads(shared_path("fixtures", "nodeinfo", "data.json").read_text())
    )
    wordpress = parse_nodeinfo(
        json.loads(shared_path("fixtures", "nodeinfo", "wp-data.json").read_text())
    )
    assert mobilizon is not None and mobilizon.software_name == "Mobilizon"
    assert mobilizon.total_users == 9204 and mobilizon.local_posts == 7545
    assert wordpress is not None and wordpress.software_name == "wordpress"
    assert wordpress.metadata == {} and wordpress.open_registrations is False


@pytest.mark.parametrize("doc", [None, [], "x", {"version": 2}, {"links": []}])
def test_non_nodeinfo_gives_none(doc: object) -> None:
    assert parse_nodeinfo(doc) is None


def test_every_field_we_read_is_taken_from_its_place() -> None:
    document = {
        "version": "2.0",
        "software": {"name": "mastodon", "version": "4.3.2"},
        "protocols": ["activitypub", 7, "diaspora"],
        "openRegistrations": True,
        "usage": {"users": {"total": 1200, "activeMonth": 340, "activeHalfyear": 700},
                  "localPosts": 98765},
        "metadata": {"nodeName": "Les Pâquis"},
    }  # fmt: skip
    parsed = parse_nodeinfo(document)
    assert parsed is not None
    assert (parsed.version, parsed.software_name, parsed.software_version) == (
        "2.0", "mastodon", "4.3.2")  # fmt: skip
    assert parsed.protocols == ("activitypub", "diaspora")
    assert parsed.open_registrations is True
    assert (parsed.total_users, parsed.active_month, parsed.local_posts) == (1200, 340, 98765)
    assert parsed.metadata == {"nodeName": "Les Pâquis"}
    unreadable = parse_nodeinfo({**document, "protocols": "activitypub", "openRegistrations": 1})
    assert unreadable is not None
    assert (unreadable.protocols, unreadable.open_registrations) == ((), None)


@pytest.mark.parametrize(
    ("versions", "chosen"),
    [({"2.2", "2.1", "2.0"}, "2.2"), ({"2.1", "2.0"}, "2.1"), ({"1.1", "2.0"}, "2.0"),
     ({"1.0", "1.1"}, "1.1"), ({"1.0"}, "1.0"), ({"3.0"}, None), (set(), None)],
)  # fmt: skip
def test_the_newest_version_we_can_read_is_chosen(versions: set[str], chosen: str | None) -> None:
    links = {version: f"https://x.test/nodeinfo/{version}" for version in versions}
    expected = None if chosen is None else f"https://x.test/nodeinfo/{chosen}"
    assert best_nodeinfo_href(links) == expected
