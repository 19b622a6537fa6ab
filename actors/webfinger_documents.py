"""Answering WebFinger (RFC 7033) for our actors: which resource names which local actor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.errors import ErrorCode, Invalid
from config.settings import Settings
from federation.errors import WebFingerError
from federation.vocab import same_origin
from federation.webfinger import build_webfinger, parse_acct
from storage.models import Actor

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_URI_TEXT = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$")
"""The characters RFC 3986 allows in a URI, each ``%`` opening a two-digit escape."""


class MalformedResource(Invalid):
    """The `resource` parameter is missing or is neither an account nor a URI (400); ``str()``
    is the reason the answer gives."""

    def __init__(self, reason: str) -> None:
        super().__init__(ErrorCode.MALFORMED_RESOURCE, "resource", reason=reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def resource_parameter(values: list[str]) -> str:
    """The one `resource` of a query; absent or given twice is a bad request (RFC 7033 §4.2)."""
    if not values:
        raise MalformedResource("resource is missing")
    if len(values) > 1:
        raise MalformedResource("resource is given more than once")
    return values[0]


def _check_web_uri(text: str) -> None:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as error:
        raise MalformedResource(f"not a URI: {error}") from None
    if not parts.hostname or not parts.netloc:
        raise MalformedResource(f"not a URI: {text!r}")


@dataclass(frozen=True, slots=True)
class LocalResource:
    """An account or actor URI on our domain; `subject_host` is the host to answer with."""

    subject_host: str
    username: str | None = None
    actor_uri: str | None = None


def read_resource(resource: str | None, settings: Settings) -> LocalResource | None:
    """What `resource` asks for, or None when it names nothing of ours (404).

    RFC 7033 §4.2: a missing or malformed resource is a bad request (400); 404 is only for
    a well-formed resource we do not have (an unknown name, another host, a ``mailto:``).
    Malformed: characters a URI cannot hold (RFC 3986), a scheme with nothing after it, a web
    address without a host or with a bad port, an account without a name or a host.
    Mastodon drops the port of the host it queries, so `acct:name@host` is ours both with
    and without the port of `server.domain`; the subject echoes the form that was asked.
    """
    text = (resource or "").strip()
    if not text:
        raise MalformedResource("resource is missing")
    if not _URI_TEXT.match(text):
        raise MalformedResource(f"not a URI (RFC 3986): {text!r}")
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else None
    if match and not text[match.end() :]:
        raise MalformedResource(f"nothing after the scheme: {text!r}")
    if scheme in ("http", "https"):
        _check_web_uri(text)
        if not same_origin(text, settings.base_url):
            return None
        return LocalResource(subject_host=settings.server.domain, actor_uri=text)
    if scheme not in (None, "acct"):
        return None
    try:
        username, host = parse_acct(text)
    except WebFingerError as error:
        raise MalformedResource(str(error)) from None
    if host not in (settings.host.lower(), settings.server.domain.lower()):
        return None
    return LocalResource(subject_host=host, username=username.lower())


async def find_resource_actor(session: AsyncSession, resource: LocalResource) -> Actor | None:
    query = select(Actor).where(Actor.is_local.is_(True))
    if resource.actor_uri is not None:
        query = query.where(Actor.uri == resource.actor_uri)
    else:
        query = query.where(Actor.username == resource.username)
    return await session.scalar(query)


def build_actor_webfinger(actor: Actor, subject_host: str) -> dict[str, Any]:
    profile_url = actor.url or actor.uri
    return build_webfinger(
        f"acct:{actor.username}@{subject_host}",
        actor.uri,
        profile_url,
        list(dict.fromkeys([actor.uri, profile_url])),
    )
