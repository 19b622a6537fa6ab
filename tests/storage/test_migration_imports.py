"""A migration runs the code of the day it was written: it imports nothing of the application."""

from __future__ import annotations

import ast
from pathlib import Path

from storage.migrate import MIGRATIONS_DIR

PROJECT_PACKAGES = frozenset(
    {
        "federation",
        "actors",
        "inbox",
        "outbox",
        "commons",
        "storage",
        "webui",
        "quartiers",
        "endpoints",
        "config",
        "instance",
    }
)


def project_imports(source: str) -> list[str]:
    """Every module imported by ``source`` that belongs to the project (at any depth)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]
        else:
            continue
        found += [
            name for name in names if name.startswith(".") or name.split(".")[0] in PROJECT_PACKAGES
        ]
    return found


def test_no_migration_imports_application_code() -> None:
    # Given every migration of the project
    migrations = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
    assert len(migrations) >= 6

    # When their imports are read
    wrong = {
        path.name: imports
        for path in migrations
        if (imports := project_imports(path.read_text(encoding="utf-8")))
    }

    # Then none imports a package of the project
    assert wrong == {}


def test_the_check_sees_an_application_import() -> None:
    # Given sources that import the application in each way Python allows
    sources = [
        "from commons.events.expansion import expand_until",
        "import storage.models.base",
        "def f():\n    from quartiers import progress\n",
        "from . import sibling",
    ]

    # Then each is caught, and a library import is not
    assert all(project_imports(source) for source in sources)
    assert project_imports("import sqlalchemy as sa\nfrom alembic import op") == []
    assert Path(MIGRATIONS_DIR).name == "migrations"
