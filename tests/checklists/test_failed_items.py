"""Failed checklist items on the job, in the service report and on the customer's tracking page;
the customer sees the failed items' labels only (no answers, no remarks)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from backend.db import db
from backend.jobtypes.operations import create_job_type
from backend.jobtypes.schemas import JobChecklistIn
from tests.jobtypes.conftest import CHILLER_CHECKLIST


def _text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return text.replace("\x00", "")


def test_failed_items_reach_the_report_and_the_tracking_page(api, client, job, dispatcher):
    jt = create_job_type(
        dispatcher,
        name="Chiller quarterly inspection",
        default_priority="P3",
        completion_rules={"signature": False, "parts": False},
        checklist=JobChecklistIn().load(CHILLER_CHECKLIST),
    )
    db.session.commit()
    engineer, ticket = job(
        source="public", contact={"name": "Ana", "phone": None, "email": None}, job_type_id=jt.id
    )
    token, ticket_id = ticket.tracking_token, ticket.id
    for key, value in (
        ("isolated", "yes"),
        ("leak", "none"),
        ("oil_pressure", 9.5),
        ("remarks", "Compressor bearing noisy, quote a replacement"),
    ):
        res = api(
            "put",
            f"/api/v1/tickets/{ticket_id}/checklist/answers/{key}",
            engineer,
            json={"value": value},
        )
        assert res.status_code == 200, res.json

    on_job = api("get", f"/api/v1/tickets/{ticket_id}/checklist", engineer).json
    assert on_job["failed"] == [{"key": "oil_pressure", "label": "Oil pressure"}]
    tracking = client.get(f"/api/v1/public/tracking/{token}").json
    assert tracking["failed_checks"] == ["Oil pressure"]
    page = client.get(f"/t/{token}").get_data(as_text=True)
    assert "Oil pressure" in page and "9.5" not in page and "bearing" not in page

    done = api(
        "post", f"/api/v1/tickets/{ticket_id}/transitions", engineer, json={"action": "complete"}
    )
    assert done.status_code == 200, done.json
    staff = api("get", f"/api/v1/tickets/{ticket_id}/report.pdf", engineer)
    customer = client.get(f"/api/v1/public/tracking/{token}/report.pdf")
    assert staff.status_code == customer.status_code == 200
    staff_text, customer_text = _text(staff.data), _text(customer.data)
    assert "Chiller quarterly inspection (version 1)" in staff_text
    assert "9.5 bar" in staff_text and "failed" in staff_text
    assert "bearing noisy" in staff_text
    assert "Items that failed the check" in customer_text and "Oil pressure" in customer_text
    assert "9.5" not in customer_text and "bearing" not in customer_text
    assert "Unit isolated" not in customer_text  # passed items are not listed to the customer


def test_a_ticket_without_a_job_type_shows_no_checks(client, job):
    _, ticket = job(source="public", contact={"name": "Ana", "phone": None, "email": None})
    assert (
        client.get(f"/api/v1/public/tracking/{ticket.tracking_token}").json["failed_checks"] == []
    )
