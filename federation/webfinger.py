"""WebFinger (RFC 7033) and host-meta (RFC 6415): serving, reading, and resolving accounts.

Resolution follows Mastodon's rules, so that `@name@host` means the same actor
here as there: query `https://host/.well-known/webfinger?resource=acct:…`,
follow at most one redirection to the `subject`, take the `rel=self` link with
an ActivityPub media type, fetch the actor, and require that the actor's own
`preferredUsername@host-of-its-id` resolves back to the same actor id. The
returned acct is the one the actor's server confirms, never the one asked for.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape, quoteattr

from federation.client import FederationClient, Signer
from federation.errors import FetchError, InvalidActivity, WebFingerError
from federation.parsing import ParsedActor, parse_actor
from federation.vocab import ACTIVITY_JSON, is_activitypub_media_type, same_origin

PROFILE_PAGE_REL = "http://webfinger.net/rel/profile-page"
JRD_ACCEPT = "application/jrd+json, application/json;q=0.9"
XRD_NAMESPACE = "http://docs.oasis-open.org/ns/xri/xrd-1.0"

_USERNAME = re.compile(r"^[^\s@/?#]+$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$")


def parse_acct(resource: str) -> tuple[str, str]:
    """`acct:user@host`, `user@host` or `@user@host` → (user, lower-cased host[:port])."""
    text = resource.strip()
    if text.lower().startswith("acct:"):
        text = text[5:]
    text = text.removeprefix("@")
    username, at, host = text.rpartition("@")
    host = host.lower()
    if not at or not _USERNAME.match(username) or not _HOST.match(host):
        raise WebFingerError(f"not an account address: {resource!r}")
    return username, host


def format_acct(username: str, host: str) -> str:
    return f"{username}@{host}"


def same_acct(a: str, b: str) -> bool:
    """Usernames compare case-insensitively, as Mastodon does."""
    try:
        user_a, host_a = parse_acct(a)
        user_b, host_b = parse_acct(b)
    except WebFingerError:
        return False
    return user_a.lower() == user_b.lower() and host_a == host_b


def build_webfinger(
    subject_acct: str, actor_uri: str, profile_url: str | None, aliases: list[str]
) -> dict[str, Any]:
    subject = subject_acct if subject_acct.startswith("acct:") else f"acct:{subject_acct}"
    links: list[dict[str, str]] = [{"rel": "self", "type": ACTIVITY_JSON, "href": actor_uri}]
    if profile_url:
        links.append({"rel": PROFILE_PAGE_REL, "type": "text/html", "href": profile_url})
    return {"subject": subject, "aliases": list(aliases), "links": links}


def _lrdd_template(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/.well-known/webfinger?resource={{uri}}"


def build_host_meta_xrd(base_url: str) -> str:
    template = quoteattr(_lrdd_template(base_url))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<XRD xmlns="{escape(XRD_NAMESPACE)}">\n'
        f'  <Link rel="lrdd" type="application/xrd+xml" template={template}/>\n'
        "</XRD>\n"
    )


def build_host_meta_json(base_url: str) -> dict[str, Any]:
    return {
        "links": [
            {"rel": "lrdd", "type": "application/jrd+json", "template": _lrdd_template(base_url)}
        ]
    }


@dataclass(frozen=True, slots=True)
class WebFingerLink:
    rel: str
    type: str | None
    href: str | None
    template: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedWebFinger:
    subject: str | None
    aliases: tuple[str, ...]
    links: tuple[WebFingerLink, ...]

    @property
    def self_uri(self) -> str | None:
        """The ActivityPub actor: the `rel=self` link with an AP media type."""
        for link in self.links:
            if link.rel == "self" and link.href and is_activitypub_media_type(link.type):
                return link.href
        return None

    @property
    def profile_url(self) -> str | None:
        return next((lk.href for lk in self.links if lk.rel == PROFILE_PAGE_REL), None)

    @property
    def subject_acct(self) -> str | None:
        if self.subject is None:
            return None
        try:
            return format_acct(*parse_acct(self.subject))
        except WebFingerError:
            return None


def parse_webfinger(doc: object) -> ParsedWebFinger:
    """A JRD document, read leniently; raises WebFingerError when it is not one."""
    if not isinstance(doc, dict):
        raise WebFingerError("WebFinger answer is not a JSON object")
    subject = doc.get("subject")
    links: list[WebFingerLink] = []
    raw_links = doc.get("links")
    for item in raw_links if isinstance(raw_links, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("rel"), str):
            continue
        links.append(
            WebFingerLink(
                rel=item["rel"],
                type=item.get("type") if isinstance(item.get("type"), str) else None,
                href=item.get("href") if isinstance(item.get("href"), str) else None,
                template=item.get("template") if isinstance(item.get("template"), str) else None,
            )
        )
    aliases = doc.get("aliases")
    return ParsedWebFinger(
        subject=subject if isinstance(subject, str) else None,
        aliases=tuple(a for a in aliases if isinstance(a, str))
        if isinstance(aliases, list)
        else (),
        links=tuple(links),
    )


def parse_xrd(text: str) -> ParsedWebFinger:
    """An XRD document (WebFinger in XML, or host-meta)."""
    try:
        # expat does not fetch external entities and limits entity expansion (2.4+).
        root = ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise WebFingerError("not an XRD document") from exc
    ns = {"x": XRD_NAMESPACE}
    subject = root.findtext("x:Subject", namespaces=ns)
    links = tuple(
        WebFingerLink(
            rel=link.get("rel", ""),
            type=link.get("type"),
            href=link.get("href"),
            template=link.get("template"),
        )
        for link in root.findall("x:Link", ns)
    )
    aliases = tuple((a.text or "").strip() for a in root.findall("x:Alias", ns))
    return ParsedWebFinger(subject.strip() if subject else None, aliases, links)


def lrdd_template(host_meta: ParsedWebFinger) -> str | None:
    return next((lk.template for lk in host_meta.links if lk.rel == "lrdd" and lk.template), None)


def webfinger_url(acct: str, url_scheme: str = "https") -> str:
    username, host = parse_acct(acct)
    resource = quote(f"acct:{username}@{host}", safe=":@")
    return f"{url_scheme}://{host}/.well-known/webfinger?resource={resource}"


async def fetch_webfinger(
    client: FederationClient, acct: str, url_scheme: str = "https"
) -> ParsedWebFinger:
    try:
        data = await client.fetch_json(webfinger_url(acct, url_scheme), accept=JRD_ACCEPT)
    except (FetchError, InvalidActivity) as exc:
        raise WebFingerError(f"WebFinger lookup of {acct} failed: {exc}") from exc
    return parse_webfinger(data)


async def _confirmed_webfinger(
    client: FederationClient, acct: str, url_scheme: str
) -> tuple[str, ParsedWebFinger]:
    """Query `acct`; when the subject names another account, query it once and
    require that it names itself (Mastodon refuses a second redirection)."""
    answer = await fetch_webfinger(client, acct, url_scheme)
    subject = answer.subject_acct
    if subject is None:
        raise WebFingerError(f"WebFinger answer for {acct} has no usable subject")
    if same_acct(subject, acct):
        return subject, answer
    redirected = await fetch_webfinger(client, subject, url_scheme)
    confirmed = redirected.subject_acct
    if confirmed is None or not same_acct(confirmed, subject):
        raise WebFingerError(f"WebFinger for {acct} redirects more than once")
    return confirmed, redirected


@dataclass(frozen=True, slots=True)
class ResolvedActor:
    acct: str  # canonical user@host, as confirmed by the actor's own server
    actor: ParsedActor


def _acct_host_of(uri: str) -> str:
    parts = urlsplit(uri)
    host = parts.hostname or ""  # urlsplit gives it lower-cased
    # Mastodon drops the port; keeping a non-default one lets development setups resolve.
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{host}:{parts.port}" if parts.port and parts.port != default else host


async def resolve_actor_via_webfinger(
    client: FederationClient,
    acct: str,
    signer: Signer | None = None,
    url_scheme: str = "https",
) -> ResolvedActor:
    subject, answer = await _confirmed_webfinger(client, acct, url_scheme)
    actor_uri = answer.self_uri
    if actor_uri is None:
        raise WebFingerError(f"{subject} has no ActivityPub self link")
    try:
        actor = parse_actor(await client.fetch_json(actor_uri, signer))
    except (FetchError, InvalidActivity) as exc:
        raise WebFingerError(f"fetching the actor of {subject} failed: {exc}") from exc
    if actor.id != actor_uri and not same_origin(actor.id, actor_uri):
        raise WebFingerError(f"{actor_uri} serves an actor of another origin ({actor.id})")
    if actor.preferred_username is None:
        raise WebFingerError(f"{actor.id} has no preferredUsername")
    claimed = format_acct(actor.preferred_username, _acct_host_of(actor.id))
    if same_acct(claimed, subject) and actor.id == actor_uri:
        return ResolvedActor(subject, actor)
    confirmed, back = await _confirmed_webfinger(client, claimed, url_scheme)
    if back.self_uri != actor.id:
        raise WebFingerError(f"{claimed} does not resolve back to {actor.id}")
    return ResolvedActor(confirmed, actor)
