"""The one catalog of refusals for people: each :class:`config.errors.ErrorCode` → a sentence.

Every page that shows a refused action asks here, so one reason reads the same on every form.
The message ids are English (the command line prints them as they are, see
``quartiers/errors.py``); ``message`` translates them into the reader's language.
"""

from __future__ import annotations

from config.errors import DomainError, ErrorCode
from webui import i18n


def N_(message: str) -> str:
    """Marks a message for the catalog; it is translated when shown."""
    return message


MESSAGES: dict[ErrorCode, str] = {
    # Any form
    ErrorCode.REQUIRED: N_("Please fill in this field."),
    ErrorCode.INVALID: N_("This value is not accepted."),
    ErrorCode.TOO_LONG: N_("This text is too long."),
    ErrorCode.INVALID_EMAIL: N_("This does not look like an email address (like name@example.ch)."),
    # Accounts
    ErrorCode.INVALID_USERNAME: N_(
        "Use 1 to 30 lowercase letters, digits, “_”, “-” or “.”, "
        "starting and ending with a letter, a digit or “_”."
    ),
    ErrorCode.NAME_TAKEN: N_("This name is already taken here. Please choose another one."),
    ErrorCode.PASSWORD_TOO_SHORT: N_("The password needs at least 10 characters."),
    ErrorCode.PASSWORD_MISMATCH: N_("The two passwords are not the same."),
    ErrorCode.WRONG_PASSWORD: N_("This password is not the right one."),
    ErrorCode.INVITATION_NEEDED: N_("This neighbourhood admits new residents by invitation."),
    ErrorCode.UNKNOWN_ACCOUNT: N_("There is no such account here."),
    ErrorCode.ACCOUNT_GONE: N_("This account was deleted by its owner; it cannot be restored."),
    # Collectives and their members
    ErrorCode.INVALID_GROUP_KIND: N_("A collective is a project, a space or an assembly."),
    ErrorCode.NOT_ALLOWED: N_("You are not allowed to do this."),
    ErrorCode.LAST_ADMIN: N_("You are the last admin: name another admin first."),
    ErrorCode.INVITATION_REQUIRED: N_(
        "This collective admits new members by invitation: enter your invitation code."
    ),
    ErrorCode.NOT_A_MEMBER: N_("This person is not a member of the collective."),
    ErrorCode.INVALID_ROLE: N_("Choose a role from the list."),
    # Images
    ErrorCode.TOO_LARGE: N_("The image is too large (8 MB at most)."),
    ErrorCode.NOT_AN_IMAGE: N_("This file is not an image we can read."),
    ErrorCode.UNSUPPORTED_TYPE: N_("Please choose a JPEG, PNG, WebP or GIF image."),
    ErrorCode.TOO_MANY_PIXELS: N_("The image has too many pixels. Please choose a smaller one."),
    ErrorCode.IMAGES_BUSY: N_(
        "The server is preparing many images right now. Please send the form again in a moment."
    ),
    ErrorCode.MISSING_ALT: N_("Please describe the image for people who cannot see it."),
    ErrorCode.ALT_TOO_LONG: N_("The description of the image is too long."),
    # Posts
    ErrorCode.NOT_BOOSTABLE: N_("Only public posts can be shared."),
    # Sharing into collectives
    ErrorCode.SHARE_MEMBERS_ONLY: N_("Only the members of a collective can share into it."),
    ErrorCode.SHARE_NOT_PUBLIC: N_("Only public, published items can be shared."),
    ErrorCode.SHARE_NOT_WAITING: N_("This share is no longer waiting for an answer."),
    ErrorCode.SHARE_OWN_APPROVAL: N_("Another facilitator approves the shares you propose."),
    ErrorCode.FOLLOW_NOT_A_COLLECTIVE: N_("This address is not a collective's."),
    # Events
    ErrorCode.MISSING_TITLE: N_("Give the event a title."),
    ErrorCode.TITLE_TOO_LONG: N_("The title is too long (200 characters at most)."),
    ErrorCode.DESCRIPTION_TOO_LONG: N_("The description is too long."),
    ErrorCode.MISSING_START: N_("Give the date and time it starts."),
    ErrorCode.BAD_END: N_("Give the end as a date and time, or leave it empty."),
    ErrorCode.END_BEFORE_START: N_("The end must come after the start."),
    ErrorCode.INVALID_TIMEZONE: N_("Choose a time zone from the list."),
    ErrorCode.MISSING_PLACE: N_("Give a place (name or address) or a link to join online."),
    ErrorCode.BAD_COORDINATES: N_(
        "Give both coordinates in decimal degrees, for example 46.2102 and 6.1432."
    ),
    ErrorCode.BAD_LINK: N_("Give a full web address starting with https://."),
    ErrorCode.INVALID_CATEGORY: N_("Choose a category from the list."),
    ErrorCode.INVALID_JOIN_MODE: N_("Choose how people take part."),
    ErrorCode.MISSING_REGISTRATION_LINK: N_("Give the address of the registration page."),
    ErrorCode.BAD_CAPACITY: N_("Give a number of places from 1 to 100000, or leave it empty."),
    ErrorCode.CAPACITY_BELOW_PARTICIPANTS: N_(
        "%(count)s people already take part: the number of places cannot be lower."
    ),
    ErrorCode.BAD_EXDATES: N_("Write the dates to skip as 2026-12-26 or 26.12.2026."),
    ErrorCode.CANCELLED: N_("This event is cancelled."),
    ErrorCode.FULL: N_("There are no places left."),
    ErrorCode.EXTERNAL_REGISTRATION: N_("Registration happens on the organiser's website."),
    ErrorCode.NOT_PENDING: N_("This request was already answered."),
    ErrorCode.DATE_OVER: N_("This date is over."),
    ErrorCode.NO_SUCH_DATE: N_(
        "This date cannot be chosen on its own: take part in the whole series."
    ),
    # Series
    ErrorCode.INVALID_RULE: N_(
        "This repetition rule cannot be read, for example FREQ=WEEKLY;BYDAY=SA."
    ),
    ErrorCode.UNSUPPORTED_FREQUENCY: N_("An event repeats daily, weekly, monthly or yearly."),
    ErrorCode.NO_OCCURRENCE: N_("With this rule the event would never take place."),
    ErrorCode.TOO_FREQUENT: N_("An event cannot repeat more than once a day."),
    # Events from elsewhere
    # Offers and requests
    ErrorCode.INVALID_PURPOSE: N_("Choose whether you offer or look for something."),
    ErrorCode.INVALID_OFFER_KIND: N_("Choose one of the kinds in the list."),
    ErrorCode.BAD_QUANTITY: N_(
        "Give a number above zero, for example 2 or 1.5 (and no more than what is available)."
    ),
    ErrorCode.INVALID_UNIT: N_("Choose one of the units in the list."),
    ErrorCode.INVALID_RECIPROCITY: N_("Choose what you ask in return."),
    ErrorCode.MISSING_EXCHANGE: N_("Say what you would like in exchange."),
    ErrorCode.BAD_PRICE: N_("Give the price in francs, for example 12.50."),
    ErrorCode.UNTIL_PAST: N_("Give a day still to come, for example 31.12.2026."),
    ErrorCode.TOO_MANY_IMAGES: N_("At most %(count)s pictures."),
    ErrorCode.NOT_AN_OFFER: N_("This is not an offer or a request."),
    ErrorCode.OFFER_CLOSED: N_("This offer is done or over: it takes no more answers."),
    ErrorCode.OWN_OFFER: N_("You cannot answer what you published yourself."),
    ErrorCode.ALREADY_ANSWERED: N_("You already answered it; wait for the reply."),
    ErrorCode.UNIT_MISMATCH: N_("Ask for it in the unit of the offer."),
    ErrorCode.NOT_A_MULTIPLE: N_("Ask for a multiple of the quantity offered each time."),
    ErrorCode.MESSAGE_TOO_LONG: N_("The message is too long (5,000 characters at most)."),
    # Booking
    ErrorCode.SLOT_REQUIRED: N_("Choose the days (or the start and hours) of your booking."),
    ErrorCode.BAD_SLOT: N_("A booking covers whole slots: whole days, or whole hours for rooms."),
    ErrorCode.BOOKING_TOO_LONG: N_("This is longer than the space lends it: %(count)s at most."),
    ErrorCode.TOO_SOON: N_("This is too soon: the space asks to book ahead."),
    ErrorCode.TOO_FAR: N_("This is too far ahead: %(count)s days at most."),
    ErrorCode.OUTSIDE_OPENING: N_("The space is closed then. Choose days when it is open."),
    ErrorCode.QUOTA_REACHED: N_("You have reached the bookings allowed this month."),
    ErrorCode.MAY_NOT_BOOK: N_("Only the members of the space, or its neighbourhood, may book it."),
    ErrorCode.ITEM_BROKEN: N_("It is out of order for now."),
    ErrorCode.SLOT_TAKEN: N_("These days (or hours) were just booked by someone else."),
    ErrorCode.WRONG_PICKUP_CODE: N_("This is not the code of this booking."),
    ErrorCode.BAD_RULES: N_(
        "These rules cannot be used: check the numbers, the open days, the hours and the periods."
    ),
    # Petitions
    ErrorCode.NOT_A_PETITION: N_("This is not a petition."),
    ErrorCode.BAD_GOAL: N_("Give the number of signatures sought, for example 500."),
    ErrorCode.DEADLINE_PAST: N_("Give a closing day still to come, for example 31.03.2027."),
    ErrorCode.DEADLINE_TOO_FAR: N_("A petition collects for two years at most."),
    ErrorCode.INVALID_SCOPE: N_(
        "Give the quartiers by the address of their server, for example paquis.geneve.ch."
    ),
    ErrorCode.INVALID_WHO_MAY_SIGN: N_("Choose who may sign in the list."),
    ErrorCode.TOO_FEW_PROMOTERS: N_(
        "The promoter committee needs at least two members of the collective."
    ),
    ErrorCode.NOT_A_PROMOTER: N_("Only the members of its promoter committee may confirm it."),
    ErrorCode.PETITION_NOT_OPEN: N_("This petition is not collecting signatures."),
    ErrorCode.PETITION_NOT_SUBMITTABLE: N_(
        "Only a petition that collects or has closed can be handed over, and only once."
    ),
    ErrorCode.PETITION_NOT_SUBMITTED: N_(
        "Mark the petition as handed over first; then publish the answer it received."
    ),
    ErrorCode.ANSWER_MISSING: N_("Write the answer received, or paste it."),
    ErrorCode.ALREADY_SIGNED: N_("You have already signed it."),
    ErrorCode.NOT_SIGNED: N_("You have not signed it."),
    ErrorCode.MAY_NOT_SIGN: N_(
        "Only the people this petition names may sign it (see “Who may sign”)."
    ),
    ErrorCode.NOT_THE_OPTION: N_("A signature says “Je signe” and nothing else."),
    # Polls
    ErrorCode.NOT_A_POLL: N_("This is not a poll."),
    ErrorCode.MISSING_QUESTION: N_("Write the question the poll asks."),
    ErrorCode.QUESTION_TOO_LONG: N_("The question is too long (300 characters at most)."),
    ErrorCode.POLL_OPTIONS: N_(
        "Give between 2 and 10 different answers, one a line, of 200 characters at most."
    ),
    ErrorCode.POLL_TOO_LONG: N_("A poll stays open for one year at most."),
    ErrorCode.INVALID_WHO_MAY_VOTE: N_("Choose who may vote in the list."),
    ErrorCode.POLL_CLOSED: N_("This poll is closed: it no longer takes votes."),
    ErrorCode.ALREADY_VOTED: N_("You have already voted in this poll."),
    ErrorCode.NO_CHOICE: N_("Choose an answer."),
    ErrorCode.ONE_CHOICE_ONLY: N_("This poll takes one answer only."),
    ErrorCode.NOT_AN_OPTION: N_("This answer is not one the poll offers."),
    ErrorCode.MAY_NOT_VOTE: N_("Only the members of the collective may vote in this poll."),
    # Proposals
    ErrorCode.MAY_NOT_PROPOSE: N_("Only the members of the collective may make a proposal to it."),
    ErrorCode.MISSING_PROPOSAL_TITLE: N_("Give the proposal a title."),
    ErrorCode.MISSING_PROPOSAL_TEXT: N_("Say what you propose, and why."),
    ErrorCode.PROPOSAL_ANSWERED: N_("This proposal has its answer: it no longer gathers support."),
    ErrorCode.ALREADY_SUPPORTED: N_("You already support it."),
    ErrorCode.INVALID_PROPOSAL_STATUS: N_("Choose the answer in the list."),
    ErrorCode.PROPOSAL_ANSWER_MISSING: N_(
        "Write the answer: why the collective accepts or refuses it."
    ),
    ErrorCode.NOT_AN_EVENT: N_("This is not an event."),
    ErrorCode.MISSING_ID: N_("This event has no address of its own."),
    # Handles and addresses
    ErrorCode.HANDLE_BLOCKED: N_("This server is blocked here."),
    ErrorCode.HANDLE_UNREACHABLE: N_("This server cannot be reached right now. Try again later."),
    ErrorCode.HANDLE_NOT_FOUND: N_("Nobody and nothing was found at this address."),
    ErrorCode.INVALID_PAGE: N_("This page number is not valid."),
    ErrorCode.MALFORMED_RESOURCE: N_("This address cannot be read."),
}


def _code_and_details(
    refusal: DomainError | ErrorCode | str, details: dict[str, object]
) -> tuple[ErrorCode, dict[str, object]]:
    if isinstance(refusal, DomainError):
        return refusal.code, refusal.details | details
    return ErrorCode(refusal), details


def message(refusal: DomainError | ErrorCode | str, **details: object) -> str:
    """The sentence for a refusal (an error or its code), in the reader's language."""
    code, values = _code_and_details(refusal, details)
    text = i18n.gettext(MESSAGES[code])
    return text % values if "%(" in text else text


def english(refusal: DomainError | ErrorCode | str, **details: object) -> str:
    """The sentence as written here, untranslated (the command line's language)."""
    code, values = _code_and_details(refusal, details)
    text = MESSAGES[code]
    return text % values if "%(" in text else text
