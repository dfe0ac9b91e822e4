"""Insight: the service KPIs (SLA, times, backlog) as exactly defined SQL over the raw tables.

These queries are the reference definitions of docs/kpis.md: a faster implementation (rollup
tables) must return the same numbers, and the property tests recompute them from raw rows.
"""
