"""Preventive maintenance: when planned work falls due (docs/maintenance.md).

``recurrence`` holds the calendar rules (RFC 5545 recurrence rules in the plan's time zone)
and ``meters`` the usage rules (every N units since the last service); the plans, their
generation job and their API build on both.
"""
