"""A new resident's first hour, in a real browser, across two real instances.

An admin of Pâquis invites her; she signs up with the link, logs in, creates a shared space,
posts a photo with its description, follows the repair café of La Jonction, sees its news arrive
over real federation, answers it, and switches the site to English. Every step goes through
labelled, keyboard-reachable controls, the way a person (or a screen reader) finds them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import httpx2
from PIL import Image

from tests.browser.browser_support import (
    PASSWORD,
    LiveInstance,
    new_context,
    poll_until,
    screenshot,
    wait_for_heading,
)
from webui import i18n

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

fr = i18n.translations("fr").gettext
ALT_TEXT = "Des tomates cerises mûres dans un bac du jardin partagé"
NEWS = "Samedi, le Repair Café répare vos vélos et grille-pain"
REPLY = "Merci ! Je viendrai avec ma lampe de chevet"
NEW_PASSWORD = "mon vélo est bleu ciel"


def field(label: str) -> re.Pattern[str]:
    """A field's accessible name: its label, with the "*" of a required field or not."""
    return re.compile(rf"^{re.escape(label)}\s*\*?$")


def small_png(path: Path) -> Path:
    Image.new("RGB", (64, 48), (200, 40, 40)).save(path, format="PNG")
    return path


async def log_in(page: Page, instance: LiveInstance, username: str, password: str) -> None:
    await page.goto(instance.url("/"))
    await page.get_by_role("navigation").get_by_role("link", name=fr("Log in")).click()
    await page.get_by_label(field(fr("Account name"))).fill(username)
    await page.get_by_label(field(fr("Password"))).fill(password)
    await page.get_by_label(field(fr("Password"))).press("Enter")
    await page.wait_for_load_state()
    assert await page.get_by_role("button", name=fr("Log out")).count() == 1, await page.content()


async def admin_creates_an_invitation(browser: Browser, paquis: LiveInstance) -> str:
    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, paquis, "lea", PASSWORD)
    await page.get_by_role("link", name=fr("Administration")).click()
    await screenshot(page, "admin")
    await page.get_by_role("link", name=fr("Invitations"), exact=True).click()
    await page.get_by_role("button", name=fr("Create the invitation")).click()
    link = await page.get_by_label(fr("Invitation link")).input_value()
    await context.close()
    assert link.startswith(paquis.url("/invite/")), link
    return link


def followers_of(instance: LiveInstance, name: str) -> int:
    response = httpx2.get(
        instance.url(f"/@{name}/followers"), headers={"Accept": "application/activity+json"}
    )
    total: int = response.json().get("totalItems", 0)
    return total


def publish_by_c2s(instance: LiveInstance, username: str, audience: str | None, text: str) -> None:
    note: dict[str, object] = {
        "type": "Note",
        "content": text,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [instance.url(f"/@{username}/followers")],
    }
    if audience is not None:
        note["audience"] = instance.url(f"/@{audience}")
        note["cc"] = [instance.url(f"/@{username}/followers"), note["audience"]]
    response = httpx2.post(
        instance.url(f"/@{username}/outbox"),
        content=json.dumps(note),
        headers={
            "Authorization": f"Bearer {instance.token(username)}",
            "Content-Type": "application/activity+json",
        },
    )
    assert response.status_code == 201, response.text


