"""Proposals on the wire: a ``Note`` of the collective, so that Mastodon shows it as one of the
collective's posts, replies reach the collective, and a favourite (``Like``) is a support.

Our terms say who proposed it (``proposedBy``), where it stands (``proposalStatus``), the
collective's answer (``proposalAnswer``, ``proposalAnswered``) and how many support it
(``supportCount``); the French ``content`` says the same for Mastodon, and each answer goes out
as an ``Update`` with a newer ``updated``.
"""

from __future__ import annotations

from html import escape
from typing import Any, Final

from commons.events.wire import iso_utc
from federation.vocab import AS_NAMESPACE, PUBLIC, QUARTIERS_NAMESPACE
from storage.models import Actor, Proposal
from storage.models.proposals import ACCEPTED, EVALUATING, REJECTED

PROPOSAL_CONTEXT: Final[dict[str, Any]] = {
    "qc": QUARTIERS_NAMESPACE,
    "proposedBy": {"@id": "qc:proposedBy", "@type": "@id"},
    "proposalStatus": "qc:proposalStatus",
    "proposalAnswer": "qc:proposalAnswer",
    "proposalAnswered": "qc:proposalAnswered",
    "supportCount": "qc:supportCount",
}

FRENCH_STATUS: Final = {
    EVALUATING: "À l’étude",
    ACCEPTED: "Acceptée",
    REJECTED: "Refusée",
}


def proposal_content(proposal: Proposal, author: Actor | None) -> str:
    """What Mastodon shows: who proposes what, the text, how many support it, the answer."""
    who = escape(author.name or author.username) if author is not None else "Un membre"
    parts = [f"<p><strong>Proposition de {who} : {escape(proposal.title)}</strong></p>",
             proposal.text_html,
             f"<p>Soutiens : {proposal.support_count}. Pour soutenir, mettez-la en favori.</p>"]  # fmt: skip
    if proposal.status in FRENCH_STATUS:
        parts.append(
            f"<p><strong>Réponse de l’assemblée : {FRENCH_STATUS[proposal.status]}</strong></p>"
        )
        parts.append(proposal.answer_html or "")
    return "".join(parts)


def build_proposal(proposal: Proposal, collective: Actor, author: Actor | None) -> dict[str, Any]:
    content = proposal_content(proposal, author)
    document: dict[str, Any] = {
        "@context": [AS_NAMESPACE, PROPOSAL_CONTEXT],
        "id": proposal.uri,
        "type": "Note",
        "attributedTo": collective.uri,
        "audience": collective.uri,
        "content": content,
        "contentMap": {"fr": content},
        "source": {"content": proposal.text_source, "mediaType": "text/markdown"},
        "url": proposal.uri,
        "to": [PUBLIC],
        "cc": [collective.followers_uri] if collective.followers_uri else [],
        "published": iso_utc(proposal.published),
        "proposalStatus": proposal.status,
        "supportCount": proposal.support_count,
    }
    if author is not None:
        document["proposedBy"] = author.uri
    if proposal.updated is not None:
        document["updated"] = iso_utc(proposal.updated)
    if proposal.answer_html:
        document["proposalAnswer"] = proposal.answer_html
    if proposal.answered_at is not None:
        document["proposalAnswered"] = iso_utc(proposal.answered_at)
    return document
