"""Wire schemas for sync push/pull and conflicts (input and output kept apart)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from backend.fastdump import FastDumpSchema
from backend.pgtext import storable
from backend.sync.wire import changes_schema

MAX_MUTATIONS_PER_PUSH = 2000
MAX_PULL_LIMIT = 5000


def _any_json(description: str, **kwargs: Any) -> fields.Raw:
    """A field the envelope does not check: documented as any JSON value, null included."""
    return fields.Raw(
        allow_none=True, metadata={"nullable": True, "description": description}, **kwargs
    )


class MutationIn(Schema):
    """Only the id is checked here: it is what the answer is keyed by. A bad name or args
    (unknown, too long, not an object, text PostgreSQL cannot store) is answered ``rejected``
    for that mutation alone (``backend.sync.apply``), so one poison mutation never turns the
    whole batch into a 422 the phone would resend forever.

    The document says so too: ``name`` and ``args`` are documented as any JSON value (an empty
    schema), not as the string and object a good mutation carries, because a document that
    promised a 4xx for ``args: [null]`` would contradict the 200 with a per-mutation
    ``rejected`` that docs/sync-protocol.md requires (a schemathesis run found the mismatch)."""

    id = fields.UUID(required=True)
    name = _any_json(
        "the registered mutation's name, a string; any other value (or an unknown name) is "
        "answered `rejected` for this mutation alone, not a 4xx",
        required=True,
    )
    args = _any_json(
        "the mutation's arguments, an object (each mutation's own schema); null or absent "
        "means {}; anything else is answered `rejected` (`invalid_args`) for this mutation "
        "alone, not a 4xx",
        load_default=dict,
    )


class PushIn(Schema):
    client_id = fields.String(required=True, validate=[validate.Length(min=1, max=100), storable])
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))
    mutations = fields.List(
        fields.Nested(MutationIn),
        required=True,
        validate=validate.Length(max=MAX_MUTATIONS_PER_PUSH),
    )


class MutationResultOut(FastDumpSchema):
    id = fields.String(required=True)
    status = fields.String(
        required=True,
        metadata={"enum": ["applied", "merged", "conflict", "rejected", "duplicate"]},
    )
    original_status = fields.String(metadata={"description": "for duplicate: the first answer"})
    conflict_id = fields.String()
    error = fields.String()
    entity_version = fields.Integer()
    data = fields.Dict(
        metadata={"x-free-form": "what the mutation's handler answered (its own keys per mutation)"}
    )


class PushOut(FastDumpSchema):
    last_mutation_id = fields.String(allow_none=True)
    server_schema_version = fields.Integer()
    results = fields.List(fields.Nested(MutationResultOut))


class PullQuery(Schema):
    cursor = fields.String(load_default=None, validate=[validate.Length(max=500), storable])
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=MAX_PULL_LIMIT))
    client_id = fields.String(
        load_default=None, validate=[validate.Length(min=1, max=100), storable]
    )
    schema_version = fields.Integer(load_default=1, validate=validate.Range(min=1))


class CollectionOut(FastDumpSchema):
    upserts = fields.List(fields.Dict())
    removes = fields.List(fields.String())


class PullOut(FastDumpSchema):
    cursor = fields.String(required=True)
    has_more = fields.Boolean(required=True)
    reset = fields.Boolean(required=True)
    last_mutation_id = fields.String(allow_none=True)
    server_schema_version = fields.Integer()
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(CollectionOut),
        metadata={"document_as": changes_schema},  # each collection's entity, typed
    )
    ticket_scoped = fields.List(fields.String())


class ConflictQuery(Schema):
    status = fields.String(
        load_default="open", validate=validate.OneOf(["open", "resolved", "all"])
    )
    ticket_id = fields.UUID(load_default=None)
    actor_id = fields.UUID(load_default=None)


class ConflictResolveIn(Schema):
    resolution = fields.String(
        required=True, validate=validate.OneOf(["keep_server", "apply_engineer", "acknowledged"])
    )
    note = fields.String(load_default=None, validate=[validate.Length(max=2000), storable])


class ConflictOut(FastDumpSchema):
    id = fields.UUID()
    ticket_id = fields.UUID(allow_none=True)
    entity = fields.String()
    entity_id = fields.UUID(allow_none=True)
    kind = fields.String()
    message = fields.String()
    mutation_id = fields.UUID(allow_none=True)
    mutation_name = fields.String(allow_none=True)
    actor_id = fields.UUID(allow_none=True)
    mine = fields.Dict(
        metadata={"x-free-form": "the refused mutation's values as the phone sent them"}
    )
    theirs = fields.Dict(
        metadata={"x-free-form": "the record's values on the server when it was refused"}
    )
    base_version = fields.Integer(allow_none=True)
    occurred_at = fields.DateTime(allow_none=True)
    resolution = fields.String(allow_none=True)
    resolution_note = fields.String(allow_none=True)
    resolved_by_id = fields.UUID(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    version = fields.Integer()
