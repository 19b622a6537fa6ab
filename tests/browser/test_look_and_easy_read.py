"""In a real browser, on a computer and on a 390 px phone: an admin gives the neighbourhood its
colour and logo from the administration (whose menu stays compact on a phone, and whose pages
never scroll sideways); a visitor switches to easy to read and back by clicking. Screenshots:
``artifacts/screenshots/look-*.png`` and ``easy-read-*.png``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from PIL import Image
from sqlalchemy import select

from storage.models import Account
from tests.browser.browser_support import (
    LiveInstance,
    launched_browser,
    new_context,
    prepare_instance,
    screenshot,
)
from webui import i18n

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from playwright.async_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.asyncio(loop_scope="module")

fr = i18n.translations("fr").gettext
SIZES = {"desktop": False, "phone": True}
PHONE_WIDTH = 390
ADMIN_MENU_MAX_PX = 130
ADMIN_PAGES = ["/admin", "/admin/signups", "/admin/invitations", "/admin/accounts",
               "/admin/look", "/admin/domains", "/admin/health"]  # fmt: skip


@pytest.fixture(scope="module")
def eaux_vives(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveInstance]:
    instance = prepare_instance(tmp_path_factory.mktemp("look"), "eauxvives")
    instance.create_account("zoe", admin=True, name="Zoé")
    with instance.serving():
        yield instance


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium_executable: str) -> AsyncIterator[Browser]:
    async with launched_browser(chromium_executable) as shared:
        yield shared


async def as_admin(browser: Browser, instance: LiveInstance, *, phone: bool) -> BrowserContext:
    database = instance.database()
    async with database.session() as session:
        account = await session.scalar(select(Account).where(Account.username == "zoe"))
    await database.dispose()
    assert account is not None
    context = await new_context(browser, phone=phone)
    await context.add_cookies([await instance.session_cookie(account)])  # type: ignore[list-item]
    return context


def logo_file(folder: Path) -> Path:
    path = folder / "toits.png"
    Image.new("RGB", (160, 80), (29, 90, 140)).save(path, "PNG")
    return path


async def accent_of(page: Page) -> str:
    value: str = await page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
    )
    return value


@pytest.mark.parametrize("size", list(SIZES))
async def test_an_admin_gives_the_neighbourhood_its_colour_and_logo(
    browser: Browser, eaux_vives: LiveInstance, size: str, tmp_path: Path
) -> None:
    # Given Zoé, admin, on the administration's overview
    context = await as_admin(browser, eaux_vives, phone=SIZES[size])
    page = await context.new_page()
    await page.goto(eaux_vives.url("/admin"))

    # When she opens "Apparence" from the administration menu and asks for a pale yellow
    menu = page.get_by_role("navigation", name=fr("Administration"))
    if SIZES[size]:
        await menu.get_by_text(fr("Administration: %(page)s") % {"page": fr("Overview")}).click()
    await menu.get_by_role("link", name=fr("Look")).click()
    await page.wait_for_load_state()
    await page.get_by_label(fr("My own colour"), exact=True).check()
    await page.locator("#field-custom_accent").fill("#f2b01e")
    await page.get_by_role("button", name=fr("Save the look")).click()
    await page.wait_for_load_state()

    # Then the page refuses it in French, saying why
    assert await page.get_by_text("Cette couleur est trop claire").count() >= 1
    await screenshot(page, f"look-refused-{size}")

    # When she picks the lake blue and a logo with its description
    await page.get_by_label("Bleu du lac").check()
    await page.locator("#field-logo").set_input_files(str(logo_file(tmp_path)))
    await page.get_by_label(fr("What the logo shows (for people who cannot see it)")).fill(
        "Trois toits bleus"
    )
    await page.get_by_role("button", name=fr("Save the look")).click()
    await page.wait_for_load_state()

    # Then every page wears the blue, and the header shows the logo by the name
    assert await page.get_by_text(fr("The neighbourhood's look is saved.")).count() == 1
    await page.goto(eaux_vives.url("/agenda"))
    assert await accent_of(page) == "#1d5a8c"
    logo = page.locator("header .brand img.brand-logo")
    assert await logo.count() == 1
    assert await logo.evaluate("(img) => img.complete && img.naturalWidth > 0")
    await screenshot(page, f"look-blue-{size}")

    # When she goes back to the warm default, without the logo
    await page.goto(eaux_vives.url("/admin/look"))
    await page.get_by_label("Terre cuite").check()
    await page.get_by_label(fr("Remove the logo")).check()
    await page.get_by_role("button", name=fr("Save the look")).click()
    await page.wait_for_load_state()

    # Then the drawn mark is back
    await page.goto(eaux_vives.url("/"))
    assert await page.locator("header .brand svg.brand-mark").count() == 1
    assert await accent_of(page) == "#a3401c"
    await context.close()


async def test_the_administration_on_a_phone(browser: Browser, eaux_vives: LiveInstance) -> None:
    too_wide = []
    for path in ADMIN_PAGES:
        # Given an administration page on a 390 px phone
        context = await as_admin(browser, eaux_vives, phone=True)
        page = await context.new_page()
        await page.goto(eaux_vives.url(path))

        # Then its menu is a compact band above the title, and nothing scrolls sideways
        menu = page.get_by_role("navigation", name=fr("Administration"))
        box = await menu.bounding_box()
        assert box is not None and box["height"] <= ADMIN_MENU_MAX_PX, (path, box)
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE_WIDTH:
            too_wide.append(f"{path}: {width} px")
        await screenshot(page, f"admin{path.replace('/admin', '').replace('/', '-')}-phone")
        await context.close()
    assert not too_wide, too_wide


@pytest.mark.parametrize("size", list(SIZES))
async def test_a_visitor_switches_to_easy_to_read_and_back(
    browser: Browser, eaux_vives: LiveInstance, size: str
) -> None:
    # Given a visitor on the login page
    context = await new_context(browser, phone=SIZES[size])
    page = await context.new_page()
    await page.goto(eaux_vives.url("/login"))
    assert await page.locator(".falc-box").count() == 0

    # When they press "Facile à lire"
    await page.get_by_role("link", name=fr("Easy to read")).click()
    await page.wait_for_load_state()

    # Then the same page opens with its short lines, in larger text
    assert page.url.endswith("/login")
    box = page.get_by_role("region", name=fr("In short"))
    assert await box.get_by_role("listitem").count() == 5
    assert await box.get_by_text("Écrivez votre mot de passe.").count() == 1
    size_px = await box.locator("li").first.evaluate(
        "(li) => parseFloat(getComputedStyle(li).fontSize)"
    )
    assert size_px >= 20, size_px
    await screenshot(page, f"easy-read-login-{size}")

    # And it stays on as they go to the agenda
    await page.goto(eaux_vives.url("/agenda"))
    assert await page.get_by_role("region", name=fr("In short")).count() == 1

    # When they press "Version habituelle", the page is as usual again
    await page.get_by_role("link", name=fr("Usual version")).click()
    await page.wait_for_load_state()
    assert await page.locator(".falc-box").count() == 0
    await context.close()
