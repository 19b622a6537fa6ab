"""Local Markdown to HTML: raw HTML off, links made safe, the result sanitized once more."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

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
