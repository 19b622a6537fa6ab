"""The web UI's visibilities as addressing, and addressing as a visibility: one rule."""

from __future__ import annotations

from commons.markdown import html_to_text
from commons.posts.addressing import Addressing, addressing_for, visibility_of
from federation.vocab import PUBLIC
from storage.models import Actor


def _actor(actor_id: int, name: str) -> Actor:
    uri = f"http://paquis.test/@{name}"
    return Actor(id=actor_id, uri=uri, followers_uri=f"{uri}/followers", username=name)


AMELIE, BOB, NADIA = _actor(1, "amelie"), _actor(2, "bob"), _actor(3, "nadia")
CAFE = _actor(4, "repair-cafe")
FOLLOWERS = "http://paquis.test/@amelie/followers"


def test_each_visibility_fills_the_addressing_and_reads_back_as_itself() -> None:
    # Given a reply by amelie in the café that mentions nadia, answering bob
    cases = {
        "public": Addressing((PUBLIC,), (FOLLOWERS, CAFE.uri, NADIA.uri, BOB.uri)),
        "followers": Addressing((FOLLOWERS, CAFE.uri), (NADIA.uri, BOB.uri)),
        "mentioned": Addressing((CAFE.uri, NADIA.uri)),
    }
    for visibility, expected in cases.items():
        # When the web UI fills the addressing from the visibility
        addressing = addressing_for(visibility, AMELIE, CAFE, [NADIA], BOB)
        # Then it is the one a client would send, and it reads back as the same visibility
        assert addressing == expected
        assert visibility_of(addressing, AMELIE) == visibility


def test_a_client_addressing_gives_the_visibility_of_its_widest_reader() -> None:
    assert visibility_of(Addressing(bcc=(PUBLIC,)), AMELIE) == "public"
    assert visibility_of(Addressing(bto=(FOLLOWERS,)), AMELIE) == "followers"
    assert visibility_of(Addressing(to=(NADIA.uri,)), AMELIE) == "mentioned"
    assert visibility_of(Addressing(), AMELIE) == "mentioned"
    # bto and bcc are kept but never shown
    both = Addressing((NADIA.uri,), (), (BOB.uri,), (CAFE.uri,))
    assert both.visible_fields() == ([NADIA.uri], [])
    assert both.everyone == (NADIA.uri, BOB.uri, CAFE.uri)


def test_html_from_a_client_becomes_text_to_edit() -> None:
    text = html_to_text("<p>Vide-<em>grenier</em> &amp; co</p><p>Deux<br>lignes</p>")
    assert text == "Vide-grenier & co\n\nDeux\nlignes"
