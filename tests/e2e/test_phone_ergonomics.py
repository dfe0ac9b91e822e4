"""Issue #12 §4 — phone ergonomics at 390x844: every touch target is at least 44 px each way
and the sticky header stays one row (at most 64 px tall), on the list, a job and the conflicts
screen, in English and Chinese; persistent storage is asked for at the first login and the app
syncs when it regains focus. Failed before the fix: 32 px header buttons, a header that wrapped
to two rows, no persist() call and no sync on focus."""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import open_job, wait_for

# Interactive elements an engineer taps; a checkbox counts by its label (the label is the target).
TARGETS = """() => {
  const out = [];
  const seen = new Set();
  const sel = ['button', 'select', 'a', 'input:not([type=checkbox]):not([type=file])', 'label.btn',
               'label:has(input[type=checkbox])'].join(', ');
  for (const el of document.querySelectorAll(sel)) {
    if (seen.has(el)) continue;
    seen.add(el);
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    const hidden = style.visibility === 'hidden' || el.closest('[style*="display: none"]');
    if (!r.width || !r.height || hidden) continue;
    out.push({ what: el.id || el.className || el.tagName,
               text: (el.textContent || '').trim().slice(0, 30),
               w: Math.round(r.width), h: Math.round(r.height) });
  }
  return out;
}"""


# Counts calls of the browser's navigator.storage.persist (and still makes them).
PERSIST_PROBE = """(() => {
  const storage = navigator.storage;
  const persist = storage.persist.bind(storage);
  window.__persistCalls = 0;
  storage.persist = () => { window.__persistCalls += 1; return persist(); };
})()"""


def _check(page, where: str) -> None:
    small = [t for t in page.evaluate(TARGETS) if t["w"] < 44 or t["h"] < 44]
    assert not small, f"{where}: touch targets under 44 px: {small}"
    height = page.evaluate("document.querySelector('header.bar').getBoundingClientRect().height")
    assert height <= 64, f"{where}: header is {height} px tall"


def test_touch_targets_and_header(world, phone):
    eng = world.engineer("Tina Touch")
    tk = world.ticket("Dishwasher leaks", priority="P2", assign_to=eng)
    phone.add_init_script(PERSIST_PROBE)
    page, job = open_job(phone, eng, tk)
    wait_for(lambda: page.locator("#part-select option").count() > 0)
    # Persistent storage was asked for once, at the first login (headless Chromium answers no,
    # so the call itself is what is observed).
    assert page.evaluate("window.__persistCalls") == 1
    # Coming back to the app syncs: a pull goes out on focus, without waiting for the timer.
    page.wait_for_function("!document.querySelector('#sync-now').disabled")  # no sync running
    with page.expect_request(lambda r: "/api/v1/sync/pull" in r.url, timeout=10_000):
        page.evaluate("window.dispatchEvent(new Event('focus'))")
    for lang in ("en", "zh-CN"):
        page.select_option("#lang", lang)
        page.wait_for_selector(f"html[lang={lang}]")
        _check(page, f"job detail ({lang})")
        page.goto("/app/#/")
        page.wait_for_selector(job)
        _check(page, f"job list ({lang})")
        page.goto("/app/#/conflicts")
        page.wait_for_selector("#conflicts")
        _check(page, f"conflicts ({lang})")
        page.goto(f"/app/#/job/{tk['id']}")
        page.wait_for_selector("#detail")
    page.select_option("#lang", "en")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "phone-08-ergonomics")
