"""The binder: which CRM record is linked to which ERP actor in which connection.

A link is unique both ways within a connection (one actor per record, one record per actor); a
record may be linked in several connections. A person can be linked only when its company is
linked in the same connection, and its actor then hangs under the company's actor. :func:`bind`
stores the actor's ``LastModified`` and the base values (the last agreed ERP-side value of every
mapped field) with the link, as the engine's three-way merge needs them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import begin_write
from erpsync.crm.store import Record
from erpsync.crm.texts import _, noun

from .errors import Refused
from .models import ErpConnection, ErpLink

__all__ = [
    "bind",
    "link_of_actor",
    "link_of_record",
    "links_of_actors",
    "links_of_record",
    "parent_link",
    "require_parent_link",
    "require_unlinked",
    "unbind",
    "write_transaction",
]

_IN_CHUNK = 500


def link_of_record(session: Session, connection_id: int, entity: CrmEntity, record_id: int) -> ErpLink | None:
    return session.scalar(
        select(ErpLink).where(
            ErpLink.connection_id == connection_id,
            ErpLink.crm_entity == entity.value,
            ErpLink.crm_record_id == record_id,
        )
    )


def link_of_actor(session: Session, connection_id: int, actor_type: str, erp_key: str) -> ErpLink | None:
    return session.scalar(
        select(ErpLink).where(
            ErpLink.connection_id == connection_id,
            ErpLink.erp_actor_type == actor_type,
            ErpLink.erp_key == erp_key,
        )
    )


def links_of_record(session: Session, entity: CrmEntity, record_id: int) -> list[ErpLink]:
    """Every link of a record, one per connection at most."""
    query = (
        select(ErpLink)
        .where(ErpLink.crm_entity == entity.value, ErpLink.crm_record_id == record_id)
        .order_by(ErpLink.connection_id)
    )
    return list(session.scalars(query))


def links_of_actors(
    session: Session, connection_id: int, actor_type: str, erp_keys: Collection[str]
) -> dict[str, ErpLink]:
    """ErpKey → link, for those of ``erp_keys`` linked in the connection (search hits)."""
    wanted = sorted(set(erp_keys))
    found: dict[str, ErpLink] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        query = select(ErpLink).where(
            ErpLink.connection_id == connection_id,
            ErpLink.erp_actor_type == actor_type,
            ErpLink.erp_key.in_(wanted[start : start + _IN_CHUNK]),
        )
        found.update((link.erp_key, link) for link in session.scalars(query))
    return found


def require_unlinked(
    session: Session,
    connection: ErpConnection,
    entity: CrmEntity,
    record_id: int,
    actor_type: str = "",
    erp_key: str = "",
) -> None:
    """Refuse a second link of the record, or (when given) of the actor, in the connection."""
    if link_of_record(session, connection.id, entity, record_id) is not None:
        raise Refused(
            _(
                "This %(kind)s is already linked in %(connection)s.",
                kind=noun(entity.value),
                connection=connection.display_name,
            ),
            [
                _(
                    "Disconnect it first; a %(kind)s can be linked to one actor per connection.",
                    kind=noun(entity.value),
                )
            ],
        )
    if erp_key and link_of_actor(session, connection.id, actor_type, erp_key) is not None:
        raise Refused(
            _(
                "The %(type)s %(key)r is already linked to another record in %(connection)s.",
                type=actor_type,
                key=erp_key,
                connection=connection.display_name,
            ),
            [_("An ERP actor can be linked to one CRM record per connection.")],
        )


def parent_link(session: Session, connection_id: int, person: Record) -> ErpLink | None:
    """The link of a person's company in the connection."""
    company_id = person.values.get("company_id")
    if not isinstance(company_id, int):
        return None
    return link_of_record(session, connection_id, CrmEntity.company, company_id)


def require_parent_link(session: Session, connection: ErpConnection, person: Record) -> ErpLink:
    """The company's link, or :class:`Refused`: a person is linked only under a linked company."""
    link = parent_link(session, connection.id, person)
    if link is None:
        raise Refused(
            _("The person's company is not linked in %(connection)s.", connection=connection.display_name),
            [_("Connect the company to the ERP first; its persons are linked under it.")],
        )
    return link


def bind(
    session: Session,
    connection: ErpConnection,
    entity: CrmEntity,
    record_id: int,
    actor_type: str,
    erp_key: str,
    last_modified: str,
    base_values: Mapping[str, Any],
) -> ErpLink:
    """Store a link. Checked first; a link made at the same time by someone else (a unique
    constraint firing) is refused the same way, and the caller's transaction stays usable."""
    require_unlinked(session, connection, entity, record_id, actor_type, erp_key)
    link = ErpLink(
        connection_id=connection.id,
        crm_entity=entity.value,
        crm_record_id=record_id,
        erp_actor_type=actor_type,
        erp_key=erp_key,
        last_modified=last_modified,
        base_values=dict(base_values),
        state="active",
    )
    try:
        with session.begin_nested():
            session.add(link)
    except IntegrityError:
        raise Refused(
            _(
                "The %(kind)s or the %(type)s %(key)r was linked in %(connection)s at the same time.",
                kind=noun(entity.value),
                type=actor_type,
                key=erp_key,
                connection=connection.display_name,
            ),
            [_("Reload the ERP tab and try again.")],
        ) from None
    return link


def unbind(session: Session, link: ErpLink) -> None:
    session.delete(link)
    session.flush()


@contextmanager
def write_transaction(session: Session) -> Iterator[None]:
    """End the session's read (if any), then one write transaction: committed when the block ends,
    rolled back when it raises.

    The end-user methods read and ask the connector what they need first and write (CRM values,
    link, sync log) only then, so that on SQLite the write lock is held as briefly as possible;
    connect's ``SaveActors`` runs inside it so that its failure leaves nothing written.
    """
    if session.in_transaction():
        session.commit()
    begin_write(session)
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()
