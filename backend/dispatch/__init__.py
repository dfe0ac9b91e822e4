"""Territories, skills, engineers and the geo-aware dispatcher (see docs/dispatch.md)."""
