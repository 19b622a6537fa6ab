"""The public pages in a real browser: French first, the footer's language switch, a phone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.browser_support import LiveInstance, new_context, screenshot

if TYPE_CHECKING:
    from playwright.async_api import Browser


async def test_home_page_in_french_then_english_by_the_footer_link(
    browser: Browser, paquis: LiveInstance
) -> None:
    # Given a visitor whose browser prefers French
    context = await new_context(browser)
    page = await context.new_page()

    # When they open the home page
    response = await page.goto(paquis.url("/"))

    # Then it is in French, with a skip link as the first stop of the keyboard
    assert response is not None and response.status == 200
    assert await page.get_attribute("html", "lang") == "fr"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent.trim()") == "Aller au contenu"
    await screenshot(page, "home")

    # When they follow the footer's "English" link
    await page.get_by_role("contentinfo").get_by_role("link", name="English").click()

    # Then the same page is in English, and stays so on the next page
    await page.wait_for_load_state()
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.get_by_role("heading", name="Latest news").is_visible()
    await screenshot(page, "home-english")
    await page.goto(paquis.url("/login"))
    assert await page.get_attribute("html", "lang") == "en"
    await context.close()


async def test_home_page_fits_a_phone(browser: Browser, paquis: LiveInstance) -> None:
    # Given a phone-sized screen
    context = await new_context(browser, phone=True)
    page = await context.new_page()

    # When the home page opens
    await page.goto(paquis.url("/"))

    # Then nothing is wider than the screen, and the menu is there
    await screenshot(page, "home-phone")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than a phone"
    assert await page.get_by_role("navigation").count() >= 1
    await context.close()
