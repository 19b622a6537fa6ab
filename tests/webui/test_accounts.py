"""Residents' pages: sign-up in each mode, log in and out, passwords, settings, leaving."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any, ClassVar

import httpx2
import pytest
from PIL import Image
from sqlalchemy import func, select, update

from actors.accounts import issue_password_reset
from actors.invitations import create_invitation
from actors.services import create_account
from config.settings import MailSettings, Settings
from quartiers.app import create_app
from storage.database import Database
from storage.models import Account, Activity, Actor, Delivery, Invitation, Media, Post, utcnow
from tests.actors.actor_support import use_session_keys
from tests.outbox.outbox_support import create_remote_actor, enqueue, follow
from tests.webui.web_support import log_in_as, resident

HTML = {"Accept": "text/html"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


@asynccontextmanager
async def client_for(settings: Settings, database: Database) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(settings, database=database, run_workers=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        yield client


def with_registration(settings: Settings, mode: str) -> Settings:
    return replace(settings, webui=replace(settings.webui, registration=mode))


async def csrf_of(client: httpx2.AsyncClient, path: str = "/login") -> str:
    page = await client.get(path, headers=HTML)
    found = CSRF_RE.search(page.text)
    assert found is not None, page.text
    return found.group(1)


async def submit(
    client: httpx2.AsyncClient, path: str, data: dict[str, str], *, form_page: str = "/login"
) -> httpx2.Response:
    token = await csrf_of(client, form_page)
    return await client.post(path, data={**data, "csrf_token": token}, headers=HTML)


async def log_in(
    client: httpx2.AsyncClient, username: str, password: str = PASSWORD, next_path: str = ""
) -> httpx2.Response:
    data = {"username": username, "password": password}
    if next_path:
        data["next"] = next_path
    return await submit(client, "/login", data)


async def account_named(database: Database, username: str) -> Account | None:
    async with database.session() as session:
        return await session.scalar(select(Account).where(Account.username == username))


def signup_form(username: str = "amelie", **extra: str) -> dict[str, str]:
    return {"username": username, "password": PASSWORD, "password_confirm": PASSWORD, **extra}


# ---------------------------------------------------------------------------------------------
# Sign-up


async def test_open_sign_up_creates_an_active_account_and_logs_in(
    settings: Settings, database: Database
) -> None:
    async with client_for(with_registration(settings, "open"), database) as client:
        # When a person signs up on an open instance
        response = await submit(client, "/signup", signup_form(), form_page="/signup")

        # Then they are logged in and sent to their settings
        assert response.status_code == 303
        assert response.headers["location"] == "/settings"
        page = await client.get("/settings", headers=HTML)
        assert page.status_code == 200 and "/@amelie" in page.text
    account = await account_named(database, "amelie")
    assert account is not None and account.is_approved


async def test_approval_sign_up_waits_until_an_admin_approves(
    settings: Settings, database: Database
) -> None:
    approval = with_registration(settings, "approval")
    async with client_for(approval, database) as client:
        # Given a sign-up with a reason on an instance that approves requests
        form = signup_form(reason="J'habite rue de Berne depuis dix ans.")
        response = await submit(client, "/signup", form, form_page="/signup")
        assert response.headers["location"] == "/signup/pending"
        assert "examinera votre demande" in (await client.get("/signup/pending")).text

        # Then the person cannot log in yet, and is told why
        refused = await log_in(client, "amelie")
        assert refused.status_code == 403
        assert "attend encore la validation" in refused.text
    account = await account_named(database, "amelie")
    assert account is not None and not account.is_approved
    assert account.signup_reason == "J'habite rue de Berne depuis dix ans."

    # When an admin approves the request
    async with client_for(approval, database) as admin_client:
        admin = await log_in_as(admin_client, approval, database, "marguerite", admin=True)
        pending = await admin_client.get("/admin/signups", headers=HTML)
        assert "J&#39;habite rue de Berne" in pending.text
        approved = await admin_client.post(
            f"/admin/signups/{account.id}/approve", data={"csrf_token": admin.csrf}
        )
        assert approved.status_code == 303

    # Then the person can log in
    async with client_for(approval, database) as client:
        assert (await log_in(client, "amelie")).status_code == 303


async def test_approval_sign_up_needs_a_reason(settings: Settings, database: Database) -> None:
    async with client_for(with_registration(settings, "approval"), database) as client:
        response = await submit(client, "/signup", signup_form(), form_page="/signup")
    assert response.status_code == 400
    assert "Merci de remplir ce champ." in response.text
    assert await account_named(database, "amelie") is None


async def test_a_valid_invitation_admits_and_counts_one_use(
    settings: Settings, database: Database
) -> None:
    # Given an invitation for two people
    async with database.transaction() as session:
        created = await create_invitation(session, created_by_id=None, max_uses=2)
    async with client_for(settings, database) as client:
        # When the invitation link is opened and the form sent
        page = await client.get(f"/invite/{created.code}", headers=HTML)
        assert page.status_code == 200 and "Vous êtes invité·e" in page.text
        form = signup_form(invite=created.code)
        response = await submit(client, "/signup", form, form_page=f"/signup?invite={created.code}")

        # Then the account is active and logged in, and the invitation has one use left
        assert response.status_code == 303 and response.headers["location"] == "/settings"
    async with database.session() as session:
        invitation = await session.get(Invitation, created.invitation.id)
        assert invitation is not None and invitation.uses == 1
    account = await account_named(database, "amelie")
    assert account is not None and account.is_approved


@pytest.mark.parametrize("problem", ["expired", "used_up", "unknown", "none"])
async def test_sign_up_without_a_valid_invitation_is_refused(
    settings: Settings, database: Database, problem: str
) -> None:
    # Given an invitation that cannot be used
    async with database.transaction() as session:
        created = await create_invitation(session, created_by_id=None, max_uses=1)
        if problem == "expired":
            created.invitation.expires_at = utcnow() - timedelta(minutes=1)
        if problem == "used_up":
            created.invitation.uses = 1
    code = {"unknown": "no-such-code", "none": ""}.get(problem, created.code)
    async with client_for(settings, database) as client:
        # When someone opens the sign-up page and posts the form anyway
        page = await client.get(f"/signup?invite={code}", headers=HTML)
        response = await submit(client, "/signup", signup_form(invite=code))

    # Then the page explains that an invitation is needed, and no account exists
    assert "il faut une invitation" in page.text
    assert response.status_code == 403 and "il faut une invitation" in response.text
    assert await account_named(database, "amelie") is None


async def test_form_errors_are_in_french_and_keep_what_was_typed(
    settings: Settings, database: Database
) -> None:
    async with client_for(with_registration(settings, "open"), database) as client:
        # When the form has a wrong name and a short password
        form = {"username": "Amélie Dupont", "password": "court", "password_confirm": "court"}
        response = await submit(client, "/signup", form, form_page="/signup")

    # Then errors are shown next to the fields and in a summary, in French, with the name kept
    assert response.status_code == 400
    assert "Merci de corriger ce qui suit" in response.text
    assert response.text.count("au moins 10 caractères") >= 2
    assert 'id="error-username"' in response.text and 'id="error-password"' in response.text
    assert 'value="amélie dupont"' in response.text
    assert 'value="court"' not in response.text


async def test_a_taken_name_gets_a_friendly_message(settings: Settings, database: Database) -> None:
    await resident(database, settings, "amelie")
    async with client_for(with_registration(settings, "open"), database) as client:
        response = await submit(client, "/signup", signup_form(), form_page="/signup")
    assert response.status_code == 400
    assert "Ce nom est déjà pris ici" in response.text


async def test_mismatched_passwords_are_refused(settings: Settings, database: Database) -> None:
    async with client_for(with_registration(settings, "open"), database) as client:
        form = {**signup_form(), "password_confirm": "something else entirely"}
        response = await submit(client, "/signup", form, form_page="/signup")
    assert response.status_code == 400
    assert "ne sont pas identiques" in response.text


# ---------------------------------------------------------------------------------------------
# Log in, log out


async def test_login_with_the_right_password_starts_a_session(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    await resident(database, settings, "amelie")
    before = await csrf_of(client)
    response = await log_in(client, "amelie")
    assert response.status_code == 303 and response.headers["location"] == "/"
    page = await client.get("/settings", headers=HTML)
    assert page.status_code == 200
    assert CSRF_RE.search(page.text).group(1) != before  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("username", "password", "state", "status", "message"),
    [
        ("amelie", "wrong password!", "active", 400, "ne correspondent pas"),
        ("nobody", PASSWORD, "active", 400, "ne correspondent pas"),
        ("amelie", PASSWORD, "suspended", 403, "Ce compte est suspendu"),
        ("amelie", PASSWORD, "unapproved", 403, "attend encore la validation"),
    ],
)
async def test_login_refusals_say_why(
    client: httpx2.AsyncClient,
    settings: Settings,
    database: Database,
    username: str,
    password: str,
    state: str,
    status: int,
    message: str,
) -> None:
    account, _ = await resident(database, settings, "amelie")
    async with database.transaction() as session:
        await session.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(is_suspended=state == "suspended", is_approved=state != "unapproved")
        )
    response = await log_in(client, username, password)
    assert response.status_code == status
    assert message in response.text
    assert (await client.get("/settings", headers=HTML)).status_code == 303


async def test_too_many_failures_are_refused_for_a_while(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    await resident(database, settings, "amelie")
    # Given five wrong passwords
    for _ in range(5):
        assert (await log_in(client, "amelie", "not the password")).status_code == 400

    # When the sixth try comes, even with the right password
    response = await log_in(client, "amelie")

    # Then it is refused with a delay to wait
    assert response.status_code == 429
    assert "Trop de tentatives, réessayez dans 2 secondes" in response.text
    assert int(response.headers["retry-after"]) > 0


async def test_a_success_resets_the_username_counter(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    await resident(database, settings, "amelie")
    for _ in range(4):
        await log_in(client, "amelie", "not the password")
    assert (await log_in(client, "amelie")).status_code == 303
    await client.post("/logout", data={"csrf_token": await csrf_of(client, "/settings")})
    for _ in range(4):
        assert (await log_in(client, "amelie", "not the password")).status_code == 400
    assert (await log_in(client, "amelie")).status_code == 303


@pytest.mark.parametrize(
    ("next_path", "expected"),
    [
        ("/settings", "/settings"),
        ("/@amelie?tab=posts", "/@amelie?tab=posts"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/\t/evil.example", "/"),
        ("evil.example", "/"),
    ],
)
async def test_next_only_leads_to_local_paths(
    client: httpx2.AsyncClient,
    settings: Settings,
    database: Database,
    next_path: str,
    expected: str,
) -> None:
    await resident(database, settings, "amelie")
    response = await log_in(client, "amelie", next_path=next_path)
    assert response.status_code == 303
    assert response.headers["location"] == expected


async def test_logout_is_a_post_with_its_token(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    me = await log_in_as(client, settings, database, "amelie")
    assert (await client.get("/logout", headers=HTML)).status_code == 405
    assert (await client.post("/logout", data={}, headers=HTML)).status_code == 403
    response = await client.post("/logout", data={"csrf_token": me.csrf}, headers=HTML)
    assert response.status_code == 303
    after = await client.get("/settings", headers=HTML)
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


# ---------------------------------------------------------------------------------------------
# CSRF on every form of these pages (the admin ones are in test_admin.py)

ACCOUNT_POSTS = [
    "/signup",
    "/login",
    "/logout",
    "/password/forgot",
    "/reset/some-code",
    "/settings",
    "/settings/preferences",
    "/settings/password",
    "/settings/delete",
]


@pytest.mark.parametrize("path", ACCOUNT_POSTS)
@pytest.mark.parametrize("token", ["missing", "wrong"])
async def test_every_form_refuses_a_missing_or_wrong_token(
    client: httpx2.AsyncClient, settings: Settings, database: Database, path: str, token: str
) -> None:
    await log_in_as(client, settings, database, "amelie")
    data = {"password": PASSWORD, "username": "amelie"}
    if token == "wrong":
        data["csrf_token"] = "not-the-token"
    response = await client.post(path, data=data, headers=HTML)
    assert response.status_code == 403


# ---------------------------------------------------------------------------------------------
# Passwords


async def test_forgot_password_without_mail_says_to_ask_an_admin(
    client: httpx2.AsyncClient,
) -> None:
    page = await client.get("/password/forgot", headers=HTML)
    assert page.status_code == 200
    assert "Demandez à un·e admin" in page.text
    assert 'name="email"' not in page.text


class FakeSMTP:
    sent: ClassVar[list[Any]] = []
    calls: ClassVar[list[str]] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.calls.append(f"connect {host}:{port}")

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append("quit")

    def starttls(self, context: object = None) -> None:
        self.calls.append("starttls")

    def login(self, user: str, password: str) -> None:
        self.calls.append(f"login {user}")

    def send_message(self, message: Any) -> None:
        self.sent.append(message)


async def test_forgot_password_sends_a_link_by_mail_without_revealing_addresses(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given mail configured (a fake SMTP server) and a resident with an email address
    FakeSMTP.sent, FakeSMTP.calls = [], []
    monkeypatch.setattr("actors.mail.smtplib.SMTP", FakeSMTP)
    mail = MailSettings(host="smtp.paquis.test", username="quartier", password="secret-smtp")
    with_mail = replace(settings, mail=mail)
    account, _ = await resident(database, settings, "amelie")
    async with database.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == account.id).values(email="Amelie@Example.ch")
        )
    async with client_for(with_mail, database) as client:
        # When the form is sent for an unknown address, then for hers
        unknown = await submit(
            client, "/password/forgot", {"email": "nobody@example.ch"}, form_page="/password/forgot"
        )
        known = await submit(
            client, "/password/forgot", {"email": "amelie@example.ch"}, form_page="/password/forgot"
        )

        # Then both answers are the same, and only she gets a mail with a working link
        assert unknown.status_code == known.status_code == 303
        assert unknown.headers["location"] == known.headers["location"] == "/login"
        assert len(FakeSMTP.sent) == 1
        message = FakeSMTP.sent[0]
        assert message["To"] == "amelie@example.ch"
        assert FakeSMTP.calls[:3] == ["connect smtp.paquis.test:587", "starttls", "login quartier"]
        link = re.search(r"http://paquis\.test(/reset/\S+)", message.get_content())
        assert link is not None
        page = await client.get(link.group(1), headers=HTML)
        assert page.status_code == 200 and 'name="password"' in page.text


async def test_change_password_needs_the_current_one(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    me = await log_in_as(client, settings, database, "amelie")
    new = "une toute nouvelle phrase"
    wrong = await client.post(
        "/settings/password",
        data={
            "csrf_token": me.csrf,
            "current_password": "not it at all",
            "new_password": new,
            "new_password_confirm": new,
        },
        headers=HTML,
    )
    assert wrong.status_code == 400 and "n&#39;est pas le bon" in wrong.text
    right = await client.post(
        "/settings/password",
        data={
            "csrf_token": me.csrf,
            "current_password": PASSWORD,
            "new_password": new,
            "new_password_confirm": new,
        },
    )
    assert right.status_code == 303
    async with client_for(settings, database) as other:
        assert (await log_in(other, "amelie", new)).status_code == 303


async def test_a_new_password_ends_the_sessions_of_other_devices(
    settings: Settings, database: Database
) -> None:
    # Given a resident logged in on her phone and on the neighbourhood centre's computer
    await resident(database, settings, "amelie")
    async with client_for(settings, database) as phone, client_for(settings, database) as shared:
        assert (await log_in(phone, "amelie")).status_code == 303
        assert (await log_in(shared, "amelie")).status_code == 303
        assert (await shared.get("/home", headers=HTML)).status_code == 200

        # When she changes her password from her phone
        new = "une toute nouvelle phrase"
        changed = await submit(
            phone,
            "/settings/password",
            {"current_password": PASSWORD, "new_password": new, "new_password_confirm": new},
            form_page="/settings",
        )
        assert changed.status_code == 303

        # Then the phone stays logged in, and the shared computer is logged out
        assert (await phone.get("/home", headers=HTML)).status_code == 200
        assert (await shared.get("/home", headers=HTML)).headers["location"].startswith("/login")


async def test_a_reset_password_ends_every_session(settings: Settings, database: Database) -> None:
    # Given a resident still logged in somewhere
    account, _ = await resident(database, settings, "amelie")
    async with client_for(settings, database) as forgotten:
        assert (await log_in(forgotten, "amelie")).status_code == 303

        # When an admin's reset link is used to choose a new password
        async with database.transaction() as session:
            code = await issue_password_reset(session, account.id)
        async with client_for(settings, database) as other:
            new = "une toute nouvelle phrase"
            reset = await submit(
                other,
                f"/reset/{code}",
                {"password": new, "password_confirm": new},
                form_page=f"/reset/{code}",
            )
            assert reset.status_code == 303

        # Then the forgotten session is over
        assert (await forgotten.get("/home", headers=HTML)).headers["location"].startswith("/login")


# ---------------------------------------------------------------------------------------------
# Settings


def profile_form(csrf: str, **extra: str) -> dict[str, str]:
    return {"csrf_token": csrf, "name": "Amélie D.", "bio": "J'aime le *troc*.", **extra}


def photo_with_exif() -> bytes:
    image = Image.new("RGB", (64, 64), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x013B] = "Amélie Dupont"  # Artist
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif.tobytes())
    return output.getvalue()


async def test_a_profile_change_queues_an_update_to_remote_followers(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a resident followed from another server
    me = await log_in_as(client, settings, database, "amelie")
    follower = await create_remote_actor(database, "http://mastodon.test/users/zoe/inbox")
    await follow(database, follower, me.actor)

    # When she changes her profile
    response = await client.post("/settings", data=profile_form(me.csrf), headers=HTML)
    assert response.status_code == 303

    # Then the actor is changed and an Update of it is queued to the follower's inbox
    async with database.session() as session:
        actor = await session.get(Actor, me.actor.id)
        assert actor is not None
        assert actor.name == "Amélie D." and "<em>troc</em>" in actor.summary
        rows = (
            await session.execute(
                select(Activity, Delivery).join(Delivery, Delivery.activity_id == Activity.id)
            )
        ).all()
    assert [(a.type, d.inbox_uri) for a, d in rows] == [
        ("Update", "http://mastodon.test/users/zoe/inbox")
    ]
    document = json.loads(rows[0][0].payload)
    assert document["object"]["id"] == me.actor.uri
    assert document["object"]["name"] == "Amélie D."


async def test_an_avatar_without_a_description_is_refused(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    me = await log_in_as(client, settings, database, "amelie")
    response = await client.post(
        "/settings",
        data=profile_form(me.csrf, avatar_alt=""),
        files={"avatar": ("photo.jpg", photo_with_exif(), "image/jpeg")},
        headers=HTML,
    )
    assert response.status_code == 400
    assert "Merci de décrire l&#39;image" in response.text
    assert 'value="Amélie D."' in response.text
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Media)) == 0


async def test_an_avatar_with_a_description_is_stored_without_its_metadata(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    me = await log_in_as(client, settings, database, "amelie")
    response = await client.post(
        "/settings",
        data=profile_form(me.csrf, avatar_alt="Amélie devant le repair café"),
        files={"avatar": ("photo.jpg", photo_with_exif(), "image/jpeg")},
    )
    assert response.status_code == 303
    async with database.session() as session:
        actor = await session.get(Actor, me.actor.id)
        media = await session.scalar(select(Media))
    assert actor is not None and media is not None and media.data is not None
    assert actor.icon_alt == "Amélie devant le repair café"
    assert actor.icon_url is not None and actor.icon_url.startswith("http://paquis.test/media/")
    with Image.open(io.BytesIO(media.data)) as stored:
        assert not stored.getexif()
    assert b"PhoneMaker" not in media.data
    served = await client.get(actor.icon_url.removeprefix("http://paquis.test"))
    assert served.status_code == 200


async def test_a_replaced_or_removed_avatar_leaves_nothing_behind(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a resident who set an avatar, then chose another one
    me = await log_in_as(client, settings, database, "amelie")
    for alt in ("Ma première photo", "Ma nouvelle photo"):
        response = await client.post(
            "/settings",
            data=profile_form(me.csrf, avatar_alt=alt),
            files={"avatar": ("photo.jpg", photo_with_exif(), "image/jpeg")},
        )
        assert response.status_code == 303
    async with database.session() as session:
        actor = await session.get(Actor, me.actor.id)
        kept = (await session.scalars(select(Media))).all()
    assert actor is not None and actor.icon_url is not None
    # Then only the new one is stored
    assert [media.alt_text for media in kept] == ["Ma nouvelle photo"]
    assert actor.icon_url.endswith(kept[0].key + ".jpg")

    # When she removes it
    response = await client.post(
        "/settings", data=profile_form(me.csrf, avatar_alt="", remove_avatar="1")
    )
    assert response.status_code == 303
    async with database.session() as session:
        assert (await session.scalars(select(Media))).all() == []


async def test_a_file_that_is_not_an_image_gets_a_french_message(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    me = await log_in_as(client, settings, database, "amelie")
    response = await client.post(
        "/settings",
        data=profile_form(me.csrf, header_alt="Le quartier"),
        files={"header": ("notes.jpg", b"not really an image", "image/jpeg")},
        headers=HTML,
    )
    assert response.status_code == 400
    assert "n&#39;est pas une image" in response.text


async def test_the_language_preference_is_saved_and_followed(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    me = await log_in_as(client, settings, database, "amelie")
    response = await client.post(
        "/settings/preferences", data={"csrf_token": me.csrf, "language": "en"}
    )
    assert response.status_code == 303
    assert "lang=en" in response.headers["set-cookie"]
    page = await client.get("/settings", headers=HTML)
    assert 'lang="en"' in page.text and "Your preferences are saved." in page.text
    account = await account_named(database, "amelie")
    assert account is not None and account.language == "en"


# ---------------------------------------------------------------------------------------------
# Leaving


async def test_deleting_my_account_tombstones_everything_and_tells_every_server(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a resident with a post, two followers on one shared inbox, and past deliveries
    me = await log_in_as(client, settings, database, "amelie")
    shared = "http://mastodon.test/inbox"
    for name in ("zoe", "yan"):
        remote = await create_remote_actor(
            database, f"http://mastodon.test/users/{name}/inbox", shared_inbox_uri=shared
        )
        await follow(database, remote, me.actor)
    await enqueue(database, me.actor, ["http://lemmy.test/inbox", shared])
    async with database.transaction() as session:
        session.add(Post(uri=f"{me.actor.uri}/posts/1", actor_id=me.actor.id, is_local=True))

    # When she deletes her account with her password
    wrong = await client.post(
        "/settings/delete", data={"csrf_token": me.csrf, "password": "nope nope nope"}
    )
    assert wrong.status_code == 400
    response = await client.post(
        "/settings/delete", data={"csrf_token": me.csrf, "password": PASSWORD}
    )

    # Then she is logged out, her actor is gone, her posts are tombstones…
    assert response.status_code == 303
    assert (await client.get("/settings", headers=HTML)).status_code == 303
    async with database.session() as session:
        actor = await session.get(Actor, me.actor.id)
        account = await session.get(Account, me.account.id)
        post = await session.scalar(select(Post))
        delete = await session.scalar(select(Activity).where(Activity.type == "Delete"))
        assert delete is not None
        inboxes = (
            await session.scalars(
                select(Delivery.inbox_uri).where(Delivery.activity_id == delete.id)
            )
        ).all()
    assert actor is not None and actor.is_gone and actor.private_key_pem
    assert account is not None and account.is_suspended
    assert post is not None and post.deleted_at is not None and post.content_html == ""
    # …and one Delete of the actor goes to each distinct inbox that knows her
    assert json.loads(delete.payload)["object"] == me.actor.uri
    assert sorted(inboxes) == ["http://lemmy.test/inbox", shared]
    assert (await log_in(client, "amelie")).status_code == 403


async def test_a_cli_created_admin_can_log_in_and_administer(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given an admin made as `quartiers account create NAME --admin` makes one
    async with database.transaction() as session:
        await create_account(session, settings, "gerante", "motdepasse-admin", is_admin=True)

    # When she logs in through the form, then the admin pages open to her
    assert (await log_in(client, "gerante", "motdepasse-admin", "/admin")).headers[
        "location"
    ] == "/admin"
    for path in ("/admin", "/admin/accounts", "/admin/invitations", "/admin/health"):
        assert (await client.get(path, headers=HTML)).status_code == 200
