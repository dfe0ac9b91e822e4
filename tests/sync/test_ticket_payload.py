"""What a phone receives for a ticket: the human number, never the customer's tracking token."""

from __future__ import annotations

from backend.sync.entities import serialize


def test_pulled_ticket_has_number_and_no_tracking_token(make_ticket):
    ticket = make_ticket(source="public", contact={"name": "Ada", "phone": None, "email": None})
    assert ticket.tracking_token  # a public report has one
    payload = serialize(ticket)
    assert payload["number"] == ticket.number
    assert "tracking_token" not in payload
    assert payload["id"] == str(ticket.id) and payload["contact_name"] == "Ada"
