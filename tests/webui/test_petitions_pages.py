"""Petition pages: a facilitator drafts a petition of the repair café with a second promoter,
whose confirmation opens it; residents sign once, are told in French when they sign twice or
may not sign, and withdraw; a visitor is shown how to sign; the facilitators type in paper
signatures (the same person twice is refused, a name already signed online is pointed out),
export the list (to print, as CSV), audit it, hand it over and publish its answer (its signers
are told); nobody else may."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx2
from sqlalchemy import select

from config.settings import Settings
from storage.database import Database
from storage.models import Actor, Membership, Petition, Signature, utcnow
from storage.models.petitions import ANSWERED, COLLECTING, DRAFT, HERE, PAPER, SUBMITTED
from tests.webui.web_support import Resident, log_in_as, session_cookie
from webui.session import SESSION_COOKIE

HTML = {"Accept": "text/html"}
GENEVA = ZoneInfo("Europe/Zurich")
TITLE = "Un passage piéton devant l’école des Pâquis"


def in_days(days: int) -> str:
    return (datetime.now(GENEVA).date() + timedelta(days=days)).isoformat()


def today() -> str:
    return in_days(0)


def petition_form(csrf: str, promoters: list[int], **changes: str) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": csrf, "collective": "repair-cafe", "title": TITLE,
        "text": "Les enfants **traversent** la rue de Berne sans feu.",
        "addressee": "Ville de Genève", "goal": "3", "deadline": in_days(30), "scope": "",
        "may_sign": "anyone", "promoters": [str(p) for p in promoters],
    }  # fmt: skip
    form.update(changes)
    return form


def act_as(client: httpx2.AsyncClient, settings: Settings, person: Resident | None) -> None:
    """The browser's session becomes ``person``'s (a visitor's with None)."""
    client.cookies.clear()
    if person is not None:
        client.cookies.set(SESSION_COOKIE, session_cookie(settings, person.session))


async def member_of_cafe(
    client: httpx2.AsyncClient, settings: Settings, database: Database, username: str,
    name: str = "",
) -> Resident:  # fmt: skip
    person = await log_in_as(client, settings, database, username)
    async with database.transaction() as session:
        session.add(Membership(group_id=await cafe_id(database), member_id=person.actor.id,
                               role="member"))  # fmt: skip
        if name:
            actor = await session.get(Actor, person.actor.id)
            assert actor is not None
            actor.name = name
    return person


async def cafe_id(database: Database) -> int:
    async with database.session() as session:
        found = await session.scalar(select(Actor.id).where(Actor.username == "repair-cafe"))
    assert found is not None
    return found


async def draft(
    client: httpx2.AsyncClient, settings: Settings, organiser: Resident, karim: Resident,
    **changes: str,
) -> str:  # fmt: skip
    act_as(client, settings, organiser)
    response = await client.post("/petitions/new", headers=HTML,
                                 data=petition_form(organiser.csrf, [karim.actor.id], **changes))  # fmt: skip
    assert response.status_code == 303, response.text
    path: str = response.headers["location"]
    return path


async def opened(
    client: httpx2.AsyncClient, settings: Settings, database: Database, organiser: Resident,
    **changes: str,
) -> tuple[str, Resident]:  # fmt: skip
    """A petition of the repair café, drafted by Jean-Marc and confirmed by Karim."""
    karim = await member_of_cafe(client, settings, database, "karim", "Karim")
    path = await draft(client, settings, organiser, karim, **changes)
    act_as(client, settings, karim)
    confirmed = await client.post(f"{path}/confirm", data={"csrf_token": karim.csrf}, headers=HTML)
    assert confirmed.status_code == 303
    act_as(client, settings, organiser)
    return path, karim


async def petition_row(database: Database) -> Petition:
    async with database.session() as session:
        petition: Petition | None = await session.scalar(select(Petition))
    assert petition is not None
    return petition


async def test_a_draft_opens_once_the_second_promoter_confirms_it(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    # Given Karim, a member of the repair café that Jean-Marc facilitates
    karim = await member_of_cafe(client, settings, database, "karim", "Karim")
    act_as(client, settings, organiser)

    # When Jean-Marc opens the form, the café's members are offered as promoters
    form = await client.get("/petitions/new", headers=HTML)
    assert form.status_code == 200 and "Lancer une pétition" in form.text
    assert "Comité de promotion" in form.text
    assert f'name="promoters" type="checkbox" value="{karim.actor.id}"' in form.text

    # And he drafts it with Karim on the committee
    path = await draft(client, settings, organiser, karim)
    assert re.fullmatch(r"/petitions/[0-9a-f-]{36}", path)
    page = await client.get(path, headers=HTML)
    assert "Brouillon" in page.text and "Karim" in page.text and "pas encore confirmé" in page.text
    assert "Je confirme" not in page.text  # he confirmed by drafting it
    assert (await petition_row(database)).status == DRAFT

    # Then a visitor does not see the draft, and the city's servers neither
    act_as(client, settings, None)
    assert (await client.get(path, headers=HTML)).status_code == 404

    # When Karim reads the petitions, the draft waits for his confirmation
    act_as(client, settings, karim)
    listing = await client.get("/petitions", headers=HTML)
    assert (
        "Brouillons de vos comités" in listing.text
        and "Elle attend votre confirmation." in listing.text
    )
    page = await client.get(path, headers=HTML)
    assert "Je confirme" in page.text
    confirmed = await client.post(f"{path}/confirm", data={"csrf_token": karim.csrf},
                                  headers=HTML, follow_redirects=True)  # fmt: skip

    # Then it opens, and collects signatures
    assert "la pétition est ouverte" in confirmed.text
    assert "Je signe" in confirmed.text and "0 signature sur 3" in confirmed.text
    petition = await petition_row(database)
    assert petition.status == COLLECTING and petition.opened_at is not None
    act_as(client, settings, None)
    listing = await client.get("/petitions", headers=HTML)
    assert TITLE in listing.text and "Dans ce quartier" in listing.text


async def test_a_draft_is_changed_by_its_facilitators_and_confirmed_again(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    # Given a draft that Karim has confirmed, as the committee's second member
    karim = await member_of_cafe(client, settings, database, "karim", "Karim")
    nadia = await log_in_as(client, settings, database, "nadia")
    path = await draft(client, settings, organiser, karim, goal="100")
    act_as(client, settings, karim)
    assert (await client.get(f"{path}/edit", headers=HTML)).status_code == 403
    act_as(client, settings, nadia)
    assert (await client.get(path, headers=HTML)).status_code == 404  # not on the committee

    # When Jean-Marc changes its title and goal
    act_as(client, settings, organiser)
    form = await client.get(f"{path}/edit", headers=HTML)
    assert form.status_code == 200 and 'value="100"' in form.text
    changed = await client.post(f"{path}/edit", headers=HTML, follow_redirects=True,
                                data=petition_form(organiser.csrf, [], title="Deux passages",
                                                   goal="1’000"))  # fmt: skip

    # Then it reads the new words, and Karim is asked to confirm it again
    assert "Deux passages" in changed.text and "0 signature sur 1 000" not in changed.text
    assert "doivent le confirmer à nouveau" in changed.text
    petition = await petition_row(database)
    assert petition.title == "Deux passages" and petition.goal == 1000
    act_as(client, settings, karim)
    listing = await client.get("/petitions", headers=HTML)
    assert "Elle attend votre confirmation." in listing.text

    # And once it is open, it can no longer be changed
    await client.post(f"{path}/confirm", data={"csrf_token": karim.csrf}, headers=HTML)
    act_as(client, settings, organiser)
    late = await client.post(f"{path}/edit", headers=HTML, follow_redirects=True,
                             data=petition_form(organiser.csrf, [], title="Trois passages"))  # fmt: skip
    assert "Elle est ouverte : son texte ne peut plus changer." in late.text
    assert (await petition_row(database)).title == "Deux passages"


async def test_every_mistake_is_told_in_french_beside_its_field_and_nothing_typed_is_lost(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    karim = await member_of_cafe(client, settings, database, "karim")
    act_as(client, settings, organiser)
    response = await client.post("/petitions/new", headers=HTML, data=petition_form(
        organiser.csrf, [], title="", goal="beaucoup", deadline="2020-01-01",
        scope="paquis.test, pas un domaine!", addressee="Conseil d’État"))  # fmt: skip

    assert response.status_code == 400
    text = response.text
    assert 'id="error-title"' in text
    assert "Indiquez le nombre de signatures recherchées, par exemple 500." in text
    assert "Indiquez un dernier jour encore à venir, par exemple 31.03.2027." in text
    assert "Indiquez les quartiers par l’adresse de leur serveur" in text
    assert "Le comité de promotion compte au moins deux membres du collectif." in text
    assert 'value="Conseil d’État"' in text and "pas un domaine!" in text
    assert "traversent" in text  # the text typed is kept
    async with database.session() as session:
        assert await session.scalar(select(Petition.id)) is None

    # And a collective he does not facilitate is refused
    refused = await client.post("/petitions/new", headers=HTML, data=petition_form(
        organiser.csrf, [karim.actor.id], collective="someone-else"))  # fmt: skip
    assert refused.status_code == 403


async def test_a_resident_signs_is_told_when_twice_and_withdraws(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path, _karim = await opened(client, settings, database, organiser)
    nadia = await log_in_as(client, settings, database, "nadia")

    # When Nadia signs
    page = await client.get(path, headers=HTML)
    assert "Je signe" in page.text and "Retirer ma signature" not in page.text
    signed = await client.post(f"{path}/sign", data={"csrf_token": nadia.csrf}, headers=HTML,
                               follow_redirects=True)  # fmt: skip

    # Then it is counted, with her proof, and she may withdraw it
    assert "Merci, votre signature est comptée." in signed.text
    assert "1 signature sur 3" in signed.text and "Retirer ma signature" in signed.text
    async with database.session() as session:
        signature = await session.scalar(select(Signature))
        assert signature is not None and signature.way == HERE and signature.proof is not None

    # When she signs again, she is told in French, and nothing more is counted
    twice = await client.post(f"{path}/sign", data={"csrf_token": nadia.csrf}, headers=HTML,
                              follow_redirects=True)  # fmt: skip
    assert "Vous l’avez déjà signée." in twice.text
    assert (await petition_row(database)).signature_count == 1

    # When she withdraws, the count goes down and she may sign again
    withdrawn = await client.post(f"{path}/withdraw", data={"csrf_token": nadia.csrf},
                                  headers=HTML, follow_redirects=True)  # fmt: skip
    assert "Votre signature est retirée" in withdrawn.text
    assert "0 signature sur 3" in withdrawn.text and "Je signe" in withdrawn.text
    assert (await petition_row(database)).signature_count == 0
    again = await client.post(f"{path}/withdraw", data={"csrf_token": nadia.csrf}, headers=HTML,
                              follow_redirects=True)  # fmt: skip
    assert "Vous ne l’avez pas signée." in again.text


async def test_a_visitor_is_shown_how_to_sign_and_signs_nothing(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path, _karim = await opened(client, settings, database, organiser)
    act_as(client, settings, None)

    page = await client.get(path, headers=HTML)

    assert page.status_code == 200 and TITLE in page.text
    assert "<strong>traversent</strong>" in page.text and "Ville de Genève" in page.text
    assert "Connectez-vous pour signer" in page.text
    assert f'href="/login?next={path}"' in page.text
    assert "@repair-cafe@paquis.test" in page.text and "« Je signe »" in page.text
    assert "ne peut pas être retiré" in page.text
    assert "Tout le monde peut signer" in page.text
    assert 'name="csrf_token"' not in page.text.split("<main", 1)[1]
    refused = await client.post(f"{path}/sign", data={"csrf_token": "x"}, headers=HTML)
    assert refused.status_code in (303, 403)
    assert (await petition_row(database)).signature_count == 0


async def test_a_petition_for_the_residents_of_another_quartier_says_so_in_french(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path, _karim = await opened(client, settings, database, organiser, may_sign="residents",
                                scope="https://jonction.test/\nservette.test")  # fmt: skip
    nadia = await log_in_as(client, settings, database, "nadia")

    page = await client.get(path, headers=HTML)
    assert "Les habitant·es de ces quartiers peuvent signer : jonction.test et servette.test." in (
        page.text
    )
    refusal = "Seules les personnes que cette pétition nomme peuvent la signer"
    assert refusal in page.text and "Je signe</button>" not in page.text

    forced = await client.post(f"{path}/sign", data={"csrf_token": nadia.csrf}, headers=HTML,
                               follow_redirects=True)  # fmt: skip
    assert refusal in forced.text
    assert (await petition_row(database)).signature_count == 0


async def test_paper_signatures_count_once_and_a_name_signed_online_is_pointed_out(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path, karim = await opened(client, settings, database, organiser)
    act_as(client, settings, karim)
    await client.post(f"{path}/sign", data={"csrf_token": karim.csrf}, headers=HTML)
    act_as(client, settings, organiser)
    line = {"csrf_token": organiser.csrf, "name": "Zoé Müller", "address": "rue de Berne 50",
            "signed_on": today(), "sheet": "12"}  # fmt: skip

    # When Jean-Marc types in a line of sheet 12
    form = await client.get(f"{path}/paper", headers=HTML)
    assert form.status_code == 200 and "Signatures sur papier" in form.text
    counted = await client.post(f"{path}/paper", data=line, headers=HTML)
    assert counted.status_code == 303 and "sheet=12" in counted.headers["location"]
    page = await client.get(counted.headers["location"], headers=HTML)

    # Then it counts, the sheet stays filled in, and neither name nor address is kept
    assert "Comptée. La pétition a 2 signatures." in page.text and 'value="12"' in page.text
    petition = await petition_row(database)
    assert petition.signature_count == 2
    async with database.session() as session:
        paper = await session.scalar(select(Signature).where(Signature.way == PAPER))
    assert paper is not None and paper.name is None and paper.sheet == "12"
    assert paper.name_hash is not None and re.fullmatch(r"[0-9a-f]{64}", paper.name_hash)
    assert paper.signer_uri == f"paper:{paper.name_hash}"
    assert f"<code>{paper.name_hash[:16]}</code>" in page.text  # the code the export shows
    assert "Müller" not in json.dumps([paper.signer_uri, paper.name_hash])

    # When the same person is typed again, written otherwise, it is refused
    again = await client.post(f"{path}/paper", headers=HTML, data={
        **line, "name": "  ZOE   muller ", "address": "Rue de  Berne 50", "sheet": "13"})  # fmt: skip
    assert again.status_code == 400 and "Cette personne est déjà comptée" in again.text
    assert 'value="Rue de  Berne 50"' in again.text
    assert (await petition_row(database)).signature_count == 2

    # When a line bears the name of Karim, who signed online, it counts but is pointed out
    warned = await client.post(f"{path}/paper", headers=HTML, follow_redirects=True, data={
        **line, "name": "KARIM", "address": "Chemin des Pâquis 3"})  # fmt: skip
    assert "Peut-être deux fois la même personne : Karim (@karim)" in warned.text
    assert (await petition_row(database)).signature_count == 3

    # And a day to come, or a missing address, are told beside their field
    wrong = await client.post(f"{path}/paper", headers=HTML, data={
        **line, "name": "Léon", "address": "", "signed_on": in_days(3)})  # fmt: skip
    assert wrong.status_code == 400 and "Merci de remplir ce champ." in wrong.text
    wrong = await client.post(f"{path}/paper", headers=HTML, data={
        **line, "name": "Léon", "address": "Rue 1", "signed_on": in_days(3)})  # fmt: skip
    assert wrong.status_code == 400 and "Indiquez le jour écrit sur la feuille" in wrong.text

    # And someone who does not facilitate the café may not type any in
    act_as(client, settings, karim)
    assert (await client.get(f"{path}/paper", headers=HTML)).status_code == 403
    refused = await client.post(f"{path}/paper", data={**line, "csrf_token": karim.csrf},
                                headers=HTML)  # fmt: skip
    assert refused.status_code == 403
    assert (await petition_row(database)).signature_count == 3


async def test_the_export_counts_by_way_and_quartier_and_names_only_where_shown(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path, karim = await opened(client, settings, database, organiser)
    act_as(client, settings, karim)
    await client.post(f"{path}/sign", data={"csrf_token": karim.csrf}, headers=HTML)
    act_as(client, settings, organiser)
    await client.post(f"{path}/paper", headers=HTML, data={
        "csrf_token": organiser.csrf, "name": "Zoé Müller", "address": "rue de Berne 50",
        "signed_on": today(), "sheet": "4"})  # fmt: skip

    # The page to print counts by way and by quartier, with anonymous codes, not names
    printed = await client.get(f"{path}/export", headers=HTML)
    assert printed.status_code == 200 and TITLE in printed.text
    assert "Signatures : 2" in printed.text
    assert re.search(r"<th scope=\"row\">ici</th><td>1</td>", printed.text)
    assert re.search(r"<th scope=\"row\">papier</th><td>1</td>", printed.text)
    assert re.search(r"<th scope=\"row\">paquis.test</th><td>1</td>", printed.text)
    assert "Zoé" not in printed.text and "Karim</td>" not in printed.text

    # The CSV opens in Excel in UTF-8, one line a signature, no name, no full hash
    sheet = await client.get(f"{path}/export.csv", headers=HTML)
    assert sheet.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in sheet.headers["content-disposition"]
    assert sheet.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(sheet.text.removeprefix("\ufeff"))))
    assert lines[0] == ["Numéro", "Signée le", "Manière", "Quartier", "Feuille", "Code anonyme"]
    by_way = {line[2]: line for line in lines[1:]}
    assert sorted(by_way) == ["ici", "papier"] and [line[0] for line in lines[1:]] == ["1", "2"]
    assert by_way["papier"][4] == "4" and len(by_way["papier"][5]) == 16
    assert by_way["ici"][3] == "paquis.test" and by_way["papier"][3] == ""
    async with database.session() as session:
        paper_hash = await session.scalar(select(Signature.name_hash).where(Signature.way == PAPER))
    assert paper_hash is not None and paper_hash not in sheet.text and "Zoé" not in sheet.text

    # With names shown, the CSV and the page carry them
    async with database.transaction() as session:
        petition = await session.scalar(select(Petition))
        assert petition is not None
        petition.names_public = True
    named = await client.get(f"{path}/export.csv", headers=HTML)
    rows = list(csv.reader(io.StringIO(named.text.removeprefix("\ufeff"))))
    named_by_way = {row[2]: row for row in rows[1:]}
    assert rows[0][-1] == "Nom" and named_by_way["ici"][-1] == "Karim"
    assert named_by_way["papier"][-1] == ""  # typed in while names were not shown: not kept
    assert "Karim" in (await client.get(f"{path}/export", headers=HTML)).text

    # And nobody but the café's facilitators may read them
    act_as(client, settings, karim)
    for tail in ("export", "export.csv", "audit", "proofs.json"):
        assert (await client.get(f"{path}/{tail}", headers=HTML)).status_code == 403, tail
    act_as(client, settings, None)
    assert (await client.get(f"{path}/export.csv", headers=HTML)).status_code in (303, 401)


async def test_the_audit_checks_every_proof_and_the_proofs_can_be_downloaded(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path, karim = await opened(client, settings, database, organiser)
    nadia = await log_in_as(client, settings, database, "nadia")
    for person in (karim, nadia):
        act_as(client, settings, person)
        await client.post(f"{path}/sign", data={"csrf_token": person.csrf}, headers=HTML)
    await client.post(f"{path}/withdraw", data={"csrf_token": nadia.csrf}, headers=HTML)
    act_as(client, settings, organiser)
    await client.post(f"{path}/paper", headers=HTML, data={
        "csrf_token": organiser.csrf, "name": "Zoé", "address": "rue de Berne 50",
        "signed_on": today(), "sheet": "1"})  # fmt: skip

    page = await client.get(f"{path}/audit", headers=HTML)
    assert page.status_code == 200 and "Audit des signatures" in page.text
    assert "Tout concorde" in page.text

    def fact(label: str) -> str:
        found = re.search(rf"<dt>{label}</dt><dd>([^<]*)</dd>", page.text)
        assert found is not None, label
        return found.group(1)

    assert fact("Signatures comptées") == "2" and fact("Retirées") == "1"
    assert fact("Preuves valables") == "1"

    # The proofs download carries Karim's signed vote
    proofs = await client.get(f"{path}/proofs.json", headers=HTML)
    document = proofs.json()
    assert document["signatureCount"] == 2 and len(document["signatures"]) == 2
    online = next(item for item in document["signatures"] if item["way"] == HERE)
    assert online["signer"] == karim.actor.uri and online["proof"]["proof"]["type"]
    assert "name" not in online

    # When a stored vote is tampered with, the audit says so
    async with database.transaction() as session:
        signature = await session.scalar(
            select(Signature).where(Signature.signer_id == karim.actor.id)
        )
        assert signature is not None and signature.proof is not None
        signature.proof = {**signature.proof, "published": "2001-01-01T00:00:00Z"}
    page = await client.get(f"{path}/audit", headers=HTML)
    assert "Quelque chose ne concorde pas" in page.text and karim.actor.uri in page.text


async def test_petitions_of_other_quartiers_are_listed_apart_and_can_be_signed_from_here(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    # Given a petition the Jonction's repair café sent
    async with database.transaction() as session:
        group = Actor(uri="https://jonction.test/@repair", type="Group", username="repair",
                      domain="jonction.test", name="Repair Café de la Jonction",
                      inbox_uri="https://jonction.test/@repair/inbox",
                      public_key_id="https://jonction.test/@repair#main-key", public_key_pem="-")  # fmt: skip
        session.add(group)
        await session.flush()
        remote = Petition(uri="https://jonction.test/petitions/1", actor_id=group.id,
                          is_local=False, title="Des bancs au bord du Rhône", goal=100,
                          deadline=utcnow() + timedelta(days=20), status=COLLECTING,
                          text_html="<p>Pour s’asseoir.</p>", signature_count=41)  # fmt: skip
        session.add(remote)
    nadia = await log_in_as(client, settings, database, "nadia")

    listing = await client.get("/petitions", headers=HTML)
    assert "Dans toute la ville" in listing.text
    assert f'href="/petitions/remote/{remote.id}"' in listing.text
    page = await client.get(f"/petitions/remote/{remote.id}", headers=HTML)
    assert "Des bancs au bord du Rhône" in page.text and "41 signatures sur 100" in page.text
    assert "@repair@jonction.test" in page.text

    signed = await client.post(f"/petitions/remote/{remote.id}/sign",
                               data={"csrf_token": nadia.csrf}, headers=HTML,
                               follow_redirects=True)  # fmt: skip
    assert "Merci, votre signature est comptée." in signed.text
    assert "42 signatures sur 100" in signed.text


async def test_the_facilitators_hand_it_over_then_publish_its_answer_and_signers_are_told(
    client: httpx2.AsyncClient, organiser: Resident, settings: Settings, database: Database
) -> None:
    path, karim = await opened(client, settings, database, organiser)
    nadia = await log_in_as(client, settings, database, "nadia")
    await client.post(f"{path}/sign", data={"csrf_token": nadia.csrf}, headers=HTML)

    # When Karim, a member but no facilitator, says it is handed over, nothing changes
    act_as(client, settings, karim)
    refused = await client.post(f"{path}/submitted", data={"csrf_token": karim.csrf},
                                headers=HTML, follow_redirects=True)  # fmt: skip
    assert refused.status_code == 200 and "Elle est déposée" not in refused.text
    assert (await petition_row(database)).status == COLLECTING

    # When the facilitator does, it stops collecting and the answer can be given
    act_as(client, settings, organiser)
    page = await client.get(path, headers=HTML)
    assert "Elle est déposée" in page.text
    handed = await client.post(f"{path}/submitted", data={"csrf_token": organiser.csrf},
                               headers=HTML, follow_redirects=True)  # fmt: skip
    assert "La pétition est indiquée comme déposée" in handed.text
    assert "Déposée le" in handed.text and "La réponse reçue" in handed.text
    assert (await petition_row(database)).status == SUBMITTED
    again = await client.post(f"{path}/submitted", data={"csrf_token": organiser.csrf},
                              headers=HTML, follow_redirects=True)  # fmt: skip
    assert "Seule une pétition qui recueille des signatures ou qui est close" in again.text

    # When the answer is empty, then too long, they are told beside it and keep what they typed
    empty = await client.post(f"{path}/answer", headers=HTML,
                              data={"csrf_token": organiser.csrf, "answer": "  "})  # fmt: skip
    assert empty.status_code == 400 and "Écrivez la réponse reçue, ou collez-la." in empty.text
    long_answer = "Réponse de la Ville. " * 1000
    too_long = await client.post(f"{path}/answer", headers=HTML,
                                 data={"csrf_token": organiser.csrf, "answer": long_answer})  # fmt: skip
    assert too_long.status_code == 400 and "Réponse de la Ville. Réponse" in too_long.text
    assert (await petition_row(database)).answer_html is None

    # When it is published
    published = await client.post(
        f"{path}/answer", headers=HTML, follow_redirects=True,
        data={"csrf_token": organiser.csrf, "answer": "La Ville **accepte** : feu en mai."},
    )  # fmt: skip

    # Then the page shows it, and Nadia finds it in her notifications
    assert "La réponse est publiée" in published.text
    assert "<strong>accepte</strong>" in published.text and "Réponse reçue le" in published.text
    assert "Corriger la réponse" in published.text
    row = await petition_row(database)
    assert row.status == ANSWERED and row.answer_html is not None
    act_as(client, settings, nadia)
    told = await client.get("/notifications", headers=HTML)
    assert "que vous avez signée a reçu une réponse." in told.text
