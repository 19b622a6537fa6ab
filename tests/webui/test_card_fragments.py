"""Post cards kept between readers: the right reader's token, and never a stale card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from jinja2 import Environment

from commons.posts.cards import PostCard
from storage.models import Account, Actor, Media, Post
from webui import i18n
from webui.card_fragments import PostCards
from webui.session import Viewer
from webui.templating import build_templates

BASE = "https://paquis.test"


@dataclass
class FakeURL:
    path: str
    query: str = ""


@dataclass
class FakeRequest:
    url: FakeURL


def resident(actor_id: int, username: str, *, moderator: bool = False) -> Viewer:
    actor = Actor(id=actor_id, username=username, domain="paquis.test", uri=f"{BASE}/@{username}")
    return Viewer(Account(id=actor_id, actor_id=actor_id, is_moderator=moderator), actor)


def card_of(content: str = "<p>Troc de graines samedi</p>", **post_fields: object) -> PostCard:
    author = Actor(
        id=7, username="maya", domain="paquis.test", name="Maya", uri=f"{BASE}/@maya", url=None
    )
    post = Post(
        id=42,
        uri=f"{BASE}/posts/0b7f",
        actor_id=7,
        is_local=True,
        content_html=content,
        visibility="public",
        published=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        **post_fields,
    )
    return PostCard(post, author, BASE)


@pytest.fixture
def environment() -> Environment:
    return build_templates("Europe/Zurich").env


def render(
    environment: Environment,
    card: PostCard,
    viewer: Viewer | None = None,
    csrf: str = "token-one",
    path: str = "/local",
) -> str:
    page = environment.from_string("{{ post_card(card) }}")
    token = i18n.current_locale.set("fr")
    try:
        return page.render(
            card=card,
            viewer=viewer,
            csrf_token=csrf,
            request=FakeRequest(FakeURL(path, "before=99")),
            lang="fr",
        )
    finally:
        i18n.current_locale.reset(token)


def test_each_reader_gets_their_own_token_and_page_address(environment: Environment) -> None:
    # Given a card already rendered for one resident
    first = render(environment, card_of(), resident(1, "ana"), csrf="token-of-ana", path="/local")

    # When another resident in the same situation reads it on another page
    second = render(environment, card_of(), resident(2, "bea"), csrf="token-of-bea", path="/home")

    # Then each page carries its reader's token and returns to its own address
    cards: PostCards = environment.globals["post_card"]  # type: ignore[assignment]
    assert len(cards) == 1
    assert 'value="token-of-ana"' in first and "token-of-bea" not in first
    assert 'value="token-of-bea"' in second and "token-of-ana" not in second
    assert 'value="/home?before=99#post-42"' in second
    assert cards.csrf_mark not in second and cards.next_mark not in second


def test_an_edited_post_and_a_renamed_author_are_rendered_again(environment: Environment) -> None:
    # Given a card shown once
    card = card_of()
    assert "Troc de graines samedi" in render(environment, card, resident(1, "ana"))

    # When the post is edited, then its author changes their display name
    card.post.content_html = "<p>Troc de graines dimanche</p>"
    card.post.updated = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    edited = render(environment, card, resident(1, "ana"))
    card.author.name = "Maya Rossi"
    renamed = render(environment, card, resident(1, "ana"))

    # Then every reading shows what is true now
    assert "dimanche" in edited and "samedi" not in edited
    assert "Maya Rossi" in renamed


def test_new_attachments_and_a_deletion_are_rendered_again(environment: Environment) -> None:
    card = card_of()
    render(environment, card)
    card.attachments = [
        Media(id=3, key="abc", content_type="image/png", alt_text="Le bac à graines")
    ]
    assert 'alt="Le bac à graines"' in render(environment, card)
    card.post.deleted_at = datetime(2026, 11, 21, tzinfo=UTC)
    assert "Le bac à graines" not in render(environment, card)


def test_what_the_reader_may_do_is_part_of_what_is_kept(environment: Environment) -> None:
    card = card_of()
    # A passer-by sees no action; the author may edit and delete; a moderator may delete
    anonymous = render(environment, card)
    author = render(environment, card, resident(7, "maya"))
    moderator = render(environment, card, resident(3, "mod", moderator=True))
    neighbour = render(environment, card, resident(4, "noa"))
    card.is_liked = True
    liked = render(environment, card, resident(4, "noa"))

    assert "/like" not in anonymous and "csrf_token" not in anonymous
    assert "/edit" in author and "/delete" in author
    assert "/edit" not in moderator and "/delete" in moderator
    assert "/edit" not in neighbour and "/delete" not in neighbour
    assert 'aria-pressed="false"' in neighbour and 'aria-pressed="true"' in liked


def test_text_that_looks_like_a_mark_is_left_as_it_is(environment: Environment) -> None:
    # Given a post whose author wrote something shaped like the marks, hoping to catch a token
    lure = "csrf" + "0" * 32
    card = card_of(f'<p><a href="https://evil.example/?t={lure}">prix</a> {lure}</p>')

    # When a resident reads it
    html = render(environment, card, resident(1, "ana"), csrf="secret-token")

    # Then the token appears only in the forms, never in the post
    assert html.count("secret-token") == 2
    assert html.count(lure) == 2


def test_the_store_keeps_a_bounded_number_of_cards(environment: Environment) -> None:
    cards: PostCards = environment.globals["post_card"]  # type: ignore[assignment]
    cards.capacity = 3
    for post_id in range(10):
        card = card_of()
        card.post.id = post_id
        render(environment, card)
    assert len(cards) == 3
