"""Petitions on the wire: the ``Question`` Mastodon shows as a one-option poll, and the vote
(``Create{Note{name}}``) that is a signature, whoever sends it.

Facts Mastodon's source fixes: the option is read from ``name``; a poll without ``endTime``
shows as closed in some versions, so it is always sent; ``summary`` would become a content
warning, so there is none; ``votersCount`` and the option's ``replies.totalItems`` carry the
tally; an ``Update`` must carry a newer ``updated`` to be applied.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from commons.events.wire import iso_utc
from commons.petitions.vocabulary import PETITION_CONTEXT
from federation.vocab import AS_NAMESPACE, PUBLIC, as_list
from storage.models import Actor, Petition
from storage.models.petitions import DRAFT

GENEVA = ZoneInfo("Europe/Zurich")

FRENCH_STATUS = {
    "collecting": "Signatures ouvertes",
    "closed": "Signatures closes",
    "submitted": "Déposée",
    "answered": "Réponse reçue",
}


def petition_content(petition: Petition) -> str:
    """What Mastodon shows above the poll: the title, whom it addresses, the text, the goal."""
    parts = [f"<p><strong>{escape(petition.title)}</strong></p>"]
    if petition.addressee:
        parts.append(f"<p>À l’attention de : {escape(petition.addressee)}</p>")
    parts.append(petition.text_html)
    if petition.goal:
        parts.append(f"<p>Objectif : {petition.goal} signatures.</p>")
    if petition.submitted_at is not None:
        day = petition.submitted_at.astimezone(GENEVA).strftime("%d.%m.%Y")
        parts.append(f"<p>Déposée le {day} avec {petition.signature_count} signatures.</p>")
    if petition.answer_html:
        parts.append(f"<p><strong>Réponse reçue :</strong></p>{petition.answer_html}")
    return "".join(parts)


def build_petition(petition: Petition, author: Actor) -> dict[str, Any]:
    """Our petition as Mastodon (a poll with one option) and our servers read it."""
    document: dict[str, Any] = {
        "@context": [AS_NAMESPACE, PETITION_CONTEXT],
        "id": petition.uri,
        "type": "Question",
        "name": petition.title,
        "content": petition_content(petition),
        "contentMap": {"fr": petition_content(petition)},
        "mediaType": "text/html",
        "source": {"content": petition.text_source or "", "mediaType": "text/markdown"},
        "url": petition.url or petition.uri,
        "attributedTo": author.uri,
        "to": [PUBLIC],
        "cc": [author.followers_uri] if author.followers_uri else [],
        "published": iso_utc(petition.opened_at or petition.published),
        "endTime": iso_utc(petition.deadline),
        "oneOf": [
            {
                "type": "Note",
                "name": petition.option_name,
                "replies": {"type": "Collection", "totalItems": petition.signature_count},
            }
        ],
        "votersCount": petition.signature_count,
        "signatureGoal": petition.goal,
        "petitionStatus": petition.status,
        "signatureScope": petition.scope_domains.split(),
        "whoMaySign": petition.may_sign,
        "namesPublic": petition.names_public,
        "initiative": petition.is_initiative,
        "signatures": f"{petition.uri}/signatures",
        "inLanguage": "fr",
    }
    if petition.addressee:
        document["addressee"] = petition.addressee
    if author.is_group:
        document["audience"] = author.uri
    if petition.updated is not None:
        document["updated"] = iso_utc(petition.updated)
    if petition.status not in (DRAFT, "collecting"):
        document["closed"] = iso_utc(petition.closed_at or petition.deadline)
    if petition.submitted_at is not None:
        document["petitionSubmitted"] = iso_utc(petition.submitted_at)
    if petition.answer_html:
        document["petitionAnswer"] = petition.answer_html
    if petition.answered_at is not None:
        document["petitionAnswered"] = iso_utc(petition.answered_at)
    return document


def build_vote_note(
    vote_id: str, voter: Actor, petition_uri: str, author_uri: str, option: str
) -> dict[str, Any]:
    """A signature as Mastodon sends a poll vote: a Note with the option's ``name`` only."""
    return {
        "id": vote_id,
        "type": "Note",
        "name": option,
        "inReplyTo": petition_uri,
        "attributedTo": voter.uri,
        "to": [author_uri],
    }


def is_vote(document: dict[str, Any]) -> bool:
    """A poll vote: a Note with a ``name`` (the option), no text, answering a Question."""
    return (
        "Note" in as_list(document.get("type"))
        and isinstance(document.get("name"), str)
        and not document.get("content")
        and document.get("inReplyTo") is not None
    )


def closed_at(document: dict[str, Any]) -> datetime | None:
    """When a received Question says it closed (``closed`` may be a date or ``true``)."""
    value = document.get("closed")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None
