"""The AS2 shape of posts: a Note with a French-first summary-free body, audience and tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from commons.posts.addressing import stored_addressing
from federation.vocab import PUBLIC, build_context
from storage.models import Actor, Post
from storage.models.posts import FOLLOWERS, MENTIONED
from storage.models.posts import PUBLIC as PUBLIC_VISIBILITY


def addressing(
    author: Actor, visibility: str, audience: Actor | None
) -> tuple[list[str], list[str]]:
    """``to`` and ``cc`` for a post: public posts go to everyone and cc the followers."""
    followers = [author.followers_uri] if author.followers_uri else []
    group = [audience.uri] if audience is not None else []
    if visibility == PUBLIC_VISIBILITY:
        return [PUBLIC], followers + group
    if visibility == FOLLOWERS:
        return followers + group, []
    if visibility == MENTIONED:
        return group, []
    raise ValueError(f"unknown visibility {visibility!r}")


def _local_extras(post: Post) -> dict[str, Any]:
    """What ``publish_post`` keeps of a local post beside its columns: addressing, tags,
    attachments (and, for posts written before addressing was kept, the cc of a reply)."""
    if not post.is_local or not isinstance(post.document, dict):
        return {}
    return post.document


def mentioned_uris(post: Post) -> list[str]:
    tags = _local_extras(post).get("tag") or []
    return [
        t["href"] for t in tags if t.get("type") == "Mention" and isinstance(t.get("href"), str)
    ]


def note_addressing(
    post: Post, author: Actor, audience: Actor | None
) -> tuple[list[str], list[str]]:
    """``to`` and ``cc`` as the author addressed the post (``bto``/``bcc`` never leave us).

    A post written before its addressing was kept: ``addressing`` plus the mentioned actors
    (the only ones in ``to`` when mentioned-only)."""
    kept = stored_addressing(post)
    if kept is not None:
        return kept.visible_fields()
    to, cc = addressing(author, post.visibility, audience)
    mentioned = mentioned_uris(post)
    if post.visibility == MENTIONED:
        return to + [uri for uri in mentioned if uri not in to], cc
    extra = [*mentioned, *(_local_extras(post).get("cc") or [])]
    return to, cc + [uri for uri in dict.fromkeys(extra) if uri not in to and uri not in cc]


def build_note(
    post: Post,
    author: Actor,
    audience: Actor | None,
    *,
    with_context: bool = True,
    for_author: bool = False,
) -> dict[str, Any]:
    """The post as AS2; its Markdown ``source`` only for its author (the C2S reader)."""
    to, cc = note_addressing(post, author, audience)
    note: dict[str, Any] = {
        "id": post.uri,
        "type": post.type,
        "attributedTo": author.uri,
        "published": _iso(post.published),
        "url": post.url or post.uri,
        "to": to,
        "cc": cc,
        "sensitive": post.is_sensitive,
    }
    if with_context:
        note = {"@context": build_context(), **note}
    if post.content_html:
        note["content"] = post.content_html
        if post.language:
            note["contentMap"] = {post.language: post.content_html}
    if for_author and post.source is not None:
        note["source"] = {"content": post.source, "mediaType": "text/markdown"}
    if post.summary:
        note["summary"] = post.summary
    if post.in_reply_to_uri:
        note["inReplyTo"] = post.in_reply_to_uri
    if audience is not None:
        note["audience"] = audience.uri
    if post.updated:
        note["updated"] = _iso(post.updated)
    if post.name:
        note["name"] = post.name
    extras = _local_extras(post)
    if extras.get("tag"):
        note["tag"] = list(extras["tag"])
    if extras.get("attachment"):
        note["attachment"] = list(extras["attachment"])
    return note


def build_tombstone(post: Post) -> dict[str, Any]:
    return {
        "@context": build_context(),
        "id": post.uri,
        "type": "Tombstone",
        "formerType": post.type,
        "deleted": _iso(post.deleted_at or post.published),
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
