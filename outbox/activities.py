"""Building the activities we send."""

from __future__ import annotations

from typing import Any

from config.uris import Uris
from federation.vocab import build_context
from storage.models import Actor, utcnow


def build_activity(
    uris: Uris,
    activity_type: str,
    actor: Actor,
    obj: dict[str, Any] | str,
    to: list[str],
    cc: list[str],
) -> dict[str, Any]:
    """An activity with a fresh, dereferenceable id; ``obj`` is embedded as given."""
    if isinstance(obj, dict):
        obj = {key: value for key, value in obj.items() if key != "@context"}
    return {
        "@context": build_context(),
        "id": uris.new_activity(),
        "type": activity_type,
        "actor": actor.uri,
        "object": obj,
        "to": to,
        "cc": cc,
        "published": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
