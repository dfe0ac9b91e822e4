"""Job type operations: plain values in, ``flush()`` only, DomainError out.

Every write that changes a job type's content writes a new ``JobTypeVersion``; tickets keep
the version they were created with (``version_for_new_ticket``), so an edit never changes the
checklist of work already planned.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, select, tuple_

from backend.accounts.models import User
from backend.db import added, db, get_or_404
from backend.errors import Conflict, Invalid, NotFound, StaleVersion
from backend.jobtypes import hooks
from backend.jobtypes.checklist import definition_errors
from backend.jobtypes.models import CONTENT_FIELDS, JobType, JobTypeVersion

EMPTY_CHECKLIST: dict[str, Any] = {"sections": []}
DEFAULTS: dict[str, Any] = {
    "description": "",
    "required_skills": [],
    "estimated_minutes": None,
    "suggested_parts": [],
    "completion_rules": {},
    "checklist": EMPTY_CHECKLIST,
}


def _normalized(content: Mapping[str, Any]) -> dict[str, Any]:
    """The content as stored (JSON values, skills sorted and unique, names trimmed), so two
    spellings of the same content compare equal and make no new version."""
    out = dict(content)
    out["name"] = str(out["name"]).strip()
    out["required_skills"] = sorted(set(out["required_skills"]))
    out["suggested_parts"] = [
        {"part_id": str(p["part_id"]), "quantity": float(p["quantity"])}
        for p in out["suggested_parts"]
    ]
    return out


def _check(content: Mapping[str, Any]) -> None:
    if not content["name"]:
        raise Invalid("a job type needs a name", errors={"name": ["must not be blank"]})
    problems = definition_errors(content["checklist"])
    if problems:
        first_path, messages = next(iter(problems.items()))
        raise Invalid(
            f"the checklist is not valid: checklist.{first_path}: {messages[0]}",
            errors={f"checklist.{path}": msgs for path, msgs in problems.items()},
        )
    part_ids = [p["part_id"] for p in content["suggested_parts"]]
    if len(set(part_ids)) != len(part_ids):
        raise Invalid(
            "a part is suggested twice", errors={"suggested_parts": ["each part at most once"]}
        )
    hooks.run(hooks.definition_checks, content)


def _name_taken(name: str, other_than: uuid.UUID | None = None) -> None:
    stmt = select(JobType.id).where(func.lower(JobType.name) == name.lower())
    if other_than is not None:
        stmt = stmt.where(JobType.id != other_than)
    if db.session.scalar(stmt) is not None:
        raise Conflict(f"a job type named {name!r} exists", errors={"name": ["already used"]})


def _new_version(
    job_type: JobType, number: int, content: Mapping[str, Any], actor: User | None
) -> JobTypeVersion:
    return added(
        JobTypeVersion(
            job_type_id=job_type.id,
            number=number,
            created_by_id=actor.id if actor else None,
            **{k: content[k] for k in CONTENT_FIELDS},
        )
    )


def create_job_type(actor: User | None, **args: Any) -> JobType:
    """A new job type and its version 1."""
    content = _normalized({**DEFAULTS, **{k: v for k, v in args.items() if k in CONTENT_FIELDS}})
    _check(content)
    _name_taken(content["name"])
    job_type = added(
        JobType(
            name=content["name"],
            active=args.get("active", True),
            current_version=1,
            created_by_id=actor.id if actor else None,
        )
    )
    _new_version(job_type, 1, content, actor)
    return job_type


def update_job_type(
    job_type: JobType, actor: User | None, changes: Mapping[str, Any], *, version: int
) -> JobType:
    """Edit: ``version`` is the current version the editor saw (stale: 409). Changed content
    becomes version n+1; ``active`` alone makes no version."""
    if version != job_type.current_version:
        raise StaleVersion(
            f"job type {job_type.name!r} has changed: you edited version {version}, the "
            f"current version is {job_type.current_version}; reload and try again",
            current_version=job_type.current_version,
        )
    current = current_version(job_type)
    before = {k: getattr(current, k) for k in CONTENT_FIELDS}
    content = _normalized({**before, **{k: v for k, v in changes.items() if k in CONTENT_FIELDS}})
    if content != _normalized(before):
        _check(content)
        if content["name"] != job_type.name:
            _name_taken(content["name"], other_than=job_type.id)
        job_type.current_version += 1
        job_type.name = content["name"]
        _new_version(job_type, job_type.current_version, content, actor)
    if "active" in changes:
        job_type.active = bool(changes["active"])
    db.session.flush()
    return job_type


def get_job_type(job_type_id: uuid.UUID) -> JobType:
    return get_or_404(JobType, job_type_id, label="job type")


def get_version(version_id: uuid.UUID) -> JobTypeVersion:
    return get_or_404(JobTypeVersion, version_id, label="job type version")


def current_version(job_type: JobType) -> JobTypeVersion:
    stmt = select(JobTypeVersion).where(
        JobTypeVersion.job_type_id == job_type.id,
        JobTypeVersion.number == job_type.current_version,
    )
    found = db.session.scalars(stmt).one_or_none()
    if found is None:  # the two rows are written together; this is a broken database
        raise NotFound(f"job type {job_type.id} has no version {job_type.current_version}")
    return found


def versions_query(job_type: JobType) -> Select[JobTypeVersion]:
    """Every version of a job type, newest first."""
    return (
        select(JobTypeVersion)
        .where(JobTypeVersion.job_type_id == job_type.id)
        .order_by(JobTypeVersion.number.desc())
    )


def job_types_query(active: bool | None = None) -> Select[JobType]:
    stmt = select(JobType).order_by(JobType.name, JobType.id)
    if active is not None:
        stmt = stmt.where(JobType.active.is_(active))
    return stmt


def describe(job_type: JobType, version: JobTypeVersion | None = None) -> dict[str, Any]:
    """A job type with its current version's content, as ``JobTypeOut`` writes it."""
    version = version or current_version(job_type)
    return {
        **{k: getattr(version, k) for k in CONTENT_FIELDS},
        "id": job_type.id,
        "active": job_type.active,
        "current_version": job_type.current_version,
        "current_version_id": version.id,
        "created_at": job_type.created_at,
        "updated_at": job_type.updated_at,
    }


