"""The server's verdicts on a table of checklist answers, for the engineer app's tests.

The app evaluates checklists offline with its own code (``mobile_pwa/src/app/checklist.ts``:
the definitions come from the server, the evaluation runs on the phone). ``fieldops
client-rules`` writes these verdicts to ``checklist.cases.gen.json`` and the app's
``checklist.test.ts`` asserts it reaches every one of them, so a rule changed here without the
app fails the build (``tests/test_client_rules.py`` fails when the file is stale).
"""

from __future__ import annotations

from typing import Any

from backend.jobtypes.checklist import AnswerRefused, check_answer, evaluate

ITEMS: list[dict[str, Any]] = [
    {"key": "isolated", "label": "Isolated", "type": "yes_no", "required": True},
    {"key": "pressure", "label": "Pressure", "type": "number", "min": 2.0, "max": 4.5,
     "unit": "bar", "required": True},
    {"key": "low_only", "label": "Low only", "type": "number", "min": 0, "max": None},
    {"key": "leak", "label": "Leak", "type": "single_choice",
     "choices": ["none", "minor", "major"], "required": True},
    {"key": "checks", "label": "Checks", "type": "multi_choice",
     "choices": ["fans", "belts", "filters"]},
    {"key": "remarks", "label": "Remarks", "type": "text"},
    {"key": "photo", "label": "Photo", "type": "photo", "required": True,
     "show_if": {"item": "leak", "any_of": ["minor", "major"]}},
    {"key": "hours", "label": "Hours", "type": "meter", "unit": "h"},
    {"key": "witness", "label": "Witness", "type": "signature"},
    {"key": "belt_ok", "label": "Belt ok", "type": "yes_no", "required": True,
     "show_if": {"item": "checks", "any_of": ["belts"]}},
    {"key": "after_photo", "label": "After photo", "type": "yes_no", "required": True,
     "show_if": {"item": "photo", "any_of": ["yes"]}},
]  # fmt: skip

PHOTO = "0b7a4b7e-2a53-4c38-9f2e-3c1f0e6c1a01"
STROKE = [[1, 2], [3, 4]]
VALUES: dict[str, list[Any]] = {
    "isolated": ["yes", "no", "na", "maybe", True, None, 1, ""],
    "pressure": [2, 2.0, 4.5, 3, 1.99, 4.51, -7, 1e12, 1e13, "3", True, None, [3]],
    "low_only": [0, -0.5, 1e9],
    "leak": ["none", "major", "huge", ["minor"], 1, ""],
    "checks": [["fans"], ["fans", "belts"], [], ["fans", "fans"], ["wheels"], "fans", [1]],
    "remarks": ["ok", " ", "", "x" * 5000, "x" * 5001, 5],
    "photo": [PHOTO, PHOTO.upper(), PHOTO.replace("-", ""), "{" + PHOTO + "}", "nope", 5, None],
    "hours": [0, 12.5, -1, "12", False],
    "witness": [
        {"signer_name": "Ann", "strokes": [STROKE]},
        {"signer_name": " Ann ", "strokes": [STROKE], "extra": 1},
        {"signer_name": "", "strokes": [STROKE]},
        {"signer_name": "Ann"},
        {"signer_name": "Ann", "strokes": []},
        {"signer_name": "Ann", "strokes": [[[1, 2, 3]]]},
        {"signer_name": "Ann", "strokes": [[[-1, 2]]]},
        {"signer_name": "Ann", "strokes": [[[1, 10001]]]},
        {"signer_name": "Ann", "strokes": [[[1, 1]] * 2001]},
        {"signer_name": "Ann", "strokes": [[]]},
        {"signer_name": "x" * 201, "strokes": [STROKE]},
        "Ann",
        None,
    ],
}

ANSWER_SETS: list[dict[str, Any]] = [
    {},
    {"isolated": "yes", "pressure": 3, "leak": "none"},
    {"isolated": "yes", "pressure": 9, "leak": "minor"},
    {"isolated": "no", "pressure": 3, "leak": "major", "photo": PHOTO},
    {"isolated": "na", "pressure": 1, "leak": "none", "checks": ["belts"], "low_only": -1},
    {"isolated": "yes", "pressure": 3, "leak": "none", "checks": ["belts"], "belt_ok": "no"},
    {"isolated": "maybe", "pressure": "3", "leak": "huge"},
    {"isolated": "yes", "pressure": 3, "leak": "none", "photo": "not-shown"},
]

SECTIONS: list[tuple[str, list[dict[str, Any]]]] = [("A", ITEMS[:5]), ("B", ITEMS[5:])]


def _normalized(item: dict[str, Any]) -> dict[str, Any]:
    """As the API sends it: every field present."""
    base = {"required": False, "help": "", "unit": None, "min": None, "max": None,
            "choices": None, "show_if": None}  # fmt: skip
    return {**base, **item}


def verdicts() -> dict[str, Any]:
    normalized = [(title, [_normalized(i) for i in items]) for title, items in SECTIONS]
    definition = {"sections": [{"title": t, "items": items} for t, items in normalized]}
    by_key = {i["key"]: i for _, items in normalized for i in items}
    answers = []
    for key, values in VALUES.items():
        for value in values:
            try:
                checked = check_answer(by_key[key], value)
                verdict: dict[str, Any] = {"kept": checked.value, "failed": checked.failed}
            except AnswerRefused:
                verdict = {"refused": True}
            answers.append({"item": key, "given": value, **verdict})
    evaluations = []
    for given in ANSWER_SETS:
        result = evaluate(definition, given)
        evaluations.append(
            {
                "answers": given,
                "visible": result.visible,
                "missing": result.missing,
                "failed": result.failed,
            }
        )
    return {
        "_generated": "by `fieldops client-rules` from backend/jobtypes/checklist.py "
        "(backend/jobtypes/cases.py); do not edit",
        "definition": definition,
        "answers": answers,
        "evaluations": evaluations,
    }
