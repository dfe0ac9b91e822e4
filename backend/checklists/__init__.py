"""Checklist answers on tickets: the answer operation (REST and the ``checklist.answer`` sync
mutation), its merge rule, and what the answers leave missing or failed; docs/planned-work.md."""