async def test_a_new_resident_joins_posts_follows_another_quartier_and_replies(
    browser: Browser, paquis: LiveInstance, jonction: LiveInstance, tmp_path: Path
) -> None:
    # Given an invitation made by Léa on the admin pages of Pâquis
    invitation = await admin_creates_an_invitation(browser, paquis)
    context = await new_context(browser)
    page = await context.new_page()

    # When Inès opens the link and signs up
    await page.goto(invitation)
    assert await page.get_attribute("html", "lang") == "fr"
    await screenshot(page, "signup")
    await page.get_by_label(fr("Your name on the instance")).fill("ines")
    await page.get_by_label(field(fr("Password"))).fill(NEW_PASSWORD)
    await page.get_by_label(fr("Password again")).fill(NEW_PASSWORD)
    await page.get_by_role("button", name=fr("Create my account")).click()
    await page.wait_for_load_state()

    # Then she is in; she logs out and back in
    await page.get_by_role("button", name=fr("Log out")).click()
    await page.wait_for_load_state()
    await page.goto(paquis.url("/login"))
    await screenshot(page, "login")
    await log_in(page, paquis, "ines", NEW_PASSWORD)

    # When she creates a shared space with its place
    await page.get_by_role("navigation").get_by_role("link", name=fr("Collectives")).click()
    await page.get_by_role("link", name=fr("Create a collective")).click()
    await page.get_by_label(fr("Short name (for the address)")).fill("potager-zurich")
    await page.get_by_label(field(fr("Name"))).fill("Potager de la rue de Zurich")
    await page.get_by_label(fr("Kind")).select_option(label=fr("Shared space"))
    await page.get_by_label(fr("Name of the place")).fill("Cour de l'école de Zurich")
    await page.get_by_label(fr("Street and number")).fill("Rue de Zurich 29")
    await page.get_by_label(fr("Postal code")).fill("1201")
    await page.get_by_role("button", name=fr("Create the collective")).click()
    await page.wait_for_load_state()

    # Then its page shows it, with its place
    # (the form answers with a redirect: wait for the new page rather than count at once; the
    # instance is shared by the browser tests, so the name is one no other test takes)
    await wait_for_heading(page, "Potager de la rue de Zurich")
    assert await page.get_by_role("heading", name="Potager de la rue de Zurich").count() >= 1
    assert await page.get_by_text("Rue de Zurich 29").count() >= 1
    await screenshot(page, "collective")

    # When she writes a post with a photo and its description
    await page.goto(paquis.url("/compose"))
    await page.get_by_label(fr("Your message")).fill("Premières tomates au jardin #pâquis")
    image_label = fr("Add a photo (optional)")
    await page.get_by_label(field(image_label)).set_input_files(small_png(tmp_path / "tomates.png"))
    # (the chosen photo is shown under its field before anything is sent)
    preview = page.locator(".image-preview").first
    await preview.wait_for()
    assert await preview.evaluate("image => image.complete && image.naturalWidth > 0")
    alt_label = fr("Description of image %(number)d (required with the image)") % {"number": 1}
    await page.get_by_label(alt_label).fill(ALT_TEXT)
    await screenshot(page, "compose")
    await page.get_by_role("button", name=fr("Publish"), exact=True).click()
    await page.wait_for_load_state()

    # Then the post shows the image with its description
    image = page.get_by_role("img", name=ALT_TEXT)
    assert await image.count() == 1
    assert await image.get_attribute("alt") == ALT_TEXT

    # When she finds the repair café of La Jonction by its address and follows it
    handle = f"@repair@{jonction.domain}"
    await page.get_by_role("navigation").get_by_role("link", name=fr("Search")).click()
    search_box = page.get_by_label(fr("Words, @name@server or an address (URL)"))
    await search_box.fill(handle)
    await search_box.press("Enter")
    await page.wait_for_load_state()
    await page.get_by_role("button", name=fr("Follow")).click()
    await page.wait_for_load_state()

    async def jonction_knows_the_follower() -> bool:
        return followers_of(jonction, "repair") >= 1

    await poll_until(jonction_knows_the_follower, "the Follow accepted on jonction")

    # And Marc then publishes in the repair café on La Jonction
    publish_by_c2s(jonction, "marc", "repair", NEWS)

    # Then the news arrives in her feed on Pâquis
    async def news_in_feed() -> bool:
        await page.goto(paquis.url("/home"))
        return await page.get_by_text(NEWS).count() > 0

    await poll_until(news_in_feed, "the repair café's news in the home feed of Pâquis")
    await screenshot(page, "home-timeline")

    # When she replies to it
    card = page.locator("article.post-card", has_text=NEWS)
    await card.get_by_role("link", name=fr("Reply")).click()
    await page.get_by_label(fr("Your message")).fill(REPLY)
    await page.get_by_role("button", name=fr("Publish the reply")).click()
    await page.wait_for_load_state()

    # Then her answer is in the thread, under the news
    await page.goto(paquis.url("/home"))
    await page.locator("article.post-card", has_text=NEWS).locator("a.post-date").click()
    await page.wait_for_load_state()
    replies = page.locator(".thread-replies")
    assert await replies.get_by_text(REPLY).count() == 1
    await screenshot(page, "post-thread")
    await page.get_by_role("navigation").get_by_role("link", name=fr("Notifications")).click()
    await screenshot(page, "notifications")

    # When she switches the site to English with the footer link
    await page.get_by_role("contentinfo").get_by_role("link", name="English").click()
    await page.wait_for_load_state()

    # Then the site speaks English
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.get_by_role("link", name="My feed").count() == 1
    assert re.search(r"Notifications", await page.title())
    await context.close()


async def test_a_reply_makes_a_thread_and_a_notification(
    browser: Browser, paquis: LiveInstance
) -> None:
    # Given Noé's post on Pâquis, published from an app (C2S)
    paquis.create_account("noe", name="Noé")
    publish_by_c2s(paquis, "noe", None, "Qui a une échelle à prêter samedi ?")
    context = await new_context(browser)
    page = await context.new_page()

    # When Léa finds it in the neighbourhood's timeline and replies
    await log_in(page, paquis, "lea", PASSWORD)
    await page.get_by_role("navigation").get_by_role("link", name=fr("Neighbourhood")).click()
    card = page.locator("article.post-card", has_text="une échelle")
    await card.get_by_role("link", name=fr("Reply")).click()
    await page.get_by_label(fr("Your message")).fill("J'en ai une de trois mètres")
    await page.get_by_role("button", name=fr("Publish the reply")).click()
    await page.wait_for_load_state()

    # Then the thread shows the reply under the post, and her feed has it
    await page.goto(paquis.url("/local"))
    await page.locator("article.post-card", has_text="une échelle").locator("a.post-date").click()
    await page.wait_for_load_state()
    assert await page.locator(".thread-replies").get_by_text("trois mètres").count() == 1
    await screenshot(page, "post-thread")
    async with page.expect_navigation():
        await page.get_by_role("navigation").get_by_role("link", name=fr("My feed")).click()
    assert await page.get_by_text("trois mètres").count() >= 1
    await screenshot(page, "home-timeline")
    await context.close()

    # And Noé is told about the reply
    context = await new_context(browser)
    page = await context.new_page()
    await log_in(page, paquis, "noe", PASSWORD)
    async with page.expect_navigation():  # counted on the notifications, not the page before
        await page.get_by_role("navigation").get_by_role("link", name=fr("Notifications")).click()
    assert await page.get_by_text("Léa").count() >= 1
    await screenshot(page, "notifications")
    await context.close()
