"""Sync priority across connections (reference §2.9): the order in which the engine processes the
connections, the CRM itself standing as ``0``. Stored as ``ErpConfiguration.connection_rank``,
e.g. ``"3;0;5"``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpsync.crm.texts import _

from .errors import Refused
from .models import ErpConfiguration, ErpConnection
from .service import Hub
from .transactions import reading, writing

__all__ = [
    "CRM",
    "PriorityEntry",
    "configuration_row",
    "normalised_priorities",
    "priority_problems",
    "save_sync_priorities",
    "sync_priorities",
]

#: The CRM's place in the priority list.
CRM = 0
_RANK_WIDTH = 1023  # the width of ErpConfiguration.connection_rank


def configuration_row(session: Session) -> ErpConfiguration:
    """The one row of engine settings, made on first use."""
    row = session.scalar(select(ErpConfiguration).order_by(ErpConfiguration.id).limit(1))
    if row is None:
        row = ErpConfiguration(connection_rank=str(CRM), sync_interval=300, sync_running=False)
        session.add(row)
        session.flush()
    return row


def _parse(text: str) -> list[int]:
    ids: list[int] = []
    for part in text.split(";"):
        part = part.strip()
        if part.isascii() and part.isdigit() and int(part) not in ids:
            ids.append(int(part))
    return ids


def normalised_priorities(stored: str, connection_ids: Sequence[int]) -> list[int]:
    """The stored order, without connections that are gone, with the CRM and connections that
    were never ordered added at the end."""
    live = set(connection_ids) | {CRM}
    order = [each for each in _parse(stored) if each in live]
    order += [each for each in [CRM, *sorted(connection_ids)] if each not in order]
    return order


def priority_problems(ids: Sequence[int], connection_ids: Sequence[int]) -> list[str]:
    """A priority list names the CRM (0) and every connection exactly once, and nothing else."""
    problems: list[str] = []
    expected = set(connection_ids) | {CRM}
    repeated = sorted(each for each, count in Counter(ids).items() if count > 1)
    if repeated:
        problems.append(_("Listed more than once: %(ids)s.", ids=", ".join(map(str, repeated))))
    unknown = sorted(set(ids) - expected)
    if unknown:
        problems.append(_("Not a connection: %(ids)s.", ids=", ".join(map(str, unknown))))
    missing = sorted(expected - set(ids))
    if missing:
        names = [_("0 (the CRM)") if each == CRM else str(each) for each in missing]
        problems.append(_("Missing: %(ids)s.", ids=", ".join(names)))
    return problems


@dataclass(frozen=True, slots=True)
class PriorityEntry:
    connection_id: int
    display_name: str
    active: bool


def _live_connections(session: Session) -> dict[int, ErpConnection]:
    query = select(ErpConnection).where(ErpConnection.deleted.is_(False)).order_by(ErpConnection.id)
    return {row.id: row for row in session.scalars(query)}


def _entries(order: Sequence[int], connections: dict[int, ErpConnection]) -> list[PriorityEntry]:
    return [
        PriorityEntry(CRM, "CRM", True)
        if each == CRM
        else PriorityEntry(each, connections[each].display_name, connections[each].active)
        for each in order
    ]


def sync_priorities(hub: Hub) -> list[PriorityEntry]:
    with reading(hub) as session:
        row = session.scalar(select(ErpConfiguration).order_by(ErpConfiguration.id).limit(1))
        connections = _live_connections(session)
        order = normalised_priorities(row.connection_rank if row else str(CRM), list(connections))
        return _entries(order, connections)


def save_sync_priorities(hub: Hub, ids: Sequence[int]) -> list[PriorityEntry]:
    with writing(hub) as session:
        connections = _live_connections(session)
        problems = priority_problems(ids, list(connections))
        if problems:
            raise Refused(
                _("The priority list must name the CRM (0) and every connection exactly once."), problems
            )
        text = ";".join(map(str, ids))
        if len(text) > _RANK_WIDTH:
            raise Refused(
                _("The priority list is longer than the hub can store."),
                [_("More than %(max)s characters.", max=_RANK_WIDTH)],
            )
        configuration_row(session).connection_rank = text
        return _entries(list(ids), connections)
