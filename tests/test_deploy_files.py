"""The deployment files, read as a new operator would run them (``docker compose`` is not on
every machine, so the file is parsed and its promises checked here; where the compose plugin
exists, ``docker compose config`` must accept it too)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "infra" / "compose.yaml"


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_migrations_run_once_before_the_api_and_the_worker(services):
    migrate = services["migrate"]
    assert "fieldops db upgrade" in " ".join(migrate["command"])
    assert migrate["restart"] == "no"
    for name in ("api", "worker"):
        needs = services[name]["depends_on"]
        assert needs["migrate"] == {"condition": "service_completed_successfully"}, name
        assert needs["redis"] == {"condition": "service_healthy"}, name


def test_first_admin_comes_from_the_environment(services):
    migrate = services["migrate"]
    assert "fieldops ensure-admin" in " ".join(migrate["command"])
    env = migrate["environment"]
    assert "FIELDOPS_ADMIN_EMAIL" in env and "FIELDOPS_ADMIN_PASSWORD" in env


def test_health_checks_and_restart_policies(services):
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    for name in ("db", "redis", "api", "worker"):
        assert services[name]["restart"] == "unless-stopped", name


def test_data_lives_in_volumes(services):
    assert any("/data" in v for v in services["redis"]["volumes"])
    assert any("/var/lib/postgresql/data" in v for v in services["db"]["volumes"])
    assert all(any("/data/media" in v for v in services[n]["volumes"]) for n in ("api", "worker"))


def test_image_installs_dependencies_before_copying_code():
    lines = [ln.strip() for ln in (ROOT / "infra" / "Dockerfile").read_text().splitlines()]
    runtime = lines[max(i for i, ln in enumerate(lines) if ln.startswith("FROM ")) :]
    deps = next(i for i, ln in enumerate(runtime) if "requirements.txt" in ln and "pip" in ln)
    code = next(i for i, ln in enumerate(runtime) if ln.startswith("COPY backend/"))
    assert deps < code


def test_dockerignore_keeps_the_hosts_environment_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "mobile_pwa/node_modules", ".git"} <= ignored


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="no docker compose plugin on this machine",
)
def test_docker_compose_accepts_the_file():
    run = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True, text=True, env={"SECRET_KEY": "x" * 48, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
