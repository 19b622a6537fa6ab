"""The layer contract: each package imports only from the layers below it (DESIGN.md's layout).

The order, bottom first, is written once in ``LAYERS``; packages on one line may import each
other. The imports are read from the source with ``ast`` (function-level and type-only imports
included), and any import that climbs up a layer fails, unless ``ALLOWED`` names it: today's
wrong-way imports, each ``(importer module, imported module)``, grouped by the move that removes
it. The list can only shrink: an entry that no longer matches a real import fails as well, so it
is deleted when its import goes.

Run ``python -m tests.test_layers`` for the package import matrix and the mutual pairs.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS: tuple[tuple[str, ...], ...] = (
    ("federation",),  # the protocol, pure: imports nothing of the project
    ("storage",),  # models, engine, migrations
    ("config",),  # settings (today quartiers/settings.py)
    ("actors", "commons"),  # the domain: residents, collectives, neighbourhood objects
    ("instance",),  # the runtime object (today quartiers/instance.py)
    ("inbox", "outbox"),  # receiving and sending, their queues and workers
    ("endpoints", "webui"),  # ActivityPub routes and HTML pages
    ("quartiers",),  # the composition root and the command line
)
LAYER_OF = {package: level for level, packages in enumerate(LAYERS) for package in packages}

ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        # The capped body reader of every route lives in the CLI package; it moves down with
        # the routes' plumbing (`endpoints`) or into `federation`.
        ("inbox.receive", "quartiers.bodies"),
        ("outbox.c2s.routes", "quartiers.bodies"),
        ("webui.csrf", "quartiers.bodies"),
        # Settings are read from the CLI package; they move to `config` (the bottom).
        ("actors.accounts", "quartiers.settings"),
        ("actors.group_profiles", "quartiers.settings"),
        ("actors.documents", "quartiers.settings"),
        ("actors.mail", "quartiers.settings"),
        ("actors.nodeinfo_documents", "quartiers"),
        ("actors.nodeinfo_documents", "quartiers.settings"),
        ("actors.services", "quartiers.settings"),
        ("actors.webfinger_documents", "quartiers.settings"),
        ("webui.pages.accounts", "quartiers.settings"),
        # The runtime `Instance` lives in the CLI package; it moves to `instance`, used only by
        # endpoints, webui and workers.
        ("actors.routes", "quartiers.instance"),
        ("actors.secure_mode", "quartiers.instance"),
        ("commons.event_routes", "quartiers.instance"),
        ("commons.media_routes", "quartiers.instance"),
        ("commons.mentions", "quartiers.instance"),
        ("commons.routes", "quartiers.instance"),
        ("commons.search", "quartiers.instance"),
        ("inbox.context", "quartiers.instance"),
        ("inbox.routes", "quartiers.instance"),
        ("inbox.worker", "quartiers.instance"),
        ("outbox.c2s.actions", "quartiers.instance"),
        ("outbox.c2s.auth", "quartiers.instance"),
        ("outbox.c2s.events", "quartiers.instance"),
        ("outbox.c2s.posts", "quartiers.instance"),
        ("outbox.c2s.routes", "quartiers.instance"),
        ("webui.pages.accounts", "quartiers.instance"),
        ("webui.devices", "quartiers.instance"),
        ("webui.unread", "quartiers.instance"),
        ("webui.pages.sessions", "quartiers.instance"),
        ("webui.pages.admin", "quartiers.instance"),
        ("webui.pages.admin_look", "quartiers.instance"),
        ("webui.look", "quartiers.instance"),
        ("webui.pages.agenda", "quartiers.instance"),
        ("webui.pages.collectives", "quartiers.instance"),
        ("webui.pages.compose", "quartiers.instance"),
        ("webui.pages.event_dates", "quartiers.instance"),
        ("webui.pages.events", "quartiers.instance"),
        ("webui.pages.map_page", "quartiers.instance"),
        ("webui.pages.places", "quartiers.instance"),
        ("webui.pages.posts", "quartiers.instance"),
        ("webui.pages.profiles", "quartiers.instance"),
        ("webui.pages.settings", "quartiers.instance"),
        ("webui.pages.timelines", "quartiers.instance"),
        ("webui.place_picker", "quartiers.instance"),
        ("webui.render", "quartiers.instance"),
        ("webui.routes", "quartiers.instance"),
        ("webui.session", "quartiers.instance"),
        # ActivityPub routes fall back to the HTML page (content negotiation); the routes move to
        # `endpoints/`, the two faces are declared once in quartiers/app.py.
        ("actors.routes", "webui.pages.profiles"),
        ("commons.event_routes", "webui.pages.event_dates"),
        ("commons.event_routes", "webui.pages.events"),
        ("commons.routes", "webui.pages.posts"),
        # Domain services enqueue their activities through the outbox (DESIGN.md's path out); the queue-
        # writing half of outbox/ (activities, enqueue, recipients, redistribution) goes below the
        # domain, or the domain gets a narrow port.
        ("actors.accounts", "outbox.activities"),
        ("actors.accounts", "outbox.enqueue"),
        ("actors.follows", "outbox.activities"),
        ("actors.follows", "outbox.enqueue"),
        ("actors.groups", "outbox.activities"),
        ("actors.groups", "outbox.enqueue"),
        ("commons.event_rsvps", "outbox.activities"),
        ("commons.event_rsvps", "outbox.enqueue"),
        ("commons.events", "outbox.activities"),
        ("commons.events", "outbox.enqueue"),
        ("commons.events", "outbox.recipients"),
        ("commons.post_delivery", "outbox.activities"),
        ("commons.post_delivery", "outbox.enqueue"),
        ("commons.post_delivery", "outbox.recipients"),
        ("commons.post_delivery", "outbox.redistribution"),
        ("commons.reactions", "outbox.activities"),
        ("commons.reactions", "outbox.enqueue"),
        ("commons.rsvp_wire", "outbox.activities"),
        ("commons.rsvp_wire", "outbox.enqueue"),
        ("commons.rsvp_wire", "outbox.recipients"),
        # Routes in domain packages serve the outbox collection; they move to `endpoints/`.
        ("actors.routes", "outbox.collections"),
        ("commons.routes", "outbox.collections"),
        ("commons.routes", "outbox.c2s.auth"),
        ("commons.routes", "outbox.c2s.errors"),
    }
)


def project_modules() -> dict[str, Path]:
    """Module name → file, for every module of the packages (or single modules) in ``LAYERS``."""
    found: dict[str, Path] = {}
    for package in LAYER_OF:
        folder, single = ROOT / package, ROOT / f"{package}.py"
        files = sorted(folder.rglob("*.py")) if folder.is_dir() else [single] * single.exists()
        for path in files:
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(module: str, source: str, known: set[str], *, is_package: bool) -> Iterator[str]:
    """The project modules that ``source`` imports (``from a import b`` is ``a.b`` if a module)."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here[: len(here) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        yield from (target for target in targets if target.split(".")[0] in LAYER_OF)


