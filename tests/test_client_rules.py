"""The engineer app's copy of the server's rules is generated, and this test fails when the
generated module and the server disagree (a changed state machine or default completion rule
must be regenerated with ``fieldops client-rules``, never edited by hand)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from backend.cli import CHECKLIST_CASES, CLIENT_RULES, checklist_cases, client_rules, main
from backend.signoff.rules import DEFAULT_RULES
from backend.workorders.states import ACTIVE_WORK, TRANSITIONS, Actor, target_status


def test_generated_module_matches_the_server() -> None:
    assert CLIENT_RULES.read_text() == client_rules(), "run `fieldops client-rules`"
    assert CHECKLIST_CASES.read_text() == checklist_cases(), "run `fieldops client-rules`"
    result = CliRunner().invoke(main, ["client-rules", "--check"])
    assert result.exit_code == 0, result.output


def test_table_answers_as_the_state_machine_does() -> None:
    rules = json.loads(CLIENT_RULES.read_text())
    table = rules["states"]["transitions"]
    engineer = {a for a, t in TRANSITIONS.items() if Actor.ENGINEER in t.actors}
    assert set(table) == engineer
    assert "close" not in table and "cancel" not in table  # staff only
    resume = rules["states"]["resume_to"]
    for action in engineer:
        for source in TRANSITIONS[action].sources:
            for held in (None, *ACTIVE_WORK):
                want = target_status(action, source, held_from=held)
                to = table[action]["to"]
                got = to if to is not None else (
                    held if held in resume["held_from"] else resume["otherwise"]
                )  # fmt: skip
                assert got == want, (action, source, held)
    assert rules["completion_default"] == DEFAULT_RULES["default"]


def test_check_fails_when_the_module_is_stale(tmp_path, monkeypatch) -> None:
    stale = tmp_path / "rules.gen.json"
    stale.write_text(client_rules().replace('"accept"', '"accept_it"'))
    monkeypatch.setattr("backend.cli.CLIENT_RULES", stale)
    result = CliRunner().invoke(main, ["client-rules", "--check"])
    assert result.exit_code != 0 and "out of date" in result.output
