"""Projects: Tryton ``project.work`` records of type ``project`` in the configured company."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from erpsync.protocol import ActorType, ErpActor, FieldType
from erpsync.protocol.codec import decode, encode_datetime, encode_float
from erpsync.sdk.errors import InvalidValue
from erpsync.sdk.languages import explain as _

from .session import TrytonSession
from .values import format_last_modified, from_tryton, to_tryton

__all__ = ["ProjectRow", "project_actors", "project_changes", "read_projects"]

_READ = [
    "name", "number", "comment", "status", "effort_duration", "party.rec_name",
    "create_date", "last_modified_at", "type", "company",
]  # fmt: skip

ProjectRow = dict[str, Any]


def read_projects(session: TrytonSession, ids: Sequence[int]) -> list[ProjectRow]:
    """The projects of the company with ``ids`` (others and tasks left out), in the order of ``ids``."""
    if not ids:
        return []
    rows = session.call("project.work", "read", list(ids), _READ, session.context)
    found = {
        int(r["id"]): r for r in rows if r.get("type") == "project" and r.get("company") == session.company_id
    }
    return [found[i] for i in ids if i in found]


def _hours(value: Any) -> str:
    duration = from_tryton(value)
    return encode_float(duration.total_seconds() / 3600) if isinstance(duration, timedelta) else ""


def project_actors(
    session: TrytonSession, rows: Sequence[ProjectRow], keys: Sequence[str] = ()
) -> list[ErpActor]:
    """The actors of ``rows`` with the field values of ``keys`` (all when empty)."""
    statuses = session.lists("projectstatus").key_of_id
    actors: list[ErpActor] = []
    for row in rows:
        stamp = from_tryton(row.get("last_modified_at"))
        created = from_tryton(row.get("create_date"))
        if not isinstance(stamp, datetime):
            raise InvalidValue(_("Tryton project %(id)s has no modification date.", id=row.get("id")))
        party = row.get("party.") or {}
        values = {
            "NAME": row.get("name") or "",
            "NUMBER": row.get("number") or "",
            "TEXT": row.get("comment") or "",
            "STATUS": statuses.get(row.get("status") or 0, ""),
            "EFFORT": _hours(row.get("effort_duration")),
            "CUSTOMER": party.get("rec_name") or "",
            "CREATED": encode_datetime(created) if isinstance(created, datetime) else "",
        }
        if keys:
            values = {key: values[key] for key in keys}
        actors.append(
            ErpActor(
                actor_type=ActorType.Project,
                erp_key=str(row["id"]),
                last_modified=format_last_modified(stamp),
                field_values=values,
            )
        )
    return actors


def project_changes(
    session: TrytonSession, values: Mapping[str, str], creating: bool, current_progress: float = 0.0
) -> dict[str, Any]:
    """The values of ``project.work.create`` / ``write`` for an actor's field values."""
    changes: dict[str, Any] = {"type": "project", "company": session.company_id} if creating else {}
    if "NAME" in values:
        changes["name"] = values["NAME"]
    if "TEXT" in values:
        changes["comment"] = values["TEXT"]
    if "STATUS" in values:
        key = values["STATUS"]
        if not key:
            raise InvalidValue(_("Status: a Tryton project always has a status."))
        status = session.lists("projectstatus").id_of_key.get(key)
        if status is None:
            raise InvalidValue(_("Status: %(key)r is not a project status of Tryton.", key=key))
        changes["status"] = status
        # Tryton refuses a status whose minimum progress the work has not reached: reach it.
        [minimum] = session.call("project.work.status", "read", [status], ["progress"], session.context)
        if minimum.get("progress"):
            changes["progress"] = max(float(minimum["progress"]), current_progress)
    if "EFFORT" in values:
        hours = decode(values["EFFORT"], FieldType.Double)
        if isinstance(hours, float) and hours < 0:
            raise InvalidValue(_("Effort: the effort cannot be negative."))
        changes["effort_duration"] = (
            to_tryton(timedelta(hours=hours)) if isinstance(hours, int | float) else None
        )
    return changes
