"""The blocklist format admins of the fediverse exchange: read and written.

Mastodon's export (and what most shared lists follow) is a CSV file whose header names the
columns, each with a ``#``::

    #domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
    spam.example,suspend,true,true,Spam in bulk,false

Older exports write the header without the ``#``; some lists are only one domain a line. A
``silence`` is our limit, a ``noop`` asks for nothing (it is left out), and an obfuscated name
(``sp*m.example``) cannot be applied. A line we cannot read is skipped and counted; a file of
which no line can be read, too large, or not text, is refused as a whole.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from storage.models.hosts import LIMIT, SUSPEND

MAX_BLOCKLIST_BYTES = 2 * 1024 * 1024
MAX_REASON = 1000
HOST_RE = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$"
)
CSV_COLUMNS = (
    "domain",
    "severity",
    "reject_media",
    "reject_reports",
    "public_comment",
    "obfuscate",
)
SEVERITY_WORDS = {"suspend": SUSPEND, "silence": LIMIT, "limit": LIMIT}
NOOP = "noop"


class BlocklistUnreadable(Exception):
    """The whole file is refused; the message says why, for the admin."""


@dataclass(frozen=True, slots=True)
class BlocklistEntry:
    domain: str
    severity: str
    reason: str = ""


@dataclass(slots=True)
class ParsedBlocklist:
    entries: list[BlocklistEntry] = field(default_factory=list)
    skipped_lines: int = 0


def plain_domain(text: str) -> str | None:
    """``Spam.Example.`` → ``spam.example``; None when it is not a bare domain name."""
    value = text.strip().lower().rstrip(".")
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return value if HOST_RE.match(value) else None


def parse_blocklist(body: bytes) -> ParsedBlocklist:
    """The entries of a published blocklist (the last line naming a domain wins)."""
    if len(body) > MAX_BLOCKLIST_BYTES:
        raise BlocklistUnreadable(f"larger than {MAX_BLOCKLIST_BYTES // (1024 * 1024)} MB")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BlocklistUnreadable("not UTF-8 text") from None
    if "\x00" in text:
        raise BlocklistUnreadable("not text")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ParsedBlocklist()
    header = _header(lines[0])
    parsed = _csv_rows(lines[1:], header) if header else _plain_lines(lines)
    if not parsed.entries and parsed.skipped_lines:
        raise BlocklistUnreadable("no line names a domain")
    by_domain = {entry.domain: entry for entry in parsed.entries}
    parsed.entries = list(by_domain.values())
    return parsed


def _header(line: str) -> list[str] | None:
    """The column names of a CSV header (``#`` taken off), or None if the line is not one."""
    names = [name.strip().lstrip("#").strip().lower() for name in _split(line)]
    return names if "domain" in names and "," in line else None


def _split(line: str) -> list[str]:
    try:
        return next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return []


def _csv_rows(lines: list[str], header: list[str]) -> ParsedBlocklist:
    parsed = ParsedBlocklist()
    for line in lines:
        row = dict(zip(header, _split(line), strict=False))
        domain = plain_domain(row.get("domain", ""))
        word = (row.get("severity") or "suspend").strip().lower()
        if word == NOOP:
            continue
        severity = SEVERITY_WORDS.get(word)
        if domain is None or severity is None:
            parsed.skipped_lines += 1
            continue
        reason = " ".join((row.get("public_comment") or "").split())[:MAX_REASON]
        parsed.entries.append(BlocklistEntry(domain, severity, reason))
    return parsed


def _plain_lines(lines: list[str]) -> ParsedBlocklist:
    """One domain a line; ``#`` starts a comment."""
    parsed = ParsedBlocklist()
    for line in lines:
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        domain = plain_domain(value)
        if domain is None:
            parsed.skipped_lines += 1
            continue
        parsed.entries.append(BlocklistEntry(domain, SUSPEND))
    return parsed


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """A reason a spreadsheet opening the list will not run as a formula (a leading ``'``)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def build_blocklist(entries: list[BlocklistEntry]) -> str:
    """Our blocklist in Mastodon's CSV format (``silence`` for a limit; the reason public)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"#{name}" for name in CSV_COLUMNS])
    for entry in entries:
        severity = "silence" if entry.severity == LIMIT else "suspend"
        writer.writerow([entry.domain, severity, "false", "false", inert(entry.reason), "false"])
    return out.getvalue()
