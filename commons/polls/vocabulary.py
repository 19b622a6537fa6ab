"""The words of polls on the wire: Mastodon's voters count and our extension terms."""

from __future__ import annotations

from typing import Any, Final

from federation.vocab import QUARTIERS_NAMESPACE

MAX_OPTIONS: Final = 10
MIN_OPTIONS: Final = 2

POLL_CONTEXT: Final[dict[str, Any]] = {
    "qc": QUARTIERS_NAMESPACE,
    "votersCount": "http://joinmastodon.org/ns#votersCount",
    "whoMayVote": "qc:whoMayVote",
    "resultsHidden": "qc:resultsHidden",
}
"""``whoMayVote`` (anyone or members) marks a ``Question`` as a collective's poll; with
``resultsHidden`` the options' tallies are left out until it closes."""
