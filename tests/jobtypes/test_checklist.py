"""The checklist rules (pure): definitions, answers of every item type, conditions, failed and
missing items."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from backend.jobtypes.checklist import (
    AnswerRefused,
    check_answer,
    definition_errors,
    evaluate,
    item_by_key,
)
from backend.jobtypes.schemas import JobChecklistIn
from tests.jobtypes.conftest import CHILLER_CHECKLIST


def load(definition: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = JobChecklistIn().load(definition)
    return loaded


def item(key: str) -> dict[str, Any]:
    found = item_by_key(load(CHILLER_CHECKLIST), key)
    assert found is not None
    return found


def test_the_example_is_well_formed():
    assert definition_errors(load(CHILLER_CHECKLIST)) == {}


def _broken(change: Any) -> dict[str, list[str]]:
    definition = copy.deepcopy(CHILLER_CHECKLIST)
    change(definition)
    return definition_errors(load(definition))


def test_duplicate_key_is_named_by_its_path():
    def dup(d: dict[str, Any]) -> None:
        d["sections"][1]["items"][1]["key"] = "isolated"

    assert _broken(dup) == {"sections.1.items.1.key": ["duplicate item key 'isolated'"]}


def test_min_above_max():
    def flip(d: dict[str, Any]) -> None:
        d["sections"][1]["items"][0].update(min=5, max=1)

    assert _broken(flip) == {"sections.1.items.0.max": ["must be at least min (5.0)"]}


def test_range_and_unit_only_where_they_mean_something():
    def misplace(d: dict[str, Any]) -> None:
        d["sections"][0]["items"][0].update(min=1, unit="bar")

    errors = _broken(misplace)
    assert set(errors) == {"sections.0.items.0.min", "sections.0.items.0.unit"}


def test_choice_items_need_distinct_choices_and_others_none():
    def bad(d: dict[str, Any]) -> None:
        d["sections"][0]["items"][1]["choices"] = ["none", "minor", "major", "minor"]
        d["sections"][1]["items"][2]["choices"] = []
        d["sections"][1]["items"][3]["choices"] = ["x"]

    errors = _broken(bad)
    assert errors == {
        "sections.0.items.1.choices": ["choices must be distinct"],
        "sections.1.items.2.choices": ["a multi_choice item needs at least one choice"],
        "sections.1.items.3.choices": ["only choice items have choices, not text"],
    }


def test_a_condition_looks_back_only():
    def forward(d: dict[str, Any]) -> None:
        d["sections"][0]["items"][0]["show_if"] = {"item": "leak", "any_of": ["none"]}

    assert "sections.0.items.0.show_if.item" in _broken(forward)


def test_a_condition_tests_a_yes_no_or_choice_item_with_its_values():
    def on_number(d: dict[str, Any]) -> None:
        d["sections"][1]["items"][1]["show_if"] = {"item": "oil_pressure", "any_of": ["3"]}

    assert "is number" in _broken(on_number)["sections.1.items.1.show_if.item"][0]

    def unknown_value(d: dict[str, Any]) -> None:
        d["sections"][1]["items"][1]["show_if"] = {"item": "leak", "any_of": ["huge"]}

    assert _broken(unknown_value) == {
        "sections.1.items.1.show_if.any_of": ["'huge' never answers 'leak'; use none, minor, major"]
    }


# ---- answers of every type --------------------------------------------------------------


@pytest.mark.parametrize(
    "key,value,failed",
    [
        ("isolated", "yes", False),
        ("isolated", "no", False),
        ("isolated", "na", False),
        ("oil_pressure", 3, False),
        ("oil_pressure", 2.0, False),  # the bounds are allowed
        ("oil_pressure", 4.5, False),
        ("oil_pressure", 1.99, True),
        ("oil_pressure", 7, True),
        ("leak", "minor", False),
        ("checks", ["fans", "belts"], False),
        ("remarks", "all good", False),
        ("hours", 12034.5, False),
        ("hours", 0, False),
    ],
)
def test_accepted_answers(key: str, value: Any, failed: bool):
    assert check_answer(item(key), value).failed is failed


@pytest.mark.parametrize(
    "key,value",
    [
        ("isolated", "maybe"),
        ("isolated", True),
        ("oil_pressure", "3"),
        ("oil_pressure", True),
        ("oil_pressure", float("nan")),
        ("oil_pressure", float("inf")),
        ("leak", "huge"),
        ("leak", ["minor"]),
        ("checks", []),
        ("checks", ["fans", "fans"]),
        ("checks", ["wheels"]),
        ("remarks", "   "),
        ("remarks", "x" * 5001),
        ("hours", -1),
        ("leak_photo", "not-a-uuid"),
        ("witness", {"signer_name": "", "strokes": [[[1, 2], [3, 4]]]}),
        ("witness", {"signer_name": "Ann"}),
        ("witness", {"signer_name": "Ann", "strokes": []}),
        ("witness", {"signer_name": "Ann", "strokes": [[[1, 2, 3]]]}),
        ("witness", {"signer_name": "Ann", "strokes": [[[-1, 2]]]}),
        ("witness", {"signer_name": "Ann", "strokes": [[[1, 1]] * 2001]}),
        ("witness", "Ann"),
    ],
)
def test_refused_answers(key: str, value: Any):
    with pytest.raises(AnswerRefused):
        check_answer(item(key), value)


def test_photo_and_signature_answers_are_normalized():
    photo = uuid.uuid4()
    assert check_answer(item("leak_photo"), str(photo).upper()).value == str(photo)
    signed = {"signer_name": " Ann Lee ", "strokes": [[[1, 2], [3, 4]]], "x": 1}
    assert check_answer(item("witness"), signed).value == {
        "signer_name": "Ann Lee",
        "strokes": [[[1.0, 2.0], [3.0, 4.0]]],
    }


# ---- evaluation -------------------------------------------------------------------------


def test_missing_required_items_in_order():
    result = evaluate(load(CHILLER_CHECKLIST), {})
    assert result.missing == ["isolated", "leak", "oil_pressure"]
    assert "leak_photo" not in result.visible  # its condition has no answer yet


def test_a_condition_shows_an_item_and_makes_it_required():
    definition = load(CHILLER_CHECKLIST)
    answers: dict[str, Any] = {"isolated": "yes", "leak": "none", "oil_pressure": 3}
    assert evaluate(definition, answers).missing == []
    answers["leak"] = "major"
    result = evaluate(definition, answers)
    assert result.missing == ["leak_photo"]
    assert "leak_photo" in result.visible


def test_a_hidden_item_is_neither_missing_nor_failed():
    definition = copy.deepcopy(CHILLER_CHECKLIST)
    definition["sections"][1]["items"][0]["show_if"] = {"item": "isolated", "any_of": ["yes"]}
    loaded = load(definition)
    answers = {"isolated": "no", "leak": "none", "oil_pressure": 99}
    result = evaluate(loaded, answers)
    assert result.failed == [] and result.missing == []
    assert evaluate(loaded, {**answers, "isolated": "yes"}).failed == ["oil_pressure"]


def test_multi_choice_conditions_match_any_chosen_value():
    definition = copy.deepcopy(CHILLER_CHECKLIST)
    definition["sections"][1]["items"].append(
        {
            "key": "belt_tension",
            "label": "Belt tension ok",
            "type": "yes_no",
            "required": True,
            "show_if": {"item": "checks", "any_of": ["belts"]},
        }
    )
    loaded = load(definition)
    base = {"isolated": "yes", "leak": "none", "oil_pressure": 3}
    assert evaluate(loaded, {**base, "checks": ["fans"]}).missing == []
    assert evaluate(loaded, {**base, "checks": ["fans", "belts"]}).missing == ["belt_tension"]


def test_a_chain_of_conditions_hides_everything_behind_a_hidden_item():
    definition = copy.deepcopy(CHILLER_CHECKLIST)
    definition["sections"][0]["items"].append(
        {
            "key": "leak_fixed",
            "label": "Leak fixed",
            "type": "yes_no",
            "required": True,
            "show_if": {"item": "leak", "any_of": ["minor"]},
        }
    )
    definition["sections"][0]["items"][1]["show_if"] = {"item": "isolated", "any_of": ["yes"]}
    loaded = load(definition)
    # leak is hidden (isolated: no), so leak_fixed is hidden although leak still holds "minor"
    result = evaluate(loaded, {"isolated": "no", "leak": "minor", "oil_pressure": 3})
    assert "leak" not in result.visible and "leak_fixed" not in result.visible
    assert result.missing == []
