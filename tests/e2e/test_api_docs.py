"""The API reference (``/api/docs``) renders in Chromium with every request to another host
refused: Swagger UI comes from the PWA build, not a CDN, so it works on a closed network."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.e2e.conftest import screenshot


def test_api_reference_renders_without_any_outside_host(desk, live_server):
    ours = urlsplit(live_server).netloc
    outside: list[str] = []

    def only_ours(route):
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    desk.route("**/*", only_ours)
    page = desk.new_page()
    page.goto("/api/docs")
    page.wait_for_selector(".swagger-ui .info .title >> text=fieldops")
    tag = page.locator('.opblock-tag[data-tag="tickets"]')
    assert tag.get_attribute("data-is-open") == "false"  # folded: the page renders quickly
    tag.click()
    page.wait_for_selector('.opblock-summary-path[data-path="/api/v1/tickets"]')
    screenshot(page, "api-docs")
    assert outside == []
