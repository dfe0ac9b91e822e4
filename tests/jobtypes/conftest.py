"""Job type tests use the API tests' fixtures: fresh rate limits, ``api(method, path, user)``,
a dispatcher (``staff``) and an admin."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import _fresh_rate_limits, admin, api, staff  # noqa: F401 (fixtures)

CHILLER_CHECKLIST: dict[str, Any] = {
    "sections": [
        {
            "title": "Safety",
            "items": [
                {"key": "isolated", "label": "Unit isolated", "type": "yes_no", "required": True},
                {
                    "key": "leak",
                    "label": "Refrigerant leak found",
                    "type": "single_choice",
                    "choices": ["none", "minor", "major"],
                    "required": True,
                },
                {
                    "key": "leak_photo",
                    "label": "Photo of the leak",
                    "type": "photo",
                    "required": True,
                    "show_if": {"item": "leak", "any_of": ["minor", "major"]},
                },
            ],
        },
        {
            "title": "Readings",
            "items": [
                {
                    "key": "oil_pressure",
                    "label": "Oil pressure",
                    "type": "number",
                    "unit": "bar",
                    "min": 2.0,
                    "max": 4.5,
                    "required": True,
                },
                {"key": "hours", "label": "Run hours", "type": "meter", "unit": "h"},
                {
                    "key": "checks",
                    "label": "Also checked",
                    "type": "multi_choice",
                    "choices": ["fans", "belts", "filters"],
                },
                {"key": "remarks", "label": "Remarks", "type": "text"},
                {"key": "witness", "label": "Site manager", "type": "signature"},
            ],
        },
    ]
}


@pytest.fixture()
def job_type_body() -> Any:
    def _body(**over: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": "Chiller quarterly inspection",
            "description": "Quarterly inspection of a water-cooled chiller.",
            "default_priority": "P3",
            "estimated_minutes": 90,
            "checklist": CHILLER_CHECKLIST,
        }
        body.update(over)
        return body

    return _body
