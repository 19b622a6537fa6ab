"""The direct posts between the two sides of an offer: the answer told to a Mastodon user who
answered by a reply, the reminder of a late return to a borrower of another server, and the
private thread of an answer (direct posts in reply to its Agreement). Each is a post addressed
to the one person it concerns (on Mastodon, a private mention); a title never turns into a
mention.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from commons.events.organisers import NotOrganiser, may_organise
from commons.offers.agreement_wire import MAX_MESSAGE
from commons.posts.services import publish_note
from config.errors import ErrorCode, Gone, Invalid
from config.uris import Uris
from storage.models import Actor, Offer, OfferResponse, Post
from storage.models.offers import ACCEPTED
from storage.models.posts import MENTIONED


async def reply_in_words(
    session: AsyncSession, uris: Uris, offer: Offer, author: Actor, response: OfferResponse,
    responder: Actor,
) -> None:  # fmt: skip
    """Who answered by a reply (from Mastodon) hears back the same way: a direct reply to their
    post, which their server shows as a private mention."""
    post = await session.get(Post, response.post_id)
    verdict = "est acceptée" if response.state == ACCEPTED else "n'a pas pu être retenue"
    title = offer.title.replace("@", "@\u200b")
    text = f"@{responder.handle} Votre réponse à « {title} » {verdict}."
    if response.pickup_code:
        text += f" Code de retrait : {response.pickup_code}."
    if response.reason:
        text += " " + response.reason.replace("@", "@\u200b")
    await publish_note(session, uris, author, text, visibility=MENTIONED,
                       in_reply_to=post.uri if post is not None else offer.uri)  # fmt: skip


async def remind_in_words(
    session: AsyncSession, uris: Uris, offer: Offer, response: OfferResponse, borrower: Actor
) -> None:
    """A borrower of another server is reminded by a direct message from the space."""
    author = await session.get(Actor, offer.actor_id)
    if author is None:
        return
    title = offer.title.replace("@", "@\u200b")
    text = (f"@{borrower.handle} Rappel : « {title} » devait être rapporté. "
            "Merci de le ramener dès que possible.")  # fmt: skip
    await publish_note(session, uris, author, text, visibility=MENTIONED)


async def send_message(
    session: AsyncSession, uris: Uris, person: Actor, response: OfferResponse, text: str
) -> Post:
    """A message between the two sides of an answer (the responder, and whoever may publish
    for the offer's author): a direct post in reply to the Agreement, which only the other side
    sees (on Mastodon, as a private mention)."""
    offer = await session.get(Offer, response.offer_id)
    author = await session.get(Actor, offer.actor_id) if offer is not None else None
    responder = await session.get(Actor, response.responder_id)
    if offer is None or author is None or responder is None:
        raise Gone(ErrorCode.NOT_AN_OFFER)
    words = text.strip()
    if not words:
        raise Invalid(ErrorCode.REQUIRED, "message")
    if len(words) > MAX_MESSAGE:
        raise Invalid(ErrorCode.MESSAGE_TOO_LONG, "message")
    if person.id == responder.id:
        sender, other = responder, author
    elif offer.is_local and await may_organise(session, person, author):
        sender, other = author, responder
    else:
        raise NotOrganiser()
    body = f"@{other.handle} " + words.replace("@", "@\u200b")
    return await publish_note(session, uris, sender, body, visibility=MENTIONED,
                              in_reply_to=response.agreement_uri)  # fmt: skip
