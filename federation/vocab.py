"""ActivityStreams 2.0 constants and lenient accessors for incoming JSON."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final
from urllib.parse import urlsplit

AS_NAMESPACE: Final = "https://www.w3.org/ns/activitystreams"
SECURITY_V1: Final = "https://w3id.org/security/v1"
PUBLIC: Final = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES: Final = frozenset({PUBLIC, "as:Public", "Public"})

ACTIVITY_JSON: Final = "application/activity+json"
LD_JSON_AS: Final = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACCEPT_ACTIVITYPUB: Final = f"{ACTIVITY_JSON}, {LD_JSON_AS}"

ACTOR_TYPES: Final = frozenset({"Person", "Group", "Organization", "Application", "Service"})
ACTIVITY_TYPES: Final = frozenset(
    {
        "Accept",
        "Add",
        "Announce",
        "Arrive",
        "Block",
        "Create",
        "Delete",
        "Dislike",
        "EmojiReact",
        "Flag",
        "Follow",
        "Ignore",
        "Invite",
        "Join",
        "Leave",
        "Like",
        "Listen",
        "Lock",
        "Move",
        "Offer",
        "Question",
        "Read",
        "Reject",
        "Remove",
        "TentativeAccept",
        "TentativeReject",
        "Travel",
        "Undo",
        "Update",
        "View",
    }
)

DEFAULT_CONTEXT: Final[list[Any]] = [
    AS_NAMESPACE,
    SECURITY_V1,
    {
        "toot": "http://joinmastodon.org/ns#",
        "schema": "http://schema.org#",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "sharedInbox": {"@id": "as:sharedInbox", "@type": "@id"},
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "votersCount": "toot:votersCount",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "webfinger": "https://purl.archive.org/socialweb/webfinger#webfinger",
    },
]


MOBILIZON_NAMESPACE: Final = "https://joinmobilizon.org/ns#"
QUARTIERS_NAMESPACE: Final = "https://quartiers-collaboratifs.org/ns#"
ICAL_NAMESPACE: Final = "http://www.w3.org/2002/12/cal/ical#"

EVENT_CONTEXT_TERMS: Final[dict[str, Any]] = {
    "mz": MOBILIZON_NAMESPACE,
    "qc": QUARTIERS_NAMESPACE,
    "ical": ICAL_NAMESPACE,
    "pt": "https://joinpeertube.org/ns#",
    "sc": "http://schema.org#",
    "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
    "isOnline": {"@id": "mz:isOnline", "@type": "sc:Boolean"},
    "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
    "externalParticipationUrl": {"@id": "mz:externalParticipationUrl", "@type": "sc:URL"},
    "participantCount": {"@id": "mz:participantCount", "@type": "sc:Integer"},
    "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
    "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
    "category": "sc:category",
    "commentsEnabled": {"@id": "pt:commentsEnabled", "@type": "sc:Boolean"},
    "repliesModerationOption": {
        "@id": "mz:repliesModerationOption",
        "@type": "mz:repliesModerationOptionType",
    },
    "eventStatus": "ical:status",
    "location": {"@id": "sc:location", "@type": "sc:Place"},
    "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
    "PostalAddress": "sc:PostalAddress",
    "VirtualLocation": "sc:VirtualLocation",
    "streetAddress": "sc:streetAddress",
    "postalCode": "sc:postalCode",
    "addressLocality": "sc:addressLocality",
    "addressCountry": "sc:addressCountry",
    "rrule": "qc:rrule",
    "exdate": "qc:exdate",
    "categorySlug": "qc:categorySlug",
    "occurrenceTemplate": "qc:occurrenceTemplate",
    "superEvent": {"@id": "sc:superEvent", "@type": "@id"},
}


def build_event_context() -> list[Any]:
    """The @context of an Event: Mobilizon's and FEP-8a8e's terms, our ``rrule`` extension."""
    context = build_context()
    context[2].update(EVENT_CONTEXT_TERMS)
    return context


def build_context() -> list[Any]:
    """A fresh copy of the @context we emit (callers may extend it)."""
    return [AS_NAMESPACE, SECURITY_V1, dict(DEFAULT_CONTEXT[2])]


def is_activitypub_media_type(header: str | None) -> bool:
    """True when an Accept or Content-Type header names an ActivityPub JSON type.

    ``application/ld+json`` counts only with the ActivityStreams profile, as the
    ActivityPub spec requires; parameters such as ``charset`` are ignored.
    """
    if not header:
        return False
    for part in header.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        if media == ACTIVITY_JSON:
            return True
        if media == "application/ld+json":
            for param in params.split(";"):
                name, _, value = param.strip().partition("=")
                if name.strip().lower() == "profile" and AS_NAMESPACE in value:
                    return True
    return False


def is_public(uri: object) -> bool:
    return isinstance(uri, str) and uri in PUBLIC_ALIASES


def as_list(value: object) -> list[Any]:
    """A JSON property as a list: absent → [], a scalar or object → [it]."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def id_of(value: object) -> str | None:
    """The id behind a reference: a string, an embedded object's id, or the first of a list."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        inner = value.get("id")
        if inner is None:
            inner = value.get("href")  # a Link object
        return inner if isinstance(inner, str) and inner else None
    if isinstance(value, list):
        for item in value:
            found = id_of(item)
            if found is not None:
                return found
    return None


def ids_of(value: object) -> list[str]:
    """Every id found in a reference or a list of references, in order, without duplicates."""
    found: dict[str, None] = {}  # ordered, and a lookup per id however long the list
    for item in as_list(value):
        uri = id_of(item) if not isinstance(item, list) else None
        if uri is not None:
            found[uri] = None
    return list(found)


def first_str(value: object) -> str | None:
    """The first string of a value or list (for `name`, `summary`, `url`…)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                return item
    return None


def types_of(value: object) -> list[str]:
    """`type` may be a string or a list (e.g. ["Person", "vcard:individual"])."""
    return [item for item in as_list(value) if isinstance(item, str)]


def origin_of(uri: str) -> str | None:
    """`scheme://host[:port]` of an absolute URI, lower-cased; None when it has no host."""
    return _origin_of(_up_to_authority(uri)) if isinstance(uri, str) else None


def _up_to_authority(uri: str) -> str:
    """``uri`` cut after its authority (before the first ``/``, ``?`` or ``#`` that follows
    ``://``): the part its origin depends on. Every activity of a sender has an id of its own,
    but they share this part, and so the cached answer."""
    start = uri.find("://")
    if start < 0:
        return uri
    start += 3
    end = len(uri)
    for delimiter in "/?#":
        found = uri.find(delimiter, start, end)
        if found >= 0:
            end = found
    return uri[:end]


@lru_cache(maxsize=1024)
def _origin_of(uri: str) -> str | None:
    """Cached: the inbox asks it of the same actor and key ids with every activity they send
    (at most 1,024 ids of at most a few kilobytes each are kept)."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = parts.hostname.lower()
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if port is not None and port != default:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}"


def host_of(uri: str) -> str | None:
    """The lower-cased host name of an absolute URI, without port."""
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def same_origin(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    origin_a = origin_of(a)
    return origin_a is not None and origin_a == origin_of(b)
