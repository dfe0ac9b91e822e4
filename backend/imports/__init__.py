"""Bulk import and export of the records a company brings from its old system (docs/imports.md)."""