def describe_page(job_types: list[JobType]) -> list[dict[str, Any]]:
    """``describe`` for a page of job types, their current versions read in one query."""
    if not job_types:
        return []
    wanted = [(jt.id, jt.current_version) for jt in job_types]
    stmt = select(JobTypeVersion).where(
        tuple_(JobTypeVersion.job_type_id, JobTypeVersion.number).in_(wanted)
    )
    found = {(v.job_type_id, v.number): v for v in db.session.scalars(stmt)}
    return [describe(jt, found[(jt.id, jt.current_version)]) for jt in job_types]


def version_for_new_ticket(job_type_id: uuid.UUID) -> JobTypeVersion:
    """The version a ticket created now gets: the current one of an active job type."""
    job_type = get_or_404(JobType, job_type_id, label="job type", field="job_type_id")
    if not job_type.active:
        raise Invalid(
            f"job type {job_type.name!r} is archived: new tickets may not use it",
            errors={"job_type_id": ["archived job type"]},
        )
    return current_version(job_type)


def versions_by_id(version_ids: set[uuid.UUID]) -> dict[uuid.UUID, JobTypeVersion]:
    """Versions by id in one query (a pull page, a list of tickets)."""
    if not version_ids:
        return {}
    stmt = select(JobTypeVersion).where(JobTypeVersion.id.in_(version_ids))
    return {v.id: v for v in db.session.scalars(stmt)}


def service_minutes(version_ids: set[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The estimated duration of each of these versions that has one (dispatch's and the
    optimizer's service time for a ticket of that version), in one query."""
    if not version_ids:
        return {}
    stmt = select(JobTypeVersion.id, JobTypeVersion.estimated_minutes).where(
        JobTypeVersion.id.in_(version_ids), JobTypeVersion.estimated_minutes.is_not(None)
    )
    return {vid: minutes for vid, minutes in db.session.execute(stmt) if minutes is not None}
