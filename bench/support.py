"""What the bench scripts share: the repository on the import path, a fresh database per run,
a free port, a server in a process of its own, and the report (a table, then one JSON line).

Import it before the project's modules: ``bench/inbox.py`` would otherwise shadow the
``inbox`` package for a script run from this folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from storage import migrate  # noqa: E402
from storage.database import Database  # noqa: E402

POSTGRES_URL_ENV = "QUARTIERS_TEST_DATABASE_URL"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0

# --- databases ----------------------------------------------------------------------------------


def add_postgres_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--postgres", help=f"PostgreSQL URL (default: ${POSTGRES_URL_ENV})")


def database_kinds(postgres_argument: str | None) -> tuple[list[str], str | None]:
    """SQLite always; PostgreSQL too when a URL is given or set in the environment."""
    postgres = postgres_argument or os.environ.get(POSTGRES_URL_ENV) or None
    return ["sqlite"] + (["postgresql"] if postgres else []), postgres


@asynccontextmanager
async def bench_database(kind: str, postgres: str | None) -> AsyncIterator[Database]:
    """A migrated database of its own: a temporary SQLite file, or a PostgreSQL schema dropped
    at the end."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            database = Database(f"sqlite+aiosqlite:///{folder}/bench.sqlite")
            try:
                await migrate.upgrade(database)
                yield database
            finally:
                await database.dispose()
        return
    assert postgres is not None
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_async_engine(postgres)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(postgres, schema=schema)
    try:
        await migrate.upgrade(database)
        yield database
    finally:
        await database.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


# --- servers ------------------------------------------------------------------------------------


def neighbour_rows(domains: list[str], *, left_out: int = 1) -> list[dict[str, Any]]:
    """``hosts`` rows naming each domain as a neighbour quartier (``Quartier N``), the last
    ``left_out`` of them left out of the city views by the admin: the city pages then label
    every item with its quartier's name and leave those out, as they do in a real city."""
    return [
        {
            "host": domain.split(":", 1)[0],
            "origin": f"http://{domain}",
            "is_neighbour": True,
            "quartier_name": f"Quartier {n}",
            "city": "Genève",
            "in_city_views": n < len(domains) - left_out,
        }
        for n, domain in enumerate(domains)
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def die_with_parent() -> None:
    """In a server started by a bench: exit when the bench that started it is gone (killed by a
    timeout, say), instead of serving on for nobody."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


@asynccontextmanager
async def server_process(
    arguments: Sequence[str], port: int, ready_path: str = "/"
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run ``python ARGUMENTS`` (a server on 127.0.0.1:``port``) until the block ends; ready
    once ``GET ready_path`` gets any answer."""
    process = await asyncio.create_subprocess_exec(sys.executable, *arguments, cwd=ROOT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        async with httpx2.AsyncClient() as client:
            while True:
                try:
                    await client.get(f"http://127.0.0.1:{port}{ready_path}")
                    break
                except httpx2.TransportError:
                    if time.monotonic() > deadline or process.returncode is not None:
                        raise RuntimeError(f"{' '.join(arguments)} did not start") from None
                    await asyncio.sleep(0.05)
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await asyncio.wait_for(process.wait(), timeout=10)


def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    """Wait until something listens on ``port`` (the server ``process`` started)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {START_TIMEOUT_S} s")


@contextmanager
def running(command: list[str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    try:
        wait_listening(port, process)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT_S)


# --- the report ---------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds of these processes (those already gone count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def load_average() -> float:
    """The one-minute load average: the machine is shared, its figures say how much."""
    return round(os.getloadavg()[0], 2)


def _figures(run: Any) -> dict[str, Any]:
    if is_dataclass(run) and not isinstance(run, type):
        return asdict(run)
    return dict(run)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def report(
    bench: str, title: str, runs: Sequence[Any], columns: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """Print ``title``, a table of ``runs`` (``(key, heading)`` columns), then one JSON line:
    the first run's figures, every run under ``runs`` when there are several, and the load
    average. Returns what the JSON line says."""
    figures = [_figures(run) for run in runs]
    rows = [[_cell(figure.get(key, "")) for key, _ in columns] for figure in figures]
    widths = [
        max(len(heading), *(len(row[i]) for row in rows)) if rows else len(heading)
        for i, (_, heading) in enumerate(columns)
    ]
    print(title)
    print("  ".join(heading.rjust(w) for (_, heading), w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    summary: dict[str, Any] = {"bench": bench, **(figures[0] if figures else {})}
    if len(figures) > 1:
        summary["runs"] = figures
    summary["load_average"] = load_average()
    print(json.dumps(summary, ensure_ascii=False))
    return summary
