"""What every inbox handler is given."""

from __future__ import annotations

from dataclasses import dataclass

from federation.parsing import ParsedActivity
from instance.runtime import Instance
from storage.models import Actor


@dataclass(frozen=True, slots=True)
class InboxContext:
    instance: Instance
    activity: ParsedActivity
    sender: Actor
    recipient_id: int | None
