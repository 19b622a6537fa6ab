"""axe-core on every main page, in each language, on a computer and on a 390 px phone.

axe-core (fetched by ``scripts/fetch_axe.py``, checked against its published integrity) is
injected into each page and run with the WCAG 2.1 A and AA rules: no page may have a single
violation. Each page is also kept as a screenshot,
``artifacts/screenshots/<page>-<desktop|phone>-<lang>.png``, and axe's findings as
``artifacts/axe/<page>-<desktop|phone>-<lang>.json``; on a phone no page is wider than the
screen (the administration pages included, with their menu). The pages that have an easy-to-read
form are checked with it too (``<page>-falc``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx2
import pytest
import pytest_asyncio
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

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "browser" / "vendor" / "axe-core" / "axe.min.js"
FINDINGS = ROOT / "artifacts" / "axe"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGUAGES = [lang for lang in ("fr", "en", "ar") if lang in i18n.SUPPORTED]
SIZES = {"desktop": False, "phone": True}
PHONE_WIDTH = 390
DESKTOP_WIDTH = 1280
GENEVA = ZoneInfo("Europe/Zurich")
TILES = "https://tile.openstreetmap.org/**"
SERIES = "Troc de graines du samedi"
NEWS = "Les premières graines de tomates sont arrivées au jardin #troc"
REPLY = "Merci ! Je passe samedi avec des courges."
PETITION = "Un point d’eau au jardin de la plaine de Plainpalais"

# The page's axe findings as plain data: one entry per violated rule, with its nodes.
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
  return {
    violations: result.violations.map((rule) => ({
      id: rule.id, impact: rule.impact, help: rule.help,
      nodes: rule.nodes.map((node) => ({ target: node.target.join(" "), summary: node.failureSummary })),
    })),
    passes: result.passes.length,
    incomplete: result.incomplete.map((rule) => rule.id),
  };
}"""


def next_saturday() -> datetime:
    today = datetime.now(GENEVA).replace(hour=10, minute=0, second=0, microsecond=0)
    return today + timedelta(days=(5 - today.weekday()) % 7 + 7)


@dataclass
class Garden:
    """Plainpalais: Inès runs it, Malik lives there; their collective, posts and events."""

    instance: LiveInstance
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def plainpalais(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveInstance]:
    instance = prepare_instance(tmp_path_factory.mktemp("axe"), "plainpalais")
    instance.create_account("ines", admin=True, name="Inès")
    instance.create_account("malik", name="Malik")
    instance.create_group("graines", "project", "ines", "Grainothèque de Plainpalais")
    with instance.serving():
        yield instance


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium_executable: str) -> AsyncIterator[Browser]:
    async with launched_browser(chromium_executable) as shared:
        yield shared


