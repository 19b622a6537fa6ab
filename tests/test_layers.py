"""The layer contract: each package imports only from the layers below it (DESIGN.md's layout).

The order, bottom first, is written once in ``LAYERS``; packages on one line may import each
other, except the pairs kept ``APART``. The imports are read from the source with ``ast``
(function-level and type-only imports included), and any import that climbs up a layer fails,
unless ``ALLOWED`` names it (empty today; an entry must say which move removes it, and one that
no longer matches a real import fails as well).

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
    ("storage",),  # models, engine, migrations, the queues' claims, domain blocks
    ("config",),  # settings, the config file, the URL scheme of actors and objects
    ("outbox",),  # the path out: activities, recipients, the delivery queue and its worker
    ("actors", "commons"),  # the domain: residents, collectives, neighbourhood objects
    ("instance",),  # the runtime object the layers above share
    ("inbox",),  # receiving: the inbox queue, its dispatch table and handlers
    ("endpoints", "webui"),  # ActivityPub routes and HTML pages
    ("quartiers",),  # the composition root and the command line
)
LAYER_OF = {package: level for level, packages in enumerate(LAYERS) for package in packages}

ALLOWED: frozenset[tuple[str, str]] = frozenset()

# Packages of one line that must not import each other all the same: an ActivityPub route never
# renders a page (the two faces of a resource are joined in quartiers/app.py), and pages never
# call a route.
APART: frozenset[tuple[str, str]] = frozenset({("endpoints", "webui"), ("webui", "endpoints")})


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


def test_routes_and_pages_stay_apart() -> None:
    # Given every import between packages of the project
    pairs = cross_package_imports()

    # Then no ActivityPub route imports a page, and no page a route
    across = sorted(
        (importer, imported)
        for importer, imported in pairs
        if (importer.split(".")[0], imported.split(".")[0]) in APART
    )
    assert across == []


def test_the_contract_sees_a_wrong_way_import_in_any_form() -> None:
    # Given a domain module importing a page, in each way Python allows
    known = {"webui.pages", "webui.pages.posts", "commons.posts.services"}
    sources = [
        "from webui.pages.posts import thread_page",
        "import webui.pages.posts",
        "from webui.pages import posts",
        "def later():\n    from webui.pages.posts import thread_page\n",
    ]

    # When their imports are read
    found = [
        list(imports_of("commons.posts.services", source, known, is_package=False))
        for source in sources
    ]

    # Then each is the page module, which climbs from the domain to the web layer
    assert found == [["webui.pages.posts"]] * 4
    assert climbs("commons.posts.services", "webui.pages.posts")
    assert not climbs("webui.pages.posts", "commons.posts.services")
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
