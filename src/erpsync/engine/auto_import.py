"""Auto-import: new ERP actors of a mapping with *auto-import* on become CRM records with links.

Off by default (reference §5.2 ignores unlinked actors; peers ask for it). A person is imported only
under its parent's link in the same connection; without one it is skipped and logged. Values that
cannot be translated are left empty with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import begin_write
from erpsync.crm.errors import CrmValidationError
from erpsync.crm.journal import connection_origin
from erpsync.hub.field_values import normal_erp, sides_of
from erpsync.hub.models import ErpLink
from erpsync.hub.service import Hub
from erpsync.hub.synclog import LogEntry, write_log
from erpsync.protocol import ErpActor

from .plan import ConnectionPlan, TypePlan

__all__ = ["import_new_actors"]


def _entry(plan: ConnectionPlan, actor: ErpActor, **values: Any) -> LogEntry:
    return LogEntry(
        connection_id=plan.id,
        source="engine",
        erp_actor_type=actor.actor_type,
        erp_key=actor.erp_key,
        **values,
    )


def _parent_companies(
    session: Session, plan: ConnectionPlan, actors: Sequence[ErpActor]
) -> dict[tuple[str, str], int]:
    keys = {(a.parent_actor_type, a.parent_erp_key) for a in actors if a.parent_erp_key}
    found: dict[tuple[str, str], int] = {}
    for actor_type, key in keys:
        record_id = session.scalar(
            select(ErpLink.crm_record_id).where(
                ErpLink.connection_id == plan.id,
                ErpLink.crm_entity == CrmEntity.company.value,
                ErpLink.erp_actor_type == actor_type,
                ErpLink.erp_key == key,
            )
        )
        if record_id is not None:
            found[(actor_type, key)] = record_id
    return found


def import_new_actors(hub: Hub, plan: ConnectionPlan, tp: TypePlan, actors: Sequence[ErpActor]) -> int:
    """Create a record and a link for each actor not linked yet; the number created."""
    origin = connection_origin(plan.id)
    created = 0
    with hub.sessions() as session:
        begin_write(session)
        parents = _parent_companies(session, plan, actors) if tp.entity is CrmEntity.person else {}
        entries: list[LogEntry] = []
        for actor in actors:
            exists = session.scalar(
                select(ErpLink.id).where(
                    ErpLink.connection_id == plan.id,
                    ErpLink.erp_actor_type == actor.actor_type,
                    ErpLink.erp_key == actor.erp_key,
                )
            )
            if exists is not None:
                continue
            values: dict[str, Any] = {}
            base: dict[str, str] = {}
            warnings: list[LogEntry] = []
            for f in tp.fields:
                raw = actor.field_values.get(f.erp_key)
                if raw is None or not f.to_crm:
                    continue
                sides = sides_of(f, None, raw)
                if not sides.erp_readable:
                    warnings.append(
                        _entry(
                            plan,
                            actor,
                            kind="warning",
                            erp_field_key=f.erp_key,
                            message=f"ERP value not imported: {sides.erp_problem}",
                        )
                    )
                    continue
                values[f.crm_field.key] = sides.erp_as_crm
                base[f.erp_key] = normal_erp(raw, f.erp_type)
            if tp.entity is CrmEntity.person:
                company_id = parents.get((actor.parent_actor_type, actor.parent_erp_key))
                if company_id is None:
                    entries.append(
                        _entry(
                            plan,
                            actor,
                            kind="warning",
                            message="Not imported: the person's company is not linked in this connection.",
                        )
                    )
                    continue
                values["company_id"] = company_id
            try:
                with session.begin_nested():
                    record_id = store.create(session, tp.entity, values, origin)
                    session.add(
                        ErpLink(
                            connection_id=plan.id,
                            crm_entity=tp.entity.value,
                            crm_record_id=record_id,
                            erp_actor_type=actor.actor_type,
                            erp_key=actor.erp_key,
                            last_modified=actor.last_modified,
                            base_values=base,
                            state="active",
                        )
                    )
                    session.flush()
            except CrmValidationError as exc:
                entries.append(_entry(plan, actor, kind="error", message=f"Not imported: {exc}"))
                continue
            created += 1
            entries.extend(warnings)
            entries.append(
                _entry(
                    plan,
                    actor,
                    kind="link",
                    crm_entity=tp.entity.value,
                    crm_record_id=record_id,
                    message=f"Imported as a new {tp.entity.value}.",
                )
            )
        write_log(session, entries)
        session.commit()
    return created
