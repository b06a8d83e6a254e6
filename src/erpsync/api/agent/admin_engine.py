"""Administrator methods for sync priority, the connection summary and the engine (reference §2.9,
§2.10, §2.12): On/Off and interval, SyncAll, the ForceResync family, the dead letters and the sync
log. Methods that run cycles wait for them and answer the reference's PluginResponse."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import Field

from erpsync.crm.texts import _
from erpsync.engine import operations
from erpsync.engine.operations import OperationResult
from erpsync.hub import engine_settings, priorities, summary
from erpsync.hub.engine_settings import EngineStatus
from erpsync.hub.priorities import PriorityEntry

from ..dependencies import AdminUser
from ..schemas import NO_NUL
from .admin_models import (
    ActorSummaryReply,
    EngineIntervalRequest,
    EngineStatusReply,
    EngineStatusRequest,
    ForceResyncExternalRequest,
    ForceResyncRequest,
    Id,
    IdOrZero,
    PluginResponseReply,
    PriorityEntryReply,
    PriorityRequest,
    SummaryReply,
    SummaryRequest,
)
from .common import AgentModel, HubDep, RunnerDep, agent_error_responses

__all__ = ["router", "worker_note"]

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


def worker_note(request: Request) -> str:
    """What the sync worker of this process says about itself, for the engine status."""
    runtime = getattr(request.app.state, "runtime", None)
    note = getattr(runtime, "status_note", None)
    return str(note()) if callable(note) else _("No sync worker runs in this process.")


def _reply(result: OperationResult) -> PluginResponseReply:
    return PluginResponseReply(
        is_ok=result.is_ok, user_explanation=result.user_explanation, error_code=result.error_code
    )


@router.post("/GetEngineStatus", operation_id="GetEngineStatus", response_model=EngineStatusReply)
def get_engine_status(request: Request, user: AdminUser, hub: HubDep) -> EngineStatusReply:
    """On/Off, interval, workers, running cycles, the last failures and the dead letters waiting."""
    return _status(operations.engine_overview(hub, worker_note(request)))


@router.post("/ChangeEngineStatus", operation_id="ChangeEngineStatus", response_model=EngineStatusReply)
def change_engine_status(
    request: Request, body: EngineStatusRequest, user: AdminUser, hub: HubDep
) -> EngineStatusReply:
    """Switch automatic sync on (`Run` true) or off; the scheduler picks it up at its next tick."""
    engine_settings.change_engine_status(hub, body.run)
    return _status(operations.engine_overview(hub, worker_note(request)))


@router.post("/ChangeEngineInterval", operation_id="ChangeEngineInterval", response_model=EngineStatusReply)
def change_engine_interval(
    request: Request, body: EngineIntervalRequest, user: AdminUser, hub: HubDep
) -> EngineStatusReply:
    """Seconds between sync cycles, from a minute to a year."""
    engine_settings.change_engine_interval(hub, body.seconds)
    return _status(operations.engine_overview(hub, worker_note(request)))


@router.post("/SyncAll", operation_id="SyncAll", response_model=PluginResponseReply)
def sync_all(user: AdminUser, hub: HubDep, runner: RunnerDep) -> PluginResponseReply:
    """Sync all active connections now, in sync-priority order, and wait for the cycles. While
    automatic sync is off, `IsOk` is false with `ErrorCode` `EngineOff` (use ForceSyncAll)."""
    return _reply(operations.sync_all(hub, runner, force=False))


@router.post("/ForceSyncAll", operation_id="ForceSyncAll", response_model=PluginResponseReply)
def force_sync_all(user: AdminUser, hub: HubDep, runner: RunnerDep) -> PluginResponseReply:
    """Sync all active connections now, even when automatic sync is off."""
    return _reply(operations.sync_all(hub, runner, force=True))


_RESYNC_ERRORS = agent_error_responses(404, 409, 422)


@router.post(
    "/ForceResync", operation_id="ForceResync", response_model=PluginResponseReply, responses=_RESYNC_ERRORS
)
def force_resync(
    body: ForceResyncRequest, user: AdminUser, hub: HubDep, runner: RunnerDep
) -> PluginResponseReply:
    """Resync from the CRM (`ErpConnectionId` 0) or from one connection to all other active
    connections, timestamps ignored. `InternalKeyIds` are link ids, each naming its CRM record;
    empty = every linked record."""
    return _reply(operations.force_resync(hub, runner, body.erp_connection_id, body.internal_key_ids))


@router.post(
    "/ForceResyncNoBlankValues",
    operation_id="ForceResyncNoBlankValues",
    response_model=PluginResponseReply,
    responses=_RESYNC_ERRORS,
)
def force_resync_no_blank_values(
    body: ForceResyncRequest, user: AdminUser, hub: HubDep, runner: RunnerDep
) -> PluginResponseReply:
    """ForceResync where blank values never overwrite values."""
    return _reply(operations.force_resync(hub, runner, body.erp_connection_id, body.internal_key_ids, True))


@router.post(
    "/ForceResyncBatchTask",
    operation_id="ForceResyncBatchTask",
    response_model=PluginResponseReply,
    responses=_RESYNC_ERRORS,
)
def force_resync_batch_task(
    body: ForceResyncRequest, user: AdminUser, hub: HubDep, runner: RunnerDep
) -> PluginResponseReply:
    """ForceResync started in the background: answers at once; the sync log and the engine status
    show the outcome."""
    operations.resync_in_background(hub, runner, body.erp_connection_id, body.internal_key_ids)
    return PluginResponseReply(is_ok=True, user_explanation=_("The resync has started."))


@router.post(
    "/ForceResyncExternal",
    operation_id="ForceResyncExternal",
    response_model=PluginResponseReply,
    responses=_RESYNC_ERRORS,
)
def force_resync_external(
    body: ForceResyncExternalRequest, user: AdminUser, hub: HubDep, runner: RunnerDep
) -> PluginResponseReply:
    """ForceResync from the given connection of the records linked to these ERP actors."""
    return _reply(
        operations.force_resync_external(
            hub, runner, body.erp_connection_id, body.erp_actor_type, body.external_keys
        )
    )


@router.post(
    "/ForceResyncExternalNoBlankValues",
    operation_id="ForceResyncExternalNoBlankValues",
    response_model=PluginResponseReply,
    responses=_RESYNC_ERRORS,
)
def force_resync_external_no_blank_values(
    body: ForceResyncExternalRequest, user: AdminUser, hub: HubDep, runner: RunnerDep
) -> PluginResponseReply:
    """ForceResyncExternal where blank values never overwrite values (useful after an import)."""
    return _reply(
        operations.force_resync_external(
            hub, runner, body.erp_connection_id, body.erp_actor_type, body.external_keys, True
        )
    )


# -- dead letters and the sync log --------------------------------------------------------------------


class DeadLettersRequest(AgentModel):
    erp_connection_id: IdOrZero = Field(default=0, description="0 = every connection.")
    offset: int = Field(default=0, ge=0, le=2**31 - 1)
    limit: int = Field(default=100, ge=1, le=1000)


class DeadLetterReply(AgentModel):
    id: int
    erp_connection_id: int
    crm_entity: str
    crm_record_id: int | None
    erp_actor_type: str
    erp_key: str
    direction: str
    reason: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime


class DeadLetterIdsRequest(AgentModel):
    ids: list[Id] = Field(min_length=1, max_length=10_000)


@router.post("/GetDeadLetters", operation_id="GetDeadLetters", response_model=list[DeadLetterReply])
def get_dead_letters(body: DeadLettersRequest, user: AdminUser, hub: HubDep) -> list[DeadLetterReply]:
    """Records the engine could not sync, with the reason, the attempts and the next retry."""
    return [
        DeadLetterReply(
            id=v.id,
            erp_connection_id=v.connection_id,
            crm_entity=v.crm_entity,
            crm_record_id=v.crm_record_id,
            erp_actor_type=v.erp_actor_type,
            erp_key=v.erp_key,
            direction=v.direction,
            reason=v.reason,
            attempts=v.attempts,
            next_attempt_at=v.next_attempt_at,
            created_at=v.created_at,
        )
        for v in operations.dead_letters(hub, body.erp_connection_id or None, body.offset, body.limit)
    ]


@router.post(
    "/ReplayDeadLetters",
    operation_id="ReplayDeadLetters",
    response_model=PluginResponseReply,
    responses=agent_error_responses(404),
)
def replay_dead_letters(
    body: DeadLetterIdsRequest, user: AdminUser, hub: HubDep, runner: RunnerDep
) -> PluginResponseReply:
    """Retry these records now (their connections run a retry cycle and the call waits for it)."""
    return _reply(operations.replay_dead_letters(hub, runner, body.ids))


@router.post(
    "/DropDeadLetters",
    operation_id="DropDeadLetters",
    response_model=int,
    responses=agent_error_responses(404),
)
def drop_dead_letters(body: DeadLetterIdsRequest, user: AdminUser, hub: HubDep) -> int:
    """Give up on these records (logged); how many were dropped."""
    return operations.drop_dead_letters(hub, body.ids)


class SyncLogRequest(AgentModel):
    erp_connection_id: IdOrZero = Field(default=0, description="0 = every connection.")
    kind: str = Field(
        default="", max_length=16, pattern=NO_NUL, description="change, conflict, warning, error, link …"
    )
    crm_entity: str = Field(default="", max_length=16, pattern=NO_NUL)
    crm_record_id: IdOrZero = 0
    erp_key: str = Field(default="", max_length=254, pattern=NO_NUL)
    erp_actor_type: str = Field(default="", max_length=32, pattern=NO_NUL)
    target_is_crm: bool | None = Field(
        default=None, description="true: changes written into the CRM; false: into the ERP; null: all."
    )
    text: str = Field(
        default="",
        max_length=254,
        pattern=NO_NUL,
        description="Found in the message, the old and new values, the field keys or the ErpKey.",
    )
    offset: int = Field(default=0, ge=0, le=2**31 - 1)
    limit: int = Field(default=100, ge=1, le=1000)


class SyncLogReply(AgentModel):
    id: int
    erp_connection_id: int | None
    kind: str
    source: str
    crm_entity: str
    crm_record_id: int | None
    erp_actor_type: str
    erp_key: str
    erp_field_key: str
    crm_field_key: str
    target_is_crm: bool | None
    old_value: str
    new_value: str
    message: str
    created_at: datetime


@router.post("/GetSyncLog", operation_id="GetSyncLog", response_model=list[SyncLogReply])
def get_sync_log(body: SyncLogRequest, user: AdminUser, hub: HubDep) -> list[SyncLogReply]:
    """The sync log, newest first, filtered by connection, kind, record, ERP key, ERP actor type,
    direction and text."""
    rows = operations.sync_log(
        hub,
        connection_id=body.erp_connection_id or None,
        kind=body.kind,
        crm_entity=body.crm_entity,
        crm_record_id=body.crm_record_id or None,
        erp_key=body.erp_key,
        offset=body.offset,
        limit=body.limit,
        erp_actor_type=body.erp_actor_type,
        target_is_crm=body.target_is_crm,
        text=body.text,
    )
    return [
        SyncLogReply(
            id=r.id,
            erp_connection_id=r.connection_id,
            kind=r.kind,
            source=r.source,
            crm_entity=r.crm_entity,
            crm_record_id=r.crm_record_id,
            erp_actor_type=r.erp_actor_type,
            erp_key=r.erp_key,
            erp_field_key=r.erp_field_key,
            crm_field_key=r.crm_field_key,
            target_is_crm=r.target_is_crm,
            old_value=r.old_value,
            new_value=r.new_value,
            message=r.message,
            created_at=r.created_at,
        )
        for r in rows
    ]
