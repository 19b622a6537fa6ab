"""Local Markdown to HTML: raw HTML off, links made safe, the result sanitized once more."""

from __future__ import annotations

import html
from typing import Any

import nh3
from markdown_it import MarkdownIt

from federation.vocab import first_str

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "a",
        "em",
        "strong",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "span",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "del",
        "img",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "span": {"class"},
    "img": {"src", "alt", "title"},
}


def render_markdown(source: str) -> str:
    return sanitize_html(_renderer.render(source))


def sanitize_html(html: str) -> str:
    """Keep only the tags a post may carry; links get ``rel="nofollow noopener"``."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def html_to_text(content_html: str) -> str:
    """The words of some HTML, paragraphs kept apart: the starting point to edit, in Markdown,
    a text a client sent as HTML."""
    paragraphs = content_html.replace("</p>", "\n\n").replace("<br>", "\n")
    return html.unescape(nh3.clean(paragraphs, tags=set())).strip()


def received_text(data: dict[str, Any], limit: int) -> tuple[str | None, str]:
    """(Markdown source, HTML) of what another server sent: our servers' Markdown ``source``
    when there is one (rendered here), else its ``content`` sanitized; ``limit`` characters of
    Markdown at most (twice as many of HTML)."""
    source = data.get("source")
    if isinstance(source, dict) and first_str(source.get("mediaType")) == "text/markdown":
        text = first_str(source.get("content"))
        if text is not None:
            return text, render_markdown(text[:limit])
    return None, sanitize_html(str(first_str(data.get("content")) or "")[: limit * 2])
