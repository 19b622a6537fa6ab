"""Accessibility of the main pages in a real browser: contrast, landmarks and names, keyboard.

Every page of the list below is opened in Chromium and checked for:

* contrast AA (WCAG 2.1): each visible text against its effective background, 4.5:1 (3:1 for
  large text), field placeholders too, and the focus ring against what surrounds it (3:1);
* landmarks and names: one ``main``, a banner, named ``nav``s, one ``h1``, ``alt`` on every
  image, a label for every field, a name for every link and button, ``html[lang]``;
* the keyboard alone: the skip link first, which moves focus to ``main``; then every link,
  button and field of ``main`` in DOM order, without a trap, each with a visible focus ring;
* a phone (390×844): nothing wider than the screen.

And on ``/login``, a person logs in with the keyboard only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx2
import pytest
import pytest_asyncio

from tests.browser.browser_support import PASSWORD, LiveInstance, launched_browser, new_context
from webui import i18n

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from playwright.async_api import Browser, BrowserContext, Page

# One Chromium for the whole module (a fresh context, without cookies, for every page).
pytestmark = pytest.mark.asyncio(loop_scope="module")

fr = i18n.translations("fr").gettext
USERNAME = "nora"
COLLECTIVE = "atelier"
COLLECTIVE_NAME = "Atelier couture de la Jonction"
NEWS = "Vendredi, on raccommode ensemble à la Jonction #couture"
EVENT_TITLE = "Soirée raccommodage"
TILES = "https://tile.openstreetmap.org/**"
GENEVA = ZoneInfo("Europe/Zurich")
MAX_EXTRA_TABS = 8
SEGMENT_TABS = 12  # the parts of the date fields (day, month, year, hours, minutes)
PHONE_WIDTH = 390

# --- in-page scripts ---------------------------------------------------------------------

COLOUR_HELPERS = """
const parse = (value) => {
  const m = value.match(/rgba?\\(([^)]+)\\)/);
  if (!m) return [0, 0, 0, 0];
  const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
};
const over = (top, bottom) => {
  const a = top[3];
  return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
};
const luminance = (rgb) => {
  const [r, g, b] = rgb.slice(0, 3).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const ratio = (a, b) => {
  const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
};
const pageBackground = () => {
  const body = parse(getComputedStyle(document.body).backgroundColor);
  if (body[3] > 0) return over(body, [255, 255, 255, 1]);
  const root = parse(getComputedStyle(document.documentElement).backgroundColor);
  return root[3] > 0 ? over(root, [255, 255, 255, 1]) : [255, 255, 255, 1];
};
/* The background behind an element: its own and its ancestors' colours, blended upwards until
   an opaque one; the page's background under all. */
const backgroundOf = (element) => {
  const layers = [];
  for (let node = element; node && node !== document.documentElement; node = node.parentElement) {
    const colour = parse(getComputedStyle(node).backgroundColor);
    if (colour[3] > 0) layers.push(colour);
    if (colour[3] >= 1) break;
  }
  let result = layers.length && layers[layers.length - 1][3] >= 1 ? null : pageBackground();
  for (let i = layers.length - 1; i >= 0; i--) {
    result = result ? over(layers[i], result) : layers[i];
  }
  return result;
};
const describe = (element) => {
  let text = element.tagName.toLowerCase();
  if (element.id) text += "#" + element.id;
  if (element.classList.length) text += "." + [...element.classList].join(".");
  const parent = element.parentElement;
  if (parent && parent !== document.body) {
    let up = parent.tagName.toLowerCase();
    if (parent.classList.length) up += "." + [...parent.classList].join(".");
    text = up + " > " + text;
  }
  return text;
};
const shown = (element) => {
  if (!element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
  const rect = element.getBoundingClientRect();
  if (rect.width <= 1 || rect.height <= 1) return false;
  if (rect.right <= 0 || rect.bottom <= 0) return false;
  return true;
};
"""

CONTRAST_SCRIPT = (
    "() => {"
    + COLOUR_HELPERS
    + """
  const problems = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const element = node.parentElement;
    if (!text || !element || seen.has(element)) continue;
    seen.add(element);
    if (element.closest("script, style, noscript, option, [aria-hidden=true]")) continue;
    if (element.closest(":disabled")) continue;
    if (!shown(element)) continue;
    const style = getComputedStyle(element);
    const background = backgroundOf(element);
    const colour = over(parse(style.color), background);
    const size = parseFloat(style.fontSize);
    const bold = parseInt(style.fontWeight, 10) >= 700;
    const large = size >= 24 || (size >= 18.66 && bold);
    const needed = large ? 3 : 4.5;
    const value = ratio(colour, background);
    if (value < needed) {
      problems.push(`${describe(element)} "${text.slice(0, 40)}": ${value.toFixed(2)} < ${needed} ` +
        `(${style.color} on rgb(${background.slice(0, 3).join(", ")}), ${size}px)`);
    }
  }
  for (const field of document.querySelectorAll("input[placeholder], textarea[placeholder]")) {
    if (!field.placeholder.trim() || !shown(field)) continue;
    const background = backgroundOf(field);
    const colour = over(parse(getComputedStyle(field, "::placeholder").color), background);
    const value = ratio(colour, background);
    if (value < 4.5) {
      problems.push(`${describe(field)}::placeholder "${field.placeholder.slice(0, 40)}": ` +
        `${value.toFixed(2)} < 4.5`);
    }
  }
  return problems;
}"""
)

STRUCTURE_SCRIPT = """() => {
  const problems = [];
  const textOf = (id) => {
    const element = document.getElementById(id);
    return element ? element.textContent.trim() : "";
  };
  const labelled = (element) =>
    (element.getAttribute("aria-label") || "").trim() ||
    (element.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean).map(textOf).join(" ");
  const nameOf = (element) => {
    const named = labelled(element);
    if (named) return named;
    const parts = [];
    const walk = (node) => {
      if (node.nodeType === Node.TEXT_NODE) { parts.push(node.textContent); return; }
      if (node.nodeType !== Node.ELEMENT_NODE) return;
      if (node.getAttribute("aria-hidden") === "true") return;
      if (node.tagName === "IMG") { parts.push(node.getAttribute("alt") || ""); return; }
      if (node.tagName === "svg" || node.tagName === "SVG") {
        parts.push(node.getAttribute("aria-label") || ""); return;
      }
      node.childNodes.forEach(walk);
    };
    walk(element);
    return parts.join("").trim() || (element.getAttribute("title") || "").trim() ||
      (element.tagName === "INPUT" ? (element.value || "").trim() : "");
  };
  const describe = (element) => element.outerHTML.slice(0, 120);

  const lang = document.documentElement.getAttribute("lang");
  if (!lang || !lang.trim()) problems.push("html has no lang");
  const mains = document.querySelectorAll("main, [role=main]");
  if (mains.length !== 1) problems.push(`${mains.length} main landmarks, not 1`);
  const banners = [...document.querySelectorAll("header, [role=banner]")]
    .filter((h) => h.getAttribute("role") === "banner" ||
      !h.parentElement.closest("article, aside, main, nav, section"));
  if (banners.length !== 1) problems.push(`${banners.length} banners (page header), not 1`);
  const navs = [...document.querySelectorAll("nav, [role=navigation]")];
  if (!navs.length) problems.push("no nav");
  for (const nav of navs) {
    if (!labelled(nav)) problems.push(`nav without an accessible name: ${describe(nav)}`);
  }
  const h1s = [...document.querySelectorAll("h1")];
  if (h1s.length !== 1) problems.push(`${h1s.length} h1, not 1`);
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`img without alt: ${describe(img)}`);
  }
  const fields = document.querySelectorAll(
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset])" +
    ":not([type=image]), select, textarea");
  for (const field of fields) {
    const byFor = field.id && document.querySelector(`label[for="${CSS.escape(field.id)}"]`);
    const wrapping = field.closest("label");
    if (!(byFor && byFor.textContent.trim()) && !(wrapping && wrapping.textContent.trim()) &&
        !labelled(field)) {
      problems.push(`field without a label: ${describe(field)}`);
    }
  }
  for (const control of document.querySelectorAll(
      "a[href], button, input[type=submit], input[type=button], [role=button], [role=link]")) {
    if (!nameOf(control)) problems.push(`link or button without a name: ${describe(control)}`);
  }
  return problems;
}"""

# Marks the keyboard stops of ``main`` (in DOM order) and returns their keys: a radio group is
# one stop, as Tab goes through it once.
MARK_STOPS_SCRIPT = (
    "() => {"
    + COLOUR_HELPERS
    + """
  const main = document.querySelector("main");
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, " +
    "[tabindex], [contenteditable=true]";
  const keys = [];
  const radios = new Set();
  let index = 0;
  for (const element of main.querySelectorAll(selector)) {
    if (element.disabled || element.tabIndex < 0) continue;
    if (element.tagName === "SUMMARY" && element.parentElement.querySelector("summary") !== element) continue;
    if (element.closest("details:not([open])") && element.tagName !== "SUMMARY") continue;
    if (!element.checkVisibility({ visibilityProperty: true })) continue;
    let key;
    if (element.type === "radio" && element.name) {
      key = "radio:" + element.name;
      if (radios.has(key)) { element.dataset.a11yStop = key; continue; }
      radios.add(key);
    } else {
      key = `${index++}:${describe(element)}`;
    }
    element.dataset.a11yStop = key;
    keys.push(key);
  }
  return keys;
}"""
)

# Where the focus is, and how it shows: the key of the element, whether it is in ``main``, and
# its focus indicator (outline or box-shadow) with the outline's contrast against its background.
FOCUS_SCRIPT = (
    "() => {"
    + COLOUR_HELPERS
    + """
  const element = document.activeElement;
  if (!element || element === document.body) return { key: null, inMain: false };
  const style = getComputedStyle(element);
  const outlineWidth = parseFloat(style.outlineWidth) || 0;
  const hasOutline = style.outlineStyle !== "none" && outlineWidth > 0;
  const hasShadow = style.boxShadow && style.boxShadow !== "none";
  let contrast = null;
  if (hasOutline) {
    const around = backgroundOf(element.parentElement || element);
    contrast = ratio(over(parse(style.outlineColor), around), around);
  }
  return {
    key: element.dataset.a11yStop || null,
    inMain: !!element.closest("main"),
    segmented: ["date", "time", "datetime-local", "month", "week"].includes(element.type),
    what: describe(element),
    text: (element.textContent || element.value || "").trim().slice(0, 40),
    visible: hasOutline || !!hasShadow,
    indicator: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} / ${style.boxShadow}`,
    contrast,
  };
}"""
)


# --- the pages ---------------------------------------------------------------------------


@dataclass
class Site:
    instance: LiveInstance
    post_path: str
    event_path: str | None = None
    cookies: list[Any] | None = None


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium_executable: str) -> AsyncIterator[Browser]:
    async with launched_browser(chromium_executable) as shared:
        yield shared


@pytest.fixture(scope="module")
def site(jonction: LiveInstance) -> Iterator[Site]:
    """Nora of La Jonction, her collective, and a public post of hers (by C2S)."""
    jonction.create_account(USERNAME, name="Nora")
    jonction.create_group(COLLECTIVE, "space", USERNAME, COLLECTIVE_NAME)
    note = {
        "type": "Note",
        "content": NEWS,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    response = httpx2.post(
        jonction.url(f"/@{USERNAME}/outbox"),
        content=json.dumps(note),
        headers={
            "Authorization": f"Bearer {jonction.token(USERNAME)}",
            "Content-Type": "application/activity+json",
        },
    )
    assert response.status_code == 201, response.text
    yield Site(jonction, post_path="")


async def log_in_by_keyboard(page: Page, instance: LiveInstance) -> None:
    """Tab to each field of /login, type, press Enter: no mouse."""
    await page.goto(instance.url("/login"))
    for field_id, text in (("field-username", USERNAME), ("field-password", PASSWORD)):
        for _ in range(40):
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement.id") == field_id:
                break
        else:
            raise AssertionError(f"#{field_id} not reached with Tab")
        await page.keyboard.type(text)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await page.wait_for_load_state()


async def logged_in(browser: Browser, site: Site, *, phone: bool = False) -> Page:
    """A page of Nora's: logged in by the keyboard once, then with the same session cookie."""
    context = await new_context(browser, phone=phone)
    await context.route(TILES, lambda route: route.abort())
    page = await context.new_page()
    if site.cookies is None:
        await log_in_by_keyboard(page, site.instance)
        assert await page.get_by_role("button", name=fr("Log out")).count() == 1, page.url
        site.cookies = await context.cookies()
    else:
        await context.add_cookies(site.cookies)
    return page


async def post_path(page: Page, site: Site) -> str:
    if not site.post_path:
        await page.goto(site.instance.url("/local"))
        card = page.locator("article.post-card", has_text=NEWS).first
        href = await card.locator("a.post-date").get_attribute("href")
        assert href, "the post's card has no link to its page"
        site.post_path = href
    return site.post_path


async def event_path(page: Page, site: Site) -> str:
    """An event of Nora's tomorrow evening, through the event form."""
    if site.event_path is None:
        tomorrow = (datetime.now(GENEVA) + timedelta(days=1)).date().isoformat()
        await page.goto(site.instance.url("/events/new"))
        await page.locator("#field-title").fill(EVENT_TITLE)
        await page.locator("#field-start").fill(f"{tomorrow}T19:00")
        await page.locator("#field-place_name").fill("Maison de quartier de la Jonction")
        button = page.get_by_role("button", name=fr("Publish the event"), exact=True)
        await button.focus()
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert re.search(r"/events/[0-9a-f-]{36}$", page.url), (page.url, await page.content())
        site.event_path = page.url.removeprefix(site.instance.base_url)
    return site.event_path


PUBLIC = {
    "home": "/",
    "local": "/local",
    "collectives": "/collectives",
    "collective": f"/@{COLLECTIVE}",
    "agenda": "/agenda",
    "agenda-month": "/agenda?view=month",
    "search": "/search?q=raccommode",
    "map": "/map",
    "login": "/login",
    "signup": "/signup",
}
PRIVATE = {
    "compose": "/compose",
    "new-event": "/events/new",
    "settings": "/settings",
    "my-events": "/calendar",
    "notifications": "/notifications",
    "my-feed": "/home",
    "profile": f"/@{USERNAME}",
    "post": None,
    "event": None,
}
# Nora's pages first: her event is then in the agenda and on the map of the public ones.
PAGES = [*PRIVATE, *PUBLIC]


async def open_page(browser: Browser, site: Site, name: str, *, phone: bool = False) -> Page:
    if name in PUBLIC:
        context: BrowserContext = await new_context(browser, phone=phone)
        await context.route(TILES, lambda route: route.abort())
        page = await context.new_page()
        path = PUBLIC[name]
    else:
        page = await logged_in(browser, site, phone=phone)
        if name == "post":
            path = await post_path(page, site)
        elif name == "event":
            path = await event_path(page, site)
        else:
            path = PRIVATE[name] or ""
    response = await page.goto(site.instance.url(path))
    assert response is not None and response.status == 200, f"{name}: {path} → {response}"
    await page.wait_for_load_state("load")
    return page


# --- the checks --------------------------------------------------------------------------


async def check_contrast(page: Page, name: str) -> list[str]:
    problems: list[str] = await page.evaluate(CONTRAST_SCRIPT)
    return [f"{name}: contrast: {problem}" for problem in problems]


async def check_structure(page: Page, name: str) -> list[str]:
    problems: list[str] = await page.evaluate(STRUCTURE_SCRIPT)
    return [f"{name}: {problem}" for problem in problems]


async def check_keyboard(page: Page, name: str) -> list[str]:
    """Skip link first, to ``main``; then every stop of ``main`` in order, each with a ring."""
    problems = []
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    await page.keyboard.press("Tab")
    first: dict[str, Any] = await page.evaluate(
        "({cls: document.activeElement.className, href: document.activeElement.getAttribute('href')})"
    )
    if first["cls"] != "skip" or first["href"] != "#main":
        return [f"{name}: the first Tab stop is not the skip link but {first}"]
    focus: dict[str, Any] = await page.evaluate(FOCUS_SCRIPT)
    if not focus["visible"]:
        problems.append(f"{name}: the skip link has no visible focus ({focus['indicator']})")
    await page.keyboard.press("Enter")
    if not await page.evaluate("document.activeElement === document.querySelector('main')"):
        focused = await page.evaluate("document.activeElement.outerHTML.slice(0, 80)")
        return [*problems, f"{name}: the skip link does not move focus to main but {focused}"]

    expected: list[str] = await page.evaluate(MARK_STOPS_SCRIPT)
    if not expected:
        problems.append(f"{name}: nothing to reach with the keyboard in main")
    reached: list[str] = []
    for _ in range(len(expected) + MAX_EXTRA_TABS + SEGMENT_TABS):
        await page.keyboard.press("Tab")
        focus = await page.evaluate(FOCUS_SCRIPT)
        if not focus["inMain"]:
            break
        key = focus["key"] or f"unexpected:{focus['what']}"
        if reached and reached[-1] == key and (key.startswith("radio:") or focus["segmented"]):
            continue  # arrows move within a radio group; Tab within a date's day, month, year
        if key in reached:
            problems.append(f"{name}: focus comes back to {key} (a trap?) after {reached[-3:]}")
            break
        reached.append(key)
        if not focus["visible"]:
            problems.append(
                f"{name}: no visible focus on {focus['what']} {focus['text']!r} "
                f"({focus['indicator']})"
            )
        elif focus["contrast"] is not None and focus["contrast"] < 3:
            problems.append(
                f"{name}: focus ring of {focus['what']} {focus['text']!r} has contrast "
                f"{focus['contrast']:.2f} < 3 ({focus['indicator']})"
            )
    else:
        problems.append(
            f"{name}: still in main after {len(expected) + MAX_EXTRA_TABS + SEGMENT_TABS} Tabs"
        )
    if reached != expected:
        missing = [key for key in expected if key not in reached]
        extra = [key for key in reached if key not in expected]
        problems.append(
            f"{name}: Tab order differs from the DOM order of main; "
            f"missing {missing[:5]}, unexpected {extra[:5]}, reached {len(reached)}/{len(expected)}"
        )
    return problems


@pytest.mark.parametrize("name", PAGES)
async def test_page_is_accessible(browser: Browser, site: Site, name: str) -> None:
    # Given the page, on a computer
    page = await open_page(browser, site, name)

    # Then its text is readable, its structure named, and the keyboard goes everywhere in it
    problems = [
        *await check_contrast(page, name),
        *await check_structure(page, name),
        *await check_keyboard(page, name),
    ]
    await page.context.close()

    # And on a phone, nothing is wider than the screen
    phone = await open_page(browser, site, name, phone=True)
    # (a phone zooms out to show a wider page whole, so the window's width is not the measure)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    if width > PHONE_WIDTH:
        problems.append(f"{name}: {width}px wide on a {PHONE_WIDTH}px phone")
    await phone.context.close()

    assert not problems, "\n".join(problems)


async def test_the_contrast_check_finds_pale_text(browser: Browser) -> None:
    # Given grey text on white (2.85:1), large grey text (3.5:1, enough), grey text on a dark
    # veil, and a pale placeholder
    context = await new_context(browser)
    page = await context.new_page()
    await page.set_content(
        "<style>input::placeholder { color: #bbb }</style>"
        '<main><p style="color:#999">pale</p><h1 style="color:#888;font-size:30px">big</h1>'
        '<p style="background:rgba(0,0,0,.5)"><span style="color:#777">on a veil</span></p>'
        '<input aria-label="x" placeholder="pale hint" style="color:#000"></main>'
    )

    # Then the check names the pale paragraph, the text on the veil and the placeholder only
    problems = await check_contrast(page, "sample")
    await context.close()
    assert len(problems) == 3, problems
    assert '"pale"' in problems[0] and "2.85 < 4.5" in problems[0], problems
    assert '"on a veil"' in problems[1], problems
    assert "::placeholder" in problems[2], problems


async def test_logging_in_with_the_keyboard_only(browser: Browser, site: Site) -> None:
    # Given a visitor on the login page, without a mouse
    context = await new_context(browser)
    page = await context.new_page()

    # When they Tab to their name and password, type them and press Enter
    await log_in_by_keyboard(page, site.instance)

    # Then they are logged in, away from the login page
    assert "/login" not in page.url, page.url
    assert await page.get_by_role("button", name=fr("Log out")).count() == 1, await page.content()
    await context.close()
