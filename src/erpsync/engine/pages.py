"""What the pages of a cycle share: the cycle as plain data, connector calls that fail as a
connection, progress counters, feed positions, link lookups, and reconciling links against their
actors as the ERP has them now (fetched one chunk ahead)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import begin_write, id_in
from erpsync.crm.texts import _
from erpsync.hub.models import ErpLink
from erpsync.hub.service import Hub, connector_problem
from erpsync.protocol import ConnectorError, ErpActor, call
from erpsync.protocol.calls import Call

from .batch import (
    BatchOutcome,
    ConnectionFailure,
    LinkRef,
    Pair,
    dead_letter,
    reconcile_batches,
    select_links,
)
from .models import SyncCycle, SyncFeedPosition
from .plan import ConnectionPlan, TypePlan
from .reconcile import Mode

__all__ = [
    "GET_CHUNK",
    "CycleContext",
    "active_links",
    "check_actors",
    "count",
    "dead_letter_missing",
    "feed_position",
    "fetched_batches",
    "links_of_records",
    "reconcile_links",
    "send",
]

#: Actors per GetActors call.
GET_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class CycleContext:
    """The cycle row a page works for, as plain data."""

    id: int
    connection_id: int
    kind: str
    params: dict[str, Any]
    journal_upto: int
    progress: str


def send(hub: Hub, plan: ConnectionPlan, request: Call[Any]) -> Any:
    try:
        return hub.clients.for_url(plan.url).send(request)
    except ConnectorError as exc:
        raise ConnectionFailure(connector_problem(exc)) from exc


def count(session: Session, cycle: CycleContext, pulled: int = 0, pushed: int = 0, failed: int = 0) -> None:
    if pulled or pushed or failed:
        session.execute(
            update(SyncCycle)
            .where(SyncCycle.id == cycle.id)
            .values(
                pulled=SyncCycle.pulled + pulled,
                pushed=SyncCycle.pushed + pushed,
                failed=SyncCycle.failed + failed,
            )
        )


def feed_position(session: Session, connection_id: int, actor_type: str, feed: str) -> SyncFeedPosition:
    row = session.get(SyncFeedPosition, (connection_id, actor_type, feed))
    if row is None:
        row = SyncFeedPosition(
            connection_id=connection_id,
            erp_actor_type=actor_type,
            feed=feed,
            watermark="",
            page_token="",
            high="",
        )
        session.add(row)
        session.flush()
    return row


def check_actors(actors: Sequence[ErpActor], tp: TypePlan, operation: str) -> None:
    """A reply naming another actor type or an actor without a key is the connector's error."""
    for actor in actors:
        if actor.actor_type != tp.erp_actor_type or not actor.erp_key:
            raise ConnectionFailure(
                _(
                    "%(operation)s: the connector sent an actor of type %(type)r with key %(key)r when "
                    "asked for %(wanted)s.",
                    operation=operation,
                    type=actor.actor_type,
                    key=actor.erp_key,
                    wanted=tp.erp_actor_type,
                )
            )


def active_links(
    session: Session, plan: ConnectionPlan, actor_type: str, keys: Iterable[str]
) -> dict[str, LinkRef]:
    wanted = sorted(set(keys))
    found: dict[str, LinkRef] = {}
    for start in range(0, len(wanted), GET_CHUNK):
        refs = select_links(
            session,
            ErpLink.connection_id == plan.id,
            ErpLink.erp_actor_type == actor_type,
            ErpLink.state == "active",
            ErpLink.erp_key.in_(wanted[start : start + GET_CHUNK]),
        )
        found.update((ref.erp_key, ref) for ref in refs)
    return found


def links_of_records(
    session: Session, plan: ConnectionPlan, entity: CrmEntity, ids: Sequence[int], active_only: bool = True
) -> list[LinkRef]:
    found: list[LinkRef] = []
    for start in range(0, len(ids), GET_CHUNK):
        conditions = [
            ErpLink.connection_id == plan.id,
            ErpLink.crm_entity == entity.value,
            id_in(ErpLink.crm_record_id, ids[start : start + GET_CHUNK]),
        ]
        if active_only:
            conditions.append(ErpLink.state == "active")
        found.extend(select_links(session, *conditions, order=True))
    return found


def _fetch_chunk(
    hub: Hub, plan: ConnectionPlan, tp: TypePlan, chunk: Sequence[LinkRef]
) -> tuple[list[Pair], list[LinkRef]]:
    """The links' actors as the ERP has them now; links whose actor it did not return."""
    reply = send(
        hub,
        plan,
        call.get_actors(plan.guid, tp.erp_actor_type, [ref.erp_key for ref in chunk], tp.field_keys),
    )
    check_actors(reply.actors, tp, "GetActors")
    found = {a.erp_key: a for a in reply.actors}
    pairs = [Pair(link, found[link.erp_key]) for link in chunk if link.erp_key in found]
    return pairs, [link for link in chunk if link.erp_key not in found]


def fetched_batches(
    hub: Hub, plan: ConnectionPlan, tp: TypePlan, links: Sequence[LinkRef], missing: list[LinkRef]
) -> Iterator[list[Pair]]:
    """Batches of pairs, the next one fetched (GetActors) while the caller works on the current."""
    chunks = [links[start : start + GET_CHUNK] for start in range(0, len(links), GET_CHUNK)]
    if not chunks:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="erpsync-fetch") as pool:
        upcoming = pool.submit(_fetch_chunk, hub, plan, tp, chunks[0])
        for index in range(len(chunks)):
            pairs, lost = upcoming.result()
            if index + 1 < len(chunks):
                upcoming = pool.submit(_fetch_chunk, hub, plan, tp, chunks[index + 1])
            missing.extend(lost)
            yield pairs


def dead_letter_missing(hub: Hub, plan: ConnectionPlan, missing: Sequence[LinkRef]) -> None:
    if not missing:
        return
    with hub.sessions() as session:
        begin_write(session)
        for link in missing:
            dead_letter(
                session, plan, link, _("The ERP did not return this actor (deleted or not readable).")
            )
        session.commit()


def reconcile_links(
    hub: Hub,
    cycle: CycleContext,
    plan: ConnectionPlan,
    links: Sequence[LinkRef],
    source: str = "engine",
    mode: Mode = Mode.sync,
    no_blank_values: bool | None = None,
) -> BatchOutcome:
    """Reconcile links against their actors fetched now, type by type, parents first."""
    total = BatchOutcome()
    for tp in plan.types:
        group = [ref for ref in links if ref.erp_actor_type == tp.erp_actor_type]
        if not group:
            continue
        missing: list[LinkRef] = []
        batches = fetched_batches(hub, plan, tp, group, missing)
        outcome = reconcile_batches(hub, plan, tp, batches, mode, source, no_blank_values)
        dead_letter_missing(hub, plan, missing)
        total.reconciled += outcome.reconciled
        total.changed += outcome.changed
        total.failed.update(outcome.failed)
        total.failed.update({ref.id: _("missing in the ERP") for ref in missing})
    return total
