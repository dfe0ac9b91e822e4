"""Offline sync (docs/sync-protocol.md): change log, scoped pull, idempotent push, conflicts.

Conventions for other features
------------------------------
**Synced collections.** A model joins sync by inheriting ``backend.db.SyncTracked`` and setting
``__sync_entity__`` (the wire name: ``photos``, ``part_usages``...). The flush listener in
``changelog.py`` then writes a change-log row for every ORM insert/update/delete of it, in the
same transaction. ORM-bypassing writes (``session.execute(update(Model)...)``, bulk inserts)
are invisible to it: call ``backend.sync.changelog.record(...)`` for those rows.

**Scope** (who gets a row on their phone) comes from ``__sync_scope__``:

- omitted, with a ``ticket_id`` column -> ``"ticket"``: the ticket's current assignee
  (notes, photos, part usages, signoffs). A job reassigned away is removed from the old
  engineer with all its children; the new engineer receives it with all its children.
- ``"global"``: every engineer (the part catalog).
- ``"engineer:<attr>"``: the user whose id is in ``<attr>`` (van stock: ``engineer:engineer_id``;
  conflicts: ``engineer:actor_id``). Changing the attribute moves the row between phones.
- ``"custom"``: the class defines ``sync_engineers(self) -> Iterable[UUID]`` and the
  classmethod ``sync_scope_clause(cls, user_id) -> SQL condition``.

Optional: ``__sync_exclude__ = ("column", ...)`` keeps columns off the wire; a ``to_sync(self)``
method replaces the default column serializer; a classmethod ``sync_context(cls, objs)``
returning ``{id: {key: value}}`` adds context from other tables, called once per pull page
with all of the page's rows of that class (tickets carry customer, site, asset and history).
The document states each collection's shape (``wire.py``): a JSON column says what it holds
with ``info={"wire": <field>}``, a ``sync_context`` comes with ``sync_context_schemas()`` and a
``to_sync`` with ``sync_schema()``.

**Mutations.** Register push handlers with ``backend.sync.registry.mutation(name, Schema,
entity=...)`` in your feature's ``wiring.py`` (or a ``sync_mutations.py`` it imports);
``entity`` names what a refused mutation's conflict points at. The handler calls the same
operation as the REST endpoint, and raises ``DomainError`` (a ``Conflict`` becomes a recorded
conflict, anything else ``rejected``) or returns a ``MutationOutcome``. Record a richer
conflict with ``backend.sync.conflicts.record_conflict`` and return ``status="conflict"``.

**Clients.** On pull, apply ``upserts`` (replace the confirmed copy) and ``removes``; removing
a ticket also drops that ticket's records in the collections named by ``ticket_scoped``.
``reset: true`` means: drop the confirmed state (keep pending mutations) and keep pulling
until ``has_more`` is false.
"""

SERVER_SCHEMA_VERSION = 1
