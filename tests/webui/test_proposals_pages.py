"""Proposal pages: a member of the repair café proposes; a neighbour supports it once and takes
it back; a member cannot answer, a facilitator answers with a reason (refused without one), the
member is told; servers get the Note at the same address; a resident who belongs to no
collective is shown how to join one."""

from __future__ import annotations

import httpx2
from sqlalchemy import select

from config.settings import Settings
from storage.database import Database
from storage.models import Notification, Proposal
from tests.webui.test_petitions_pages import act_as, member_of_cafe
from tests.webui.web_support import Resident, log_in_as

HTML = {"Accept": "text/html"}
TITLE = "Une outilthèque à la maison de quartier"


async def test_a_member_proposes_a_neighbour_supports_and_a_facilitator_answers(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    karim = await member_of_cafe(client, settings, database, "karim", "Karim")
    nadia = await log_in_as(client, settings, database, "nadia")

    # When Karim proposes to the repair café
    act_as(client, settings, karim)
    form = await client.get("/proposals/new", headers=HTML)
    assert "Faire une proposition" in form.text and 'value="repair-cafe"' in form.text
    empty = await client.post("/proposals/new", headers=HTML, data={
        "csrf_token": karim.csrf, "collective": "repair-cafe", "title": TITLE, "text": " "})  # fmt: skip
    assert empty.status_code == 400 and "Dites ce que vous proposez, et pourquoi." in empty.text
    made = await client.post("/proposals/new", headers=HTML, data={
        "csrf_token": karim.csrf, "collective": "repair-cafe", "title": TITLE,
        "text": "Perceuses et échelles **à prêter**."})  # fmt: skip
    assert made.status_code == 303
    path = made.headers["location"]

    # Then Nadia finds it and supports it, once
    act_as(client, settings, nadia)
    listing = await client.get("/proposals", headers=HTML)
    assert TITLE in listing.text and "0 soutien" in listing.text
    supported = await client.post(f"{path}/support", headers=HTML, follow_redirects=True,
                                  data={"csrf_token": nadia.csrf})  # fmt: skip
    assert "Merci, votre soutien est compté." in supported.text and "1 soutien" in supported.text
    again = await client.post(f"{path}/support", headers=HTML, follow_redirects=True,
                              data={"csrf_token": nadia.csrf})  # fmt: skip
    assert "Vous la soutenez déjà." in again.text
    back = await client.post(f"{path}/unsupport", headers=HTML, follow_redirects=True,
                             data={"csrf_token": nadia.csrf})  # fmt: skip
    assert "Votre soutien est retiré." in back.text and "0 soutien" in back.text

    # And Karim cannot answer it; Jean-Marc must give a reason to refuse, then accepts it
    act_as(client, settings, karim)
    refused = await client.post(f"{path}/answer", headers=HTML, follow_redirects=True,
                                data={"csrf_token": karim.csrf, "status": "accepted",
                                      "answer": "Oui"})  # fmt: skip
    assert "Seules les personnes qui animent le collectif peuvent y répondre." in refused.text
    act_as(client, settings, organiser)
    bare = await client.post(f"{path}/answer", headers=HTML, follow_redirects=True,
                             data={"csrf_token": organiser.csrf, "status": "rejected",
                                   "answer": ""})  # fmt: skip
    assert "Écrivez la réponse : pourquoi le collectif l’accepte ou la refuse." in bare.text
    answered = await client.post(f"{path}/answer", headers=HTML, follow_redirects=True,
                                 data={"csrf_token": organiser.csrf, "status": "accepted",
                                       "answer": "Acceptée à l’assemblée de mai."})  # fmt: skip
    assert (
        "La réponse est publiée" in answered.text
        and "Acceptée à l’assemblée de mai." in answered.text
    )
    async with database.session() as session:
        proposal = await session.scalar(select(Proposal))
        told = await session.scalar(select(Notification.kind).where(
            Notification.recipient_id == karim.actor.id))  # fmt: skip
    assert proposal is not None and proposal.status == "accepted" and told == "proposal_answered"
    act_as(client, settings, karim)
    notices = await client.get("/notifications", headers=HTML)
    assert "a répondu à votre proposition." in notices.text

    # And servers get the Note at the same address
    note = (await client.get(path, headers={"Accept": "application/activity+json"})).json()
    assert note["type"] == "Note" and note["proposalStatus"] == "accepted"


async def test_a_resident_of_no_collective_is_told_to_join_one(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    await log_in_as(client, settings, database, "nadia")
    page = await client.get("/proposals/new", headers=HTML)
    assert "Rejoignez-en un d’abord" in page.text
