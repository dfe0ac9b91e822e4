"""Issue #12: in Chinese, the console's conflicts panel and the engineer app's conflicts screen
showed the server's English ("server owned field", "priority on ticket T-001 are set by
dispatch", "ticket T-002 was reassigned before your accept arrived"). Both now say every
conflict kind, field and reason in the chosen language, from the codes the server sends; only
an unknown code falls back to a generic phrase with the raw message in a muted line."""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.conftest import PASSWORD, Api
from tests.e2e.helpers import act, axe_check, open_job, pending, wait_for
from tests.e2e.test_console import make_conflict, open_console
from tests.e2e.test_sync_poison import HALF_EMOJI_JS, HALF_EMOJI_SHOWN, _add_note

# Words of the server's English messages and codes that must not show in Chinese.
ENGLISH = ("server owned", "server_owned", "set by dispatch", "priority", "reassigned",
           "before your", "arrived", "after it was", "was added", "ticket.", "note.",
           "conflict", "stale", "transition")  # fmt: skip


def _english(text: str) -> list[str]:
    return [w for w in ENGLISH if w in text.lower()]


def _late_work(world: Any, engineer: dict, other: dict, ticket: dict) -> None:
    """The dispatcher reassigns the job; then the engineer's phone sends an accept and a note
    for it: two conflicts (reassigned, evidence_after_reassign)."""
    world.assign(ticket["id"], other["id"], reason="e2e: reassigned")
    phone = Api(world.base, engineer["email"], PASSWORD)
    args = {"ticket_id": ticket["id"]}
    res = phone.post(
        "/api/v1/sync/push",
        {
            "client_id": f"e2e-{uuid.uuid4().hex[:8]}",
            "schema_version": 1,
            "mutations": [
                {"id": str(uuid.uuid4()), "name": "ticket.transition",
                 "args": {**args, "action": "accept", "base_version": ticket["version"]}},
                {"id": str(uuid.uuid4()), "name": "note.add",
                 "args": {**args, "id": str(uuid.uuid4()), "body": "Hinge replaced"}},
            ],
        },
    )  # fmt: skip
    assert [r["status"] for r in res["results"]] == ["conflict", "conflict"], res


def _shown(page: Any, items: str) -> str:
    """The words of the conflicts list a reader sees, without the muted raw-message lines
    (those are only for codes the app does not know, and there are none here)."""
    assert page.locator(f"{items} .conflict-raw").count() == 0
    return page.inner_text(items)


def test_console_conflicts_panel_speaks_chinese(world, desk):
    eng = world.engineer("Chen Conflict")
    other = world.engineer("Wu Other", lon=13.42, lat=52.51)
    make_conflict(world, eng, world.ticket("Gate jammed", assign_to=eng))
    _late_work(world, eng, other, world.ticket("Oven door", assign_to=eng))
    page = open_console(desk, world)
    page.select_option("header select", "zh-CN")
    page.wait_for_selector("html[lang=zh-CN]")
    wait_for(lambda: page.locator("#conflicts li.conflict").count() >= 3)
    text = _shown(page, "#conflicts")
    assert not _english(text), (_english(text), text)
    for words in ("只能由调度设置的字段", "优先级", "工单改派后"):
        assert words in text, (words, text)
    page.evaluate("document.getElementById('conflicts').scrollIntoView()")
    found = axe_check(page, "console-a11y-zh-CN-07-conflicts-in-chinese")
    assert not found, "\n".join(found)


def test_app_conflicts_screen_speaks_chinese(world, phone):
    eng = world.engineer("Lin Late")
    other = world.engineer("Rui Reassigned", lon=13.42, lat=52.51)
    tk = world.ticket("Cold room door", priority="P2", assign_to=eng)
    page, _ = open_job(phone, eng, tk)
    page.select_option("#lang", "zh-CN")
    page.wait_for_selector("html[lang=zh-CN]")
    phone.set_offline(True)
    page.wait_for_selector("#net-state.offline")
    page.fill("#note-body", "Door seal torn")
    page.click("#add-note")
    page.wait_for_selector("li.note >> text=Door seal torn")
    _add_note(page, HALF_EMOJI_JS)  # the server refuses this one (rejected, with a reason)
    page.wait_for_selector(f"li.note >> text={HALF_EMOJI_SHOWN}")
    act(page, "accept", "accepted")
    world.assign(tk["id"], other["id"], reason="e2e: reassigned")
    phone.set_offline(False)
    wait_for(lambda: pending(page) == 0, timeout=30)
    page.goto("/app/#/conflicts")
    page.wait_for_selector("#conflicts li.conflict-item")
    # Both conflicts (from the push's answers until a pull brings their records: either way in
    # words) and the refused note, kept on the phone.
    wait_for(lambda: page.locator("#conflicts li.conflict-item").count() >= 3)
    page.wait_for_selector("#conflicts li.conflict-item[data-source=queue] .not-synced")
    text = _shown(page, "#conflicts ul")
    assert not _english(text), (_english(text), text)
    found = axe_check(page, "app-a11y-zh-CN-06-conflicts-in-chinese")
    assert not found, "\n".join(found)
