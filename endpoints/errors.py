"""The one status mapping of the API: a refused action (:mod:`config.errors`) → status, reason.

A client reads the status and the reason; the reason names the code (and the field it
concerns), which is stable, rather than a sentence for people (those are the web pages').
"""

from __future__ import annotations

from config.errors import Conflict, DomainError, Gone, Invalid, NotAllowed, NotFound

STATUS: dict[type[DomainError], tuple[int, str]] = {
    Invalid: (400, "cannot be used"),
    NotAllowed: (403, "not allowed"),
    NotFound: (404, "not found"),
    Conflict: (409, "not possible now"),
    Gone: (410, "no longer possible"),
}


def status_and_reason(error: DomainError) -> tuple[int, str]:
    """``(400, "cannot be used: missing_place (place_name)")`` and the like."""
    kind = next(kind for kind in STATUS if isinstance(error, kind))
    status, words = STATUS[kind]
    where = f" ({error.field})" if error.field else ""
    return status, f"{words}: {error.code.value}{where}"
