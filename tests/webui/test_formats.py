"""The formatting helpers of the pages: dates, hours, numbers and series rules in the reader's
language, in the zone they are given."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from webui import i18n
from webui.formats import (
    count_text,
    format_clock,
    format_count,
    format_day,
    format_hours,
    format_list_of,
    format_moment,
    format_month,
    format_short_day,
    sentence_start,
)
from webui.recurrence_words import describe_rule

GENEVA = ZoneInfo("Europe/Zurich")
SATURDAY = date(2030, 3, 2)
MORNING = datetime(2030, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Geneva
AFTERNOON = datetime(2030, 3, 2, 15, 0, tzinfo=UTC)  # 16:00 in Geneva


def plain(text: str) -> str:
    """CLDR's narrow and thin spaces as plain ones, to keep the expectations readable."""
    return " ".join(text.split())


@pytest.fixture
def reading() -> Iterator[Callable[[str], None]]:
    """Set the reader's language for one test, and put it back."""
    tokens = []

    def read_in(language: str) -> None:
        tokens.append(i18n.current_locale.set(language))

    yield read_in
    for token in reversed(tokens):
        i18n.current_locale.reset(token)


@pytest.mark.parametrize(
    ("language", "day", "month", "clock", "hours", "moment", "count"),
    [
        ("fr", "samedi 2 mars 2030", "Mars 2030", "10:00", "10:00 – 16:00", "2 mars 2030, 10:00", "12 345"),
        ("en", "Saturday, March 2, 2030", "March 2030", "10:00 AM", "10:00 AM – 4:00 PM", "Mar 2, 2030, 10:00 AM", "12,345"),
        ("de", "Samstag, 2. März 2030", "März 2030", "10:00", "10:00–16:00 Uhr", "2. März 2030, 10:00", "12.345"),
        ("ar", "السبت، 2 مارس 2030", "مارس 2030", "10:00 ص", "10:00 ص – 4:00 م", "2 مارس 2030، 10:00 ص", "12,345"),
    ],
)  # fmt: skip
def test_dates_and_numbers_follow_the_readers_language(
    reading: Callable[[str], None],
    language: str,
    day: str,
    month: str,
    clock: str,
    hours: str,
    moment: str,
    count: str,
) -> None:
    # Given a reader of that language (the forms are Babel's data, whatever the catalogs)
    reading(language)

    # Then every form is that language's, in Geneva's time
    assert format_day(SATURDAY) == day
    assert format_month(SATURDAY) == month
    assert plain(format_clock(MORNING, GENEVA)) == clock
    assert plain(format_hours(MORNING, AFTERNOON, GENEVA)) == hours
    assert plain(format_moment(MORNING, GENEVA)) == moment
    assert plain(format_count(12345)) == count


def test_the_zone_decides_the_hour(reading: Callable[[str], None]) -> None:
    reading("fr")
    assert format_clock(MORNING, GENEVA) == "10:00"
    assert format_clock(MORNING, ZoneInfo("America/Montreal")) == "04:00"


def test_a_sentence_starts_with_a_capital_and_keeps_the_rest() -> None:
    assert sentence_start("saturday, December 5") == "Saturday, December 5"
    assert sentence_start("samedi 5 décembre") == "Samedi 5 décembre"
    assert sentence_start("") == ""


def test_short_days_lists_and_counts(reading: Callable[[str], None]) -> None:
    reading("en")
    assert format_short_day(SATURDAY) in {"Sat 2", "2 Sat"}
    assert format_list_of(["Monday", "Thursday"]) == "Monday and Thursday"
    assert count_text("%(num)s event", "%(num)s events", 1500) == "1,500 events"
    reading("fr")
    assert format_list_of(["lundi", "jeudi"]) == "lundi et jeudi"
    assert plain(count_text("%(num)s event", "%(num)s events", 1500)) == "1 500 événements"
    assert count_text("%(num)s event", "%(num)s events", 1) == "1 événement"


