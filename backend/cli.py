"""The ``fieldops`` command: serve, worker, db upgrade, seed-demo, create-user."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask

from backend import create_app
from backend.config import Config


def _app() -> Flask:
    return create_app(Config.from_env())


@click.group()
def main() -> None:
    """fieldops: field-service backend."""


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--create/--no-create", default=True, help="Create the database if missing.")
def db_upgrade(create: bool) -> None:
    """Create the database (and PostGIS) if needed and apply every migration."""
    from backend.migrate import create_database, upgrade

    url = Config.from_env().DATABASE_URL
    if create:
        create_database(url)
    upgrade(url)
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
def worker(burst: bool) -> None:
    """Run an rq worker on the high, default and low queues (with the scheduler)."""
    from rq import Worker

    from backend.extensions import redis_holder
    from backend.jobs import QUEUES
    from backend.logs import configure_logging

    configure_logging()
    app = _app()
    client = redis_holder.client
    if client is None:
        raise click.ClickException("REDIS_URL is not set: without Redis jobs run inline")
    with app.app_context():
        if not burst:
            # The periodic SLA scan re-enqueues itself (enqueue_in); start its chain here.
            from backend.sync.tasks import start_purge_chain
            from backend.workorders.tasks import start_periodic_scan

            start_periodic_scan()
            start_purge_chain()
        w = Worker(list(QUEUES), connection=client)
        w.work(burst=burst, with_scheduler=True)


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
        summary = seed_demo(app.config["SLA_POLICY"])
        db.session.commit()
        run_ready_jobs()
    click.echo("demo data: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    for email, password, role in DEMO_LOGINS:
        click.echo(f"  {role:<10} {email} / {password}")


if __name__ == "__main__":  # pragma: no cover
    main()
