"""Scenario — a poison mutation queued offline between good ones never stalls the phone's sync.

Two kinds of poison: a note with a lone UTF-16 surrogate (half an emoji; the server answers
that one mutation ``rejected``) and a queued record the server cannot even parse (a bad id, as
an older app could have left in IndexedDB; the server answers the whole batch 422). The good
notes around them must land on the server exactly once, and each poison must stay on the
phone, shown as "Not synced: <its text>" with a "Copy text" action.
"""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import open_job, pending, wait_for

# The lone surrogate is written as a JavaScript escape so it reaches the page intact.
HALF_EMOJI_JS = "'half an emoji \\ud83d in the note'"
HALF_EMOJI_SHOWN = "half an emoji"

# A record the server rejects for the whole batch (its id is not a UUID), written straight
# into the app's queue the way an older app version could have left it.
INJECT_UNPARSABLE = """async (ticketId) => {
  const db = await new Promise((ok, fail) => {
    const req = indexedDB.open('fieldops');
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  });
  await new Promise((ok, fail) => {
    const tx = db.transaction('queue', 'readwrite');
    tx.objectStore('queue').add({
      id: 'legacy-7', name: 'note.add', status: 'pending',
      args: { id: 'legacy-7', ticket_id: ticketId, body: 'legacy note the server cannot parse',
              occurred_at: new Date().toISOString() },
      created_at: new Date().toISOString(),
    });
    tx.oncomplete = ok;
    tx.onerror = () => fail(tx.error);
  });
  db.close();
}"""


def _add_note(page, text_js: str) -> None:
    page.evaluate(f"document.querySelector('#note-body').value = {text_js}")
    page.click("#add-note")


def test_poison_mutations_are_kept_and_shown_and_the_rest_syncs_once(world, phone):
    eng = world.engineer("Petra Poison")
    tk = world.ticket("Freezer alarm", priority="P2", assign_to=eng)
    page, _ = open_job(phone, eng, tk)

    phone.set_offline(True)
    page.wait_for_selector("#net-state.offline")
    _add_note(page, "'good note before'")
    page.wait_for_selector("li.note >> text=good note before")
    _add_note(page, HALF_EMOJI_JS)
    page.wait_for_selector(f"li.note >> text={HALF_EMOJI_SHOWN}")
    page.evaluate(INJECT_UNPARSABLE, tk["id"])
    _add_note(page, "'good note after'")
    page.wait_for_selector("li.note >> text=good note after")
    page.reload()  # the injected record is read from IndexedDB like any queued one
    page.wait_for_selector("#detail, #jobs")
    wait_for(lambda: pending(page) == 4)

    phone.set_offline(False)
    page.wait_for_selector("#net-state.online")
    page.evaluate("window.dispatchEvent(new Event('online'))")

    api = world.dispatcher

    def bodies() -> list[str]:
        return sorted(n["body"] for n in api.get(f"/api/v1/tickets/{tk['id']}/notes"))

    assert wait_for(lambda: bodies() == ["good note after", "good note before"], timeout=30)
    wait_for(lambda: pending(page) == 0, timeout=30)

    # Both poison mutations are kept on the phone and shown with their words.
    page.goto("/app/#/conflicts")
    page.wait_for_selector("#conflicts")
    items = page.locator("li.conflict-item:has(.not-synced)")
    wait_for(lambda: items.count() == 2)
    texts = page.locator(".not-synced-text").all_text_contents()
    assert any(t.startswith(HALF_EMOJI_SHOWN) for t in texts), texts
    assert "legacy note the server cannot parse" in texts, texts
    assert page.locator(".not-synced >> text=Not synced").count() == 2
    assert page.locator("button.copy-text").count() == 2
    phone.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator("li.conflict-item", has_text="legacy note").locator("button.copy-text").click()
    page.wait_for_selector("button.copy-text >> text=Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "legacy note the server cannot parse"
    screenshot(page, "phone-poison-not-synced")

    def queued() -> list[list]:
        return page.evaluate(
            """async () => {
              const db = await new Promise((ok) => { const r = indexedDB.open('fieldops');
                                                     r.onsuccess = () => ok(r.result); });
              const rows = await new Promise((ok) => {
                const r = db.transaction('queue').objectStore('queue').getAll();
                r.onsuccess = () => ok(r.result);
              });
              db.close();
              return rows.map((m) => [m.status, m.args.body.length]);
            }"""
        )

    def only_refused_left() -> bool:
        # The acknowledged ones go once a pull has brought their effect (a pull that another
        # transaction holds back keeps them: a delay, never loss); each sync asks again.
        page.evaluate("window.dispatchEvent(new Event('online'))")
        return sorted(s for s, _ in queued()) == ["rejected", "rejected"]

    wait_for(only_refused_left, timeout=90, interval=2)

    # Exactly once, even after more sync rounds.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(1500)
    assert bodies() == ["good note after", "good note before"]
