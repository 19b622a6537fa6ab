"""Start-up time and memory of `quartiers serve` on SQLite, beside a bare Starlette app.

For each run, in a fresh temporary folder: `quartiers init --domain 127.0.0.1:PORT`, `quartiers
demo`, then `quartiers serve`. Measured: the time from process start to the first successful
`GET /` (polled every 20 ms), and the resident memory (VmRSS) of the serving process at rest about
3 s after that first answer, then after 200 more requests to `/`. The same is measured for a
hello-world Starlette app served by uvicorn, the floor our application adds to.

Usage: .venv/bin/python bench/startup.py [--runs 5]
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from support import free_port

POLL_INTERVAL_S = 0.02
START_TIMEOUT_S = 30.0
REST_S = 3.0
REQUESTS = 200
COMMAND_TIMEOUT_S = 120.0
TARGET_FIRST_REQUEST_S = 2.0
TARGET_RSS_MB = 120

BASELINE_APP = """
import sys
import uvicorn, starlette
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

async def home(request):
    return HTMLResponse("<!doctype html><html lang=fr><title>Bonjour</title><p>Bonjour</p></html>")

app = Starlette(routes=[Route("/", home)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


@dataclass(frozen=True)
class Sample:
    first_request_s: float
    rss_mb_rest: float
    rss_mb_after: float
    request_ms_median: float


def clean_env() -> dict[str, str]:
    """This environment without QUARTIERS_* variables, so only the temporary config counts."""
    return {name: value for name, value in os.environ.items() if not name.startswith("QUARTIERS_")}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def get_home(port: int, connection: http.client.HTTPConnection | None = None) -> int:
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/", headers={"Accept": "text/html"})
    response = connection.getresponse()
    response.read()
    return response.status


def wait_for_first_answer(process: subprocess.Popen[bytes], port: int, started: float) -> float:
    deadline = started + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            with closing(connection):
                if get_home(port, connection) == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(POLL_INTERVAL_S)
    raise RuntimeError(f"nothing answered on port {port} within {START_TIMEOUT_S} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def measure(command: list[str], cwd: Path, port: int, env: dict[str, str]) -> Sample:
    with (cwd / "server.log").open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        first_request_s = wait_for_first_answer(process, port, started)
        time.sleep(REST_S)
        rss_rest = rss_mb(process.pid)
        timings: list[float] = []
        with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=5)) as connection:
            for _ in range(REQUESTS):
                before = time.perf_counter()
                status = get_home(port, connection)
                timings.append(time.perf_counter() - before)
                if status != 200:
                    raise RuntimeError(f"GET / answered {status}")
        rss_after = rss_mb(process.pid)
    except RuntimeError:
        sys.stderr.write((cwd / "server.log").read_text(errors="replace")[-2000:])
        raise
    finally:
        stop(process)
    return Sample(first_request_s, rss_rest, rss_after, statistics.median(timings) * 1000)


def run_quartiers(cwd: Path, *arguments: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "quartiers.cli", *arguments],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"quartiers {' '.join(arguments)} failed: {result.stderr.strip()}")
    return time.perf_counter() - started


def measure_quartiers() -> tuple[Sample, float, float]:
    with tempfile.TemporaryDirectory(prefix="quartiers-bench-") as folder:
        cwd = Path(folder)
        port = free_port()
        init_s = run_quartiers(cwd, "init", "--domain", f"127.0.0.1:{port}")
        demo_s = run_quartiers(cwd, "demo")
        command = [sys.executable, "-m", "quartiers.cli", "serve"]
        return measure(command, cwd, port, clean_env()), init_s, demo_s


def measure_baseline() -> Sample:
    with tempfile.TemporaryDirectory(prefix="quartiers-bench-baseline-") as folder:
        port = free_port()
        command = [sys.executable, "-c", BASELINE_APP, str(port)]
        return measure(command, Path(folder), port, clean_env())


def summary(samples: list[Sample], pick: Callable[[Sample], float]) -> tuple[float, float]:
    values = [pick(sample) for sample in samples]
    return statistics.median(values), max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = max(1, parser.parse_args().runs)

    ours: list[Sample] = []
    baseline: list[Sample] = []
    init_times: list[float] = []
    demo_times: list[float] = []
    for run in range(1, runs + 1):
        sample, init_s, demo_s = measure_quartiers()
        ours.append(sample)
        init_times.append(init_s)
        demo_times.append(demo_s)
        baseline.append(measure_baseline())
        print(
            f"run {run}/{runs}: quartiers {sample.first_request_s:.2f} s "
            f"{sample.rss_mb_rest:.0f} MB; baseline {baseline[-1].first_request_s:.2f} s "
            f"{baseline[-1].rss_mb_rest:.0f} MB",
            file=sys.stderr,
            flush=True,
        )

    metrics: list[tuple[str, Callable[[Sample], float], str]] = [
        ("first GET / after start", lambda s: s.first_request_s, "s"),
        ("RSS at rest (~3 s)", lambda s: s.rss_mb_rest, "MB"),
        (f"RSS after {REQUESTS} GET /", lambda s: s.rss_mb_after, "MB"),
        ("GET / latency (median)", lambda s: s.request_ms_median, "ms"),
    ]
    print(
        f"quartiers serve on SQLite with the demo neighbourhood, {runs} runs "
        f"(Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    print(
        f"{'metric':<26} {'quartiers median':>17} {'max':>8} {'baseline median':>16} "
        f"{'max':>8} {'ratio':>6}"
    )
    for label, pick, unit in metrics:
        our_median, our_max = summary(ours, pick)
        base_median, base_max = summary(baseline, pick)
        print(
            f"{label:<26} {our_median:>14.3f} {unit:<2} {our_max:>8.3f} "
            f"{base_median:>13.3f} {unit:<2} {base_max:>8.3f} {our_median / base_median:>6.2f}"
        )
    print(
        f"{'quartiers init':<26} {statistics.median(init_times):>14.3f} s  {max(init_times):>8.3f}"
    )
    print(
        f"{'quartiers demo':<26} {statistics.median(demo_times):>14.3f} s  {max(demo_times):>8.3f}"
    )

    first_median, first_max = summary(ours, lambda s: s.first_request_s)
    rest_median, rest_max = summary(ours, lambda s: s.rss_mb_rest)
    after_median, after_max = summary(ours, lambda s: s.rss_mb_after)
    base_first = statistics.median(s.first_request_s for s in baseline)
    base_rest = statistics.median(s.rss_mb_rest for s in baseline)
    base_after = statistics.median(s.rss_mb_after for s in baseline)
    figures = {
        "bench": "startup",
        "runs": runs,
        "first_request_s_median": round(first_median, 3),
        "first_request_s_max": round(first_max, 3),
        "rss_mb_rest_median": round(rest_median, 1),
        "rss_mb_rest_max": round(rest_max, 1),
        "rss_mb_after_requests_median": round(after_median, 1),
        "rss_mb_after_requests_max": round(after_max, 1),
        "request_ms_median": round(statistics.median(s.request_ms_median for s in ours), 2),
        "baseline_first_request_s_median": round(base_first, 3),
        "baseline_rss_mb_rest_median": round(base_rest, 1),
        "baseline_rss_mb_after_requests_median": round(base_after, 1),
        "ratio": round(first_median / base_first, 2),
        "rss_ratio": round(rest_median / base_rest, 2),
        "target_first_request_s": TARGET_FIRST_REQUEST_S,
        "target_rss_mb": TARGET_RSS_MB,
        "meets_targets": first_max <= TARGET_FIRST_REQUEST_S and after_max <= TARGET_RSS_MB,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