def cross_package_imports() -> set[tuple[str, str]]:
    """Every (importer, imported) pair of modules in two different top-level packages."""
    modules = project_modules()
    known = set(modules)
    pairs: set[tuple[str, str]] = set()
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        is_package = path.name == "__init__.py"
        for imported in imports_of(module, source, known, is_package=is_package):
            if imported.split(".")[0] != module.split(".")[0]:
                pairs.add((module, imported))
    return pairs


def climbs(importer: str, imported: str) -> bool:
    return LAYER_OF[importer.split(".")[0]] < LAYER_OF[imported.split(".")[0]]


def test_no_import_climbs_up_a_layer_beyond_the_known_ones() -> None:
    # Given every import between packages of the project
    pairs = cross_package_imports()

    # When those going up a layer are taken
    wrong_way = {pair for pair in pairs if climbs(*pair)}

    # Then each is one of today's known ones, and every known one still exists
    assert sorted(wrong_way - ALLOWED) == [], "imports against the layer order (see LAYERS)"
    assert sorted(ALLOWED - wrong_way) == [], "gone: delete these from ALLOWED"


def test_the_contract_sees_a_wrong_way_import_in_any_form() -> None:
    # Given a domain module importing a page, in each way Python allows
    known = {"webui.pages", "webui.pages.posts", "commons.posts"}
    sources = [
        "from webui.pages.posts import thread_page",
        "import webui.pages.posts",
        "from webui.pages import posts",
        "def later():\n    from webui.pages.posts import thread_page\n",
    ]

    # When their imports are read
    found = [
        list(imports_of("commons.posts", source, known, is_package=False)) for source in sources
    ]

    # Then each is the page module, which climbs from the domain to the web layer
    assert found == [["webui.pages.posts"]] * 4
    assert climbs("commons.posts", "webui.pages.posts")
    assert not climbs("webui.pages.posts", "commons.posts")
    assert list(
        imports_of("outbox.c2s", "from .enqueue import x", {"outbox.enqueue"}, is_package=False)
    ) == ["outbox.enqueue"]


def test_every_package_has_a_layer_and_the_order_is_the_design() -> None:
    # Given the top-level packages shipped (pyproject.toml) and the layer order
    # Then each shipped package has its layer, federation at the bottom, the CLI at the top
    shipped = {
        "federation",
        "actors",
        "inbox",
        "outbox",
        "commons",
        "storage",
        "webui",
        "quartiers",
    }
    assert shipped <= set(LAYER_OF)
    assert LAYERS[0] == ("federation",) and LAYERS[-1] == ("quartiers",)


def package_matrix() -> str:
    """Files of each row package importing each column package, then the mutual pairs."""
    modules = project_modules()
    files: dict[tuple[str, str], set[str]] = defaultdict(set)
    for importer, imported in cross_package_imports():
        files[(importer.split(".")[0], imported.split(".")[0])].add(importer)
    present = [package for package in LAYER_OF if any(m.split(".")[0] == package for m in modules)]
    lines = ["| from \\ to | " + " | ".join(present) + " |"]
    lines.append("|---" * (len(present) + 1) + "|")
    for row in present:
        cells = [
            "—" if row == column else str(len(files[(row, column)]) or "·") for column in present
        ]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    mutual = sorted(
        f"{a} ↔ {b}" for (a, b) in files if a < b and files[(a, b)] and files.get((b, a))
    )
    lines.append(f"\nmutual pairs ({len(mutual)}): " + ", ".join(mutual))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(package_matrix() + "\n")
