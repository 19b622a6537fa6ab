"""Reading and writing the blocklists admins exchange (Mastodon's CSV, older headers, plain)."""

from __future__ import annotations

import pytest

from actors.blocklist_csv import (
    MAX_BLOCKLIST_BYTES,
    BlocklistEntry,
    BlocklistUnreadable,
    build_blocklist,
    parse_blocklist,
)

MASTODON_EXPORT = b"""#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
spam.example,suspend,true,true,Spam in bulk,false
loud.example,silence,false,false,"Harassment, often",false
quiet.example,noop,true,false,Only media,false
"""


def test_a_mastodon_export_gives_suspensions_and_limits_and_leaves_noop_out() -> None:
    # Given Mastodon's export, with a suspension, a silence and a noop
    # When it is read
    parsed = parse_blocklist(MASTODON_EXPORT)

    # Then the suspension and the limit are entries with their public comment; the noop is not
    assert parsed.entries == [
        BlocklistEntry("spam.example", "suspend", "Spam in bulk"),
        BlocklistEntry("loud.example", "limit", "Harassment, often"),
    ]
    assert parsed.skipped_lines == 0


def test_the_older_header_without_hash_and_a_byte_order_mark_are_read() -> None:
    # Given an export of an older server: no "#" in the header, a BOM, columns in another order
    body = "\ufeffseverity,domain,public_comment\r\nsilence,Loud.Example.,trop bruyant\r\n"

    # When it is read
    parsed = parse_blocklist(body.encode())

    # Then the domain is normalised and the silence is a limit
    assert parsed.entries == [BlocklistEntry("loud.example", "limit", "trop bruyant")]


def test_a_plain_list_is_one_suspension_a_line_with_comments() -> None:
    # Given one domain a line, with comments and blank lines
    body = b"# our list\nspam.example\n\nbad.example  # since June\n"

    # When it is read
    parsed = parse_blocklist(body)

    # Then each domain is a suspension
    assert parsed.entries == [
        BlocklistEntry("spam.example", "suspend"),
        BlocklistEntry("bad.example", "suspend"),
    ]


def test_bad_lines_are_skipped_and_counted() -> None:
    # Given an export with an obfuscated name, an unknown severity, an empty domain and a url
    body = b"""#domain,#severity,#public_comment
sp*m.example,suspend,obfuscated
odd.example,banish,unknown severity
,suspend,no domain
https://x.example/,suspend,an address
fine.example,suspend,
"""

    # When it is read
    parsed = parse_blocklist(body)

    # Then only the good line is an entry, and the four others are counted
    assert parsed.entries == [BlocklistEntry("fine.example", "suspend")]
    assert parsed.skipped_lines == 4


def test_a_file_of_which_no_line_names_a_domain_is_refused() -> None:
    # Given a web page instead of a list
    body = b"<!DOCTYPE html>\n<html><body>Not found</body></html>\n"

    # When it is read, then the whole file is refused
    with pytest.raises(BlocklistUnreadable):
        parse_blocklist(body)


@pytest.mark.parametrize(
    "body",
    [
        b"a" * (MAX_BLOCKLIST_BYTES + 1),
        b"\xff\xfe\x00s\x00p\x00a\x00m",
        b"spam.example\x00\n",
    ],
    ids=["oversize", "not-utf8", "binary"],
)
def test_a_file_too_large_or_not_text_is_refused(body: bytes) -> None:
    with pytest.raises(BlocklistUnreadable):
        parse_blocklist(body)


def test_an_empty_file_is_an_empty_list() -> None:
    assert parse_blocklist(b"").entries == []
    assert parse_blocklist(b"#domain,#severity\n").entries == []


def test_what_we_publish_reads_back_the_same() -> None:
    # Given our blocks, a limit among them, and a reason with a comma and quotes
    entries = [
        BlocklistEntry("loud.example", "limit", 'Trop "bruyant", souvent'),
        BlocklistEntry("spam.example", "suspend", ""),
    ]

    # When they are written in the exchanged format, then read back
    text = build_blocklist(entries)
    parsed = parse_blocklist(text.encode())

    # Then the header is Mastodon's, the limit is a silence, and nothing is lost
    assert text.splitlines()[0] == (
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"
    )
    assert text.splitlines()[1].startswith("loud.example,silence,")
    assert parsed.entries == entries


def test_a_reason_is_never_a_formula_for_the_spreadsheet_that_opens_the_list() -> None:
    text = build_blocklist([BlocklistEntry("spam.example", "suspend", '=HYPERLINK("x")')])
    assert text.splitlines()[1] == 'spam.example,suspend,false,false,"\'=HYPERLINK(""x"")",false'
