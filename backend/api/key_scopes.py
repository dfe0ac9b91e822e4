"""Which API-key scope each operation needs: one rule, read by the OpenAPI document (which
then lists the ``apiKeyAuth`` scheme and ``x-api-key-scope`` on the operation) and, through
the document, by the auth gate. Pure: blueprint, endpoint, method and the roles named on the
view in, a scope or None (keys are no credential for it) out.

The rule (docs/api-keys.md):

- an operation limited to staff (dispatcher/admin) takes ``<area>:read`` when it reads (GET;
  report exports and QR label sheets, which only read, whatever their method) and
  ``<area>:write`` otherwise;
- webhook administration (admin only) takes ``webhooks:admin``;
- a few operations open to every logged-in user that staff use to read shared records
  (tickets, parts, regions, a time sheet) take ``<area>:read``;
- nothing else: no user administration, no key administration, no sessions, and nothing an
  engineer does on their own jobs (sync, notes and evidence, sign-off, their week, devices).
  A service account is not an engineer and never acts as one.
"""

from __future__ import annotations

STAFF = frozenset({"admin", "dispatcher"})
_SAFE = frozenset({"GET", "HEAD"})

AREA_OF_BLUEPRINT = {
    "assets": "assets",
    "conflicts": "dispatch",
    "dispatch": "dispatch",
    "engineers": "dispatch",
    "job_types": "planning",
    "maintenance": "planning",
    "optimize": "dispatch",
    "regions": "dispatch",
    "parts": "parts",
    "reports": "reports",
    "tickets": "tickets",
    "timesheets": "timesheets",
}
# Areas whose every operation only reads, whatever its method (export jobs are POSTs).
_READ_ONLY = frozenset({"reports"})
# Operations that only read although they are POSTs (a selection too long for a URL).
_READING_POSTS = frozenset({"assets.AssetLabelsPdf", "assets.AssetLabelJobs"})
# Open to every logged-in user, scoped by the view to what the caller may see (staff: all).
LOGIN_READS = frozenset(
    {
        "engineers.EngineerById",
        "parts.PartById",
        "parts.Parts",
        "parts.StockLocations",
        "parts.stock_levels",
        "regions.RegionById",
        "regions.Regions",
        "regions.Skills",
        "reports.ExportState",
        "tickets.Events",
        "tickets.Notes",
        "tickets.TicketById",
        "tickets.Tickets",
        "timesheets.export_sheet",
        "timesheets.get_sheet",
    }
)


def required_scope(blueprint: str, endpoint: str, method: str, roles: frozenset[str]) -> str | None:
    """The scope an API key needs for ``method`` on ``endpoint`` (``blueprint.Name``), or
    None when keys may not call it at all."""
    if blueprint == "webhooks":
        return "webhooks:admin" if roles == frozenset({"admin"}) else None
    area = AREA_OF_BLUEPRINT.get(blueprint)
    if area is None:
        return None
    reads = method.upper() in _SAFE or area in _READ_ONLY or endpoint in _READING_POSTS
    if roles == STAFF:
        return f"{area}:{'read' if reads else 'write'}"
    if not roles and reads and endpoint in LOGIN_READS:
        return f"{area}:read"
    return None
