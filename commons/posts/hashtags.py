"""Hashtags: found in a post's text, linked to their tag page, kept as ``post_tags`` rows.

The text of a rendered post is rewritten node by node, never inside a link, ``code`` or ``pre``,
so ``#1`` in a code sample or the fragment of a URL is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import quote

from markupsafe import escape
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PostTag

HASHTAG_RE = re.compile(r"(?<![\w&#/])#(\w{1,100})")
MAX_TAG_LENGTH = 100
MAX_TAGS = 50
_TAG_RE = re.compile(r"(<[^>]*>)")
_TAG_NAME_RE = re.compile(r"</?\s*([a-zA-Z0-9]+)")
_OPAQUE = frozenset({"a", "code", "pre"})


def normalise_tag(name: str) -> str:
    """``#RepairCafé`` and ``repaircafé`` are the same tag: no hash, lower case."""
    return name.strip().lstrip("#").lower()[:MAX_TAG_LENGTH]


def is_tag(name: str) -> bool:
    return bool(name) and not name.isdigit() and bool(re.fullmatch(r"\w+", name))


def tag_path(tag: str) -> str:
    return f"/tags/{quote(normalise_tag(tag))}"


def map_text_nodes(html: str, rewrite: Callable[[str], str]) -> str:
    """Apply ``rewrite`` to every text node of ``html`` outside ``a``, ``code`` and ``pre``."""
    opaque = 0
    out: list[str] = []
    for part in _TAG_RE.split(html):
        if part.startswith("<"):
            match = _TAG_NAME_RE.match(part)
            if match and match.group(1).lower() in _OPAQUE and not part.endswith("/>"):
                opaque += -1 if part.startswith("</") else 1
            out.append(part)
        else:
            out.append(rewrite(part) if opaque <= 0 else part)
    return "".join(out)


def link_hashtags(html: str, base_url: str) -> tuple[str, list[str]]:
    """Link every ``#tag`` of the text to its page; returns the HTML and the tags, in order."""
    found: dict[str, None] = {}  # in order of appearance

    def replace(match: re.Match[str]) -> str:
        tag = normalise_tag(match.group(1))
        if not is_tag(tag):
            return match.group(0)
        found[tag] = None
        return (
            f'<a href="{escape(base_url + tag_path(tag))}" class="mention hashtag" rel="tag">'
            f"#<span>{escape(match.group(1))}</span></a>"
        )

    rewritten = map_text_nodes(html, lambda text: HASHTAG_RE.sub(replace, text))
    return rewritten, list(found)


def build_hashtag(tag: str, base_url: str) -> dict[str, str]:
    return {"type": "Hashtag", "href": base_url + tag_path(tag), "name": f"#{tag}"}


def kept_tags(tags: Iterable[str]) -> list[str]:
    """The tags a post keeps: normalised, each once, in order, at most ``MAX_TAGS``."""
    unique = list(dict.fromkeys(t for t in (normalise_tag(t) for t in tags) if is_tag(t)))
    return unique[:MAX_TAGS]


async def replace_post_tags(
    session: AsyncSession, post_id: int, tags: Iterable[str], *, new: bool = False
) -> None:
    """The ``post_tags`` rows of a post become exactly ``tags`` (``new``: it has none yet)."""
    if not new:
        await session.execute(delete(PostTag).where(PostTag.post_id == post_id))
    session.add_all(PostTag(post_id=post_id, tag=tag) for tag in kept_tags(tags))
    await session.flush()
