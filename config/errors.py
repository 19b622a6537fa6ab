"""The one exception tree of the neighbourhood's rules: why an action of a person is refused.

::

    DomainError(code, field, **details)
    ├── Invalid      what was given cannot be used          (a form field, a rule, an image)
    ├── NotAllowed   the acting person may not do this      (their role, the object's owner)
    ├── NotFound     what is named does not exist here      (an account, a date of a series)
    ├── Conflict     the present state forbids it           (the last admin, no places left)
    └── Gone         it existed and no longer takes part    (a cancelled event, a date over)

``code`` is an :class:`ErrorCode` (a word, never a sentence); ``field`` is the form field or
the slot the refusal concerns (``"title"``, ``"avatar"``, ``"image2"``), None for the whole
action; ``details`` are the values a sentence may name (``count=12``, ``name="bruno"``).

Three places turn a refusal into words, each written once: ``webui/error_messages.py`` (a
sentence for people, in their language), ``endpoints/errors.py`` (an HTTP status with the
reason, for clients) and ``quartiers/errors.py`` (one line for the command line).

It lives in ``config/``, below ``actors/``, ``commons/`` and ``outbox/``, so that every domain
package raises from the same tree without importing another domain package for it. Failures of
the outside world are not refusals and stay out of the tree: ``federation.errors`` (the
protocol), ``config.settings.ConfigError`` (the configuration), the geocoder being down.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every reason for a refusal, by family; the value is what logs and tests read."""

    # Any form
    REQUIRED = "required"
    INVALID = "invalid"
    TOO_LONG = "too_long"
    INVALID_EMAIL = "invalid_email"
    # Accounts
    INVALID_USERNAME = "invalid_username"
    NAME_TAKEN = "name_taken"
    PASSWORD_TOO_SHORT = "too_short"  # noqa: S105 - a reason, not a password
    PASSWORD_MISMATCH = "mismatch"  # noqa: S105
    WRONG_PASSWORD = "wrong_password"  # noqa: S105
    INVITATION_NEEDED = "invitation_needed"
    UNKNOWN_ACCOUNT = "unknown_account"
    ACCOUNT_GONE = "account_gone"
    # Collectives and their members
    INVALID_GROUP_KIND = "invalid_group_kind"
    NOT_ALLOWED = "not_allowed"
    LAST_ADMIN = "last_admin"
    INVITATION_REQUIRED = "invitation_required"
    NOT_A_MEMBER = "not_a_member"
    INVALID_ROLE = "invalid_role"
    # Images
    TOO_LARGE = "too_large"
    NOT_AN_IMAGE = "not_an_image"
    UNSUPPORTED_TYPE = "unsupported_type"
    TOO_MANY_PIXELS = "too_many_pixels"
    IMAGES_BUSY = "images_busy"
    MISSING_ALT = "missing_alt"
    ALT_TOO_LONG = "alt_too_long"
    # Posts
    NOT_BOOSTABLE = "not_boostable"
    # Sharing into collectives
    SHARE_MEMBERS_ONLY = "share_members_only"
    SHARE_NOT_PUBLIC = "share_not_public"
    SHARE_NOT_WAITING = "share_not_waiting"
    SHARE_OWN_APPROVAL = "share_own_approval"
    FOLLOW_NOT_A_COLLECTIVE = "follow_not_a_collective"
    # Events
    MISSING_TITLE = "missing_title"
    TITLE_TOO_LONG = "title_too_long"
    DESCRIPTION_TOO_LONG = "description_too_long"
    MISSING_START = "missing_start"
    BAD_END = "bad_end"
    END_BEFORE_START = "end_before_start"
    INVALID_TIMEZONE = "invalid_timezone"
    MISSING_PLACE = "missing_place"
    BAD_COORDINATES = "bad_coordinates"
    BAD_LINK = "bad_link"
    INVALID_CATEGORY = "invalid_category"
    INVALID_JOIN_MODE = "invalid_join_mode"
    MISSING_REGISTRATION_LINK = "missing_registration_link"
    BAD_CAPACITY = "bad_capacity"
    CAPACITY_BELOW_PARTICIPANTS = "capacity_below_participants"
    BAD_EXDATES = "bad_exdates"
    CANCELLED = "cancelled"
    FULL = "full"
    EXTERNAL_REGISTRATION = "external_registration"
    NOT_PENDING = "not_pending"
    DATE_OVER = "date_over"
    NO_SUCH_DATE = "no_such_date"
    # Series (repetition rules)
    INVALID_RULE = "invalid_rule"
    UNSUPPORTED_FREQUENCY = "unsupported_frequency"
    NO_OCCURRENCE = "no_occurrence"
    TOO_FREQUENT = "too_frequent"
    # Events from elsewhere (another server, a client)
    NOT_AN_EVENT = "not_an_event"
    MISSING_ID = "missing_id"
    # Offers and requests of the bourses
    INVALID_PURPOSE = "invalid_purpose"
    INVALID_OFFER_KIND = "invalid_offer_kind"
    BAD_QUANTITY = "bad_quantity"
    INVALID_UNIT = "invalid_unit"
    INVALID_RECIPROCITY = "invalid_reciprocity"
    MISSING_EXCHANGE = "missing_exchange"
    BAD_PRICE = "bad_price"
    UNTIL_PAST = "until_past"
    TOO_MANY_IMAGES = "too_many_images"
    NOT_AN_OFFER = "not_an_offer"
    OFFER_CLOSED = "offer_closed"
    OWN_OFFER = "own_offer"
    ALREADY_ANSWERED = "already_answered"
    UNIT_MISMATCH = "unit_mismatch"
    NOT_A_MULTIPLE = "not_a_multiple"
    MESSAGE_TOO_LONG = "message_too_long"
    # Booking the things and rooms of a shared space
    SLOT_REQUIRED = "slot_required"
    BAD_SLOT = "bad_slot"
    BOOKING_TOO_LONG = "booking_too_long"
    TOO_SOON = "too_soon"
    TOO_FAR = "too_far"
    OUTSIDE_OPENING = "outside_opening"
    QUOTA_REACHED = "quota_reached"
    MAY_NOT_BOOK = "may_not_book"
    ITEM_BROKEN = "item_broken"
    SLOT_TAKEN = "slot_taken"
    BAD_RULES = "bad_rules"
    WRONG_PICKUP_CODE = "wrong_pickup_code"
    # Petitions and initiatives
    NOT_A_PETITION = "not_a_petition"
    BAD_GOAL = "bad_goal"
    DEADLINE_PAST = "deadline_past"
    DEADLINE_TOO_FAR = "deadline_too_far"
    INVALID_SCOPE = "invalid_scope"
    INVALID_WHO_MAY_SIGN = "invalid_who_may_sign"
    TOO_FEW_PROMOTERS = "too_few_promoters"
    NOT_A_PROMOTER = "not_a_promoter"
    PETITION_NOT_OPEN = "petition_not_open"
    PETITION_NOT_SUBMITTABLE = "petition_not_submittable"
    PETITION_NOT_SUBMITTED = "petition_not_submitted"
    ANSWER_MISSING = "answer_missing"
    ALREADY_SIGNED = "already_signed"
    NOT_SIGNED = "not_signed"
    MAY_NOT_SIGN = "may_not_sign"
    NOT_THE_OPTION = "not_the_option"
    # Polls of assemblies
    NOT_A_POLL = "not_a_poll"
    MISSING_QUESTION = "missing_question"
    QUESTION_TOO_LONG = "question_too_long"
    POLL_OPTIONS = "poll_options"
    POLL_TOO_LONG = "poll_too_long"
    INVALID_WHO_MAY_VOTE = "invalid_who_may_vote"
    POLL_CLOSED = "poll_closed"
    ALREADY_VOTED = "already_voted"
    NO_CHOICE = "no_choice"
    ONE_CHOICE_ONLY = "one_choice_only"
    NOT_AN_OPTION = "not_an_option"
    MAY_NOT_VOTE = "may_not_vote"
    # Proposals to a collective
    MAY_NOT_PROPOSE = "may_not_propose"
    MISSING_PROPOSAL_TITLE = "missing_proposal_title"
    MISSING_PROPOSAL_TEXT = "missing_proposal_text"
    PROPOSAL_ANSWERED = "proposal_answered"
    ALREADY_SUPPORTED = "already_supported"
    INVALID_PROPOSAL_STATUS = "invalid_proposal_status"
    PROPOSAL_ANSWER_MISSING = "proposal_answer_missing"
    # Handles and addresses of the protocol
    HANDLE_BLOCKED = "blocked"
    HANDLE_UNREACHABLE = "unreachable"
    HANDLE_NOT_FOUND = "not_found"
    INVALID_PAGE = "invalid_page"
    MALFORMED_RESOURCE = "malformed_resource"


class DomainError(Exception):
    """A refused action: ``code`` says why, ``field`` what it concerns, ``details`` the values."""

    def __init__(self, code: ErrorCode, field: str | None = None, **details: object) -> None:
        super().__init__(code.value)
        self.code = code
        self.field = field
        self.details = details

    def __str__(self) -> str:
        named = ", ".join(f"{key}={value!r}" for key, value in self.details.items())
        return f"{self.code.value} ({named})" if named else self.code.value


class Invalid(DomainError):
    """What was given cannot be used as it is."""


class NotAllowed(DomainError):
    """The acting person may not do this."""


class NotFound(DomainError):
    """What the action names does not exist here."""


class Conflict(DomainError):
    """The present state of things forbids it."""


class Gone(DomainError):
    """It existed and no longer takes part."""


KINDS: tuple[type[DomainError], ...] = (Invalid, NotAllowed, NotFound, Conflict, Gone)
