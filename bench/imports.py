"""Imports benchmark: a company's asset register brought in from XLSX through the HTTP API
(upload, dry run, apply), against a bare ``COPY`` of the same rows in the same run.

1. generate (seeded): ``--assets`` assets on ``--assets / 5`` sites of ``--assets / 50``
   customers, as three XLSX workbooks written by XlsxWriter (what a spreadsheet program saves);
2. import them in order (customers, sites, assets): each file uploaded to ``POST /imports``
   (read, every row checked, the checked rows stored), then applied with
   ``POST /imports/<id>/apply`` (the job runs inline: no Redis, so the time is the job's own,
   not a queue's); the whole is timed, and every import must end ``applied`` with every row
   inserted;
3. re-import the assets file: every row must come back ``unchanged`` (timed and shown, not in
   the RESULT);
4. the baseline: the same rows, already as text, ``COPY``-ed into bare tables of text columns
   (no checks, no keys, no geometry) on one connection.

    .venv/bin/python bench/imports.py --quick        # 10,000 assets, seconds
    .venv/bin/python bench/imports.py                # 100,000 assets

Ends with ``RESULT imports seconds=<first import, all three files> rows_per_s=<rows of the
three files / seconds> copy_rows_per_s=<the same rows by bare COPY> ratio=<copy_rows_per_s /
rows_per_s>``. Target: seconds <= 60 for 100,000 assets.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import xlsxwriter
from sqlalchemy import create_engine, text

from backend import create_app
from backend.accounts.operations import create_user
from backend.accounts.sessions import start_session
from backend.config import Config
from backend.db import db, utcnow
from backend.imports.entities import ENTITIES
from bench.common import bench_database_url, recreate_database, result_line

DEFAULT_URL = bench_database_url("imports")
MODELS = [
    f"{make} {n}" for make in ("Vaillant", "Carrier", "Otis", "Daikin", "Bosch") for n in range(8)
]


def generate(assets: int, seed: int) -> dict[str, list[list[Any]]]:
    """The three files' rows (header first), seeded."""
    rnd = random.Random(seed)
    n_sites = max(1, assets // 5)
    n_customers = max(1, assets // 50)
    customers = [ENTITIES["customers"].names] + [
        [f"C{i:06d}", f"Customer {i}", f"ops{i}@customer{i}.example", f"+44 20 {i:07d}"]
        for i in range(n_customers)
    ]
    sites = [ENTITIES["sites"].names] + [
        [
            f"S{i:07d}",
            f"C{i % n_customers:06d}",
            f"Site {i}",
            f"{rnd.randint(1, 300)} High Street, Town {i % 997}",
            round(rnd.uniform(49.9, 58.6), 6),
            round(rnd.uniform(-6.0, 1.7), 6),
        ]
        for i in range(n_sites)
    ]
    assets_rows = [ENTITIES["assets"].names] + [
        [
            f"A{i:08d}",
            f"S{rnd.randrange(n_sites):07d}",
            f"Asset {i}",
            rnd.choice(MODELS),
            f"SN-{rnd.getrandbits(40):010x}",
        ]
        for i in range(assets)
    ]
    return {"customers": customers, "sites": sites, "assets": assets_rows}


def xlsx(rows: list[list[Any]]) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("data")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value)
    book.close()
    return buf.getvalue()


def import_file(client: Any, headers: dict[str, str], entity: str, data: bytes) -> dict[str, Any]:
    """Upload, dry run and apply one file; the import as GET answers it afterwards, with the
    seconds of the dry run and of the apply."""
    t = time.perf_counter()
    r = client.post(
        "/api/v1/imports",
        data={"entity": entity, "file": (io.BytesIO(data), f"{entity}.xlsx")},
        headers=headers,
        content_type="multipart/form-data",
    )
    dry_s = time.perf_counter() - t
    body = r.get_json()
    assert r.status_code == 201 and body["status"] == "ready", (r.status_code, body)
    t = time.perf_counter()
    r = client.post(f"/api/v1/imports/{body['id']}/apply", headers=headers)
    assert r.status_code == 202, r.get_json()
    done = client.get(f"/api/v1/imports/{body['id']}", headers=headers).get_json()
    apply_s = time.perf_counter() - t
    assert done["status"] == "applied", done
    return {**done, "dry_s": dry_s, "apply_s": apply_s}


def bare_copy(url: str, files: dict[str, list[list[Any]]]) -> tuple[float, int]:
    """Seconds to COPY the same rows into bare text tables (one connection, one transaction)."""
    engine = create_engine(url)
    lines = {entity: [[str(v) for v in row] for row in rows[1:]] for entity, rows in files.items()}
    total = sum(len(v) for v in lines.values())
    try:
        with engine.begin() as conn:
            raw: Any = conn.connection.driver_connection
            for entity, rows in files.items():
                cols = ", ".join(f"{c} text" for c in rows[0])
                conn.execute(text(f"DROP TABLE IF EXISTS bench_copy_{entity}"))
                conn.execute(text(f"CREATE TABLE bench_copy_{entity} ({cols})"))
            t = time.perf_counter()
            with raw.cursor() as cur:
                for entity, rows in lines.items():
                    with cur.copy(f"COPY bench_copy_{entity} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            seconds = time.perf_counter() - t
            for entity in files:
                conn.execute(text(f"DROP TABLE bench_copy_{entity}"))
    finally:
        engine.dispose()
    return seconds, total


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10,000 assets")
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--assets", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=18)
    args = ap.parse_args(argv)
    if args.quick:
        args.assets = 10_000

    recreate_database(args.database_url)
    files = generate(args.assets, args.seed)
    t = time.perf_counter()
    workbooks = {entity: xlsx(rows) for entity, rows in files.items()}
    sizes = ", ".join(f"{e} {len(b) / 1e6:.1f} MB" for e, b in workbooks.items())
    print(f"workbooks written in {time.perf_counter() - t:.1f}s ({sizes})", flush=True)

    media = tempfile.TemporaryDirectory(prefix="fieldops-bench-imports-")
    cfg = Config(
        DATABASE_URL=args.database_url,
        SECRET_KEY="bench-secret-key-0123456789abcdef-xyz",
        DB_STATEMENT_TIMEOUT_MS=0,
        MEDIA_ROOT=media.name,  # the stored rows of each dry run; removed at the end
    )
    app = create_app(cfg, TESTING=True)
    client = app.test_client()
    with app.app_context():
        admin = create_user(
            email="admin@bench.example", name="a", role="admin", password="bench-pw-1"
        )
        db.session.commit()
        login = start_session(admin, user_agent="bench", now=utcnow())
        headers = {"Authorization": f"Bearer {login['access_token']}"}
        db.session.commit()

    rows = sum(len(r) - 1 for r in files.values())
    t = time.perf_counter()
    for entity, data in workbooks.items():
        done = import_file(client, headers, entity, data)
        expected = len(files[entity]) - 1
        assert done["result"] == {"inserted": expected, "updated": 0, "unchanged": 0}, done
        print(
            f"  {entity}: {expected} rows, dry run {done['dry_s']:.1f}s,"
            f" apply {done['apply_s']:.1f}s",
            flush=True,
        )
    seconds = time.perf_counter() - t

    again = import_file(client, headers, "assets", workbooks["assets"])
    assert again["result"]["unchanged"] == args.assets, again["result"]
    print(
        f"re-import of the assets: all {args.assets} unchanged, dry run {again['dry_s']:.1f}s,"
        f" apply {again['apply_s']:.1f}s",
        flush=True,
    )

    copy_s, copied = bare_copy(args.database_url, files)
    assert copied == rows
    rows_per_s = rows / seconds
    copy_rows_per_s = rows / copy_s
    print(f"bare COPY of the same {rows} rows: {copy_s:.2f}s", flush=True)
    figures = {
        "seconds": seconds,
        "rows_per_s": rows_per_s,
        "copy_rows_per_s": copy_rows_per_s,
        "ratio": copy_rows_per_s / rows_per_s,
    }
    media.cleanup()
    result_line("imports", **figures)
    return figures


if __name__ == "__main__":
    main()
