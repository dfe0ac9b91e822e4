"""``fieldops openapi`` (what ``npm run gen:api`` builds the PWA's types from) prints the served
document itself, in the same bytes every time, without a server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from backend.cli import main


def test_the_dump_is_the_served_document_in_stable_bytes(app, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FIELDOPS_ENV", "development")
    runner = CliRunner()
    first = runner.invoke(main, ["openapi"])
    second = runner.invoke(main, ["openapi"])
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    assert first.output.endswith("\n")
    served = app.test_client().get("/api/v1/openapi.json").get_json()
    assert json.loads(first.output) == served
    assert list(json.loads(first.output)["paths"]) == sorted(served["paths"])
