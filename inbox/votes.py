"""The fast path of a batch for petitions: the new signatures it carries, counted together.

A petition that circulates brings thousands of votes (``Create{Note{name: "Je signe"}}``); the
reference path (:func:`inbox.handlers.petitions.on_vote`) reads and writes half a dozen times
for each. Here the batch's plain votes are checked with one query for their petitions and one
for the signatures already there, written in one statement, and each petition's tally moves
once.

A vote is plain when the reference would surely count it or surely refuse it as a second
one: the sender's own vote (its note attributed to the sender), without an integrity proof
(those are checked on the reference path, which may read the signer's key again), for the
option of one of our petitions that is collecting and that anyone may sign. The first from
someone who has no signature on it is counted; one from someone whose signature is already
counted (before, or earlier in the batch) is answered with the same ``Reject`` as the
reference sends, all of the batch's in two statements. Everything else — a withdrawn signer
signing again, a petition for residents or members, a vote after the deadline — goes the
reference way, which refuses with a ``Reject`` where it must.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from commons.petitions.refusals import refuse_votes
from commons.petitions.signatures import is_collecting, lock_tally, vote_option
from commons.petitions.wire import is_vote
from config.errors import Conflict, DomainError, ErrorCode
from config.uris import Uris
from federation.vocab import first_str, id_of
from inbox.context import InboxContext
from inbox.fetches import Fetched
from storage.among import among
from storage.models import Actor, Petition, Signature, utcnow
from storage.models.petitions import ANYONE, MASTODON

log = logging.getLogger(__name__)

Item = tuple[InboxContext, Fetched]
Refused = tuple[Petition, Actor, dict[str, Any], DomainError]


def _plain_vote(ctx: InboxContext) -> dict[str, Any] | None:
    activity = ctx.activity
    note = activity.object
    if activity.type != "Create" or note is None or not is_vote(note):
        return None
    if "proof" in activity.raw or id_of(note.get("attributedTo")) != ctx.sender.uri:
        return None
    return note


async def apply_votes(
    session: AsyncSession, items: Sequence[Item], indexes: Sequence[int]
) -> list[int]:
    """Count the plain votes among ``items[indexes]``; the indexes left to apply one by one."""
    votes = {index: note for index in indexes if (note := _plain_vote(items[index][0]))}
    if len(votes) < 2:
        return list(indexes)
    try:
        async with session.begin_nested():
            taken = await _count_votes(session, items, votes)
    except Exception:
        log.exception("counting %s votes at once failed; one by one", len(votes))
        taken = set()
    return [index for index in indexes if index not in taken]


async def _count_votes(
    session: AsyncSession, items: Sequence[Item], votes: dict[int, dict[str, Any]]
) -> set[int]:
    now = utcnow()
    wanted = {uri for note in votes.values() if (uri := id_of(note.get("inReplyTo")))}
    petitions = {
        petition.uri: petition
        for petition in await session.scalars(
            select(Petition).where(among(Petition.uri, wanted), Petition.is_local.is_(True))
        )
        if is_collecting(petition, now) and petition.may_sign == ANYONE
    }
    chosen: dict[int, tuple[Petition, str]] = {}
    for index, note in votes.items():
        petition = petitions.get(id_of(note.get("inReplyTo")) or "")
        if petition is not None and vote_option(note) == petition.option_name:
            chosen[index] = (petition, items[index][0].sender.uri)
    if not chosen:
        return set()
    await lock_tally(session, *{petition.id for petition, _ in chosen.values()})
    signers: dict[int, set[str]] = {}
    for petition, signer in chosen.values():
        signers.setdefault(petition.id, set()).add(signer)
    # One petition and its signers each, not pairs: PostgreSQL walks the unique index for
    # ``petition_id = … AND signer_uri IN (…)``, and scanned every signature for a list of pairs.
    found = await session.execute(
        select(Signature.petition_id, Signature.signer_uri, Signature.withdrawn_at).where(
            or_(*(
                (Signature.petition_id == petition_id) & among(Signature.signer_uri, sorted(uris))
                for petition_id, uris in signers.items()
            ))
        )
    )  # fmt: skip
    already: set[tuple[int, str]] = set()
    counted: set[tuple[int, str]] = set()
    for petition_id, signer, withdrawn_at in found:
        already.add((petition_id, signer))
        if withdrawn_at is None:
            counted.add((petition_id, signer))
    rows: list[dict[str, Any]] = []
    taken: set[int] = set()
    counts: Counter[int] = Counter()
    refused: dict[int, list[Refused]] = {}
    for index, (petition, signer) in chosen.items():
        ctx = items[index][0]
        if (petition.id, signer) in counted and not ctx.sender.is_local:
            second = (petition, ctx.sender, ctx.activity.raw, Conflict(ErrorCode.ALREADY_SIGNED))
            refused.setdefault(petition.actor_id, []).append(second)
            taken.add(index)
            continue
        if (petition.id, signer) in already:
            continue  # a withdrawn signature: the reference counts it again
        already.add((petition.id, signer))
        counted.add((petition.id, signer))
        rows.append({
            "petition_id": petition.id, "signer_id": ctx.sender.id, "signer_uri": signer,
            "way": MASTODON, "quartier": ctx.sender.domain,
            "vote_uri": first_str(ctx.activity.raw.get("id")),
            "verification": {"key_id": ctx.sender.public_key_id, "algorithm": "",
                             "verified_at": now.isoformat(), "actor": signer},
            "signed_at": now,
        })  # fmt: skip
        taken.add(index)
        counts[petition.id] += 1
    await _refuse_second_votes(session, items[0][0].instance.uris, refused)
    if rows:
        await session.execute(insert(Signature), rows)
        for petition_id, added in counts.items():
            await session.execute(
                update(Petition)
                .where(Petition.id == petition_id)
                .values(signature_count=Petition.signature_count + added)
                .execution_options(synchronize_session=False)
            )
    return taken


async def _refuse_second_votes(
    session: AsyncSession, uris: Uris, refused: dict[int, list[Refused]]
) -> None:
    for author_id, votes in refused.items():
        author = await session.get(Actor, author_id)
        if author is not None:
            await refuse_votes(session, uris, author, votes)
            log.info("%s second votes on petitions of %s refused", len(votes), author.uri)
