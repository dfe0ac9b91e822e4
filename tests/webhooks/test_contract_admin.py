"""schemathesis on the webhook operations as an admin, the one caller they serve (the suite's
contract test calls every operation as anonymous, an engineer and a dispatcher, who are all
refused here): no 5xx, every answer as documented. Random URLs go through the real SSRF check
(a name that does not resolve, or resolves to a refused address, is a 422)."""

from __future__ import annotations

import pytest

from tests.api.test_schemathesis import contract_failures, operations

pytestmark = pytest.mark.slow


def test_webhook_operations_as_admin(app, session, make_user, auth, receiver):
    headers = auth(make_user("admin"))
    ops = operations(app, "/api/v1/webhooks")
    assert len(ops) == 10
    failures = contract_failures(ops, headers)
    assert not failures, "\n\n".join(failures)
