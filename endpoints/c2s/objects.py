"""Reading what a client sends: the activity's type, a post's properties, its addressing.

Pure functions on the JSON a client sent; they raise :class:`ClientError` (400) with a reason,
and never touch the database. ``type`` may be a string or a list (the first type we know wins),
as every other server sends it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any

from commons.markdown import sanitize_html
from commons.posts.addressing import Addressing
from endpoints.c2s.errors import ClientError
from federation.parsing import ParsedAttachment, ParsedTag, parse_object
from federation.vocab import first_str, id_of, ids_of, types_of

POST_TYPES = ("Note", "Article", "Page")
EVENT_TYPE = "Event"
QUESTION_TYPE = "Question"
OBJECT_TYPES = (*POST_TYPES, EVENT_TYPE, QUESTION_TYPE)
ACTIVITY_TYPES = ("Create", "Update", "Delete", "Follow", "Like", "Announce", "Undo", "Offer",
                  "Accept", "Reject")  # fmt: skip
MARKDOWN = "text/markdown"
MAX_NAME = 500
MAX_SUMMARY = 5000
MAX_SOURCE = 50_000
MAX_RECIPIENTS = 100
_ADDRESSING = ("to", "cc", "bto", "bcc", "audience")


def main_type(document: dict[str, Any], known: tuple[str, ...]) -> str | None:
    """The first of the document's types that we know; the first one when none is known."""
    types = types_of(document.get("type"))
    return next((kind for kind in types if kind in known), types[0] if types else None)


