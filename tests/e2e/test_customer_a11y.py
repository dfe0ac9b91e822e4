"""Accessibility of the customer page on a phone (390x844), in English and Chinese: axe-core
(the engine of @axe-core/playwright, a devDependency of mobile_pwa) runs in the page on every
customer screen and must find no serious or critical violation. A screenshot of each screen
goes to test-output/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import axe_check, axe_violations
from tests.e2e.test_customer_page import _completed_job


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
    found += axe_check(page, f"a11y-{lang}-01-report-form")
    page.fill("#description", "The display is blank.")
    page.fill("#contact-name", "Mia")
    page.click("#send")  # no phone or email: the form says what is missing
    page.wait_for_selector("#form-error:not(:empty)")
    found += axe_check(page, f"a11y-{lang}-02-report-form-error")
    page.fill("#contact-phone", "+49 30 3333")
    page.click("#send")
    page.wait_for_selector("#confirmation")
    found += axe_check(page, f"a11y-{lang}-03-confirmation")

    page.click("#tracking-link")
    page.wait_for_selector("#tracking-status[data-status=new]")
    found += axe_check(page, f"a11y-{lang}-04-tracking-new")

    token, _ = _completed_job(world, f"Coffee machine leaks ({lang}).")
    page.goto(f"/t/{token}")
    page.wait_for_selector("#rating")
    found += axe_check(page, f"a11y-{lang}-05-tracking-done-rating")
    page.click("#rating button[type=submit]")  # no score: an alert says so
    page.wait_for_selector("[role=alert]:not(:empty)")
    found += axe_check(page, f"a11y-{lang}-06-rating-needs-score")
    page.locator(".stars input").nth(4).check()
    page.click("#rating button[type=submit]")
    page.wait_for_selector("#rating-done")
    found += axe_check(page, f"a11y-{lang}-07-rated")

    page.goto("/r/no-such-label-a11y")
    page.wait_for_selector("body")
    found += axe_check(page, f"a11y-{lang}-08-unknown-qr")
    assert not found, "\n".join(found)


def test_axe_finds_what_it_must(phone):
    """The check bites: a page with an unlabelled input and unreadable text is reported."""
    page = phone.new_page()
    page.set_content(
        "<html lang='en'><head><title>t</title></head><body><main>"
        "<input type='text'><p style='color:#ccc;background:#fff'>faint</p></main></body></html>"
    )
    found = axe_violations(page)
    assert any("label" in line for line in found), found
    assert any("color-contrast" in line for line in found), found
