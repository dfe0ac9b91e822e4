"""The ``fieldops`` command: serve, worker, db upgrade, seed-demo, create-user."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask import Flask
from redis import Redis

from backend import create_app
from backend.config import Config, InsecureConfig, settings


def _app() -> Flask:
    try:
        return create_app(Config.from_env())
    except InsecureConfig as exc:  # a setting to fix, not a bug: say which, without a traceback
        raise click.ClickException(str(exc)) from None


@click.group()
def main() -> None:
    """fieldops: field-service backend."""


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--create/--no-create", default=True, help="Create the database if missing.")
def db_upgrade(create: bool) -> None:
    """Create the database (and PostGIS) if needed, apply every migration and record the
    connection timeouts as the database's defaults. Uses ``DATABASE_DIRECT_URL`` when set:
    DDL, and creating the database, do not go through a transaction pooler."""
    from backend.migrate import create_database, set_timeouts, upgrade

    cfg = Config.from_env()
    url = cfg.DATABASE_DIRECT_URL or cfg.DATABASE_URL
    if create:
        create_database(url)
    upgrade(url)
    set_timeouts(
        url,
        statement_timeout_ms=cfg.DB_STATEMENT_TIMEOUT_MS,
        idle_in_transaction_timeout_ms=cfg.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    )
    click.echo("database is at the latest migration")


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(["admin", "dispatcher", "engineer"]), required=True)
@click.option("--name", required=True)
def create_user_cmd(email: str, password: str, role: str, name: str) -> None:
    """Create a user account."""
    from backend.accounts.operations import create_user
    from backend.db import db
    from backend.errors import DomainError

    with _app().app_context():
        try:
            user = create_user(email=email, name=name, role=role, password=password)
            db.session.commit()
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"created {user.role} {user.email} ({user.id})")


@main.command("ensure-admin")
def ensure_admin_cmd() -> None:
    """Create the first admin from FIELDOPS_ADMIN_EMAIL / FIELDOPS_ADMIN_PASSWORD (optional
    FIELDOPS_ADMIN_NAME) unless that account exists; never changes an existing account, so a
    deployment can run it on every start."""
    from sqlalchemy import func, select

    from backend.accounts.models import User
    from backend.accounts.operations import create_user
    from backend.db import db
    from backend.errors import DomainError

    email = os.environ.get("FIELDOPS_ADMIN_EMAIL", "").strip()
    password = os.environ.get("FIELDOPS_ADMIN_PASSWORD", "")
    if not email or not password:
        click.echo("FIELDOPS_ADMIN_EMAIL/_PASSWORD not set: no admin created")
        return
    with _app().app_context():
        exists = db.session.scalar(
            select(func.count()).where(func.lower(User.email) == email.lower())
        )
        if exists:
            click.echo(f"admin {email} exists: left as it is")
            return
        try:
            create_user(
                email=email,
                name=os.environ.get("FIELDOPS_ADMIN_NAME", "Administrator"),
                role="admin",
                password=password,
            )
            db.session.commit()
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"created admin {email}")


@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.option("--workers", default=2, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Run the API with gunicorn."""
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:backend.observe.gunicorn_conf",  # multiprocess metrics, JSON logs
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "backend.wsgi:app",
    ]
    os.execvp(cmd[0], cmd)


@main.command("worker")
@click.option("--burst", is_flag=True, help="Drain the queues and exit.")
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    help="Also run the periodic-job scheduler (a child process; several are safe).",
)
def worker(burst: bool, scheduler: bool) -> None:
    """Run an rq worker on the high, default and low queues (with the periodic scheduler)."""
    import subprocess

    from backend.jobs import QUEUES
    from backend.jobs.worker import FieldopsWorker
    from backend.logs import configure_logging

    configure_logging()
    app = _app()
    redis = _redis_or_fail("without Redis jobs run inline")
    child = None
    if scheduler and not burst:
        child = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "scheduler", "--parent", str(os.getpid())]
        )
    try:
        with app.app_context():
            w = FieldopsWorker(list(QUEUES), connection=redis)
            w.work(burst=burst, with_scheduler=True)
    finally:
        if child is not None:
            child.terminate()


