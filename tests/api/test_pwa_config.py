"""``/app/config.json`` hands the engineer app the Firebase web config for push only when
``FIELDOPS_FIREBASE_WEB_CONFIG`` is set, and only its public keys (never server secrets)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from backend.config import Config

WEB = {
    "apiKey": "AIza-public",
    "authDomain": "fieldops-demo.firebaseapp.com",
    "projectId": "fieldops-demo",
    "messagingSenderId": "1234567890",
    "appId": "1:1234567890:web:abc",
    "vapidKey": "BPublicVapidKey",
}
KEYS = ("FIREBASE_WEB_CONFIG", "FIREBASE_VAPID_KEY", "FIREBASE_CREDENTIALS")


@pytest.fixture()
def cfg(app) -> Iterator[dict]:
    saved = {k: app.config.get(k) for k in KEYS}
    for k in KEYS:
        app.config.pop(k, None)
    yield app.config
    for k in KEYS:
        app.config.pop(k, None)
    app.config.update({k: v for k, v in saved.items() if v is not None})


def test_no_web_config_means_no_push(client, cfg):
    cfg["FIREBASE_CREDENTIALS"] = json.dumps({"private_key": "SERVER-SECRET"})
    resp = client.get("/app/config.json")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["firebase"] is None and body["vapid_key"] is None
    assert "SERVER-SECRET" not in resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-cache"


def test_env_var_reaches_the_app_through_config_extra():
    flask_cfg = Config.from_env({"FIELDOPS_FIREBASE_WEB_CONFIG": json.dumps(WEB)}).to_flask()
    assert json.loads(flask_cfg["FIREBASE_WEB_CONFIG"]) == WEB


def test_web_config_exposed_with_public_keys_only(client, cfg):
    cfg["FIREBASE_WEB_CONFIG"] = json.dumps({**WEB, "private_key": "LEAK", "client_email": "x"})
    cfg["FIREBASE_CREDENTIALS"] = json.dumps({"private_key": "SERVER-SECRET"})
    resp = client.get("/app/config.json")
    body = resp.get_json()
    assert body["firebase"] == WEB
    assert body["vapid_key"] == "BPublicVapidKey"
    text = resp.get_data(as_text=True)
    assert "LEAK" not in text and "SERVER-SECRET" not in text and "client_email" not in text


@pytest.mark.parametrize("raw", ["{not json", json.dumps(["x"]), json.dumps({"apiKey": "only"})])
def test_unusable_web_config_means_no_push(client, cfg, raw):
    cfg["FIREBASE_WEB_CONFIG"] = raw
    assert client.get("/app/config.json").get_json()["firebase"] is None


def test_separate_vapid_key_variable_is_used(client, cfg):
    cfg["FIREBASE_WEB_CONFIG"] = json.dumps({k: v for k, v in WEB.items() if k != "vapidKey"})
    cfg["FIREBASE_VAPID_KEY"] = "BSeparate"
    assert client.get("/app/config.json").get_json()["vapid_key"] == "BSeparate"
