"""ERP → CRM: the pages of the ``pull:<type>`` and ``deletes:<type>`` units.

The pull reads ``GetActorsByTimestamp`` from an inclusive watermark (paged when the connector
pages); an actor whose ``LastModified`` is not newer than its link's was seen already and is
skipped; unlinked actors are imported when the mapping says so. The position (watermark, page token,
newest timestamp of the pass) commits with the data of the page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from erpsync.crm.db import begin_write, id_in
from erpsync.crm.texts import _
from erpsync.hub.models import ErpLink
from erpsync.hub.service import Hub
from erpsync.hub.synclog import LogEntry, write_log
from erpsync.protocol import ErpActor, call
from erpsync.protocol.timestamps import is_newer, latest

from .batch import BatchOutcome, Pair, reconcile_pairs
from .pages import CycleContext, active_links, check_actors, count, feed_position, send
from .plan import ConnectionPlan, TypePlan
from .reconcile import Mode

__all__ = ["deletes_page", "forget_prefetches", "pull_page"]


# The next page of a paged feed is asked for while the current one is reconciled. Only an
# optimisation: a page found here must match the position read from the database (same watermark
# and token), anything else is fetched afresh, and a failed prefetch is simply fetched again.
_PrefetchKey = tuple[int, str, str, str]
#: A prefetched page older than this is not used: it may predate changes made since.
PREFETCH_FRESH_SECONDS = 5.0
_prefetch_lock = threading.Lock()
_prefetches: dict[_PrefetchKey, tuple[float, Future[Any]]] = {}
_prefetch_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="erpsync-prefetch")


def _prefetch(key: _PrefetchKey, fetch: Callable[[], Any]) -> None:
    with _prefetch_lock:
        for stale in [k for k in _prefetches if k[:2] == key[:2]]:
            _prefetches.pop(stale)[1].cancel()
        _prefetches[key] = (time.monotonic(), _prefetch_pool.submit(fetch))


def forget_prefetches(connection_id: int) -> None:
    """Drop a connection's prefetched pages (its cycle ended, or failed half-way)."""
    with _prefetch_lock:
        for stale in [k for k in _prefetches if k[0] == connection_id]:
            _prefetches.pop(stale)[1].cancel()


def _prefetched(key: _PrefetchKey) -> Any:
    with _prefetch_lock:
        entry = _prefetches.pop(key, None)
    if entry is None:
        return None
    asked_at, future = entry
    if time.monotonic() - asked_at > PREFETCH_FRESH_SECONDS:
        future.cancel()
        return None
    try:
        return future.result()
    except Exception:  # fetched again by the caller, whose failure is the one that counts
        return None


def pull_page(hub: Hub, cycle: CycleContext, plan: ConnectionPlan, tp: TypePlan) -> bool:
    with hub.sessions() as session:
        position = feed_position(session, plan.id, tp.erp_actor_type, "changes")
        watermark, token, high = position.watermark, position.page_token, position.high
        session.rollback()
    size = plan.page_size

    def fetch(page_token: str) -> Any:
        request = call.get_actors_by_timestamp(
            plan.guid, watermark, tp.erp_actor_type, tp.field_keys, size, page_token
        )
        return send(hub, plan, request)

    reply = _prefetched((plan.id, tp.erp_actor_type, watermark, token)) or fetch(token)
    actors: list[ErpActor] = reply.actors
    check_actors(actors, tp, "GetActorsByTimestamp")
    next_token = reply.next_page_token if size else ""
    if next_token:  # the connector serves the next page while this one is worked on
        _prefetch((plan.id, tp.erp_actor_type, watermark, next_token), partial(fetch, next_token))
    high = latest(high, *(a.last_modified for a in actors))
    with hub.sessions() as session:
        links = active_links(session, plan, tp.erp_actor_type, [a.erp_key for a in actors])
    pairs: list[Pair] = []
    unlinked: list[ErpActor] = []
    for actor in actors:
        link = links.get(actor.erp_key)
        if link is None:
            unlinked.append(actor)
        elif (
            not link.last_modified
            or not actor.last_modified
            or is_newer(actor.last_modified, link.last_modified)
        ):
            pairs.append(Pair(link, actor))

    def commit_position(session: Session, outcome: BatchOutcome | None = None) -> None:
        row = feed_position(session, plan.id, tp.erp_actor_type, "changes")
        if next_token:
            row.page_token, row.high = next_token, high
        else:
            row.watermark, row.page_token, row.high = latest(row.watermark, high), "", ""
        if outcome is not None:
            count(session, cycle, pulled=outcome.changed, failed=len(outcome.failed))

    if unlinked and tp.auto_import:
        _auto_import(hub, plan, tp, unlinked)
    if not pairs and not next_token and not token and latest(watermark, high) == watermark:
        return True  # nothing new: the position stays as it is, no write needed
    _reconcile_and_commit(hub, plan, tp, pairs, commit_position)
    return not next_token


def _reconcile_and_commit(
    hub: Hub,
    plan: ConnectionPlan,
    tp: TypePlan,
    pairs: Sequence[Pair],
    commit: Callable[[Session, BatchOutcome | None], None],
    mode: Mode = Mode.sync,
    source: str = "engine",
    no_blank_values: bool | None = None,
) -> BatchOutcome:
    """Reconcile the pairs with ``commit`` in their final transaction (or alone when there are none)."""
    if not pairs:
        with hub.sessions() as session:
            begin_write(session)
            commit(session, None)
            session.commit()
        return BatchOutcome()
    return reconcile_pairs(hub, plan, tp, pairs, mode, source, no_blank_values, commit)


def _auto_import(hub: Hub, plan: ConnectionPlan, tp: TypePlan, actors: list[ErpActor]) -> None:
    """New ERP actors of a mapping with auto-import on become CRM records with links."""
    from .auto_import import import_new_actors

    import_new_actors(hub, plan, tp, actors)


def deletes_page(hub: Hub, cycle: CycleContext, plan: ConnectionPlan, tp: TypePlan) -> bool:
    with hub.sessions() as session:
        position = feed_position(session, plan.id, tp.erp_actor_type, "deletes")
        watermark, token, high = position.watermark, position.page_token, position.high
        session.rollback()
    size = plan.page_size
    reply = send(hub, plan, call.get_deleted_actors(plan.guid, tp.erp_actor_type, watermark, size, token))
    gone = [d for d in reply.deleted_actors if d.actor_type == tp.erp_actor_type and d.erp_key]
    next_token = reply.next_page_token if size else ""
    high = latest(high, *(d.deleted_at for d in gone))
    if not gone and not next_token and not token:
        return True
    with hub.sessions() as session:
        begin_write(session)
        links = active_links(session, plan, tp.erp_actor_type, [d.erp_key for d in gone])
        if links:
            session.execute(
                update(ErpLink)
                .where(id_in(ErpLink.id, [ref.id for ref in links.values()]))
                .values(state="deleted_in_erp")
            )
            write_log(
                session,
                [
                    LogEntry(
                        connection_id=plan.id,
                        kind="erp_deleted",
                        crm_entity=ref.entity.value,
                        crm_record_id=ref.record_id,
                        erp_actor_type=ref.erp_actor_type,
                        erp_key=ref.erp_key,
                        message=_("Deleted in the ERP; the CRM record is kept and no longer synced here."),
                    )
                    for ref in links.values()
                ],
            )
        row = feed_position(session, plan.id, tp.erp_actor_type, "deletes")
        if next_token:
            row.page_token, row.high = next_token, high
        else:
            row.watermark, row.page_token, row.high = latest(row.watermark, high), "", ""
        session.commit()
    return not next_token
