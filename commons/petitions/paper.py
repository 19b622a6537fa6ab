"""Signatures collected on paper, typed in by the collective's facilitators.

A sheet gives a name and an address. Neither is kept in clear unless the petition shows its
signers' names: what is kept is a keyed hash of the two, folded (case, accents and spaces do not
count), so that the same person typed twice is refused — the signer id of a paper signature is
``paper:`` and that hash, unique per petition like every signer's — and so that an export can
name each signature by an anonymous id without ever carrying who signed. The key is the
instance's secret: without it, a hash cannot be tested against a list of names and addresses.

A name alone cannot refuse a signature (two neighbours may share one), but a sheet whose name
is that of a resident who already signed here online is shown to the facilitator as a possible
double signature.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from commons.petitions.services import facilitated_collective
from commons.petitions.signatures import lock_tally
from config.errors import Conflict, ErrorCode, Invalid
from storage.models import Actor, Petition, Signature, utcnow
from storage.models.petitions import CLOSED, COLLECTING, HERE, PAPER

GENEVA = ZoneInfo("Europe/Zurich")
PAPER_PREFIX = "paper:"
MAX_NAME = 255
MAX_ADDRESS = 500
MAX_SHEET = 32
ANONYMOUS_ID_LENGTH = 16
ENTRY_STATES = (COLLECTING, CLOSED)
"""Sheets are typed in while the petition collects, and after its deadline until it is
submitted."""


class AlreadyCounted(Conflict):
    """The same name at the same address is already counted on paper for this petition."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.ALREADY_SIGNED, "name")


@dataclass(frozen=True, slots=True)
class PaperEntry:
    """One line of a sheet, as a facilitator types it."""

    name: str
    address: str
    signed_on: date | None
    sheet: str = ""


@dataclass(frozen=True, slots=True)
class PaperResult:
    signature: Signature
    same_name_online: list[Actor]
    """Residents of this quartier who signed online under the same name: perhaps the same
    person twice, for a facilitator to look at."""


def folded(text: str) -> str:
    """``  Zoé  MÜLLER`` and ``zoe muller`` fold alike: case, accents and spaces aside."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())


def _keyed(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def name_hash(name: str, address: str, secret: str) -> str:
    """SHA-256 (HMAC, keyed with the instance's secret) of the folded « name | address »."""
    return _keyed(secret, f"{folded(name)} | {folded(address)}")


def anonymous_id(signature: Signature, secret: str) -> str:
    """A short id that tells signatures apart in an export without saying whose they are: the
    start of a paper signature's hash, or of the keyed hash of an online signer's id."""
    digest = signature.name_hash or _keyed(secret, signature.signer_uri)
    return digest[:ANONYMOUS_ID_LENGTH]


def check_entry(entry: PaperEntry, petition: Petition, today: date) -> PaperEntry:
    """The entry cleaned, or :class:`Invalid` naming the field to fix (the day written on the
    sheet is neither to come, nor after the deadline, nor before the petition was drafted)."""
    name = " ".join(entry.name.split())
    address = " ".join(entry.address.split())
    sheet = entry.sheet.strip()
    if not name:
        raise Invalid(ErrorCode.REQUIRED, "name")
    if len(name) > MAX_NAME:
        raise Invalid(ErrorCode.TOO_LONG, "name")
    if not address:
        raise Invalid(ErrorCode.REQUIRED, "address")
    if len(address) > MAX_ADDRESS:
        raise Invalid(ErrorCode.TOO_LONG, "address")
    if len(sheet) > MAX_SHEET:
        raise Invalid(ErrorCode.TOO_LONG, "sheet")
    if entry.signed_on is None:
        raise Invalid(ErrorCode.REQUIRED, "signed_on")
    first = petition.published.astimezone(GENEVA).date()
    last = min(today, petition.deadline.astimezone(GENEVA).date())
    if not first <= entry.signed_on <= last:
        raise Invalid(ErrorCode.INVALID, "signed_on", first=first, last=last)
    return PaperEntry(name=name, address=address, signed_on=entry.signed_on, sheet=sheet)


async def _count_one(session: AsyncSession, petition: Petition) -> None:
    """One more in the tally, in the database itself (two facilitators may type at once)."""
    await session.execute(
        update(Petition)
        .where(Petition.id == petition.id)
        .values(signature_count=Petition.signature_count + 1)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(petition, ["signature_count"])


async def same_name_online(session: AsyncSession, petition: Petition, name: str) -> list[Actor]:
    """The residents who signed here online under ``name`` (folded alike)."""
    wanted = folded(name)
    signers = await session.scalars(
        select(Actor)
        .join(Signature, Signature.signer_id == Actor.id)
        .where(
            Signature.petition_id == petition.id,
            Signature.way == HERE,
            Signature.withdrawn_at.is_(None),
            Actor.is_local.is_(True),
        )
    )
    return [actor for actor in signers if folded(actor.name or actor.username) == wanted]


async def add_paper_signature(
    session: AsyncSession,
    person: Actor,
    petition: Petition,
    entry: PaperEntry,
    secret: str,
    now: datetime | None = None,
) -> PaperResult:
    """Count one line of a sheet (``person`` facilitates the petition's collective);
    :class:`AlreadyCounted` when the same name and address already are."""
    await facilitated_collective(session, person, petition)
    if petition.status not in ENTRY_STATES or petition.deleted_at is not None:
        raise Conflict(ErrorCode.PETITION_NOT_OPEN)
    now = now or utcnow()
    checked = check_entry(entry, petition, now.astimezone(GENEVA).date())
    assert checked.signed_on is not None
    digest = name_hash(checked.name, checked.address, secret)
    noon = datetime.combine(checked.signed_on, time(12), GENEVA)
    signature = Signature(
        petition_id=petition.id, signer_id=None, signer_uri=PAPER_PREFIX + digest, way=PAPER,
        quartier="", name=checked.name if petition.names_public else None,
        sheet=checked.sheet or None, name_hash=digest, signed_at=min(noon, now),
    )  # fmt: skip
    await lock_tally(session, petition.id)
    try:
        async with session.begin_nested():
            session.add(signature)
            await session.flush()
    except IntegrityError:
        raise AlreadyCounted() from None
    await _count_one(session, petition)
    return PaperResult(signature, await same_name_online(session, petition, checked.name))