@main.command("scheduler")
@click.option("--parent", type=int, default=None, help="Stop when this process is gone.")
def scheduler_cmd(parent: int | None) -> None:
    """Enqueue the periodic jobs (SLA scan, change-log purge, outbox relay sweep) on their
    intervals. Safe to run several: each interval runs once."""
    import signal
    import threading

    from backend.jobs.scheduler import Scheduler
    from backend.logs import configure_logging

    configure_logging()
    app = _app()
    redis = _redis_or_fail("there is no scheduler without Redis")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    Scheduler(redis, app.config).run(stop, parent_pid=parent)


def _redis_or_fail(why: str) -> Redis:
    """The app's Redis client (bounded timeouts; rq lengthens the read timeout it needs for
    its blocking pops), or a clear error when REDIS_URL is not set."""
    from backend.extensions import redis_holder

    client = redis_holder.client
    if client is None:
        raise click.ClickException(f"REDIS_URL is not set: {why}")
    return client


@main.command("sla-scan")
def sla_scan_cmd() -> None:
    """Run one SLA scan now (mark at-risk/breached tickets, notify dispatchers)."""
    from backend.workorders.tasks import sla_scan

    with _app().app_context():
        result = sla_scan()
    click.echo(
        f"scanned {result['scanned']}: {len(result['at_risk'])} at risk, "  # type: ignore[arg-type]
        f"{len(result['breached'])} breached, {len(result['recovered'])} recovered"  # type: ignore[arg-type]
    )


@main.command("seed-demo")
def seed_demo_cmd() -> None:
    """Load the Berlin demo data set (deterministic; running it again adds nothing)."""
    from backend.db import db
    from backend.jobs import run_ready_jobs
    from backend.seed import DEMO_LOGINS, seed_demo

    app = _app()
    with app.app_context():
        summary = seed_demo(settings(app.config).SLA_POLICY)
        db.session.commit()
        run_ready_jobs()
    click.echo("demo data: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    for email, password, role in DEMO_LOGINS:
        click.echo(f"  {role:<10} {email} / {password}")


CLIENT_RULES = Path(__file__).resolve().parents[1] / "mobile_pwa" / "src" / "app" / "rules.gen.json"
CHECKLIST_CASES = CLIENT_RULES.with_name("checklist.cases.gen.json")


def client_rules() -> str:
    """What the engineer app needs of the server's rules to act offline, as JSON: the state
    machine's engineer half (``workorders.states``) and the default completion requirements
    (``signoff.rules``), used for a job whose own requirements the phone has not pulled yet."""
    from backend.signoff.rules import DEFAULT_RULES
    from backend.workorders.states import Actor, client_table

    rules = {
        "_generated": "by `fieldops client-rules` from backend/workorders/states.py and "
        "backend/signoff/rules.py; do not edit",
        "states": client_table(Actor.ENGINEER),
        "completion_default": DEFAULT_RULES["default"],
    }
    return json.dumps(rules, indent=2) + "\n"


def checklist_cases() -> str:
    """The server's verdicts on a table of checklist answers (``jobtypes.cases``), which the
    app's own evaluation must reach (``checklist.test.ts``)."""
    from backend.jobtypes.cases import verdicts

    return json.dumps(verdicts(), indent=1) + "\n"


@main.command("client-rules")
@click.option("--check", is_flag=True, help="Fail if the file differs instead of writing it.")
def client_rules_cmd(check: bool) -> None:
    """Write mobile_pwa/src/app/rules.gen.json (and checklist.cases.gen.json) from the
    server's rules."""
    for path, text in ((CLIENT_RULES, client_rules()), (CHECKLIST_CASES, checklist_cases())):
        if check:
            if not path.exists() or path.read_text() != text:
                raise click.ClickException(f"{path} is out of date: run fieldops client-rules")
            continue
        path.write_text(text)
        click.echo(f"wrote {path}")


if __name__ == "__main__":  # pragma: no cover
    main()


@main.command("openapi")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write here instead of stdout."
)
def openapi_cmd(output: str | None) -> None:
    """Print the OpenAPI document exactly as ``/api/v1/openapi.json`` serves it, from the app
    factory through the test client: no server, database or Redis is needed, so the PWA's
    types (``npm run gen:api``) can be regenerated anywhere. Keys are sorted and the text ends
    with a newline, so the same code always gives the same bytes."""
    import json

    app = _app()
    response = app.test_client().get("/api/v1/openapi.json")
    if response.status_code != 200:
        raise click.ClickException(f"/api/v1/openapi.json answered {response.status_code}")
    text = json.dumps(response.get_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
