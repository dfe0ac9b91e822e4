"""Accessibility of the customer page on a phone (390x844), in English and Chinese: axe-core
(the engine of @axe-core/playwright, a devDependency of mobile_pwa) runs in the page on every
customer screen and must find no serious or critical violation. A screenshot of each screen
goes to test-output/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ROOT, screenshot
from tests.e2e.test_customer_page import _completed_job

AXE = ROOT / "mobile_pwa" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def _violations(page: Any, within: str | None = None) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (or only in the
    element ``within`` selects), one line each."""
    assert AXE.is_file(), f"{AXE} missing: run `npm ci` in mobile_pwa/"
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (within) => await window.axe.run(within || document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                            'best-practice']},
            resultTypes: ['violations'],
        })""",
        within,
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} -> "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def _check(page: Any, name: str) -> list[str]:
    screenshot(page, name)
    return [f"{name}: {line}" for line in _violations(page)]


def _to_chinese(page: Any, ready: str) -> None:
    page.click("#lang")
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    page.wait_for_selector(ready)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_customer_screens_have_no_serious_violations(world, phone, lang):
    found: list[str] = []
    page = phone.new_page()

    page.goto(f"/r/{world.asset['qr_token']}")
    page.wait_for_selector("#asset-name")
    if lang == "zh-CN":
        _to_chinese(page, "#asset-name")
    found += _check(page, f"a11y-{lang}-01-report-form")
    page.fill("#description", "The display is blank.")
    page.fill("#contact-name", "Mia")
    page.click("#send")  # no phone or email: the form says what is missing
    page.wait_for_selector("#form-error:not(:empty)")
    found += _check(page, f"a11y-{lang}-02-report-form-error")
    page.fill("#contact-phone", "+49 30 3333")
    page.click("#send")
    page.wait_for_selector("#confirmation")
    found += _check(page, f"a11y-{lang}-03-confirmation")

    page.click("#tracking-link")
    page.wait_for_selector("#tracking-status[data-status=new]")
    found += _check(page, f"a11y-{lang}-04-tracking-new")

    token, _ = _completed_job(world, f"Coffee machine leaks ({lang}).")
    page.goto(f"/t/{token}")
    page.wait_for_selector("#rating")
    found += _check(page, f"a11y-{lang}-05-tracking-done-rating")
    page.click("#rating button[type=submit]")  # no score: an alert says so
    page.wait_for_selector("[role=alert]:not(:empty)")
    found += _check(page, f"a11y-{lang}-06-rating-needs-score")
    page.locator(".stars input").nth(4).check()
    page.click("#rating button[type=submit]")
    page.wait_for_selector("#rating-done")
    found += _check(page, f"a11y-{lang}-07-rated")

    page.goto("/r/no-such-label-a11y")
    page.wait_for_selector("body")
    found += _check(page, f"a11y-{lang}-08-unknown-qr")
    assert not found, "\n".join(found)


def test_axe_finds_what_it_must(phone):
    """The check bites: a page with an unlabelled input and unreadable text is reported."""
    page = phone.new_page()
    page.set_content(
        "<html lang='en'><head><title>t</title></head><body><main>"
        "<input type='text'><p style='color:#ccc;background:#fff'>faint</p></main></body></html>"
    )
    found = _violations(page)
    assert any("label" in line for line in found), found
    assert any("color-contrast" in line for line in found), found