async def cookie_of(instance: LiveInstance, username: str) -> dict[str, str]:
    database = instance.database()
    async with database.session() as session:
        account = await session.scalar(select(Account).where(Account.username == username))
    await database.dispose()
    assert account is not None
    return await instance.session_cookie(account)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def garden(plainpalais: LiveInstance) -> Garden:
    """A weekly event of the collective, a post with a reply, an invitation: every main page
    then has its lists, cards and tables filled."""
    result = Garden(plainpalais)
    for name in ("ines", "malik"):
        result.cookies[name] = await cookie_of(plainpalais, name)
    first = next_saturday()
    origin = {"Origin": plainpalais.base_url}
    ines = {result.cookies["ines"]["name"]: result.cookies["ines"]["value"]}
    malik = {result.cookies["malik"]["name"]: result.cookies["malik"]["value"]}
    async with httpx2.AsyncClient(base_url=plainpalais.base_url, cookies=ines) as client:
        response = await client.post("/events/new", data={
            "csrf_token": "browser-test", "organiser": "graines", "title": SERIES,
            "description": "On échange des **graines** et des conseils.",
            "start": first.strftime("%Y-%m-%dT%H:%M"),
            "end": (first + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "timezone": "Europe/Zurich", "category": "atelier", "join_mode": "free",
            "place_name": "Jardin de la plaine de Plainpalais", "repeat": "weekly",
            "comments_enabled": "1",
        }, headers=origin)  # fmt: skip
        assert response.status_code == 303, response.text[:3000]
        result.paths["event"] = response.headers["location"]
        result.paths["event-date"] = (
            f"{result.paths['event']}/occurrences/{first.date().isoformat()}"
        )
        response = await client.post(
            "/compose", data={"csrf_token": "browser-test", "text": NEWS}, headers=origin
        )
        assert response.status_code == 303, response.text[:3000]
        result.paths["post"] = response.headers["location"]
        response = await client.post("/offers/new", data={
            "csrf_token": "browser-test", "author": "graines", "purpose": "offer", "kind": "don",
            "title": "Graines de tomates anciennes", "reciprocity": "exchange",
            "exchange_for": "d'autres graines", "description": "Des **cœurs de bœuf**.",
            "place_name": "Jardin de la plaine de Plainpalais", "unit": "one",
        }, headers=origin)  # fmt: skip
        assert response.status_code == 303, response.text[:3000]
        result.paths["offer"] = response.headers["location"]
        response = await client.post("/offers/new", data={
            "csrf_token": "browser-test", "author": "graines", "purpose": "offer", "kind": "pret",
            "title": "Grelinette du jardin", "reciprocity": "free", "unit": "one",
        }, headers=origin)  # fmt: skip
        assert response.status_code == 303, response.text[:3000]
        bookable = response.headers["location"]
        response = await client.post(f"{bookable}/booking", data={
            "csrf_token": "browser-test", "bookable": "1", "slot_minutes": "1440",
            "max_slots": "3", "ahead_days": "60", "lead_hours": "0", "monthly_quota": "",
            "deposit": "", "weekdays": ["0", "1", "2", "3", "4", "5"], "opens": "",
            "closes": "", "closed": "", "who_may_book": "anyone",
        }, headers=origin)  # fmt: skip
        assert response.status_code == 303, response.text[:3000]
        result.paths["bookable-offer"] = bookable
        response = await client.post(
            "/admin/invitations",
            data={"csrf_token": "browser-test", "max_uses": "3", "valid_days": "7"},
            headers=origin,
        )
        assert response.status_code in (200, 303), response.text[:3000]
    async with httpx2.AsyncClient(base_url=plainpalais.base_url, cookies=malik) as client:
        key = result.paths["post"].rsplit("/", 1)[-1]
        response = await client.post(
            "/compose",
            data={"csrf_token": "browser-test", "text": REPLY, "in_reply_to": key},
            headers=origin,
        )
        assert response.status_code == 303, response.text[:3000]
    result.paths["petition"] = await signed_petition(plainpalais, ines, malik)
    result.paths["petition-facilitated"] = result.paths["petition"]
    result.paths["petition-answered"] = await answered_petition(plainpalais, ines, malik)
    result.paths["poll"] = await voted_poll(plainpalais, ines, malik)
    result.paths["poll-ballot"] = result.paths["poll"]
    result.paths["proposal"] = await answered_proposal(plainpalais, ines, malik)
    return result


async def answered_proposal(
    instance: LiveInstance, ines: dict[str, str], malik: dict[str, str]
) -> str:
    """Malik's proposal to the collective, under study: its page shows the answer, and to Inès,
    who facilitates the collective, the form to answer again."""
    origin = {"Origin": instance.base_url}
    token = {"csrf_token": "browser-test"}
    async with httpx2.AsyncClient(base_url=instance.base_url, cookies=malik) as client:
        response = await client.post("/proposals/new", headers=origin, data={
            **token, "collective": "graines", "title": "Une grainothèque aussi à l’école",
            "text": "Une **boîte à graines** dans le préau, relevée chaque mois.",
        })  # fmt: skip
        assert response.status_code == 303, response.text[:3000]
        path: str = response.headers["location"]
    async with httpx2.AsyncClient(base_url=instance.base_url, cookies=ines) as client:
        response = await client.post(f"{path}/answer", headers=origin, data={
            **token, "status": "evaluating", "answer": "Nous en parlons avec l’école en mai.",
        })  # fmt: skip
        assert response.status_code == 303, response.text[:3000]
    return path


async def voted_poll(instance: LiveInstance, ines: dict[str, str], malik: dict[str, str]) -> str:
    """A poll of the collective, several answers allowed, in which Malik voted: its page shows
    him the results, and to Inès, who facilitates it, the ballot and the way to close it."""
    origin = {"Origin": instance.base_url}
    day = (datetime.now(GENEVA) + timedelta(days=10)).date().isoformat()
    async with httpx2.AsyncClient(base_url=instance.base_url, cookies=ines) as client:
        response = await client.post("/polls/new", data={
            "csrf_token": "browser-test", "collective": "graines", "day": day, "hour": "20:00",
            "question": "Quel samedi pour la grande plantation d’automne au jardin ?",
            "text": "Nous plantons les **bulbes** ensemble.", "multiple": "1",
            "options": "Le 3 octobre\nLe 10 octobre\nLe 17 octobre, s’il ne pleut pas trop",
            "may_vote": "anyone",
        }, headers=origin)  # fmt: skip
        assert response.status_code == 303, response.text[:3000]
        path: str = response.headers["location"]
    async with httpx2.AsyncClient(base_url=instance.base_url, cookies=malik) as client:
        response = await client.post(f"{path}/vote", headers=origin,
                                     data={"csrf_token": "browser-test", "answer": ["0", "2"]})  # fmt: skip
        assert response.status_code == 303, response.text[:3000]
    return path


async def signed_petition(
    instance: LiveInstance, ines: dict[str, str], malik: dict[str, str], title: str = PETITION
) -> str:
    """A petition of the collective that Malik joins, confirms as its second promoter and signs:
    its page then shows its progress, its chart and the signer's button."""
    origin = {"Origin": instance.base_url}
    token = {"csrf_token": "browser-test"}
    async with httpx2.AsyncClient(base_url=instance.base_url, cookies=malik) as client:
        joined = await client.post("/@graines/join", data=token, headers=origin)
        assert joined.status_code == 303, joined.text[:3000]
    database = instance.database()
    async with database.session() as session:
        malik_id = await session.scalar(select(Account.actor_id).where(Account.username == "malik"))
    await database.dispose()
    deadline = (datetime.now(GENEVA) + timedelta(days=40)).date().isoformat()
    async with httpx2.AsyncClient(base_url=instance.base_url, cookies=ines) as client:
        response = await client.post("/petitions/new", data={
            **token, "collective": "graines", "title": title, "goal": "200",
            "text": "Un **robinet** près des potagers, pour arroser sans porter de bidons.",
            "addressee": "Ville de Genève", "deadline": deadline, "may_sign": "anyone",
            "promoters": [str(malik_id)],
        }, headers=origin)  # fmt: skip
        assert response.status_code == 303, response.text[:3000]
        path: str = response.headers["location"]
    async with httpx2.AsyncClient(base_url=instance.base_url, cookies=malik) as client:
        for action in ("confirm", "sign"):
            response = await client.post(f"{path}/{action}", data=token, headers=origin)
            assert response.status_code == 303, response.text[:3000]
    return path


async def answered_petition(
    instance: LiveInstance, ines: dict[str, str], malik: dict[str, str]
) -> str:
    """A second petition, handed over and answered: its page shows the answer, and to Inès,
    who facilitates the collective, the form to correct it."""
    path = await signed_petition(instance, ines, malik, title=f"{PETITION} (bis)")
    origin = {"Origin": instance.base_url}
    async with httpx2.AsyncClient(base_url=instance.base_url, cookies=ines) as client:
        for action, data in (("submitted", {}),
                             ("answer", {"answer": "La Ville installe le **robinet** en avril."})):  # fmt: skip
            response = await client.post(f"{path}/{action}", headers=origin,
                                         data={"csrf_token": "browser-test", **data})  # fmt: skip
            assert response.status_code == 303, response.text[:3000]
    return path


# Who opens each page (None: a visitor) and where it is; "event", "event-date", "offer",
# "bookable-offer" (its calendar of free days), the petitions ("petition" seen by a signer, by a
# facilitator with the form to say it is handed over, and answered), the poll ("poll" with its
# results to a voter, "poll-ballot" to its facilitator), "proposal" (with its answer form) and
# "post" are the garden's.
PAGES: dict[str, tuple[str | None, str]] = {
    "home": (None, "/"),
    "local": (None, "/local"),
    "city": (None, "/city"),
    "collectives": (None, "/collectives"),
    "collective": (None, "/@graines"),
    "agenda": (None, "/agenda"),
    "agenda-month": (None, "/agenda?view=month"),
    "event": ("malik", ""),
    "event-date": ("malik", ""),
    "post": ("malik", ""),
    "map": (None, "/map"),
    "offers": (None, "/offers?scope=city"),
    "offer": ("malik", ""),
    "bookable-offer": (None, ""),
    "new-offer": ("malik", "/offers/new"),
    "petitions": (None, "/petitions"),
    "petition": ("malik", ""),
    "petition-facilitated": ("ines", ""),
    "petition-answered": ("ines", ""),
    "new-petition": ("ines", "/petitions/new"),
    "polls": (None, "/polls"),
    "poll": ("malik", ""),
    "poll-ballot": ("ines", ""),
    "new-poll": ("ines", "/polls/new"),
    "proposals": (None, "/proposals"),
    "proposal": ("ines", ""),
    "new-proposal": ("malik", "/proposals/new"),
    "search": (None, "/search?q=graines"),
    "login": (None, "/login"),
    "signup": (None, "/signup"),
    "my-feed": ("malik", "/home"),
    "profile": ("malik", "/@ines"),
    "compose": ("malik", "/compose"),
    "new-event": ("malik", "/events/new"),
    "settings": ("malik", "/settings"),
    "notifications": ("ines", "/notifications"),
    "my-events": ("malik", "/calendar"),
    "admin": ("ines", "/admin"),
    "admin-signups": ("ines", "/admin/signups"),
    "admin-invitations": ("ines", "/admin/invitations"),
    "admin-accounts": ("ines", "/admin/accounts"),
    "admin-domains": ("ines", "/admin/domains"),
    "admin-blocklists": ("ines", "/admin/blocklists"),
    "admin-health": ("ines", "/admin/health"),
    "admin-reports": ("ines", "/admin/reports"),
    "admin-look": ("ines", "/admin/look"),
}
# The pages that have an easy-to-read form, opened with it (cookie ``falc=1``).
EASY_READ = ["home", "agenda", "event", "collective", "login", "signup"]
EASY_SUFFIX = "-falc"
PAGES |= {name + EASY_SUFFIX: PAGES[name] for name in EASY_READ}


def require_axe() -> None:
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: python scripts/fetch_axe.py --strict")


async def open_page(
    browser: Browser, garden: Garden, name: str, lang: str, *, phone: bool
) -> tuple[BrowserContext, Page]:
    who, path = PAGES[name]
    context = await new_context(browser, phone=phone)
    await context.route(TILES, lambda route: route.abort())
    instance = garden.instance
    await context.add_cookies([{"name": "lang", "value": lang, "url": instance.base_url}])
    if name.endswith(EASY_SUFFIX):
        await context.add_cookies([{"name": "falc", "value": "1", "url": instance.base_url}])
        name = name.removesuffix(EASY_SUFFIX)
    if who is not None:
        await context.add_cookies([garden.cookies[who]])  # type: ignore[list-item]
    page = await context.new_page()
    response = await page.goto(instance.url(path or garden.paths[name]))
    assert response is not None and response.status == 200, f"{name}: {path} → {response}"
    await page.wait_for_load_state("load")
    return context, page


async def axe_findings(page: Page) -> dict[str, Any]:
    await page.add_script_tag(path=str(AXE))
    findings: dict[str, Any] = await page.evaluate(RUN_AXE, WCAG_TAGS)
    return findings


def keep(findings: dict[str, Any], name: str) -> None:
    FINDINGS.mkdir(parents=True, exist_ok=True)
    (FINDINGS / f"{name}.json").write_text(json.dumps(findings, indent=1, ensure_ascii=False))


def described(violations: list[dict[str, Any]], where: str) -> list[str]:
    return [
        f"{where}: {rule['id']} ({rule['impact']}) {rule['help']}: "
        + "; ".join(f"{node['target']} — {node['summary']}" for node in rule["nodes"][:4])
        for rule in violations
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
async def test_no_wcag_violation(browser: Browser, garden: Garden, name: str, lang: str) -> None:
    require_axe()
    problems: list[str] = []
    for size, phone in SIZES.items():
        # Given the page in this language, on a computer or on a phone
        context, page = await open_page(browser, garden, name, lang, phone=phone)
        where = f"{name}-{size}-{lang}"
        await screenshot(page, where)

        # When axe-core checks it against WCAG 2.1 A and AA
        findings = await axe_findings(page)
        keep(findings, where)

        # Then it passes its rules and violates none
        assert findings["passes"] > 0, f"{where}: axe did not run"
        problems += described(findings["violations"], where)

        # And nothing is wider than the screen (a phone would zoom out to show a wider page)
        screen = PHONE_WIDTH if phone else DESKTOP_WIDTH
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width > screen:
            problems.append(f"{where}: {width} px wide on a {screen} px screen")
        await context.close()
    assert not problems, "\n".join(problems)


async def test_axe_finds_the_faults_of_a_broken_page(browser: Browser) -> None:
    require_axe()
    # Given a page with pale text, an image without alt, a field without a label and no lang
    context = await new_context(browser)
    page = await context.new_page()
    await page.set_content(
        '<html><body><main><p style="color:#bbb">pâle</p><img src="data:,">'
        '<input type="text"><a href="/x"></a></main></body></html>'
    )

    # When axe-core checks it
    findings = await axe_findings(page)
    await context.close()

    # Then it names each fault
    found = {rule["id"] for rule in findings["violations"]}
    assert {"color-contrast", "image-alt", "label", "link-name", "html-has-lang"} <= found, found