def as_activity(document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(type, activity)``; a bare object is wrapped in a ``Create`` (§6.2.1) that copies its
    addressing."""
    kind = main_type(document, (*ACTIVITY_TYPES, *OBJECT_TYPES))
    if kind is None:
        raise ClientError(400, "expected a JSON object with a type")
    if kind in OBJECT_TYPES:
        wrapped = {"type": "Create", "object": document}
        wrapped.update({name: document[name] for name in _ADDRESSING if name in document})
        return "Create", wrapped
    return kind, document


def embedded_object(activity: dict[str, Any], kind: str) -> dict[str, Any]:
    obj = activity.get("object")
    if isinstance(obj, list) and len(obj) == 1:
        obj = obj[0]
    if not isinstance(obj, dict):
        raise ClientError(400, f"{kind} takes the object itself, embedded")
    return obj


def object_id(activity: dict[str, Any]) -> str:
    uri = id_of(activity.get("object"))
    if not uri:
        raise ClientError(400, "the activity needs an object")
    return uri


def addressing_of(activity: dict[str, Any], obj: dict[str, Any]) -> Addressing:
    """The object's and the activity's addressing together (§7: a Create's are the same)."""
    mine, theirs = Addressing.of(obj), Addressing.of(activity)
    return Addressing(
        tuple(dict.fromkeys([*mine.to, *theirs.to])),
        tuple(dict.fromkeys([*mine.cc, *theirs.cc])),
        tuple(dict.fromkeys([*mine.bto, *theirs.bto])),
        tuple(dict.fromkeys([*mine.bcc, *theirs.bcc])),
    )


def audience_of(activity: dict[str, Any], obj: dict[str, Any]) -> str | None:
    found = ids_of(obj.get("audience")) or ids_of(activity.get("audience"))
    if len(found) > 1:
        raise ClientError(400, "a post goes to one collective at most (audience)")
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class ClientText:
    """The text of a post: sanitized HTML, or Markdown to render (``source``)."""

    html: str = ""
    markdown: str | None = None
    language: str | None = None


def _text(value: object, what: str, limit: int) -> str | None:
    if value is None:
        return None
    text = first_str(value)
    if text is None:
        raise ClientError(400, f"{what} must be a string")
    if len(text) > limit:
        raise ClientError(400, f"{what} is longer than {limit} characters")
    return text.strip() or None


def read_text(obj: dict[str, Any]) -> ClientText:
    """``source`` in Markdown wins (as Mastodon's API carries it); else ``content`` (or
    ``contentMap``) as HTML, sanitized exactly like the HTML other servers send."""
    source = obj.get("source")
    if source is not None:
        if not isinstance(source, dict) or not isinstance(source.get("content"), str):
            raise ClientError(400, "source must be {content, mediaType}")
        media_type = source.get("mediaType", MARKDOWN)
        if media_type != MARKDOWN:
            raise ClientError(400, f"source.mediaType must be {MARKDOWN}")
        markdown = source["content"]
        if len(markdown) > MAX_SOURCE:
            raise ClientError(400, f"source is longer than {MAX_SOURCE} characters")
        return ClientText(markdown=markdown)
    content = obj.get("content")
    if content is not None:
        if not isinstance(content, str):
            raise ClientError(400, "content must be a string of HTML")
        return ClientText(_sanitized(content))
    content_map = obj.get("contentMap")
    if isinstance(content_map, dict):
        for language in ("fr", "en", *content_map):
            html = content_map.get(language)
            if isinstance(html, str):
                return ClientText(_sanitized(html), language=str(language)[:8])
    return ClientText()


def _sanitized(html: str) -> str:
    if len(html) > MAX_SOURCE:
        raise ClientError(400, f"content is longer than {MAX_SOURCE} characters")
    return sanitize_html(html).strip()


@dataclass(frozen=True, slots=True)
class ClientPost:
    """A Note, Article or Page as a client sent it."""

    type: str
    text: ClientText
    name: str | None
    summary: str | None
    in_reply_to: str | None
    addressing: Addressing
    audience_uri: str | None
    attachments: list[ParsedAttachment] = field(default_factory=list)
    tags: list[ParsedTag] = field(default_factory=list)


def read_post(activity: dict[str, Any], obj: dict[str, Any]) -> ClientPost:
    kind = main_type(obj, POST_TYPES)
    if kind not in POST_TYPES:
        raise ClientError(400, f"Create takes a Note, an Article, a Page or an Event, not {kind}")
    parsed = parse_object(obj)
    post = ClientPost(
        type=kind,
        text=read_text(obj),
        name=_text(obj.get("name"), "name", MAX_NAME),
        summary=_text(obj.get("summary"), "summary", MAX_SUMMARY),
        in_reply_to=id_of(obj.get("inReplyTo")),
        addressing=addressing_of(activity, obj),
        audience_uri=audience_of(activity, obj),
        attachments=[a for a in parsed.attachments if a.url],
        tags=parsed.tags,
    )
    if len(post.addressing.everyone) > MAX_RECIPIENTS:
        raise ClientError(400, f"a post names {MAX_RECIPIENTS} recipients at most")
    if not (post.text.html or post.text.markdown or post.name or post.attachments):
        raise ClientError(400, "a post needs content, a source, a name or an attachment")
    return post


@dataclass(frozen=True, slots=True)
class PostUpdate:
    """What an ``Update`` replaces (§6.3.1): a property sent replaces the stored one, ``null``
    removes it, a property not sent stays as it is."""

    text: ClientText | EllipsisType = ...
    name: str | EllipsisType | None = ...
    summary: str | EllipsisType | None = ...
    attachments: list[ParsedAttachment] | EllipsisType | None = ...


def read_post_update(obj: dict[str, Any]) -> PostUpdate:
    text: ClientText | EllipsisType = ...
    if "source" in obj and obj["source"] is not None:
        text = read_text(obj)
    elif "content" in obj or "contentMap" in obj or "source" in obj:
        text = read_text({k: v for k, v in obj.items() if k in ("content", "contentMap")})
    attachments: list[ParsedAttachment] | EllipsisType | None = ...
    if "attachment" in obj:
        found = parse_object({"type": "Note", "attachment": obj["attachment"]}).attachments
        attachments = [a for a in found if a.url] if obj["attachment"] is not None else None
    return PostUpdate(
        text=text,
        name=_text(obj["name"], "name", MAX_NAME) if "name" in obj else ...,
        summary=_text(obj["summary"], "summary", MAX_SUMMARY) if "summary" in obj else ...,
        attachments=attachments,
    )


def merged_properties(current: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """An Update applied to an object as we serve it (§6.3.1): each top-level property sent
    replaces the current one, ``null`` removes it; ``id``, ``type`` and ``@context`` stay."""
    merged = dict(current)
    for key, value in sent.items():
        if key in ("id", "type", "@context"):
            continue
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
