"""One catalog of refusals: every code reads as a sentence in every language, and the API and
the command line say the same refusal their own way."""

from __future__ import annotations

import pytest

from actors.errors import NameTaken, UnknownAccount
from config.errors import (
    KINDS,
    Conflict,
    DomainError,
    ErrorCode,
    Gone,
    Invalid,
    NotAllowed,
    NotFound,
)
from endpoints.errors import status_and_reason
from quartiers.errors import refusal_line
from webui import i18n
from webui.error_messages import MESSAGES, english, message

LANGUAGES = ("fr", "de", "it", "es", "pt", "ar")


def test_every_code_has_a_sentence() -> None:
    # Given every refusal code of the tree
    codes = set(ErrorCode)

    # Then the catalog holds a sentence for each, and nothing else
    assert set(MESSAGES) == codes


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sentence_is_translated(language: str) -> None:
    # Given the merged catalog of a language
    catalog = i18n.read_catalog(language)

    # Then each sentence of the refusals has a translation, keeping its placeholders
    missing = [
        text for text in MESSAGES.values() if not (catalog.get(text) and catalog[text].string)
    ]
    assert missing == [], f"{language}: {missing}"
    for text in MESSAGES.values():
        translated = catalog[text].string
        assert isinstance(translated, str)
        assert ("%(count)s" in text) == ("%(count)s" in translated), (language, text)


def _in(language: str, refusal: DomainError) -> str:
    token = i18n.current_locale.set(language)
    try:
        return message(refusal)
    finally:
        i18n.current_locale.reset(token)


def test_a_page_reads_the_sentence_in_the_readers_language() -> None:
    # Given a refusal carrying a count
    refusal = Invalid(ErrorCode.CAPACITY_BELOW_PARTICIPANTS, "capacity", count=12)
    i18n.load_catalogs()

    # When it is shown in French, then in English
    french, english_text = _in("fr", refusal), _in("en", refusal)

    # Then both name the count, each in its language
    assert french.startswith("12 personnes participent déjà")
    assert english_text == english(refusal)
    assert english_text.startswith("12 people already take part")


def test_the_api_answers_each_kind_with_its_status_and_the_code() -> None:
    # Given one refusal of each kind
    refusals = [
        Invalid(ErrorCode.MISSING_PLACE, "place_name"),
        NotAllowed(ErrorCode.NOT_ALLOWED),
        NotFound(ErrorCode.UNKNOWN_ACCOUNT),
        Conflict(ErrorCode.FULL),
        Gone(ErrorCode.CANCELLED),
    ]
    assert {type(refusal) for refusal in refusals} == set(KINDS)

    # When the API maps them
    answers = [status_and_reason(refusal) for refusal in refusals]

    # Then the status says the kind and the reason names the code (and the field)
    assert answers == [
        (400, "cannot be used: missing_place (place_name)"),
        (403, "not allowed: not_allowed"),
        (404, "not found: unknown_account"),
        (409, "not possible now: full"),
        (410, "no longer possible: cancelled"),
    ]


def test_a_refusal_of_a_domain_package_is_answered_as_its_kind() -> None:
    # Given a refusal raised under its own name by actors/
    taken = NameTaken("bruno")

    # Then the API answers it as the kind it belongs to
    assert status_and_reason(taken) == (409, "not possible now: name_taken (username)")


def test_the_command_line_says_the_value_and_the_sentence_on_one_line() -> None:
    # Given refusals with and without the value they concern
    unknown = UnknownAccount("nobody")
    last_admin = Conflict(ErrorCode.LAST_ADMIN)

    # Then each is one line, in English, naming the value when there is one
    assert refusal_line(unknown) == "name 'nobody': There is no such account here."
    assert refusal_line(last_admin) == "You are the last admin: name another admin first."
    assert "\n" not in refusal_line(DomainError(ErrorCode.INVALID_USERNAME, name="Bad\nName"))