@pytest.mark.parametrize(
    ("rule", "english", "french"),
    [
        ("FREQ=WEEKLY;BYDAY=SA", "Every Saturday", "Chaque samedi"),
        ("RRULE:FREQ=WEEKLY;BYDAY=SU", "Every Sunday", "Chaque dimanche"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", "Every 2 weeks on Saturday", "Toutes les 2 semaines, le samedi"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "Every week on Monday and Thursday", "Chaque semaine, le lundi et jeudi"),
        ("FREQ=WEEKLY", "Every week", "Chaque semaine"),
        ("FREQ=DAILY", "Every day", "Chaque jour"),
        ("FREQ=DAILY;INTERVAL=3", "Every 3 days", "Tous les 3 jours"),
        ("FREQ=MONTHLY;BYDAY=1SA", "Every month on the first Saturday", "Chaque mois, le premier samedi"),
        ("FREQ=MONTHLY;BYDAY=SA;BYSETPOS=2", "Every month on the second Saturday", "Chaque mois, le deuxième samedi"),
        ("FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR", "Every 2 months on the last Friday", "Tous les 2 mois, le dernier vendredi"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "Every month on day 15", "Chaque mois, le 15"),
        ("FREQ=MONTHLY", "Every month", "Chaque mois"),
        ("FREQ=YEARLY", "Every year", "Chaque année"),
        ("FREQ=YEARLY;INTERVAL=2", "Every 2 years", "Tous les 2 ans"),
        ("FREQ=WEEKLY;BYDAY=SA;COUNT=1", "Every Saturday, once", "Chaque samedi, une fois"),
        ("FREQ=WEEKLY;BYDAY=SA;COUNT=4", "Every Saturday, 4 times", "Chaque samedi, 4 fois"),
        ("FREQ=DAILY;UNTIL=20301219T000000Z", "Every day, until Thursday, December 19, 2030",
         "Chaque jour, jusqu’au jeudi 19 décembre 2030"),
        ("FREQ=HOURLY", "Recurring event", "Événement récurrent"),
    ],
)  # fmt: skip
def test_series_rules_in_words(
    reading: Callable[[str], None], rule: str, english: str, french: str
) -> None:
    # When the rule is put in words for a reader of each language
    reading("en")
    in_english = describe_rule(rule)
    reading("fr")
    in_french = describe_rule(rule)

    # Then each reads its own sentence, with the plural form its count takes
    assert in_english == english
    assert in_french == french


@pytest.mark.parametrize(
    ("rule", "german", "arabic"),
    [
        ("FREQ=WEEKLY;BYDAY=SA", "Jeden Samstag", "كل يوم سبت"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", "Alle 2 Wochen am Samstag", "كل أسبوعين: السبت"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "Jede Woche am Montag und Donnerstag", "كل أسبوع: الاثنين والخميس"),
        ("FREQ=DAILY;INTERVAL=3", "Alle 3 Tage", "كل 3 أيام"),
        ("FREQ=WEEKLY;INTERVAL=11", "Alle 11 Wochen", "كل 11 أسبوعًا"),
        ("FREQ=MONTHLY;BYDAY=1SA", "Jeden Monat am ersten Samstag", "كل شهر، يوم السبت الأول"),
        ("FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR", "Alle 2 Monate am letzten Freitag", "كل شهرين، يوم الجمعة الأخير"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "Jeden Monat am 15.", "كل شهر، في اليوم 15"),
        ("FREQ=YEARLY;INTERVAL=2", "Alle 2 Jahre", "كل سنتين"),
        ("FREQ=WEEKLY;BYDAY=SA;COUNT=1", "Jeden Samstag, einmal", "كل يوم سبت، مرة واحدة"),
        ("FREQ=WEEKLY;BYDAY=SA;COUNT=4", "Jeden Samstag, 4 Mal", "كل يوم سبت، 4 مرات"),
        ("FREQ=DAILY;UNTIL=20301219T000000Z", "Jeden Tag, bis Donnerstag, 19. Dezember 2030",
         "كل يوم، حتى الخميس، 19 ديسمبر 2030"),
        ("FREQ=HOURLY", "Wiederkehrende Veranstaltung", "فعالية متكررة"),
    ],
)  # fmt: skip
def test_series_rules_in_german_and_arabic(
    reading: Callable[[str], None], rule: str, german: str, arabic: str
) -> None:
    # When the rule is put in words for a German and an Arabic reader
    reading("de")
    in_german = describe_rule(rule)
    reading("ar")
    in_arabic = describe_rule(rule)

    # Then each reads its own sentence, Arabic with its dual and its forms for 3 to 10 and 11 on
    assert in_german == german
    assert in_arabic == arabic


def test_counts_and_lists_in_german_and_arabic(reading: Callable[[str], None]) -> None:
    reading("de")
    assert format_list_of(["Montag", "Donnerstag"]) == "Montag und Donnerstag"
    assert count_text("%(num)s event", "%(num)s events", 1500) == "1.500 Veranstaltungen"
    reading("ar")
    assert format_list_of(["الاثنين", "الخميس"]) == "الاثنين والخميس"
    assert count_text("%(num)s event", "%(num)s events", 2) == "فعاليتان"
    assert count_text("%(num)s event", "%(num)s events", 7) == "7 فعاليات"
    assert count_text("%(num)s event", "%(num)s events", 1500) == "1,500 فعالية"


def test_no_rule_has_no_words() -> None:
    assert describe_rule(None) is None
    assert describe_rule("") is None


def test_a_count_of_a_thousand_weeks_has_its_digit_groups(reading: Callable[[str], None]) -> None:
    reading("en")
    assert describe_rule("FREQ=WEEKLY;INTERVAL=1000") == "Every 1,000 weeks"


def test_portuguese_is_written_as_in_portugal(reading: Callable[[str], None]) -> None:
    # Given a reader of the pages in Portuguese (most of Geneva's come from Portugal)
    reading("pt")

    # Then a moment is written day/month/year, as in Portugal, not "2 de mar. de 2030" as in Brazil
    assert format_moment(MORNING, GENEVA) == "2/03/2030, 10:00"
    assert format_day(SATURDAY, with_weekday=True) == "sábado, 2 de março de 2030"
