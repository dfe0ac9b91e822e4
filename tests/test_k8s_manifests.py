"""Issue #20 §5 — the Kubernetes manifests (infra/k8s) are valid against the Kubernetes API's
own schemas (kubernetes-validate, strict: an unknown or misspelt field fails), and they keep
the promises an operator relies on: migrations as a Job before the rollout, the API ready on
``/readyz`` and scaled on CPU with a disruption budget, workers without their own schedule,
exactly one scheduler, settings from one ConfigMap and one Secret, media in S3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from backend.config import env_name, setting_names

K8S = Path(__file__).resolve().parents[1] / "infra" / "k8s"
KUBERNETES = "1.30"


def _documents() -> list[dict[str, Any]]:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    docs = []
    for name in listed:
        docs += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return docs


DOCS = _documents()


def _one(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in DOCS if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _container(doc: dict[str, Any]) -> dict[str, Any]:
    containers = doc["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def test_every_file_is_listed_and_every_file_listed_exists():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_valid_against_the_kubernetes_schemas(doc):
    kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_migrations_run_as_a_job_before_the_rollout():
    job = _one("Job", "fieldops-migrate")
    command = " ".join(_container(job)["command"])
    assert "fieldops db upgrade" in command and "fieldops ensure-admin" in command
    hooks = job["metadata"]["annotations"]
    assert "pre-upgrade" in hooks["helm.sh/hook"] and hooks["argocd.argoproj.io/hook"] == "PreSync"


def test_the_api_is_ready_on_readyz_scales_on_cpu_and_keeps_one_up():
    api = _one("Deployment", "fieldops-api")
    container = _container(api)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    hpa = _one("HorizontalPodAutoscaler", "fieldops-api")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "fieldops-api"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert hpa["spec"]["minReplicas"] >= 2  # two instances: the PDB below can hold
    pdb = _one("PodDisruptionBudget", "fieldops-api")
    labels = api["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert _one("Service", "fieldops-api")["spec"]["selector"].items() <= labels.items()


def test_workers_have_no_schedule_of_their_own_and_one_scheduler_runs():
    assert _container(_one("Deployment", "fieldops-worker"))["command"] == [
        "fieldops", "worker", "--no-scheduler",
    ]  # fmt: skip
    scheduler = _one("Deployment", "fieldops-scheduler")
    assert _container(scheduler)["command"] == ["fieldops", "scheduler"]
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"


def test_settings_come_from_one_configmap_and_one_secret_with_real_names():
    config = _one("ConfigMap", "fieldops-settings")["data"]
    secret = _one("Secret", "fieldops-secrets")["stringData"]
    known = {env_name(n) for n in setting_names()} | {
        "FIELDOPS_ADMIN_EMAIL", "FIELDOPS_ADMIN_PASSWORD", "GUNICORN_THREADS", "WEB_CONCURRENCY",
    }  # fmt: skip
    assert not (set(config) | set(secret)) - known, "a variable fieldops does not read"
    for key in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FIELDOPS_S3_SECRET_ACCESS_KEY"):
        assert key in secret, key
    assert "FIELDOPS_S3_BUCKET" in config  # pods share no disk: media in S3
    for doc in DOCS:
        if doc["kind"] in {"Deployment", "Job"}:
            refs = _container(doc)["envFrom"]
            assert {"configMapRef": {"name": "fieldops-settings"}} in refs
            assert {"secretRef": {"name": "fieldops-secrets"}} in refs
            security = doc["spec"]["template"]["spec"]["securityContext"]
            assert security["runAsNonRoot"] and security["runAsUser"] == 10001
