"""Spare parts: catalog, stock locations (warehouses, one van per engineer), the append-only
stock ledger with materialised levels, and consumption on tickets (docs/architecture.md)."""
