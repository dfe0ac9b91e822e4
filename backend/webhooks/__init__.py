"""Webhooks: admins subscribe URLs to ticket, parts, conflict and plan events; every event is
delivered from the job outbox, signed per the Standard Webhooks specification, retried with
backoff for a day, logged per attempt, and a target failing for long is disabled
(docs/webhooks.md)."""
