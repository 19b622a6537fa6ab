"""Lenient readers that turn incoming AS2 JSON into typed, frozen data.

Other servers disagree on shapes: `to` is a string or a list, `attributedTo` a
string, an object or a list, `type` a string or a list, `url` a string, a Link
or a list of Links. Readers accept all of these and ignore unknown properties;
they raise :class:`InvalidActivity` (and nothing else) only when something
essential is missing or of an impossible type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from federation.errors import InvalidActivity
from federation.vocab import (
    ACTIVITY_TYPES,
    ACTOR_TYPES,
    as_list,
    first_str,
    id_of,
    ids_of,
    types_of,
)

JsonDict = dict[str, Any]

MAX_ADDRESS_LENGTH = 2048
"""The longest address a row keeps (VARCHAR(2048) columns). What comes with a longer id (an
activity, an actor, an object), or an actor with a longer inbox, collection or key, is refused,
as it could not be stored; a longer link (a profile, a picture, a post's page or the post it
answers) is left out."""


@dataclass(frozen=True, slots=True)
class ParsedTag:
    type: str
    name: str | None
    href: str | None


@dataclass(frozen=True, slots=True)
class ParsedAttachment:
    type: str | None
    url: str | None
    media_type: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class ParsedActivity:
    id: str | None
    type: str
    actor_uri: str
    object_uri: str | None
    object: JsonDict | None
    target: str | None
    to: list[str]
    cc: list[str]
    audience: list[str]
    published: datetime | None
    raw: JsonDict = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ParsedActor:
    id: str
    type: str
    preferred_username: str | None
    name: str | None
    summary: str | None
    url: str | None
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    followers: str | None
    following: str | None
    public_key_id: str | None
    public_key_pem: str | None
    owner: str | None
    manually_approves_followers: bool
    icon_url: str | None
    webfinger: str | None
    is_group: bool
    raw: JsonDict = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ParsedObject:
    id: str | None
    type: str
    attributed_to: str | None
    content: str | None
    content_map: dict[str, str]
    name: str | None
    summary: str | None
    url: str | None
    in_reply_to: str | None
    published: datetime | None
    updated: datetime | None
    to: list[str]
    cc: list[str]
    audience: list[str]
    tags: list[ParsedTag]
    attachments: list[ParsedAttachment]
    sensitive: bool
    start_time: datetime | None
    end_time: datetime | None
    raw: JsonDict = field(repr=False, compare=False)

    @property
    def hashtags(self) -> list[str]:
        return [t.name for t in self.tags if t.type == "Hashtag" and t.name]

    @property
    def mention_uris(self) -> list[str]:
        return [t.href for t in self.tags if t.type == "Mention" and t.href]


def _require_dict(doc: object, what: str) -> JsonDict:
    if not isinstance(doc, dict):
        raise InvalidActivity(f"{what} is not a JSON object")
    return doc


def _optional_id(doc: JsonDict) -> str | None:
    value = doc.get("id")
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidActivity("id is not a non-empty string")
    return value


def _main_type(doc: JsonDict, preferred: frozenset[str] = frozenset()) -> str:
    types = types_of(doc.get("type"))
    if not types:
        raise InvalidActivity("type is missing")
    for candidate in types:
        if candidate in preferred:
            return candidate
    return types[0]


EARLIEST_KEPT = datetime(2, 1, 1, tzinfo=UTC)
LATEST_KEPT = datetime(9998, 12, 31, tzinfo=UTC)
"""The moments we keep: a year from each end of what a datetime holds, so that the moment seen
in any time zone, and the day, week or month around it, are still datetimes (year 1 at
midnight in Geneva is before the first moment in UTC, and cannot be stored)."""


def is_kept_moment(moment: datetime) -> bool:
    """Whether ``moment`` (aware) lies between :data:`EARLIEST_KEPT` and :data:`LATEST_KEPT`."""
    try:
        return EARLIEST_KEPT <= moment.astimezone(UTC) <= LATEST_KEPT
    except OverflowError:  # its own offset puts it past the ends of the calendar
        return False


def is_kept_day(day: date) -> bool:
    return EARLIEST_KEPT.date() <= day <= LATEST_KEPT.date()


def parse_datetime(value: object) -> datetime | None:
    """An xsd:dateTime as an aware datetime (naive values are taken as UTC); None if unreadable
    or not one we keep (see :data:`EARLIEST_KEPT`)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment if is_kept_moment(moment) else None


def _web_url(value: str) -> str | None:
    """Only http(s) links are kept: a ``javascript:`` or ``data:`` url would end up in a page."""
    scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
    return value.strip() if scheme in ("http", "https") else None


def url_of(value: object) -> str | None:
    """A `url`: a string, a Link (`href`), or a list of them; an HTML link is preferred.

    Anything but an http(s) URL is dropped, since these links are shown to people.
    """
    if isinstance(value, str):
        return _web_url(value)
    if isinstance(value, dict):
        href = value.get("href")
        return _web_url(href) if isinstance(href, str) else None
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item.get("mediaType") == "text/html":
                found = url_of(item)
                if found:
                    return found
        for item in value:
            found = url_of(item) if not isinstance(item, list) else None
            if found:
                return found
    return None


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _parse_tags(value: object) -> list[ParsedTag]:
    tags: list[ParsedTag] = []
    for item in as_list(value):
        if not isinstance(item, dict):
            continue
        kind = first_str(item.get("type"))
        if kind is None:
            continue
        href = item.get("href")
        tags.append(
            ParsedTag(
                type=kind,
                name=first_str(item.get("name")),
                href=href if isinstance(href, str) else id_of(item.get("id")),
            )
        )
    return tags


