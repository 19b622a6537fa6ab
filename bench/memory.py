"""Memory of `quartiers serve` at rest and after a bounded mixed load (goal: ≤ 120 MB at rest,
growth ≤ 10 % after 10 minutes).

An instance is set up in a temporary folder (`quartiers init` + `quartiers demo`) and served as
users run it (in-process workers, signing processes). Its resident memory is read at rest, then
every few seconds while 8 connections read a mix of pages (home, local timeline, agenda,
collectives, map, a search, a missing page) for ``--seconds`` (60 by default, ``--full`` for the ten
minutes of the goal). The signing processes' memory is shown apart. Beside it, the ceiling: a
bare Starlette + uvicorn app, at rest, in the same run.

Usage: .venv/bin/python bench/memory.py [--seconds 60 | --full]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from pathlib import Path

from startup import BASELINE_APP, clean_env, rss_mb, run_quartiers, stop, wait_for_first_answer
from support import free_port, report

GOAL_REST_MB = 120.0
GOAL_GROWTH = 0.10
REST_S = 5.0
SAMPLE_EVERY_S = 5.0
CONNECTIONS = 8
PAGES = ["/", "/local", "/agenda", "/collectives", "/map", "/search?q=repair", "/no-such-page"]


def children_rss_mb(pid: int) -> float:
    """The resident memory of the processes ``pid`` started (its signing processes)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            try:
                total += rss_mb(int(child))
            except (OSError, RuntimeError):
                continue
    return total


def read_pages(port: int, until: float, counts: list[int]) -> None:
    served = 0
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=30)) as connection:
        while time.monotonic() < until:
            connection.request("GET", PAGES[served % len(PAGES)], headers={"Accept": "text/html"})
            connection.getresponse().read()
            served += 1
    counts.append(served)


def measure_serve(seconds: float) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="quartiers-memory-") as folder:
        cwd = Path(folder)
        port = free_port()
        run_quartiers(cwd, "init", "--domain", f"127.0.0.1:{port}")
        run_quartiers(cwd, "demo")
        command = [sys.executable, "-m", "quartiers.cli", "serve"]
        with (cwd / "server.log").open("wb") as log:
            started = time.perf_counter()
            process = subprocess.Popen(
                command, cwd=cwd, env=clean_env(), stdout=log, stderr=subprocess.STDOUT
            )
        try:
            wait_for_first_answer(process, port, started)
            time.sleep(REST_S)
            rest = rss_mb(process.pid)
            signers = children_rss_mb(process.pid)
            until = time.monotonic() + seconds
            counts: list[int] = []
            readers = [
                threading.Thread(target=read_pages, args=(port, until, counts))
                for _ in range(CONNECTIONS)
            ]
            for reader in readers:
                reader.start()
            samples = []
            while time.monotonic() < until:
                time.sleep(SAMPLE_EVERY_S)
                samples.append(rss_mb(process.pid))
            for reader in readers:
                reader.join(timeout=60)
            after = rss_mb(process.pid)
        finally:
            stop(process)
    return {
        "rest_mb": round(rest, 1),
        "after_mb": round(after, 1),
        "peak_mb": round(max(samples, default=after), 1),
        "median_under_load_mb": round(statistics.median(samples or [after]), 1),
        "growth": round(after / rest - 1, 3),
        "signing_processes_mb": round(signers, 1),
        "pages_read": sum(counts),
        "load_seconds": seconds,
    }


def measure_baseline() -> float:
    with tempfile.TemporaryDirectory(prefix="quartiers-memory-baseline-") as folder:
        port = free_port()
        command = [sys.executable, "-c", BASELINE_APP, str(port)]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=folder, env=clean_env())
        try:
            wait_for_first_answer(process, port, started)
            time.sleep(REST_S)
            return round(rss_mb(process.pid), 1)
        finally:
            stop(process)


COLUMNS = [
    ("rest_mb", "at rest MB"),
    ("ceiling_rest_mb", "bare app MB (ceiling)"),
    ("after_mb", "after load MB"),
    ("peak_mb", "peak MB"),
    ("growth", "growth"),
    ("signing_processes_mb", "signers MB"),
    ("pages_read", "pages"),
    ("load_seconds", "load s"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--full", action="store_true", help="the ten minutes of the goal")
    args = parser.parse_args()
    seconds = 600.0 if args.full else args.seconds
    figures = measure_serve(seconds) | {"ceiling_rest_mb": measure_baseline()}
    figures |= {"goal_rest_mb": GOAL_REST_MB, "goal_growth": GOAL_GROWTH}
    title = (
        f"memory of `quartiers serve`: at rest, then {seconds:g} s of {CONNECTIONS} connections "
        f"reading pages; goal ≤ {GOAL_REST_MB:g} MB at rest, growth ≤ {GOAL_GROWTH:.0%}"
    )
    report("memory", title, [figures], COLUMNS)


if __name__ == "__main__":
    main()
