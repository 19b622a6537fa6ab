"""Turning every expected failure into one line for the command line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError

from config.errors import DomainError
from config.settings import ConfigError
from webui.error_messages import english


class CommandError(Exception):
    """One line for the person at the terminal."""


def redact_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable URL)"


def refusal_line(error: DomainError) -> str:
    """One line for a refused action: the value it concerns, then the catalog's sentence."""
    given = [f"{name} {value!r}" for name, value in error.details.items()]
    return f"{', '.join(given)}: {english(error)}" if given else english(error)


@asynccontextmanager
async def explained(database_url: str | None = None) -> AsyncIterator[None]:
    """Re-raise the failures a person can fix as :class:`CommandError`."""
    try:
        yield
    except ConfigError as error:
        raise CommandError(f"configuration: {error}") from None
    except DomainError as error:
        raise CommandError(refusal_line(error)) from None
    except (DBAPIError, InterfaceError, OSError) as error:
        where = f" at {redact_url(database_url)}" if database_url else ""
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise CommandError(f"cannot use the database{where}: {reason}") from None
