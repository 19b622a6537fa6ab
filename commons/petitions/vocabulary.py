"""The words of petitions on the wire: the option Mastodon shows, and our extension terms."""

from __future__ import annotations

from typing import Any, Final

from federation.vocab import QUARTIERS_NAMESPACE

SIGN_OPTION: Final = "Je signe"
"""The poll's one option: Mastodon shows its ``name`` (it ignores ``nameMap``)."""

PROGRESS_STEPS: Final = (25, 50, 75, 100)
"""The shares of the goal at which followers receive a progress notice."""

PETITION_CONTEXT: Final[dict[str, Any]] = {
    "qc": QUARTIERS_NAMESPACE,
    "votersCount": "http://joinmastodon.org/ns#votersCount",
    "signatureGoal": "qc:signatureGoal",
    "petitionStatus": "qc:petitionStatus",
    "signatureScope": "qc:signatureScope",
    "whoMaySign": "qc:whoMaySign",
    "addressee": "qc:addressee",
    "initiative": "qc:initiative",
    "signatures": {"@id": "qc:signatures", "@type": "@id"},
    "namesPublic": "qc:namesPublic",
    "petitionSubmitted": "qc:petitionSubmitted",
    "petitionAnswer": "qc:petitionAnswer",
    "petitionAnswered": "qc:petitionAnswered",
}
