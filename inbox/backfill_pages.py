"""Reading one page of a neighbour quartier's outbox: which of its activities may be taken as
if the neighbour had delivered them, and where the reading goes next. Pure: no I/O.

A page fetched from the neighbour proves only what is on the neighbour's origin: an activity is
taken when its id and its actor are both on that origin (as an inbox POST must be signed by its
actor, whose id is on its activity's origin). Anything else is skipped; an embedded object from
elsewhere is read again from its own server by the handler, as for a delivered activity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from federation.errors import InvalidActivity
from federation.parsing import MAX_ADDRESS_LENGTH, ParsedActivity, parse_activity
from federation.vocab import as_list, id_of, same_origin

TAKEN_TYPES = frozenset({"Create", "Update", "Announce"})
COLLECTION_TYPES = frozenset({"OrderedCollection", "Collection"})
PAGE_TYPES = frozenset({"OrderedCollectionPage", "CollectionPage"})


@dataclass(slots=True)
class PageRead:
    """What one page gave: the activities to hand on (newest first, as served), how many were
    skipped, the next page, and whether the bound (age or count) was reached."""

    taken: list[tuple[ParsedActivity, str]] = field(default_factory=list)
    skipped: int = 0
    next_uri: str | None = None
    bound_reached: bool = False


def first_page_of(document: dict[str, Any], origin: str) -> str | dict[str, Any] | None:
    """The first page of an outbox: a link on ``origin``, the page embedded, or the collection
    itself when it carries its items. None when the document is no collection."""
    types = set(as_list(document.get("type")))
    if types & PAGE_TYPES:
        return document
    if not types & COLLECTION_TYPES:
        return None
    if "orderedItems" in document or "items" in document:
        return document
    first = document.get("first")
    if isinstance(first, dict):
        return first
    uri = id_of(first)
    return uri if uri and same_origin(uri, origin) else None


def read_page(document: dict[str, Any], origin: str, *, since: datetime, room: int) -> PageRead:
    """The activities of ``document`` (a page) that are authentic and within the bounds:
    published after ``since``, at most ``room`` of them."""
    read = PageRead()
    items = document.get("orderedItems", document.get("items"))
    for item in as_list(items):
        if len(read.taken) >= room:
            read.bound_reached = True
            return read
        activity = _authentic(item, origin)
        if activity is None:
            read.skipped += 1
            continue
        if activity.published is not None and activity.published < since:
            read.bound_reached = True
            return read
        if activity.type in TAKEN_TYPES:
            read.taken.append((activity, json.dumps(item, ensure_ascii=False)))
    following = id_of(document.get("next"))
    if following and same_origin(following, origin) and len(following) <= MAX_ADDRESS_LENGTH:
        read.next_uri = following
    return read


def _authentic(item: object, origin: str) -> ParsedActivity | None:
    if not isinstance(item, dict):
        return None  # a bare id: served by nobody we can check here
    try:
        activity = parse_activity(item)
    except InvalidActivity:
        return None
    if activity.id is None or len(activity.id) > MAX_ADDRESS_LENGTH:
        return None
    if len(activity.actor_uri) > MAX_ADDRESS_LENGTH:
        return None
    if not same_origin(activity.id, origin) or not same_origin(activity.actor_uri, origin):
        return None
    return activity
