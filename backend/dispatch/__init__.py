"""Territories, skills, engineers and the geo-aware dispatcher (see shared/DISPATCH.md)."""
