"""Administrator methods for sync priority, the connection summary and the engine (reference §2.9,
§2.10, §2.12). The sync engine is not part of this process yet: its settings are kept, and the
methods that would run sync cycles answer a PluginResponse that is not ok ("engine not
available")."""

from __future__ import annotations

from fastapi import APIRouter

from erpsync.hub import engine_settings, priorities, summary
from erpsync.hub.engine_settings import EngineStatus
from erpsync.hub.priorities import PriorityEntry

from ..dependencies import AdminUser
from .admin_models import (
    ActorSummaryReply,
    EngineIntervalRequest,
    EngineStatusReply,
    EngineStatusRequest,
    ForceResyncExternalRequest,
    ForceResyncRequest,
    PluginResponseReply,
    PriorityEntryReply,
    PriorityRequest,
    SummaryReply,
    SummaryRequest,
)
from .common import HubDep, agent_error_responses

__all__ = ["router"]

router = APIRouter()


def _priorities(entries: list[PriorityEntry]) -> list[PriorityEntryReply]:
    return [
        PriorityEntryReply(erp_connection_id=e.connection_id, display_name=e.display_name, active=e.active)
        for e in entries
    ]


def _status(status: EngineStatus) -> EngineStatusReply:
    return EngineStatusReply(
        is_running=status.is_running,
        status_message=status.status_message,
        interval=status.interval,
        interval_seconds=status.interval_seconds,
    )


# -- priority and summary ---------------------------------------------------------------------------


@router.post(
    "/SaveErpConnectionSyncPriorities",
    operation_id="SaveErpConnectionSyncPriorities",
    response_model=bool,
    responses=agent_error_responses(409),
)
def save_erp_connection_sync_priorities(body: PriorityRequest, user: AdminUser, hub: HubDep) -> bool:
    """The order the engine processes connections in, `0` standing for the CRM itself. The list
    must name the CRM and every connection exactly once (409 otherwise)."""
    priorities.save_sync_priorities(hub, body.erp_connection_ids)
    return True


@router.post(
    "/GetErpConnectionSyncPriorities",
    operation_id="GetErpConnectionSyncPriorities",
    response_model=list[PriorityEntryReply],
)
def get_erp_connection_sync_priorities(user: AdminUser, hub: HubDep) -> list[PriorityEntryReply]:
    """The CRM (`0`) and every connection, highest priority first (never-ordered ones last)."""
    return _priorities(priorities.sync_priorities(hub))


@router.post(
    "/GetErpSyncConnectionSummary",
    operation_id="GetErpSyncConnectionSummary",
    response_model=SummaryReply,
    responses=agent_error_responses(404),
)
def get_erp_sync_connection_summary(body: SummaryRequest, user: AdminUser, hub: HubDep) -> SummaryReply:
    """Per actor type: which fields sync in which direction (`→` into the CRM, `←` into the ERP,
    `↔` both) and which defaults new ERP actors get."""
    result = summary.connection_summary(hub, body.erp_sync_connection_id)
    return SummaryReply(
        display_name=result.display_name,
        display_description=result.description,
        active=result.active,
        deleted=result.deleted,
        last_sync=result.last_sync,
        actors=[
            ActorSummaryReply(
                actor_type=a.actor_type,
                crm_actor_type=a.crm_actor_type,
                is_active=a.is_active,
                has_mappings=a.has_mappings,
                defaults=a.defaults,
                mappings=a.mappings,
            )
            for a in result.actors
        ],
    )


# -- engine -----------------------------------------------------------------------------------------


@router.post("/GetEngineStatus", operation_id="GetEngineStatus", response_model=EngineStatusReply)
def get_engine_status(user: AdminUser, hub: HubDep) -> EngineStatusReply:
    return _status(engine_settings.engine_status(hub))


@router.post("/ChangeEngineStatus", operation_id="ChangeEngineStatus", response_model=EngineStatusReply)
def change_engine_status(body: EngineStatusRequest, user: AdminUser, hub: HubDep) -> EngineStatusReply:
    """Switch automatic sync on (`Run` true) or off."""
    return _status(engine_settings.change_engine_status(hub, body.run))


@router.post("/ChangeEngineInterval", operation_id="ChangeEngineInterval", response_model=EngineStatusReply)
def change_engine_interval(body: EngineIntervalRequest, user: AdminUser, hub: HubDep) -> EngineStatusReply:
    """Seconds between sync cycles, from a minute to a year."""
    return _status(engine_settings.change_engine_interval(hub, body.seconds))


def _not_available(method: str) -> PluginResponseReply:
    # The reference's own answer, a PluginResponse that is not ok, rather than HTTP 503: the API
    # promises no 5xx for requests it accepts (its schemathesis test checks it).
    return PluginResponseReply(
        is_ok=False,
        user_explanation=engine_settings.engine_not_available(method).message,
        error_code="EngineNotAvailable",
    )


@router.post("/SyncAll", operation_id="SyncAll", response_model=PluginResponseReply)
def sync_all(user: AdminUser) -> PluginResponseReply:
    """Sync all active connections now. Needs the sync engine: until it lands, `IsOk` is false
    with `ErrorCode` `EngineNotAvailable`, like every method below."""
    return _not_available("SyncAll")


@router.post("/ForceSyncAll", operation_id="ForceSyncAll", response_model=PluginResponseReply)
def force_sync_all(user: AdminUser) -> PluginResponseReply:
    """Sync all active connections now, even when automatic sync is off."""
    return _not_available("ForceSyncAll")


@router.post("/ForceResync", operation_id="ForceResync", response_model=PluginResponseReply)
def force_resync(body: ForceResyncRequest, user: AdminUser) -> PluginResponseReply:
    """Resync from the CRM (`ErpConnectionId` 0) or from one connection to all others."""
    return _not_available("ForceResync")


@router.post(
    "/ForceResyncNoBlankValues", operation_id="ForceResyncNoBlankValues", response_model=PluginResponseReply
)
def force_resync_no_blank_values(body: ForceResyncRequest, user: AdminUser) -> PluginResponseReply:
    """ForceResync where blank values never overwrite values."""
    return _not_available("ForceResyncNoBlankValues")


@router.post("/ForceResyncBatchTask", operation_id="ForceResyncBatchTask", response_model=PluginResponseReply)
def force_resync_batch_task(body: ForceResyncRequest, user: AdminUser) -> PluginResponseReply:
    """ForceResync as a background task."""
    return _not_available("ForceResyncBatchTask")


@router.post("/ForceResyncExternal", operation_id="ForceResyncExternal", response_model=PluginResponseReply)
def force_resync_external(body: ForceResyncExternalRequest, user: AdminUser) -> PluginResponseReply:
    """ForceResync of records named by their ERP keys."""
    return _not_available("ForceResyncExternal")


@router.post(
    "/ForceResyncExternalNoBlankValues",
    operation_id="ForceResyncExternalNoBlankValues",
    response_model=PluginResponseReply,
)
def force_resync_external_no_blank_values(
    body: ForceResyncExternalRequest, user: AdminUser
) -> PluginResponseReply:
    """ForceResyncExternal where blank values never overwrite values."""
    return _not_available("ForceResyncExternalNoBlankValues")
