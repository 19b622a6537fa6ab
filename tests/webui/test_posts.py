"""Writing, replying, editing, deleting, liking and boosting posts through the pages."""

from __future__ import annotations

import io
import json

import httpx2
import pytest
from PIL import Image
from sqlalchemy import func, select

from actors.services import ensure_instance_actor
from commons.posts.remote import store_remote_post
from config.settings import Settings
from federation.parsing import parse_object
from federation.vocab import PUBLIC
from storage.database import Database
from storage.models import (
    Activity,
    Actor,
    Delivery,
    Media,
    Notification,
    Post,
    PostMention,
    PostTag,
    Reaction,
)
from tests.actors.actor_support import use_session_keys
from tests.webui.web_support import Resident, resident, session_cookie
from tests.webui.web_support import log_in_as as create_and_log_in
from webui.session import SESSION_COOKIE

HTML = {"Accept": "text/html"}


@pytest.fixture(autouse=True)
def session_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_keys(monkeypatch)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 120, 90)).save(buffer, "PNG")
    return buffer.getvalue()


async def log_in_as(
    client: httpx2.AsyncClient,
    settings: Settings,
    database: Database,
    username: str,
    *,
    admin: bool = False,
) -> Resident:
    """A new resident takes over the browser (the server's own session cookie is dropped)."""
    client.cookies.clear()
    return await create_and_log_in(client, settings, database, username, admin=admin)


def switch_to(client: httpx2.AsyncClient, settings: Settings, who: Resident) -> None:
    client.cookies.clear()
    client.cookies.set(
        SESSION_COOKIE,
        session_cookie(settings, who.session),
    )


async def compose(
    client: httpx2.AsyncClient, who: Resident, text: str, **fields: str
) -> httpx2.Response:
    return await client.post(
        "/compose", data={"csrf_token": who.csrf, "text": text, **fields}, headers=HTML
    )


async def latest_post(database: Database, actor_id: int) -> Post:
    async with database.session() as session:
        post = await session.scalar(
            select(Post).where(Post.actor_id == actor_id).order_by(Post.id.desc()).limit(1)
        )
    assert post is not None
    return post


async def remote_actor(database: Database, username: str, domain: str) -> Actor:
    async with database.transaction() as session:
        actor = Actor(
            uri=f"http://{domain}/users/{username}",
            type="Person",
            username=username,
            domain=domain,
            is_local=False,
            name=username.title(),
            inbox_uri=f"http://{domain}/users/{username}/inbox",
            shared_inbox_uri=f"http://{domain}/inbox",
            followers_uri=f"http://{domain}/users/{username}/followers",
            public_key_id=f"http://{domain}/users/{username}#main-key",
            public_key_pem="-",
        )
        session.add(actor)
    return actor


