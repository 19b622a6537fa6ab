"""Resource limits, measured in process through the real application (SQLite).

1. Memory: Python's peak (tracemalloc) while a form upload of ``--upload-mb`` MB and a
   client-to-server body of ``--c2s-mb`` MB stream in without Content-Length; the ceiling
   printed beside them is the cap each must stop at.
2. Event loop: the longest gap between the ticks of a 10 ms ticker while four large PNGs
   (``--side`` × ``--side``·3/4 pixels) are published at once; beside it, the same images
   cleaned on the loop (as before), which is how long the loop would stall.

Usage: ``.venv/bin/python bench/limits.py [--upload-mb 800] [--c2s-mb 300] [--side 6000]``
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import tempfile
import time
import tracemalloc
from base64 import b64encode
from collections.abc import AsyncIterator
from pathlib import Path

from quartiers import event_loop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MEGABYTE = 1024 * 1024
BOUNDARY = "bench-boundary"


async def streamed(prefix: bytes, total: int, suffix: bytes) -> AsyncIterator[bytes]:
    chunk = b"a" * (64 * 1024)
    yield prefix
    for _ in range(total // len(chunk)):
        yield chunk
    yield suffix


def big_png(side: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (side, side * 3 // 4), (200, 220, 240))
    draw = ImageDraw.Draw(image)
    for n in range(0, side, 40):
        draw.line((n, 0, side - n, side), fill=(n % 255, 80, 160), width=7)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False, compress_level=9)
    return buffer.getvalue()


async def peak(call: object) -> tuple[int, int]:
    tracemalloc.start()
    try:
        response = await call  # type: ignore[misc]
        _current, highest = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response.status_code, highest


async def loop_lag_during(work: object) -> float:
    """The longest gap between two ticks of a 10 ms ticker while ``work`` runs."""
    longest = 0.0
    running = True

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            longest = max(longest, now - last - 0.01)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)  # the ticker is ticking before the work starts
    try:
        await work  # type: ignore[misc]
    finally:
        running = False
        await task
    return longest


async def run(args: argparse.Namespace) -> dict[str, float]:
    import httpx2
    from itsdangerous import TimestampSigner

    from actors.services import create_account, create_api_token, ensure_instance_actor
    from commons.media import clean_image
    from config.settings import DatabaseSettings, Settings, WebUISettings
    from quartiers.app import create_app
    from storage import migrate
    from storage.database import Database
    from webui.session import SESSION_COOKIE, open_session_data
    from webui.uploads import form_body_limit

    folder = Path(tempfile.mkdtemp(prefix="quartiers-limits-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite'}"
    settings = Settings(
        database=DatabaseSettings(url=url), webui=WebUISettings(secret_key="b" * 40)
    )
    database = Database(url)
    await migrate.upgrade(database)
    async with database.transaction() as session:
        await ensure_instance_actor(session, settings)
        account = await create_account(session, settings, "amelie", "correct horse battery")
        token = await create_api_token(session, "amelie")
    data = await open_session_data(database, account, csrf="bench")
    cookie = TimestampSigner(settings.webui.secret_key).sign(b64encode(json.dumps(data).encode()))
    app = create_app(settings, database=database, run_workers=False)
    transport = httpx2.ASGITransport(app=app)
    figures: dict[str, float] = {}
    async with httpx2.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        client.cookies.set(SESSION_COOKIE, cookie.decode())
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nbench\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image1"; '
            'filename="x.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        status, upload_peak = await peak(
            client.post(
                "/compose",
                content=streamed(head, args.upload_mb * MEGABYTE, f"\r\n--{BOUNDARY}--".encode()),
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            ),
        )
        figures["upload_status"] = status
        figures["upload_peak_mb"] = upload_peak / MEGABYTE
        figures["upload_cap_mb"] = form_body_limit(4) / MEGABYTE
        status, c2s_peak = await peak(
            client.post(
                "/@amelie/outbox",
                content=streamed(b'{"type": "Note", "content": "', args.c2s_mb * MEGABYTE, b'"}'),
                headers={
                    "Content-Type": "application/activity+json",
                    "Authorization": f"Bearer {token}",
                },
            ),
        )
        figures["c2s_status"] = status
        figures["c2s_peak_mb"] = c2s_peak / MEGABYTE
        figures["c2s_cap_mb"] = settings.federation.max_body_bytes / MEGABYTE

        image = big_png(args.side)
        figures["png_mb"] = len(image) / MEGABYTE

        async def publish(n: int) -> int:
            response = await client.post(
                "/compose",
                data={"csrf_token": "bench", "text": f"Photo {n}", "alt1": "Une photo"},
                files={"image1": (f"p{n}.png", image, "image/png")},
            )
            return response.status_code

        async def four_uploads() -> None:
            statuses = await asyncio.gather(*(publish(n) for n in range(4)))
            figures["four_uploads_ok"] = float(all(code == 303 for code in statuses))

        figures["lag_off_loop_ms"] = 1000 * await loop_lag_during(four_uploads())

        async def four_on_the_loop() -> None:
            for _ in range(4):
                clean_image(image)

        figures["lag_on_loop_ms"] = 1000 * await loop_lag_during(four_on_the_loop())
    await database.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upload-mb", type=int, default=800)
    parser.add_argument("--c2s-mb", type=int, default=300)
    parser.add_argument("--side", type=int, default=6000)
    figures = event_loop.run(run(parser.parse_args()))
    rows = [
        ("form upload, peak Python memory", figures["upload_peak_mb"], figures["upload_cap_mb"]),
        ("C2S body, peak Python memory", figures["c2s_peak_mb"], figures["c2s_cap_mb"]),
        ("longest loop stall, 4 PNGs", figures["lag_off_loop_ms"], figures["lag_on_loop_ms"]),
    ]
    print(f"{'measure':40} {'value':>10} {'ceiling':>10}")
    for name, value, ceiling in rows:
        print(f"{name:40} {value:10.1f} {ceiling:10.1f}")
    print("(memory in MB beside the cap; stall in ms beside the same images cleaned on the loop)")
    print(json.dumps({key: round(value, 2) for key, value in figures.items()}))


if __name__ == "__main__":
    main()