def _parse_attachments(value: object) -> list[ParsedAttachment]:
    found: list[ParsedAttachment] = []
    for item in as_list(value):
        if isinstance(item, str):
            found.append(ParsedAttachment(type=None, url=item, media_type=None, name=None))
        elif isinstance(item, dict):
            media_type = item.get("mediaType")
            found.append(
                ParsedAttachment(
                    type=first_str(item.get("type")),
                    url=url_of(item.get("url")) or url_of(item.get("href")),
                    media_type=media_type if isinstance(media_type, str) else None,
                    name=first_str(item.get("name")),
                )
            )
    return found


def parse_activity(doc: object) -> ParsedActivity:
    data = _require_dict(doc, "activity")
    kind = _main_type(data, ACTIVITY_TYPES)
    actor_uri = id_of(data.get("actor"))
    if actor_uri is None:
        raise InvalidActivity(f"{kind} has no actor")
    embedded = data.get("object")
    if isinstance(embedded, list):
        embedded = next((item for item in embedded if isinstance(item, dict | str)), None)
    return ParsedActivity(
        id=_optional_id(data),
        type=kind,
        actor_uri=actor_uri,
        object_uri=id_of(embedded),
        object=embedded if isinstance(embedded, dict) else None,
        target=id_of(data.get("target")),
        to=ids_of(data.get("to")),
        cc=ids_of(data.get("cc")),
        audience=ids_of(data.get("audience")),
        published=parse_datetime(data.get("published")),
        raw=data,
    )


def _public_key(data: JsonDict) -> JsonDict:
    for candidate in as_list(data.get("publicKey")):
        if isinstance(candidate, dict) and isinstance(candidate.get("publicKeyPem"), str):
            return candidate
    return {}


def parse_actor(doc: object) -> ParsedActor:
    data = _require_dict(doc, "actor")
    actor_id = _optional_id(data)
    if actor_id is None:
        raise InvalidActivity("actor has no id")
    kind = _main_type(data, ACTOR_TYPES)
    inbox = id_of(data.get("inbox"))
    if inbox is None:
        raise InvalidActivity("actor has no inbox")
    endpoints = data.get("endpoints")
    shared_inbox = id_of(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None
    key = _public_key(data)
    key_id = id_of(key.get("id"))
    outbox = id_of(data.get("outbox"))
    followers = id_of(data.get("followers"))
    following = id_of(data.get("following"))
    for address in (actor_id, inbox, shared_inbox, outbox, followers, following, key_id):
        if address is not None and len(address) > MAX_ADDRESS_LENGTH:
            raise InvalidActivity(f"an address longer than {MAX_ADDRESS_LENGTH} characters")
    username = data.get("preferredUsername")
    webfinger = data.get("webfinger")
    return ParsedActor(
        id=actor_id,
        type=kind,
        preferred_username=username if isinstance(username, str) and username else None,
        name=first_str(data.get("name")),
        summary=first_str(data.get("summary")),
        url=_fitting(url_of(data.get("url"))),
        inbox=inbox,
        shared_inbox=shared_inbox,
        outbox=outbox,
        followers=followers,
        following=following,
        public_key_id=key_id,
        public_key_pem=key.get("publicKeyPem"),
        owner=id_of(key.get("owner")),
        manually_approves_followers=data.get("manuallyApprovesFollowers") is True,
        icon_url=_fitting(url_of(data.get("icon")) or _image_url(data.get("icon"))),
        webfinger=webfinger if isinstance(webfinger, str) else None,
        is_group="Group" in types_of(data.get("type")),
        raw=data,
    )


def _fitting(address: str | None) -> str | None:
    """A link we can keep; one too long is left out, not what it belongs to."""
    return address if address is None or len(address) <= MAX_ADDRESS_LENGTH else None


def _image_url(value: object) -> str | None:
    for item in as_list(value):
        if isinstance(item, dict):
            found = url_of(item.get("url"))
            if found:
                return found
    return None


def parse_object(doc: object) -> ParsedObject:
    data = _require_dict(doc, "object")
    kind = _main_type(data)
    object_id = _optional_id(data)
    if object_id is not None and len(object_id) > MAX_ADDRESS_LENGTH:
        raise InvalidActivity(f"an id longer than {MAX_ADDRESS_LENGTH} characters")
    return ParsedObject(
        id=object_id,
        type=kind,
        attributed_to=id_of(data.get("attributedTo")),
        content=first_str(data.get("content")),
        content_map=_str_map(data.get("contentMap")),
        name=first_str(data.get("name")),
        summary=first_str(data.get("summary")),
        url=_fitting(url_of(data.get("url"))),
        in_reply_to=_fitting(id_of(data.get("inReplyTo"))),
        published=parse_datetime(data.get("published")),
        updated=parse_datetime(data.get("updated")),
        to=ids_of(data.get("to")),
        cc=ids_of(data.get("cc")),
        audience=ids_of(data.get("audience")),
        tags=_parse_tags(data.get("tag")),
        attachments=_parse_attachments(data.get("attachment")),
        sensitive=data.get("sensitive") is True,
        start_time=parse_datetime(data.get("startTime")),
        end_time=parse_datetime(data.get("endTime")),
        raw=data,
    )


def parse_document(doc: object) -> ParsedActivity | ParsedActor | ParsedObject:
    """Dispatch on `type`: an activity, an actor, or any other object."""
    data = _require_dict(doc, "document")
    types = set(types_of(data.get("type")))
    if types & ACTIVITY_TYPES and "actor" in data:
        return parse_activity(data)
    if types & ACTOR_TYPES:
        return parse_actor(data)
    return parse_object(data)
