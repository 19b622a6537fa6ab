"""The AS2 documents of our own actors: Person, Group (FEP-1b12, as Lemmy) and Application."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from config.settings import Settings
from federation.integrity import multikey_id
from federation.vocab import build_context
from storage.models import Actor
from storage.models.actors import GROUP

LEMMY_NAMESPACE = "https://join-lemmy.org/ns#"
MOBILIZON_NAMESPACE = "https://joinmobilizon.org/ns#"
# Provisional: our own terms belong in federation.vocab once the namespace is settled.
QUARTIERS_NAMESPACE = "https://quartiers-collaboratifs.org/ns#"

GROUP_CONTEXT_TERMS: dict[str, Any] = {
    "lemmy": LEMMY_NAMESPACE,
    "mz": MOBILIZON_NAMESPACE,
    "qc": QUARTIERS_NAMESPACE,
    "moderators": {"@id": "lemmy:moderators", "@type": "@id"},
    "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
    "members": {"@id": "mz:members", "@type": "@id"},
    "upcomingEvents": {"@id": "qc:upcomingEvents", "@type": "@id"},
    "groupKind": "qc:groupKind",
}


def moderators_uri(actor: Actor) -> str:
    return f"{actor.uri}/moderators"


def members_uri(actor: Actor) -> str:
    return f"{actor.uri}/members"


def featured_uri(actor: Actor) -> str:
    return f"{actor.uri}/featured"


def events_uri(actor: Actor) -> str:
    return f"{actor.uri}/events"


def webfinger_handle(actor: Actor, settings: Settings) -> str:
    """FEP-2c59 `webfinger`: `name@domain`, with the port when the domain has one."""
    return f"{actor.username}@{settings.server.domain}"


def summary_html(text: str) -> str:
    """Our summaries are plain text; AS2 `summary` is HTML, so escape and keep the paragraphs."""
    paragraphs = [part.strip() for part in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(
        "<p>" + html.escape(part).replace("\n", "<br>") + "</p>" for part in paragraphs if part
    )


MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"


def build_actor(actor: Actor, settings: Settings) -> dict[str, Any]:
    context = build_context()
    if actor.is_group:
        context[2].update(GROUP_CONTEXT_TERMS)
    document: dict[str, Any] = {
        "@context": context,
        "id": actor.uri,
        "type": actor.type,
        "preferredUsername": actor.username,
        "name": actor.name or actor.username,
        # A Markdown bio is stored already rendered and sanitized; an older plain one is escaped.
        "summary": actor.summary
        if actor.summary_source is not None
        else summary_html(actor.summary),
        "url": actor.url or actor.uri,
        "inbox": actor.inbox_uri,
        "outbox": actor.outbox_uri or f"{actor.uri}/outbox",
        "followers": actor.followers_uri or f"{actor.uri}/followers",
        "following": actor.following_uri or f"{actor.uri}/following",
        "endpoints": {"sharedInbox": actor.shared_inbox_uri or f"{settings.base_url}/inbox"},
        "publicKey": {
            "id": actor.public_key_id,
            "owner": actor.uri,
            "publicKeyPem": actor.public_key_pem,
        },
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": True,
        "published": iso(actor.created_at),
        "webfinger": webfinger_handle(actor, settings),
    }
    if actor.assertion_key:
        # The Ed25519 key of its petition signatures' integrity proofs (FEP-521a).
        document["@context"] = [*context, MULTIKEY_CONTEXT]
        document["assertionMethod"] = [{
            "id": multikey_id(actor.uri), "type": "Multikey", "controller": actor.uri,
            "publicKeyMultibase": actor.assertion_key,
        }]  # fmt: skip
    if actor.icon_url:
        document["icon"] = {"type": "Image", "url": actor.icon_url}
        if actor.icon_alt:
            document["icon"]["name"] = actor.icon_alt
    if actor.header_url:
        document["image"] = {"type": "Image", "url": actor.header_url}
        if actor.header_alt:
            document["image"]["name"] = actor.header_alt
    if actor.is_group:
        document.update(build_group_terms(actor))
    return document


def build_group_terms(actor: Actor) -> dict[str, Any]:
    """FEP-1b12 as Lemmy reads it: `attributedTo` is the moderators collection."""
    assert actor.type == GROUP
    terms: dict[str, Any] = {
        "attributedTo": moderators_uri(actor),
        "moderators": moderators_uri(actor),
        "members": members_uri(actor),
        "featured": featured_uri(actor),
        "upcomingEvents": events_uri(actor),
        "postingRestrictedToMods": False,
    }
    if actor.group_kind:
        terms["groupKind"] = actor.group_kind
    return terms


def build_actor_tombstone(actor: Actor) -> dict[str, Any]:
    return {
        "@context": build_context(),
        "id": actor.uri,
        "type": "Tombstone",
        "formerType": actor.type,
        "deleted": iso(actor.updated_at),
    }


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
