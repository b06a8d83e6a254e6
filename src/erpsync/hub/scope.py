"""Who may see and use an ERP connection (reference §2.3).

Scope *Everyone* (``all_access``) lets every user see the connection, connect records and create
ERP actors. Otherwise the access rows decide: a user is in scope when a row names the user or one
of the user's groups; ``CanConnect`` and ``CanCreateERP`` are granted when any matching row grants
them. Being an administrator does not put anyone in scope: administrators configure connections,
the ERP tab follows the scope like for everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from erpsync.crm.models.users import group_members

from .models import ErpConnection, ErpConnectionAccess

__all__ = ["Access", "access_to", "accessible_connections", "group_ids_of"]


@dataclass(frozen=True, slots=True)
class Access:
    can_see: bool
    can_connect: bool
    can_create_erp: bool


NO_ACCESS = Access(False, False, False)
FULL_ACCESS = Access(True, True, True)


def group_ids_of(session: Session, user_id: int) -> set[int]:
    rows = session.execute(select(group_members.c.group_id).where(group_members.c.user_id == user_id))
    return {row[0] for row in rows}


def _rows_for(session: Session, connection_ids: list[int], user_id: int) -> list[ErpConnectionAccess]:
    groups = group_ids_of(session, user_id)
    matches = [ErpConnectionAccess.user_id == user_id]
    if groups:
        matches.append(ErpConnectionAccess.group_id.in_(groups))
    query = select(ErpConnectionAccess).where(
        ErpConnectionAccess.connection_id.in_(connection_ids), or_(*matches)
    )
    return list(session.scalars(query))


def access_to(session: Session, connection: ErpConnection, user_id: int) -> Access:
    if connection.deleted:
        return NO_ACCESS
    if connection.all_access:
        return FULL_ACCESS
    rows = _rows_for(session, [connection.id], user_id)
    if not rows:
        return NO_ACCESS
    return Access(True, any(r.can_connect for r in rows), any(r.can_create_erp for r in rows))


def accessible_connections(session: Session, user_id: int, active_only: bool = True) -> list[ErpConnection]:
    """The connections the user may see, in id order (callers sort by priority if they need to)."""
    query = select(ErpConnection).where(ErpConnection.deleted.is_(False)).order_by(ErpConnection.id)
    if active_only:
        query = query.where(ErpConnection.active.is_(True))
    connections = list(session.scalars(query))
    scoped = [c.id for c in connections if not c.all_access]
    allowed = {r.connection_id for r in _rows_for(session, scoped, user_id)} if scoped else set()
    return [c for c in connections if c.all_access or c.id in allowed]
