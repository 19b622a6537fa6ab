"""Running the real ``quartiers`` command in subprocesses, and a server on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx2

COMMAND_TIMEOUT = 60.0
SERVER_START_TIMEOUT = 60.0  # a loaded machine takes over 15 s to start it


def quartiers_env(**overrides: str) -> dict[str, str]:
    """The test runner's environment without any QUARTIERS_* variable, plus ``overrides``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("QUARTIERS_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def run_quartiers(
    cwd: Path, *arguments: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quartiers.cli", *arguments],
        cwd=cwd,
        input=stdin,
        env=env or quartiers_env(),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 1 and exactly one ``quartiers: error:`` line on stderr, without a traceback."""
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("quartiers: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def query_sqlite(database: Path, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute(sql, parameters).fetchall()


@contextmanager
def serving(cwd: Path, port: int, *arguments: str) -> Iterator[subprocess.Popen[bytes]]:
    """``quartiers serve`` listening on ``port``; answers ``/`` when entered; stopped when left."""
    log_path = cwd / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "quartiers.cli", "serve", *arguments],
            cwd=cwd,
            env=quartiers_env(QUARTIERS_SERVER_BIND_PORT=str(port)),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/", process, log_path)
        yield process
    finally:
        stop(process)


def wait_until_answering(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    with httpx2.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = log_path.read_text(errors="replace")
                raise AssertionError(f"the server exited with {process.returncode}: {output}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.05)
    raise AssertionError(f"{url} did not answer within {SERVER_START_TIMEOUT} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
