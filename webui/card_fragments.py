"""Post cards rendered once and kept for the next reader in the same situation.

A timeline page shows twenty cards, and rendering them was most of the page's cost. A card's
HTML depends on the post, its author and attachments, the reader's language, and a few facts
about the reader: signed in or not, whether they liked or boosted it, whether they may edit or
delete it. It is kept under those facts, beside everything it was rendered from: a card whose
post, author or attachments changed since is rendered again, so an edit, a deletion or a new
display name shows at once.

The two things that belong to one reader only, the CSRF token and the address of the page
(where a like returns to), are rendered as marks and replaced on the way out. The marks are
random for each process, so no post can contain one to have a reader's token written into it.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from typing import Any

from jinja2 import Environment, Template, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from commons.posts.cards import PostCard
from webui import i18n

CARD_TEMPLATE = "partials/post_card.html"
DEFAULT_CAPACITY = 2048


def card_version(card: PostCard) -> tuple[Any, ...]:
    """Everything a card is rendered from, apart from the reader."""
    post, author = card.post, card.author
    return (
        post.content_html,
        post.summary,
        post.language,
        post.visibility,
        post.in_reply_to_uri,
        post.published,
        post.updated,
        post.deleted_at,
        post.uri,
        post.is_local,
        author.name,
        author.username,
        author.domain,
        author.url,
        author.uri,
        author.icon_url,
        tuple((media.id, media.alt_text, media.content_type) for media in card.attachments),
    )


def _page_address(request: Any) -> str:
    if request is None:
        return ""
    query = request.url.query
    return f"{request.url.path}?{query}" if query else str(request.url.path)


class PostCards:
    """A bounded, least-recently-used store of rendered cards for one template environment."""

    def __init__(self, environment: Environment, capacity: int = DEFAULT_CAPACITY) -> None:
        self.environment = environment
        self.capacity = capacity
        self.csrf_mark = f"csrf{secrets.token_hex(16)}"
        self.next_mark = f"next{secrets.token_hex(16)}"
        self._template: Template | None = None
        self._entries: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @pass_context
    def __call__(self, context: Context, card: PostCard) -> Markup:
        viewer = context.get("viewer")
        signed_in = viewer is not None
        is_author = signed_in and viewer.actor.id == card.post.actor_id
        reader = {
            "signed_in": signed_in,
            "can_edit": is_author and card.post.is_local,
            "can_delete": is_author or (signed_in and viewer.is_moderator),
        }
        key = (
            card.post.id,
            i18n.current_locale.get(),
            *reader.values(),
            card.is_liked,
            card.is_boosted,
            card.likes,
            card.boosts,
            card.depth,
        )
        version = card_version(card)
        found = self._entries.get(key)
        if found is not None and found[0] == version:
            self._entries.move_to_end(key)
            html = found[1]
        else:
            html = self._render(card, reader, context.get("lang"))
            self._entries[key] = (version, html)
            if len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        if signed_in:
            html = html.replace(self.csrf_mark, str(escape(context.get("csrf_token", ""))))
            html = html.replace(self.next_mark, str(escape(_page_address(context.get("request")))))
        return Markup(html)  # noqa: S704 (rendered by an autoescaping template)

    def _render(self, card: PostCard, reader: dict[str, bool], lang: str | None) -> str:
        if self._template is None:
            self._template = self.environment.get_template(CARD_TEMPLATE)
        return self._template.render(
            card=card,
            lang=lang,
            csrf_mark=self.csrf_mark,
            next_mark=self.next_mark,
            **reader,
        )
