"""Recurring events keep their local time across daylight saving, and bad rules are refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from commons.events.recurrence import RecurrenceError, next_occurrences, occurrences, validate_rule

ZURICH = "Europe/Zurich"
# Saturday 21 March 2026, 10:00 in Geneva (UTC+1); summer time starts on 29 March.
FIRST = datetime(2026, 3, 21, 9, 0, tzinfo=UTC)
END = FIRST + timedelta(hours=6)


def test_weekly_repair_cafe_stays_at_ten_local_time_across_summer_time() -> None:
    found = occurrences(
        "FREQ=WEEKLY;BYDAY=SA", FIRST, END, ZURICH, after=FIRST, before=FIRST + timedelta(days=15)
    )
    assert [o.start for o in found] == [
        datetime(2026, 3, 21, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 28, 9, 0, tzinfo=UTC),
        datetime(2026, 4, 4, 8, 0, tzinfo=UTC),  # 10:00 in summer time is 08:00 UTC
    ]
    assert all(o.end is not None and o.end - o.start == timedelta(hours=6) for o in found)


def test_exceptions_are_skipped_and_windows_respected() -> None:
    found = occurrences(
        "FREQ=WEEKLY;BYDAY=SA",
        FIRST,
        END,
        ZURICH,
        after=FIRST + timedelta(days=1),
        before=FIRST + timedelta(days=22),
        exdates=[date(2026, 4, 4)],
    )
    assert [o.start.date() for o in found] == [date(2026, 3, 28), date(2026, 4, 11)]


def test_one_off_event_is_its_own_occurrence_only_inside_the_window() -> None:
    assert (
        occurrences(
            None,
            FIRST,
            END,
            ZURICH,
            after=FIRST - timedelta(days=1),
            before=FIRST + timedelta(days=1),
        )[0].start
        == FIRST
    )
    assert (
        occurrences(
            None,
            FIRST,
            END,
            ZURICH,
            after=END + timedelta(minutes=1),
            before=END + timedelta(days=1),
        )
        == []
    )


def test_next_occurrences_of_a_monthly_assembly() -> None:
    found = next_occurrences(
        "RRULE:FREQ=MONTHLY;BYDAY=2TU",
        FIRST,
        None,
        ZURICH,
        now=datetime(2026, 5, 1, tzinfo=UTC),
        count=2,
    )
    assert [o.start.date() for o in found] == [date(2026, 5, 12), date(2026, 6, 9)]


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("", "invalid_rule"),
        ("FREQ=HOURLY", "unsupported_frequency"),
        ("FREQ=SECONDLY", "unsupported_frequency"),
        ("FREQ=WEEKLY;BYDAY=XX", "invalid_rule"),
        ("FREQ=WEEKLY;INTERVAL=0", "invalid_rule"),
        ("FREQ=WEEKLY;INTERVAL=²", "invalid_rule"),  # a digit for str.isdigit, not for int()
        ("FREQ=WEEKLY;BYDAY=" + ",".join(["MO"] * 162), "invalid_rule"),  # 503 characters
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no_occurrence"),
        ("FREQ=DAILY;BYHOUR=1,2", "too_frequent"),
        ("nonsense", "unsupported_frequency"),
    ],
)
def test_impossible_rules_are_refused(rule: str, code: str) -> None:
    with pytest.raises(RecurrenceError) as refused:
        validate_rule(rule, FIRST, ZURICH)
    assert refused.value.code == code


def test_valid_rule_is_normalised() -> None:
    assert validate_rule(" rrule:freq=weekly; byday=sa ", FIRST, ZURICH) == "FREQ=WEEKLY;BYDAY=SA"


def test_a_rule_as_long_as_an_event_keeps_is_taken() -> None:
    rule = "FREQ=WEEKLY;BYDAY=" + ",".join(["MO"] * 161)
    assert len(rule) == 500
    assert validate_rule(rule, FIRST, ZURICH) == rule
