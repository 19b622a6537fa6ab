"""Poll pages: a facilitator holds a poll for the repair café (every refused field is shown at
once, what was typed kept); residents vote once, are told in French when they vote twice or
may not vote; results are shown as shares of the voters, or only at the close when the
assembly chose so; a facilitator closes it early; servers get the Question at the same
address; another quartier's poll is voted here and the vote goes to its server."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx2
from sqlalchemy import select

from config.settings import Settings
from storage.database import Database
from storage.models import Activity, Actor, Delivery, Poll, PollOption, PollVote, utcnow
from storage.models.polls import CLOSED
from tests.webui.test_petitions_pages import act_as, member_of_cafe
from tests.webui.web_support import Resident, log_in_as
from webui.pages.polls.poll_forms import read_hour

HTML = {"Accept": "text/html"}
GENEVA = ZoneInfo("Europe/Zurich")
QUESTION = "Quel soir pour la prochaine assemblée ?"


def poll_form(csrf: str, **changes: str) -> dict[str, str]:
    day = (datetime.now(GENEVA).date() + timedelta(days=7)).isoformat()
    form = {
        "csrf_token": csrf, "collective": "repair-cafe", "question": QUESTION,
        "text": "Nous cherchons **un soir**.", "options": "Mardi\nMercredi\n\nJeudi\n",
        "day": day, "hour": "20:00", "may_vote": "anyone",
    }  # fmt: skip
    form.update(changes)
    return form


async def hold(client: httpx2.AsyncClient, organiser: Resident, **changes: str) -> str:
    response = await client.post(
        "/polls/new", headers=HTML, data=poll_form(organiser.csrf, **changes)
    )
    assert response.status_code == 303, response.text
    path: str = response.headers["location"]
    return path


async def vote_as(
    client: httpx2.AsyncClient, settings: Settings, person: Resident, path: str, *answers: str
) -> httpx2.Response:
    act_as(client, settings, person)
    return await client.post(f"{path}/vote", headers=HTML, follow_redirects=True,
                             data={"csrf_token": person.csrf, "answer": list(answers)})  # fmt: skip


async def test_a_poll_is_held_voted_by_two_residents_and_its_results_shown(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    # When Jean-Marc, who facilitates the repair café, holds a poll
    form = await client.get("/polls/new", headers=HTML)
    assert form.status_code == 200 and "Organiser un sondage" in form.text
    path = await hold(client, organiser)
    page = await client.get(path, headers=HTML)

    # Then its page offers the three evenings, one answer only
    assert QUESTION in page.text and "Une seule réponse." in page.text
    assert page.text.count('type="radio" name="answer"') == 0  # attributes come in this order:
    assert page.text.count('name="answer" type="radio"') == 3
    assert "0 personne a voté" in page.text

    # When Karim and Nadia vote
    karim = await member_of_cafe(client, settings, database, "karim", "Karim")
    nadia = await log_in_as(client, settings, database, "nadia")
    voted = await vote_as(client, settings, karim, path, "2")
    assert "Merci, votre vote est compté." in voted.text
    assert "Vous avez voté. Merci !" in voted.text and "votre choix" in voted.text
    await vote_as(client, settings, nadia, path, "2")

    # Then two people voted, all for Thursday, and a second vote is refused in French
    again = await vote_as(client, settings, nadia, path, "0")
    assert "Vous avez déjà voté dans ce sondage." in again.text
    assert "2 personnes ont voté" in again.text and "100" in again.text
    act_as(client, settings, None)
    visitor = await client.get(path, headers=HTML)
    assert "Se connecter pour voter" in visitor.text and "2 votes" in visitor.text
    listing = await client.get("/polls", headers=HTML)
    assert QUESTION in listing.text and "2 personnes ont voté" in listing.text

    # And servers get the Question at the same address
    document = (await client.get(path, headers={"Accept": "application/activity+json"})).json()
    assert document["type"] == "Question" and document["votersCount"] == 2
    assert [choice["replies"]["totalItems"] for choice in document["oneOf"]] == [0, 0, 2]


async def test_a_refused_poll_shows_every_mistake_at_once_and_keeps_what_was_typed(
    client: httpx2.AsyncClient, organiser: Resident
) -> None:
    response = await client.post("/polls/new", headers=HTML, data=poll_form(
        organiser.csrf, question="", options="Oui", day="2001-01-01"))  # fmt: skip
    assert response.status_code == 400
    assert "Écrivez la question que pose le sondage." in response.text
    assert "Donnez entre 2 et 10 réponses différentes" in response.text
    assert "Indiquez un dernier jour encore à venir" in response.text
    assert "Nous cherchons **un soir**." in response.text


async def test_several_answers_hidden_results_and_an_early_close(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path = await hold(client, organiser, multiple="1", results_hidden="1")
    karim = await member_of_cafe(client, settings, database, "karim", "Karim")

    # Karim chooses two evenings; the results wait for the close
    voted = await vote_as(client, settings, karim, path, "0", "1")
    assert "1 personne a voté" in voted.text
    assert "Les résultats sont publiés à la clôture du sondage" in voted.text
    assert "Votre choix : Mardi, Mercredi" in voted.text.replace("\u202f", " ")
    async with database.session() as session:
        assert len(list(await session.scalars(select(PollVote)))) == 2

    # Karim, a member only, cannot close it; Jean-Marc can, and the results appear
    refused = await client.post(f"{path}/close", headers=HTML, follow_redirects=True,
                                data={"csrf_token": karim.csrf})  # fmt: skip
    assert "Seules les personnes qui animent le collectif peuvent le clore." in refused.text
    act_as(client, settings, organiser)
    closed = await client.post(f"{path}/close", headers=HTML, follow_redirects=True,
                               data={"csrf_token": organiser.csrf})  # fmt: skip
    assert "Le sondage est clos ; ses résultats sont publiés." in closed.text
    assert "Clos le" in closed.text and "100" in closed.text
    async with database.session() as session:
        poll = await session.scalar(select(Poll))
    assert poll is not None and poll.status == CLOSED
    late = await vote_as(client, settings, karim, path, "2")
    assert "Voter</button>" not in late.text


async def test_a_members_poll_tells_others_they_may_not_vote(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path = await hold(client, organiser, may_vote="members")
    nadia = await log_in_as(client, settings, database, "nadia")
    act_as(client, settings, nadia)
    page = await client.get(path, headers=HTML)
    assert "Seuls les membres du collectif peuvent voter dans ce sondage." in page.text
    assert 'name="answer"' not in page.text
    refused = await vote_as(client, settings, nadia, path, "0")
    assert "Seuls les membres du collectif peuvent voter" in refused.text


async def test_only_a_facilitator_holds_a_poll_for_a_collective(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    nadia = await log_in_as(client, settings, database, "nadia")
    page = await client.get("/polls/new", headers=HTML)
    assert "Vous n’animez encore aucun collectif" in page.text
    response = await client.post("/polls/new", headers=HTML, data=poll_form(nadia.csrf))
    assert response.status_code == 403


async def test_a_facilitator_removes_a_poll_and_a_member_cannot(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path = await hold(client, organiser)
    karim = await member_of_cafe(client, settings, database, "karim", "Karim")
    act_as(client, settings, karim)
    refused = await client.post(f"{path}/delete", headers=HTML, follow_redirects=True,
                                data={"csrf_token": karim.csrf})  # fmt: skip
    assert "Seules les personnes qui animent le collectif peuvent le retirer." in refused.text
    act_as(client, settings, organiser)
    removed = await client.post(f"{path}/delete", headers=HTML, follow_redirects=True,
                                data={"csrf_token": organiser.csrf})  # fmt: skip
    assert "Le sondage est retiré" in removed.text and QUESTION not in removed.text
    assert (await client.get(path, headers=HTML)).status_code == 404
    servers = await client.get(path, headers={"Accept": "application/activity+json"})
    assert servers.status_code == 404


async def test_another_quartiers_poll_is_voted_here_and_the_vote_goes_to_its_server(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    nadia = await log_in_as(client, settings, database, "nadia")
    async with database.transaction() as session:
        assembly = Actor(uri="https://jonction.test/@assemblee", type="Group",
                         username="assemblee", domain="jonction.test", is_local=False,
                         inbox_uri="https://jonction.test/@assemblee/inbox",
                         public_key_id="https://jonction.test/@assemblee#main-key",
                         public_key_pem="-")  # fmt: skip
        session.add(assembly)
        await session.flush()
        poll = Poll(uri="https://jonction.test/polls/1", actor_id=assembly.id, is_local=False,
                    question="Quelle fête en juin ?", deadline=utcnow() + timedelta(days=3),
                    voters_count=4, changes=0, sent_changes=0)  # fmt: skip
        session.add(poll)
        await session.flush()
        for position, (name, votes) in enumerate((("Pique-nique", 3), ("Bal", 1))):
            session.add(PollOption(poll_id=poll.id, position=position, name=name,
                                   votes_count=votes))  # fmt: skip
    act_as(client, settings, nadia)
    path = f"/polls/remote/{poll.id}"
    page = await client.get(path, headers=HTML)
    assert "Quelle fête en juin ?" in page.text and "Le voir sur son serveur d’origine" in page.text
    listing = await client.get("/polls", headers=HTML)
    assert "Dans toute la ville" in listing.text and "Quelle fête en juin ?" in listing.text

    voted = await vote_as(client, settings, nadia, path, "1")
    assert "Merci, votre vote est compté." in voted.text and "5 personnes ont voté" in voted.text
    async with database.session() as session:
        sent = await session.scalar(select(Delivery.inbox_uri).join(
            Activity, Activity.id == Delivery.activity_id).where(Activity.actor_id == nadia.actor.id))  # fmt: skip
        activity = await session.scalar(select(Activity).where(Activity.actor_id == nadia.actor.id))
    assert sent == "https://jonction.test/@assemblee/inbox" and activity is not None
    note = json.loads(activity.payload)["object"]
    assert note["name"] == "Bal" and note["inReplyTo"] == "https://jonction.test/polls/1"


def test_the_closing_hour_reads_as_people_write_it() -> None:
    assert [read_hour(raw) for raw in ("20:00", "20h30", "20h", "9:05", "")] == [
        time(20), time(20, 30), time(20), time(9, 5), time(20)
    ]  # fmt: skip
    assert [read_hour(raw) for raw in ("25h", "vingt heures", "20:75")] == [None, None, None]
