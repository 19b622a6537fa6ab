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


# Pages call queries and services: the web layer holds forms, sessions, i18n, templates and
# rendering, and runs no SQL of its own. A module that still does is named here with the move
# that removes it; the list only shrinks (empty today).
SQL_IN_PAGES: frozenset[str] = frozenset()

SESSION_CALLS = frozenset({"execute", "scalar", "scalars", "get", "add", "delete", "merge"})


def type_only_imports(tree: ast.AST) -> set[ast.AST]:
    """The imports under ``if TYPE_CHECKING:``: a page may name a session's type, not open one."""
    return {
        node
        for block in ast.walk(tree)
        if isinstance(block, ast.If)
        and isinstance(block.test, ast.Name)
        and block.test.id == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }


def runs_sql(source: str) -> bool:
    """Whether a module imports ``sqlalchemy`` or calls the database through a ``session``."""
    tree = ast.parse(source)
    type_only = type_only_imports(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node in type_only
            and node.module == "sqlalchemy.ext.asyncio"
            and all(alias.name == "AsyncSession" for alias in node.names)
        ):
            continue
        if isinstance(node, ast.Import):
            if any(alias.name.split(".")[0] == "sqlalchemy" for alias in node.names):
                return True
        elif isinstance(node, ast.ImportFrom):
            if not node.level and (node.module or "").split(".")[0] == "sqlalchemy":
                return True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if (
                isinstance(owner, ast.Name)
                and owner.id == "session"
                and node.func.attr in SESSION_CALLS
            ):
                return True
    return False


def test_pages_run_no_sql_of_their_own() -> None:
    # Given every module of the web layer
    modules = {
        name: path for name, path in project_modules().items() if name.split(".")[0] == "webui"
    }

    # When those importing sqlalchemy or calling a database session are taken
    touching = {name for name, path in modules.items() if runs_sql(path.read_text("utf-8"))}

    # Then each is one not moved yet, and every one listed still does
    assert sorted(touching - SQL_IN_PAGES) == [], "pages call queries and services instead"
    assert sorted(SQL_IN_PAGES - touching) == [], "moved: delete these from SQL_IN_PAGES"


def test_the_sql_check_sees_imports_and_session_calls() -> None:
    # Given sources that reach the database in each way a page could, and one that does not
    reaching = [
        "from sqlalchemy import select",
        "import sqlalchemy.exc",
        "async def f(session):\n    return await session.get(Actor, 1)",
        "async def f(session):\n    session.add(row)",
        "if TYPE_CHECKING:\n    from sqlalchemy import select",
    ]
    clean = (
        "if TYPE_CHECKING:\n    from sqlalchemy.ext.asyncio import AsyncSession\n"
        "async def f(session: AsyncSession):\n    return await actor_page(session, 'ana')"
    )

    # Then the check finds the first ones and not the last
    assert [runs_sql(source) for source in reaching] == [True] * 5
    assert not runs_sql(clean)


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
