"""PWA budget: the engineer app's JS size, its offline start time and the time to sync 200
queued mutations, in real Chromium against a live server.

Run by hand after ``npm run build`` in ``mobile_pwa/`` (this script builds nothing)::

    .venv/bin/python -m bench.pwa [--database-url URL] [--dist mobile_pwa/dist]

It starts ``tests/e2e/server.py`` (its own database, dropped and migrated first), seeds an
engineer with one ticket through the public API, and measures:

* ``engineer_js_gzip_kb`` — gzipped size of every JS file the engineer app (``/app/``) loads:
  the entry and modulepreloads in ``app/index.html``, what they import, and the service worker.
  Fails if Leaflet (dispatcher only) is among them. Budget <= 150 KB.
* ``offline_start_ms`` — the app loaded once online (service worker in control), the network
  cut, a reload: milliseconds from navigation start until the job list is on screen.
  Budget < 1000 ms.
* ``sync_200_ms`` — 200 notes queued offline on one job, network back: milliseconds until the
  pending count reads 0. Budget < 3000 ms.

Ends with ``RESULT pwa engineer_js_gzip_kb=<n> offline_start_ms=<n> sync_200_ms=<n>``.
"""

from __future__ import annotations

import argparse
import gzip
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import bench_database_url, check_ours, mark_database

ROOT = Path(__file__).resolve().parents[1]
BUDGET = {"engineer_js_gzip_kb": 150, "offline_start_ms": 1000, "sync_200_ms": 3000}
IMPORT_RE = re.compile(
    r"""(?:import|from)\s*\(?\s*["'](\.{1,2}/[^"']+\.js|/assets/[^"']+\.js)["']"""
)
LEAFLET_MARKERS = ("leaflet-pane", "leaflet-container", "L.Map")


def engineer_js(dist: Path) -> dict[str, int]:
    """Gzipped bytes of each JS file reachable from the engineer app's HTML (plus its sw.js)."""
    html = (dist / "app" / "index.html").read_text()
    todo = [dist / u.lstrip("/") for u in re.findall(r"""(?:src|href)="(/[^"]+\.js)\"""", html)]
    todo.append(dist / "app" / "sw.js")
    seen: dict[str, int] = {}
    while todo:
        path = todo.pop()
        key = str(path.relative_to(dist))
        if key in seen or not path.is_file():
            continue
        text = path.read_text()
        for marker in LEAFLET_MARKERS:
            if marker in text:
                raise SystemExit(f"Leaflet found in the engineer app's {key} ({marker!r})")
        seen[key] = len(gzip.compress(text.encode(), compresslevel=9))
        for ref in IMPORT_RE.findall(text):
            todo.append(dist / ref.lstrip("/") if ref.startswith("/") else path.parent / ref)
    return seen


def start_server(database_url: str, dist: Path, tmp: Path) -> tuple[subprocess.Popen, str]:
    port_file = tmp / "port"
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.server", "--database-url", database_url,
         "--media", str(tmp / "media"), "--port-file", str(port_file), "--dist", str(dist)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("server did not start:\n" + (tmp / "server.log").read_text()[-3000:])
        time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port_file.read_text().strip()}"


def measure_browser(base: str, runs: int) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, World
    from tests.e2e.helpers import login, pending, wait_controlled, wait_for

    world = World(base)
    eng = world.engineer("Bea Bench")
    tk = world.ticket("Bench: 200 notes", assign_to=eng)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        ctx = browser.new_context(
            base_url=base, viewport=PHONE, service_workers="allow", locale="en-US"
        )
        ctx.set_default_timeout(30_000)
        page = ctx.new_page()
        login(page, eng["email"], eng["password"])
        job = f'a.job[data-ticket="{tk["id"]}"]'
        page.wait_for_selector(job)
        wait_controlled(page)

        # Offline start: reload with no network, navigation start -> job list on screen.
        ctx.set_offline(True)
        starts = []
        for _ in range(runs):
            page.reload(wait_until="commit")
            page.wait_for_selector(job)
            starts.append(page.evaluate("performance.now()"))
        offline_ms = statistics.median(starts)

        # 200 notes queued offline through the UI, then time the sync once online.
        page.locator(job).click()
        page.wait_for_selector("#detail")
        for i in range(200):
            page.fill("#note-body", f"bench note {i + 1}")
            page.click("#add-note")
            # The screen re-renders after each note: wait for it before typing the next one.
            page.wait_for_function(
                f"(window.__fieldops?.pending ?? 0) >= {i + 1}"
                " && document.querySelector('#note-body')?.value === ''"
            )
        wait_for(lambda: pending(page) == 200, timeout=30)
        t0 = time.perf_counter()
        ctx.set_offline(False)
        page.wait_for_function(
            "document.querySelector('#pending-count')?.textContent.startsWith('0 ')",
            polling=10,
            timeout=60_000,
        )
        sync_ms = (time.perf_counter() - t0) * 1000
        browser.close()
    notes = [
        n
        for page_no in (1, 2, 3)
        for n in world.dispatcher.get(
            f"/api/v1/tickets/{tk['id']}/notes", params={"page": page_no, "page_size": 100}
        )
    ]
    if len(notes) != 200:
        raise SystemExit(f"expected 200 notes on the server after sync, found {len(notes)}")
    return offline_ms, sync_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=bench_database_url("pwa"),
        help="dropped and re-created (only if a benchmark created it)",
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "mobile_pwa" / "dist")
    parser.add_argument("--runs", type=int, default=5, help="offline reloads (median reported)")
    ns = parser.parse_args()
    if not (ns.dist / "app" / "index.html").is_file():
        raise SystemExit(f"{ns.dist} is not built: run `npm run build` in mobile_pwa/ first")

    sizes = engineer_js(ns.dist)
    for name, size in sorted(sizes.items()):
        print(f"  {name:45s} {size / 1024:7.1f} KB gz")
    js_kb = sum(sizes.values()) / 1024
    check_ours(ns.database_url)  # the server drops and re-creates it
    with tempfile.TemporaryDirectory(prefix="bench-pwa-") as tmp:
        proc, base = start_server(ns.database_url, ns.dist.resolve(), Path(tmp))
        mark_database(ns.database_url)
        try:
            offline_ms, sync_ms = measure_browser(base, ns.runs)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    values = {"engineer_js_gzip_kb": js_kb, "offline_start_ms": offline_ms, "sync_200_ms": sync_ms}
    over = []
    for key, value in values.items():
        limit = BUDGET[key]
        ok = value <= limit if key == "engineer_js_gzip_kb" else value < limit
        over += [] if ok else [key]
        print(f"{key}: {value:.1f} (budget {limit}) {'ok' if ok else 'OVER BUDGET'}")
    print(
        f"RESULT pwa engineer_js_gzip_kb={js_kb:.1f} offline_start_ms={offline_ms:.0f} "
        f"sync_200_ms={sync_ms:.0f}"
    )
    if over:
        sys.exit(f"over budget: {', '.join(over)}")


if __name__ == "__main__":
    main()