async def test_compose_markdown_content_warning_and_hashtag(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a logged-in resident
    amelie = await log_in_as(client, settings, database, "amelie")

    # When she publishes Markdown with a content warning and a hashtag
    response = await compose(
        client,
        amelie,
        "Samedi **Repair Café** au #RepairCafe, venez !",
        summary="Bruit de perceuse",
        visibility="public",
    )

    # Then she lands on her post, published with its tag
    assert response.status_code == 303
    page = await client.get(response.headers["location"], headers=HTML)
    assert page.status_code == 200
    assert "<strong>Repair Café</strong>" in page.text
    assert "Bruit de perceuse" in page.text and "<details" in page.text
    assert 'href="http://paquis.test/tags/repaircafe"' in page.text
    assert "Votre message est publié." in page.text
    post = await latest_post(database, amelie.actor.id)
    assert post.summary == "Bruit de perceuse" and post.is_sensitive
    assert post.document is not None
    assert {
        "type": "Hashtag",
        "href": "http://paquis.test/tags/repaircafe",
        "name": "#repaircafe",
    } in post.document["tag"]
    async with database.session() as session:
        tags = (await session.scalars(select(PostTag.tag).where(PostTag.post_id == post.id))).all()
    assert tags == ["repaircafe"]

    # And the hashtag page lists it
    tag_page = await client.get("/tags/RepairCafe", headers=HTML)
    assert tag_page.status_code == 200 and "Repair Café" in tag_page.text


async def test_image_with_alt_is_attached_and_missing_alt_keeps_the_text(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    amelie = await log_in_as(client, settings, database, "amelie")
    # When she sends an image without its description
    refused = await client.post(
        "/compose",
        data={"csrf_token": amelie.csrf, "text": "Notre jardin en fleurs"},
        files={"image1": ("jardin.png", png(), "image/png")},
        headers=HTML,
    )
    # Then the form comes back with the error next to the field and her text kept
    assert refused.status_code == 400
    assert "Merci de décrire" in refused.text
    assert "image pour les personnes qui ne peuvent pas la voir." in refused.text
    assert "Notre jardin en fleurs</textarea>" in refused.text
    assert 'href="#field-alt1"' in refused.text
    async with database.session() as session:
        assert await session.scalar(select(func.count(Post.id))) == 0

    # When she describes it
    accepted = await client.post(
        "/compose",
        data={"csrf_token": amelie.csrf, "text": "Notre jardin", "alt1": "Des tulipes rouges"},
        files={"image1": ("jardin.png", png(), "image/png")},
        headers=HTML,
    )
    # Then the image is attached to the post, with its alt text on the wire and on the page
    assert accepted.status_code == 303, accepted.text.split("form-errors")[-1][:600]
    post = await latest_post(database, amelie.actor.id)
    async with database.session() as session:
        media = (await session.scalars(select(Media).where(Media.post_id == post.id))).all()
    assert [m.alt_text for m in media] == ["Des tulipes rouges"]
    assert post.document is not None
    (attachment,) = post.document["attachment"]
    assert attachment["type"] == "Image" and attachment["name"] == "Des tulipes rouges"
    page = await client.get(accepted.headers["location"], headers=HTML)
    assert 'alt="Des tulipes rouges"' in page.text


async def test_visibility_choices_are_kept_and_checked(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    _account, bob = await resident(database, settings, "bob")
    amelie = await log_in_as(client, settings, database, "amelie")
    followers = amelie.actor.followers_uri
    # Each visibility is a way of filling the addressing, as a client of the API would
    for visibility, text, to, cc in (
        ("public", "Pour tous", [PUBLIC], [followers]),
        ("followers", "Entre nous", [followers], []),
        ("mentioned", "@bob rien que toi", [bob.uri], []),
    ):
        response = await compose(client, amelie, text, visibility=visibility)
        assert response.status_code == 303
        post = await latest_post(database, amelie.actor.id)
        assert post.visibility == visibility
        assert post.document is not None
        assert post.document["addressing"] == {"to": to, "cc": cc, "bto": [], "bcc": []}
    bad = await compose(client, amelie, "Texte gardé", visibility="everyone")
    assert bad.status_code == 400 and "Texte gardé" in bad.text


async def test_local_markdown_with_raw_html_is_escaped(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    amelie = await log_in_as(client, settings, database, "amelie")
    response = await compose(
        client,
        amelie,
        '<script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))',
    )
    page = await client.get(response.headers["location"], headers=HTML)
    body = page.text.split('<main id="main"', 1)[1]
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body
    assert "<img src=x" not in body and "javascript:" not in body.replace(
        "javascript:alert(3))", ""
    )
    post = await latest_post(database, amelie.actor.id)
    assert "<script" not in post.content_html and 'href="javascript' not in post.content_html


async def test_edit_and_delete_by_the_author_and_refused_to_others(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    amelie = await log_in_as(client, settings, database, "amelie")
    location = (await compose(client, amelie, "Atelier couture *mardi*")).headers["location"]
    post = await latest_post(database, amelie.actor.id)

    # When another resident forges an edit and a delete with her own valid token
    karim = await log_in_as(client, settings, database, "karim")
    forged_edit = await client.post(
        f"{location}/edit", data={"csrf_token": karim.csrf, "text": "Piraté"}, headers=HTML
    )
    forged_delete = await client.post(
        f"{location}/delete", data={"csrf_token": karim.csrf}, headers=HTML
    )
    # Then both are refused
    assert forged_edit.status_code == 403 and forged_delete.status_code == 403
    assert (await client.get(f"{location}/edit", headers=HTML)).status_code == 403

    # When the author edits it
    switch_to(client, settings, amelie)
    form = await client.get(f"{location}/edit", headers=HTML)
    assert "Atelier couture *mardi*</textarea>" in form.text
    edited = await client.post(
        f"{location}/edit",
        data={"csrf_token": amelie.csrf, "text": "Atelier couture *jeudi*", "summary": ""},
        headers=HTML,
    )
    assert edited.status_code == 303
    async with database.session() as session:
        row = await session.get(Post, post.id)
        updates = await session.scalar(
            select(func.count(Activity.id)).where(
                Activity.type == "Update", Activity.object_uri == post.uri
            )
        )
    assert row is not None and "<em>jeudi</em>" in row.content_html and row.updated is not None
    assert updates == 1

    # When she deletes it
    deleted = await client.post(f"{location}/delete", data={"csrf_token": amelie.csrf})
    assert deleted.status_code == 303
    async with database.session() as session:
        row = await session.get(Post, post.id)
        deletes = await session.scalar(
            select(func.count(Activity.id)).where(Activity.type == "Delete")
        )
    assert row is not None and row.deleted_at is not None and deletes == 1
    gone = await client.get(location, headers=HTML)
    assert gone.status_code == 410


async def test_a_moderator_may_delete_a_residents_post(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    amelie = await log_in_as(client, settings, database, "amelie")
    location = (await compose(client, amelie, "Spam")).headers["location"]
    client.cookies.clear()
    moderator = await log_in_as(client, settings, database, "moderatrice", admin=True)
    deleted = await client.post(f"{location}/delete", data={"csrf_token": moderator.csrf})
    assert deleted.status_code == 303
    assert (await latest_post(database, amelie.actor.id)).deleted_at is not None


async def test_like_and_boost_then_undo_notify_the_author(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    amelie = await log_in_as(client, settings, database, "amelie")
    location = (await compose(client, amelie, "Vélos à réparer")).headers["location"]
    post = await latest_post(database, amelie.actor.id)
    karim = await log_in_as(client, settings, database, "karim")

    async def reactions() -> list[str]:
        async with database.session() as session:
            return sorted(
                (
                    await session.scalars(select(Reaction.kind).where(Reaction.post_id == post.id))
                ).all()
            )

    # When Karim likes and boosts it
    for action in ("like", "boost"):
        response = await client.post(
            f"{location}/{action}", data={"csrf_token": karim.csrf, "next": "/local"}
        )
        assert response.status_code == 303 and response.headers["location"] == "/local"
    assert await reactions() == ["announce", "like"]
    # Then the buttons offer to undo, and Amélie is told
    page = await client.get(location, headers=HTML)
    assert "Je n’aime plus" in page.text and "Ne plus partager" in page.text
    async with database.session() as session:
        kinds = sorted(
            (
                await session.scalars(
                    select(Notification.kind).where(Notification.recipient_id == amelie.actor.id)
                )
            ).all()
        )
    assert kinds == ["boost", "like"]

    # When he presses them again, both are undone
    for action in ("like", "boost"):
        await client.post(f"{location}/{action}", data={"csrf_token": karim.csrf})
    assert await reactions() == []
    # And a next pointing elsewhere is ignored
    away = await client.post(
        f"{location}/like", data={"csrf_token": karim.csrf, "next": "//evil.example/"}
    )
    assert away.headers["location"] == location


async def test_reply_shows_in_the_thread_and_notifies(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    amelie = await log_in_as(client, settings, database, "amelie")
    location = (await compose(client, amelie, "Qui a une perceuse ?")).headers["location"]
    parent = await latest_post(database, amelie.actor.id)
    karim = await log_in_as(client, settings, database, "karim")

    form = await client.get(f"{location}/reply", headers=HTML)
    assert form.status_code == 200 and "@amelie " in form.text and "Qui a une perceuse" in form.text
    response = await client.post(
        f"{location}/reply",
        data={"csrf_token": karim.csrf, "text": "@amelie Moi, passe samedi"},
        headers=HTML,
    )
    assert response.status_code == 303
    reply = await latest_post(database, karim.actor.id)
    assert reply.in_reply_to_uri == parent.uri

    thread = await client.get(location, headers=HTML)
    assert "Moi, passe samedi" in thread.text and "Réponses" in thread.text
    reply_page = await client.get(response.headers["location"], headers=HTML)
    assert "Qui a une perceuse" in reply_page.text  # the post it answers, above
    async with database.session() as session:
        kinds = (
            await session.scalars(
                select(Notification.kind).where(Notification.recipient_id == amelie.actor.id)
            )
        ).all()
    assert list(kinds) == ["reply"]


async def test_local_mention_is_linked_tagged_and_notified(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    karim = await log_in_as(client, settings, database, "karim")
    amelie = await log_in_as(client, settings, database, "amelie")
    await compose(client, amelie, "Merci @karim et @personne pour l'aide !")
    post = await latest_post(database, amelie.actor.id)
    assert (
        f'<span class="h-card"><a class="u-url mention" href="{karim.actor.uri}"'
        in post.content_html
    )
    assert "@personne" in post.content_html
    assert post.document is not None
    assert post.document["tag"][0] == {
        "type": "Mention",
        "href": karim.actor.uri,
        "name": "@karim@paquis.test",
    }
    async with database.session() as session:
        mentioned = (
            await session.scalars(
                select(PostMention.actor_id).where(PostMention.post_id == post.id)
            )
        ).all()
        kinds = (
            await session.scalars(
                select(Notification.kind).where(Notification.recipient_id == karim.actor.id)
            )
        ).all()
    assert list(mentioned) == [karim.actor.id] and list(kinds) == ["mention"]


async def test_mentioned_only_post_goes_only_to_the_mentioned(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a resident with a remote follower, and a known remote actor
    amelie = await log_in_as(client, settings, database, "amelie")
    follower = await remote_actor(database, "leo", "servette.test")
    await remote_actor(database, "nadia", "jonction.test")
    async with database.transaction() as session:
        from storage.models import Follow

        session.add(
            Follow(
                uri="http://servette.test/follows/1",
                follower_id=follower.id,
                followed_id=amelie.actor.id,
                state="accepted",
            )
        )
    # When she writes to Nadia only
    await compose(client, amelie, "@nadia@jonction.test rendez-vous ?", visibility="mentioned")
    post = await latest_post(database, amelie.actor.id)
    # Then the only delivery goes to Nadia's server, addressed to her alone
    async with database.session() as session:
        inboxes = (await session.scalars(select(Delivery.inbox_uri))).all()
        activity = await session.scalar(select(Activity).where(Activity.object_uri == post.uri))
    assert list(inboxes) == ["http://jonction.test/inbox"]
    assert activity is not None
    payload = json.loads(activity.payload)
    assert payload["object"]["to"] == ["http://jonction.test/users/nadia"]
    assert payload["object"]["cc"] == []
    assert payload["object"]["tag"][0]["type"] == "Mention"


async def test_remote_html_is_sanitized_before_storage_and_at_render(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given a remote Note full of traps
    author = await remote_actor(database, "mallory", "evil.test")
    evil = (
        "<p>Salut<script>alert(1)</script>"
        '<img src="x" onerror="alert(2)">'
        '<a href="javascript:alert(3)">clic</a>'
        '<iframe src="http://evil.test/"></iframe>'
        "<style>body{display:none}</style></p>"
    )
    note = {
        "id": "http://evil.test/notes/1",
        "type": "Note",
        "attributedTo": author.uri,
        "content": evil,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "attachment": [
            {"type": "Image", "url": "javascript:alert(4)", "name": "x"},
            {
                "type": "Image",
                "mediaType": "image/png",
                "url": "http://evil.test/a.png",
                "name": 'Un "chat"',
            },
        ],
    }
    async with database.transaction() as session:
        stored = await store_remote_post(session, parse_object(note), author)
        post_id = stored.id
    # Then what is stored has none of it
    for trap in ("<script", "onerror", "javascript:", "<iframe", "<style"):
        assert trap not in stored.content_html
    # And even if the row were tampered with, the page renders it sanitized
    async with database.transaction() as session:
        row = await session.get(Post, post_id)
        assert row is not None
        row.content_html = evil
    for path in (f"/posts/{post_id}", "/search?q=Salut"):
        page = await client.get(path, headers=HTML)
        assert page.status_code == 200
        body = page.text.split('<main id="main"', 1)[1]
        assert "Salut" in body
        for trap in ("<script", "onerror", "javascript:", "<iframe", "<style"):
            assert trap not in body, (path, trap)
    assert 'alt="Un &#34;chat&#34;"' in page.text, page.text.split('<main id="main"', 1)[1]


POST_ROUTES = (
    "/compose",
    "/posts/{key}/reply",
    "/posts/{key}/edit",
    "/posts/{key}/delete",
    "/posts/{key}/like",
    "/posts/{key}/boost",
    "/notifications/read",
    "/notifications/requests/1",
    "/search/follow",
)


async def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    amelie = await log_in_as(client, settings, database, "amelie")
    location = (await compose(client, amelie, "Bonjour")).headers["location"]
    key = location.rsplit("/", 1)[1]
    for path in POST_ROUTES:
        missing = await client.post(path.format(key=key), data={"text": "x", "actor_id": "1"})
        wrong = await client.post(path.format(key=key), data={"csrf_token": "nope", "text": "x"})
        assert (missing.status_code, wrong.status_code) == (403, 403), path
    async with database.session() as session:
        assert await session.scalar(select(func.count(Post.id))) == 1
        assert await session.scalar(select(func.count(Reaction.id))) == 0


async def test_notifications_list_mark_read_and_answer_a_follow_request(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    # Given Amélie, who approves followers by hand, and Karim, who asks to follow her
    amelie = await log_in_as(client, settings, database, "amelie")
    async with database.transaction() as session:
        actor = await session.get(Actor, amelie.actor.id)
        assert actor is not None
        actor.manually_approves_followers = True
    karim = await log_in_as(client, settings, database, "karim")
    asked = await client.post(
        "/search/follow", data={"csrf_token": karim.csrf, "actor_id": str(amelie.actor.id)}
    )
    assert asked.status_code == 303

    # When she opens her notifications
    switch_to(client, settings, amelie)
    page = await client.get("/notifications", headers=HTML)
    assert "karim demande à vous suivre." in page.text
    assert 'value="accept"' in page.text
    action = page.text.split('action="/notifications/requests/', 1)[1].split('"', 1)[0]

    # And accepts the request
    accepted = await client.post(
        f"/notifications/requests/{action}", data={"csrf_token": amelie.csrf, "decision": "accept"}
    )
    assert accepted.status_code == 303
    from storage.models import Follow

    async with database.session() as session:
        state = await session.scalar(
            select(Follow.state).where(Follow.follower_id == karim.actor.id)
        )
    assert state == "accepted"

    # When she marks all as read
    await client.post("/notifications/read", data={"csrf_token": amelie.csrf})
    async with database.session() as session:
        unread = await session.scalar(
            select(func.count(Notification.id)).where(Notification.read_at.is_(None))
        )
    assert unread == 0


async def test_search_by_text_handle_and_url_never_fails(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    async with database.transaction() as session:
        await ensure_instance_actor(session, settings)
    amelie = await log_in_as(client, settings, database, "amelie")
    location = (await compose(client, amelie, "Grand troc de graines 100% bio_local")).headers[
        "location"
    ]
    await compose(client, amelie, "Secret", visibility="followers")
    client.cookies.clear()

    found = await client.get("/search", params={"q": "troc de GRAINES"}, headers=HTML)
    assert found.status_code == 200 and "Grand troc de graines" in found.text
    hidden = await client.get("/search?q=Secret", headers=HTML)
    assert "Aucun résultat pour « Secret »." in hidden.text and "post-card" not in hidden.text
    percent = await client.get("/search", params={"q": "100%"}, headers=HTML)
    assert "Grand troc" in percent.text
    handle = await client.get("/search", params={"q": "@amelie"}, headers=HTML)
    assert "@amelie@paquis.test" in handle.text
    by_url = await client.get(
        "/search", params={"q": f"http://paquis.test{location}"}, headers=HTML
    )
    assert "Grand troc de graines" in by_url.text
    for nonsense in (
        "x",
        "@",
        "http://",
        "https://127.0.0.1:1/x",
        "%",
        "a" * 400,
        "@a@b",
        "http://[::1",
        # addresses no request can be made to (they were a 500)
        "@leo@256.256.256.256",
        "@leo@0177.0.0.1",
        "http://localhost:99999/@a",
        "@leo@example.com:99999",
        "https://ex\u2024ample.com/",
    ):
        response = await client.get("/search", params={"q": nonsense}, headers=HTML)
        assert response.status_code == 200, nonsense
