"""Mentions and hashtags found in a post's text, linked outside code and links only."""

from __future__ import annotations

import pytest

from commons.posts.hashtags import link_hashtags, map_text_nodes
from commons.posts.mentions import find_mentions, link_mentions
from storage.models import Actor


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Salut @amelie !", [("amelie", None)]),
        (
            "@Nadia@Jonction.test et @leo@servette.test:8443.",
            [("nadia", "jonction.test"), ("leo", "servette.test:8443")],
        ),
        ("écrivez à marie@example.org", []),
        ("@amelie @AMELIE", [("amelie", None)]),
        ("https://example.org/@someone/123", []),
        ("fin de phrase @karim.", [("karim", None)]),
    ],
)
def test_find_mentions(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert find_mentions(text) == expected


def actor(username: str, domain: str, uri: str) -> Actor:
    return Actor(uri=uri, username=username, domain=domain, url=uri, type="Person")


def test_link_mentions_as_h_cards_but_not_in_code() -> None:
    nadia = actor("nadia", "jonction.test", "http://jonction.test/@nadia")
    html = "<p>Merci @nadia@jonction.test</p><pre><code>@nadia@jonction.test</code></pre>"
    linked, found = link_mentions(html, {"nadia@jonction.test": nadia})
    assert found == [nadia]
    assert linked.startswith(
        '<p>Merci <span class="h-card"><a class="u-url mention" href="http://jonction.test/@nadia">'
        "@<span>nadia</span></a></span></p>"
    )
    assert "<code>@nadia@jonction.test</code>" in linked


def test_unknown_mentions_stay_text() -> None:
    linked, found = link_mentions("<p>@personne</p>", {})
    assert linked == "<p>@personne</p>" and found == []


def test_hashtags_are_linked_and_normalised_but_not_entities_numbers_or_links() -> None:
    html = (
        "<p>#RepairCafé et #troc, l&#39;atelier #1 "
        '<a href="https://x.test/#frag">#lien</a></p><code>#code</code>'
    )
    linked, tags = link_hashtags(html, "https://paquis.test")
    assert tags == ["repaircafé", "troc"]
    assert 'href="https://paquis.test/tags/repaircaf%C3%A9"' in linked
    assert "l&#39;atelier #1" in linked
    assert ">#lien</a>" in linked and "<code>#code</code>" in linked


def test_map_text_nodes_skips_nested_links() -> None:
    assert map_text_nodes("<p>a<a href='x'>a</a>a</p>", str.upper) == "<p>A<a href='x'>a</a>A</p>"
