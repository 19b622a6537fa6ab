"""The words of events on the wire that both directions share: categories, join modes, the
time zone an event is in when nothing says otherwise."""

from __future__ import annotations

from storage.models.events import JOIN_APPROVAL, JOIN_EXTERNAL, JOIN_FREE

DEFAULT_TIMEZONE = "Europe/Zurich"
CATEGORIES = (
    "repair_cafe",
    "safari_urbain",
    "debat",
    "forum",
    "action",
    "atelier",
    "fete",
    "autre",
)
MOBILIZON_CATEGORIES = {
    "repair_cafe": "WORKSHOP",
    "safari_urbain": "OUTDOORS_ADVENTURE",
    "debat": "MEETING",
    "forum": "MEETING",
    "action": "CAUSES",
    "atelier": "WORKSHOP",
    "fete": "PARTY",
    "autre": "MEETING",
}
WIRE_JOIN_MODES = {JOIN_FREE: "free", JOIN_APPROVAL: "restricted", JOIN_EXTERNAL: "external"}
FROM_WIRE_JOIN_MODES = {
    "free": JOIN_FREE,
    "open": JOIN_FREE,
    "restricted": JOIN_APPROVAL,
    "invite": JOIN_APPROVAL,
    "approval": JOIN_APPROVAL,
    "external": JOIN_EXTERNAL,
}
