"""Answering WebFinger (RFC 7033) for our actors: which resource names which local actor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.errors import WebFingerError
from federation.vocab import same_origin
from federation.webfinger import build_webfinger, parse_acct
from quartiers.settings import Settings
from storage.models import Actor

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)


class MalformedResource(ValueError):
    """The `resource` parameter is missing or is neither an account nor a URI (400)."""


@dataclass(frozen=True, slots=True)
class LocalResource:
    """An account or actor URI on our domain; `subject_host` is the host to answer with."""

    subject_host: str
    username: str | None = None
    actor_uri: str | None = None


def read_resource(resource: str | None, settings: Settings) -> LocalResource | None:
    """What `resource` asks for, or None when it names nothing of ours (404).

    Mastodon drops the port of the host it queries, so `acct:name@host` is ours both with
    and without the port of `server.domain`; the subject echoes the form that was asked.
    """
    text = (resource or "").strip()
    if not text:
        raise MalformedResource("resource is missing")
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else None
    if scheme in ("http", "https"):
        if not urlsplit(text).hostname:
            raise MalformedResource(f"not a URI: {text!r}")
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
