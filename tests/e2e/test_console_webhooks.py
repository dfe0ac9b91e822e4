"""Issue #18 — the console's Webhooks screen, in Chromium, against the e2e server with a real
rq worker (``job_server``) and a real local receiver (tests/webhooks/conftest.py) that verifies
every signature: an admin subscribes it (the secret is shown once), events are delivered, the
delivery log shows status, HTTP status, latency and the response excerpt, a failed delivery is
redelivered from the screen, the subscription is turned off and deleted; axe-core finds no
serious or critical violation in English or Chinese; a dispatcher is not offered the screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ADMIN, CONSOLE, PASSWORD, Api, JobServer, World, _context
from tests.e2e.helpers import axe_check, wait_for
from tests.webhooks.conftest import Receiver

# Loopback is allowed as a target through the real setting, for the local receiver only; no
# retries (a failure is final at once), so the log shows a failed delivery to redeliver.
JOB_SERVER_CONFIG = {"WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32", "WEBHOOK_RETRY_WINDOW_S": "0"}


@pytest.fixture()
def receiver() -> Any:
    r = Receiver()
    r.start()
    yield r
    r.stop()


def _console(browser: Any, base: str, email: str, password: str, locale: str = "en-US") -> Any:
    ctx = _context(browser, base, CONSOLE, locale=locale)
    page = ctx.new_page()
    page.goto("/dispatch/")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-btn")
    page.wait_for_selector("#nav-insights")
    return page


def _statuses(page: Any) -> list[str]:
    return sorted(
        page.locator("#wh-deliveries tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.status)"
        )
    )


def test_admin_subscribes_reads_the_log_redelivers_and_removes(
    browser: Any, job_server: JobServer, receiver: Receiver
) -> None:
    world = World(job_server.base)
    found: list[str] = []
    page = _console(browser, job_server.base, *ADMIN)
    page.click("#nav-webhooks")
    page.wait_for_selector("#wh-form fieldset input[type=checkbox]")
    found += axe_check(page, "console-webhooks-en-01-empty")

    page.fill("#wh-url", receiver.url)
    page.fill("#wh-description", "ERP bridge")
    page.check("#wh-ev-ticket-created")
    page.click("#wh-create")
    secret = page.locator("#wh-secret code").inner_text()
    assert secret.startswith("whsec_")
    receiver.secret = secret
    row = page.locator("#wh-subs tbody tr")
    assert row.count() == 1 and "ERP bridge" in row.inner_text()

    receiver.script.append(("status", 500))  # the first delivery fails on purpose
    first = world.ticket("Cold room alarm")
    second = world.ticket("Door sensor")
    wait_for(lambda: len(receiver.received) == 2, timeout=30)
    assert all(r["verified"] for r in receiver.received)
    numbers = sorted(r["payload"]["data"]["ticket"]["number"] for r in receiver.received)
    assert numbers == sorted([first["number"], second["number"]])

    def log_shows(expected: list[str]) -> bool:
        page.click("#wh-reload")
        page.wait_for_selector("#wh-deliveries tbody tr")
        return _statuses(page) == expected

    wait_for(lambda: log_shows(["failed", "succeeded"]), timeout=30)
    failed = page.locator('#wh-deliveries tr[data-status="failed"]')
    assert "500" in failed.inner_text() and "receiver failed on purpose" in failed.inner_text()
    ok = page.locator('#wh-deliveries tr[data-status="succeeded"]')
    assert "200" in ok.inner_text() and '{"received": true}' in ok.inner_text()
    assert " ms" in ok.inner_text()  # latency
    found += axe_check(page, "console-webhooks-en-02-log")

    page.click("#wh-redeliver-failed")
    page.wait_for_selector("#wh-note")
    assert "1 queued again" in page.locator("#wh-note").inner_text()
    wait_for(lambda: log_shows(["succeeded", "succeeded"]), timeout=30)
    assert len(receiver.received) == 3 and receiver.received[-1]["verified"]
    assert (
        receiver.received[-1]["headers"]["webhook-id"]
        == receiver.received[0]["headers"]["webhook-id"]
    )

    page.click("#wh-subs .wh-toggle")
    page.wait_for_selector('#wh-subs tr[data-active="false"]')
    world.ticket("Not announced: the subscription is off")

    page.select_option("header select", "zh-CN")
    page.wait_for_selector("html[lang=zh-CN]")
    page.wait_for_selector("#wh-deliveries")
    assert "已停用" in page.locator("#wh-subs").inner_text()
    found += axe_check(page, "console-webhooks-zh-CN-03-log")
    page.select_option("header select", "en")
    page.wait_for_selector("html[lang=en]")

    page.click("#wh-subs .wh-delete")
    page.wait_for_selector("#wh-subs .wh-delete:has-text('Really delete?')")
    page.click("#wh-subs .wh-delete")
    page.wait_for_selector("#wh-none")
    assert len(receiver.received) == 3
    assert not found, "\n".join(found)
    page.context.close()


def test_a_dispatcher_is_not_offered_webhooks(browser: Any, job_server: JobServer) -> None:
    admin = Api(job_server.base, *ADMIN)
    email = "webhooks-dispatcher@e2e.test"
    admin.post(
        "/api/v1/users",
        {"email": email, "name": "Dora Dispatcher", "role": "dispatcher", "password": PASSWORD},
    )
    page = _console(browser, job_server.base, email, PASSWORD)
    assert page.locator("#nav-webhooks").count() == 0
    page.goto("/dispatch/#/webhooks")  # typed by hand: the map, not the screen
    page.wait_for_selector("#map")
    assert page.locator("#webhooks-root").count() == 0
    page.context.close()
