"""The rule checker names each problem by its path, and the conditions judge facts as the
catalog says (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.automation.catalog import check_rule, describe
from backend.automation.conditions import holds, matches

GOOD = {
    "name": "P1 for chillers",
    "event": "ticket.created",
    "match": "all",
    "conditions": [
        {"field": "asset.model", "op": "contains", "value": "CX"},
        {
            "field": "time_of_day",
            "op": "between",
            "value": ["22:00", "06:00"],
            "zone": "Europe/Berlin",
        },
    ],
    "actions": [{"type": "set_priority", "priority": "P1"}],
}


def test_a_good_rule_has_no_errors():
    assert check_rule(GOOD) == {}


def test_each_problem_is_named_by_its_path():
    bad = {
        **GOOD,
        "event": "ticket.exploded",
        "conditions": [
            {"field": "ticket.priority", "op": "eq", "value": "P9"},
            {"field": "ticket.priority", "op": "like", "value": "P1"},
            {"field": "ticket.colour", "op": "eq", "value": "red"},
            {
                "field": "time_of_day",
                "op": "between",
                "value": ["25:00", "06:00"],
                "zone": "Mars/Base",
            },
            {"field": "region.id", "op": "any_of", "value": ["not-a-uuid"]},
            {"field": "ticket.assignee_id", "op": "is_set", "value": "x"},
        ],
        "actions": [
            {"type": "set_priority"},
            {"type": "teleport"},
            {
                "type": "notify",
                "title": "hi",
                "role": "admin",
                "user_id": "00000000-0000-0000-0000-000000000001",
            },
            {"type": "add_note", "body": "x", "colour": "red"},
        ],
    }
    errors = check_rule(bad)
    assert errors["event"][0].startswith("unknown event 'ticket.exploded'")
    assert errors["conditions.0.value"] == ["one of P1, P2, P3, P4"]
    assert errors["conditions.1.op"][0].startswith("unknown operator 'like' for ticket.priority")
    assert errors["conditions.2.field"][0].startswith("unknown field 'ticket.colour'")
    assert "conditions.3.value" in errors and "conditions.3.zone" in errors
    assert errors["conditions.4.value.0"] == ["must be a UUID"]
    assert errors["conditions.5.value"] == ["is_set takes no value"]
    assert errors["actions.0.priority"] == ["required"]
    assert errors["actions.1.type"][0].startswith("unknown action 'teleport'")
    assert errors["actions.2.role"] == ["give exactly one of role and user_id"]
    assert errors["actions.3.colour"] == ["unknown parameter for add_note"]


def test_a_rule_needs_a_name_and_one_to_ten_actions():
    errors = check_rule({"name": " ", "event": "ticket.created", "actions": []})
    assert set(errors) == {"name", "actions"}


def test_the_night_span_runs_past_midnight_in_the_zone():
    cond = {
        "field": "time_of_day",
        "op": "between",
        "value": ["22:00", "06:00"],
        "zone": "Europe/Berlin",
    }
    # 21:30 UTC is 22:30 in Berlin (winter): night; 12:00 UTC is 13:00: day
    assert holds(cond, {"time_of_day": datetime(2026, 12, 4, 21, 30, tzinfo=UTC)})
    assert not holds(cond, {"time_of_day": datetime(2026, 12, 4, 12, 0, tzinfo=UTC)})
    assert holds(
        {**cond, "op": "not_between"}, {"time_of_day": datetime(2026, 12, 4, 12, 0, tzinfo=UTC)}
    )


def test_all_and_any_and_absent_facts():
    facts = {"ticket.priority": "P2", "asset.model": None, "ticket.required_skills": ["hvac"]}
    p2 = {"field": "ticket.priority", "op": "eq", "value": "P2"}
    cx = {"field": "asset.model", "op": "contains", "value": "CX"}
    no_cx = {"field": "asset.model", "op": "not_contains", "value": "CX"}
    hvac = {"field": "ticket.required_skills", "op": "contains", "value": "hvac"}
    assert matches("all", [p2, hvac], facts)
    assert not matches("all", [p2, cx], facts)
    assert matches("any", [p2, cx], facts)
    assert matches("all", [no_cx], facts)  # an absent fact contains nothing
    assert matches("all", [], facts)  # no conditions: always


def test_the_catalog_describes_every_field_with_its_operators():
    cat = describe()
    fields = {f["name"]: f for f in cat["fields"]}
    assert "like" not in fields["ticket.priority"]["operators"]
    assert fields["ticket.priority"]["values"] == ["P1", "P2", "P3", "P4"]
    assert {"ticket.created", "ticket.assigned"} <= {e["type"] for e in cat["events"]}
    assert "escalate" in {a["type"] for a in cat["actions"]}


def test_the_answer_schema_names_every_action_parameter():
    from backend.automation.catalog import ACTIONS
    from backend.automation.schemas import ActionOut

    params = {name for _desc, ps in ACTIONS.values() for name in ps}
    assert params <= set(ActionOut().fields)


def test_odd_json_gets_errors_not_exceptions():
    odd = {
        "name": "x",
        "event": ["ticket.created"],
        "match": {"a": 1},
        "conditions": [
            {"field": ["ticket.priority"], "op": "eq", "value": "P1"},
            {"field": "ticket.priority", "op": {"eq": 1}, "value": "P1"},
            {
                "field": "time_of_day",
                "op": "between",
                "value": ["08:00", "09:00"],
                "zone": "x" * 5000,
            },
            "not an object",
        ],
        "actions": [{"type": ["add_note"]}, {"type": {"x": 1}}, 7],
    }
    errors = check_rule(odd)
    assert {"event", "match", "conditions.0.field", "conditions.1.op", "conditions.2.zone"} <= set(
        errors
    )
    assert {"conditions.3", "actions.0.type", "actions.1.type", "actions.2"} <= set(errors)
