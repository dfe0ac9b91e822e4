"""Scenario 5 — the dispatcher console at desk size: log in, pick a ticket, read why each
engineer is (or is not) a candidate, assign, and see the list and the map follow. No map tiles
are reachable here: regions, tickets and engineers must still draw on the plain background."""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import wait_for


def test_dispatcher_assigns_from_console(world, desk):
    # Next to the site, so she is among the nearest 25 (DISPATCH_K) that the candidates list
    # ranks however many engineers earlier tests left in the shared world (most stand 1.3 km off).
    eng = world.engineer("Dora Dispatchable", lon=13.41, lat=52.5301)
    tk = world.ticket("Fridge alarm beeping", priority="P2")
    page = desk.new_page()
    page.goto("/dispatch/")
    page.fill("#email", world.dispatcher_email)
    page.fill("#password", "e2e-password-123")
    page.click("#login-btn")

    row = f'#list li[data-ticket="{tk["id"]}"]'
    page.wait_for_selector(row)
    marker = f"#map path.ticket-marker.t-{tk['id']}"
    page.wait_for_selector(marker, state="attached")
    assert "s-new" in (page.locator(marker).get_attribute("class") or "")
    # Drawn without tiles: the region polygon and the engineer icons are on the map too.
    assert page.locator("#map .leaflet-tile").count() == 0
    assert page.locator("#map path.leaflet-interactive").count() >= 2
    assert page.locator("#map .eng-icon").count() >= 1

    page.locator(row).click()
    page.wait_for_selector(f'#ticket-panel[data-ticket="{tk["id"]}"]')
    cand = f'#candidates .cand[data-engineer="{eng["id"]}"]'
    page.wait_for_selector(cand)
    text = page.locator("#candidates").inner_text()
    # Every candidate shows its score terms (eligible) or the reasons it is not eligible.
    assert page.locator("#candidates .cand .terms").count() >= 1, text
    assert "score" in page.locator(cand).inner_text().lower(), text
    screenshot(page, "console-01-candidates")

    button = page.locator(f"{cand} button.assign")
    if page.locator(f"{cand} input.override-reason").count():
        page.fill(f"{cand} input.override-reason", "closest to the site")
    button.click()
    page.wait_for_selector("#message")
    page.wait_for_selector('#ticket-panel[data-status="assigned"]')
    wait_for(lambda: "s-assigned" in (page.locator(marker).get_attribute("class") or ""))
    assert "Dora Dispatchable" in page.locator(row).inner_text()
    page.wait_for_selector("#map path.assign-line", state="attached")
    screenshot(page, "console-02-assigned")

    ticket = world.dispatcher.get(f"/api/v1/tickets/{tk['id']}")
    assert ticket["status"] == "assigned"
    assert ticket["assignee_id"] == eng["id"]
