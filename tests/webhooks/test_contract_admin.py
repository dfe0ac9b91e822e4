"""schemathesis on the webhook operations as an admin, the one caller they serve (the suite's
contract test calls every operation as anonymous, an engineer and a dispatcher, who are all
refused here): no 5xx, every answer as documented. Random URLs go through the real SSRF check
(a name that does not resolve, or resolves to a refused address, is a 422)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from tests.api.test_schemathesis import CHECKS_TO_RUN, MAX_EXAMPLES

pytestmark = pytest.mark.slow


def test_webhook_operations_as_admin(app, session, make_user, auth, receiver):
    headers = auth(make_user("admin"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.generation.update(allow_extra_parameters=False)
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    operations = [
        r.ok()
        for r in schema.get_all_operations()
        if isinstance(r, Ok) and r.ok().path.startswith("/api/v1/webhooks")
    ]
    assert len(operations) == 10
    failures: list[str] = []
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS_TO_RUN)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
