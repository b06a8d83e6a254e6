"""Administrator methods for sync connectors and ERP connections (reference §2.1 to §2.4)."""

from __future__ import annotations

from fastapi import APIRouter

from erpsync.hub import activation, connections, connectors, discovery
from erpsync.hub.connections import AccessEntry, ConnectionDraft, ConnectionRecord
from erpsync.protocol import FieldMetadata, ListItem

from ..dependencies import AdminUser
from .admin_models import (
    AccessForUser,
    AccessRow,
    ConfigListItemsRequest,
    ConnectionIdRequest,
    ConnectorIdRequest,
    ErpConnectionReply,
    ErpConnectionRequest,
    IncludeDeletedRequest,
    SaveConnectorRequest,
    SyncConnectorReply,
    TestByConfigRequest,
    TestOutcomeReply,
    UrlRequest,
)
from .common import HubDep, agent_error_responses

__all__ = ["router"]

router = APIRouter()


def _connector(record: connectors.ConnectorRecord) -> SyncConnectorReply:
    return SyncConnectorReply(
        erp_connector_id=record.id, display_name=record.display_name, url=record.url, deleted=record.deleted
    )


def _connection(record: ConnectionRecord) -> ErpConnectionReply:
    return ErpConnectionReply(
        erp_connection_id=record.id,
        erp_connector_id=record.connector_id,
        connector_name=record.connector_name,
        display_name=record.display_name,
        display_description=record.description,
        active=record.active,
        connection_id=record.guid,
        config_fields=record.config,
        deleted=record.deleted,
        all_access=record.all_access,
        access=[
            AccessRow(
                user_id=a.user_id,
                group_id=a.group_id,
                can_connect=a.can_connect,
                can_create_erp=a.can_create_erp,
            )
            for a in record.access
        ],
        associate_access_ids=[a.user_id for a in record.access if a.user_id is not None],
        user_group_access_ids=[a.group_id for a in record.access if a.group_id is not None],
        conflict_policy=record.conflict_policy,
        no_blank_values=record.no_blank_values,
        capabilities=list(record.capabilities),
        max_page_size=record.max_page_size,
        discovered_at=record.discovered_at,
        last_sync=record.last_sync,
    )


def _access(body: ErpConnectionRequest) -> list[AccessEntry] | None:
    """The scope sent: explicit rows, plus the reference's id lists (both permissions granted)."""
    if body.access is None and body.associate_access_ids is None and body.user_group_access_ids is None:
        return None
    entries = [
        AccessEntry(user_id=row.user_id, can_connect=row.can_connect, can_create_erp=row.can_create_erp)
        if isinstance(row, AccessForUser)
        else AccessEntry(
            group_id=row.group_id, can_connect=row.can_connect, can_create_erp=row.can_create_erp
        )
        for row in body.access or []
    ]
    entries += [AccessEntry(user_id=each) for each in body.associate_access_ids or []]
    entries += [AccessEntry(group_id=each) for each in body.user_group_access_ids or []]
    return entries


# -- connectors -------------------------------------------------------------------------------------


@router.post(
    "/SaveErpSyncConnectorEntity",
    operation_id="SaveErpSyncConnectorEntity",
    response_model=SyncConnectorReply,
    responses=agent_error_responses(404, 409),
)
def save_erp_sync_connector_entity(
    body: SaveConnectorRequest, user: AdminUser, hub: HubDep
) -> SyncConnectorReply:
    """Create (`ErpConnectorId` 0) or update a sync connector: a name and a URL (http, https or
    plugin). A URL the hub may not call (link-local, cloud metadata) is refused."""
    return _connector(connectors.save_connector(hub, body.erp_connector_id, body.display_name, body.url))


@router.post(
    "/CreateDefaultErpSyncConnectorEntity",
    operation_id="CreateDefaultErpSyncConnectorEntity",
    response_model=SyncConnectorReply,
)
def create_default_erp_sync_connector_entity(user: AdminUser) -> SyncConnectorReply:
    """A new, unsaved connector carrier."""
    return _connector(connectors.default_connector())


@router.post(
    "/GetErpSyncConnectorEntity",
    operation_id="GetErpSyncConnectorEntity",
    response_model=SyncConnectorReply,
    responses=agent_error_responses(404),
)
def get_erp_sync_connector_entity(
    body: ConnectorIdRequest, user: AdminUser, hub: HubDep
) -> SyncConnectorReply:
    return _connector(connectors.get_connector(hub, body.erp_connector_id))


@router.post("/GetAllConnectors", operation_id="GetAllConnectors", response_model=list[SyncConnectorReply])
def get_all_connectors(user: AdminUser, hub: HubDep) -> list[SyncConnectorReply]:
    """Every sync connector that is not deleted."""
    return [_connector(record) for record in connectors.all_connectors(hub)]


@router.post("/TestConnectorUrl", operation_id="TestConnectorUrl", response_model=connectors.ResponseCode)
def test_connector_url(body: UrlRequest, user: AdminUser, hub: HubDep) -> connectors.ResponseCode:
    """`NoError` when a connector answers `GetConfigData` at the URL, else `ErrorNotFound`."""
    return connectors.test_connector_url(hub, body.url)


@router.post(
    "/CanDeleteErpSyncConnectorEntity",
    operation_id="CanDeleteErpSyncConnectorEntity",
    response_model=connectors.ResponseCode,
)
def can_delete_erp_sync_connector_entity(
    body: ConnectorIdRequest, user: AdminUser, hub: HubDep
) -> connectors.ResponseCode:
    """`ErrorConnectorHasConnections` while connections use the connector."""
    return connectors.can_delete_connector(hub, body.erp_connector_id)


@router.post(
    "/DeleteErpSyncConnectorEntity",
    operation_id="DeleteErpSyncConnectorEntity",
    response_model=bool,
    responses=agent_error_responses(404, 409),
)
def delete_erp_sync_connector_entity(body: ConnectorIdRequest, user: AdminUser, hub: HubDep) -> bool:
    """Soft-delete a connector; refused (409) while it has connections."""
    connectors.delete_connector(hub, body.erp_connector_id)
    return True


@router.post(
    "/GetConfigurationFields",
    operation_id="GetConfigurationFields",
    response_model=list[FieldMetadata],
    responses=agent_error_responses(404, 502),
)
def get_configuration_fields(body: ConnectorIdRequest, user: AdminUser, hub: HubDep) -> list[FieldMetadata]:
    """The connector's config fields (`GetConfigData`), in rank order."""
    return connectors.configuration_fields(hub, body.erp_connector_id)


@router.post(
    "/GetConfigListItems",
    operation_id="GetConfigListItems",
    response_model=list[ListItem],
    responses=agent_error_responses(404, 409, 502),
)
def get_config_list_items(body: ConfigListItemsRequest, user: AdminUser, hub: HubDep) -> list[ListItem]:
    """The items of a config field's list (`GetList` with the all-zero GUID, or with the GUID of
    the connection named)."""
    return connectors.config_list_items(hub, body.erp_connector_id, body.list_name, body.erp_connection_id)


# -- connections ------------------------------------------------------------------------------------


@router.post(
    "/SaveConnection",
    operation_id="SaveConnection",
    response_model=ErpConnectionReply,
    responses=agent_error_responses(404, 409, 502),
)
def save_connection(body: ErpConnectionRequest, user: AdminUser, hub: HubDep) -> ErpConnectionReply:
    """Create (`ErpConnectionId` 0) or update a connection. New config values must pass the
    connector's `TestConfigData` (else 409 with its explanation); then the connection is saved in
    the connector, tested, and its actor types and fields are discovered and mapped automatically."""
    draft = ConnectionDraft(
        connection_id=body.erp_connection_id,
        connector_id=body.erp_connector_id,
        display_name=body.display_name,
        description=body.display_description,
        all_access=body.all_access,
        access=_access(body),
        config=body.config_fields,
        conflict_policy=body.conflict_policy,
        no_blank_values=body.no_blank_values,
    )
    return _connection(connections.save_connection(hub, draft))


@router.post(
    "/GetConnection",
    operation_id="GetConnection",
    response_model=ErpConnectionReply,
    responses=agent_error_responses(404),
)
def get_connection(body: ConnectionIdRequest, user: AdminUser, hub: HubDep) -> ErpConnectionReply:
    """One connection with its config values (Password values masked) and scope."""
    return _connection(connections.get_connection(hub, body.erp_connection_id))


@router.post("/GetAllConnections", operation_id="GetAllConnections", response_model=list[ErpConnectionReply])
def get_all_connections(
    body: IncludeDeletedRequest, user: AdminUser, hub: HubDep
) -> list[ErpConnectionReply]:
    """Every connection, without config values."""
    return [_connection(record) for record in connections.all_connections(hub, body.include_deleted)]


@router.post(
    "/GetErpConnectionConfigFields",
    operation_id="GetErpConnectionConfigFields",
    response_model=dict[str, str],
    responses=agent_error_responses(404),
)
def get_erp_connection_config_fields(
    body: ConnectionIdRequest, user: AdminUser, hub: HubDep
) -> dict[str, str]:
    """The stored config values, Password values masked."""
    return connections.connection_config_fields(hub, body.erp_connection_id)


@router.post(
    "/TestConnectionByConfig",
    operation_id="TestConnectionByConfig",
    response_model=TestOutcomeReply,
    responses=agent_error_responses(404, 409, 502),
)
def test_connection_by_config(body: TestByConfigRequest, user: AdminUser, hub: HubDep) -> TestOutcomeReply:
    """Test config values without saving them (`TestConfigData`); masked passwords stand for the
    stored ones. For a connection not saved yet, send `ErpConnectionId` 0 and the `ErpConnectorId`."""
    outcome = connections.test_connection_by_config(
        hub, body.erp_connection_id, body.erp_connector_id, body.config_fields
    )
    return TestOutcomeReply(is_ok=outcome.is_ok, user_explanation=outcome.user_explanation)


@router.post(
    "/TestConnectionById",
    operation_id="TestConnectionById",
    response_model=TestOutcomeReply,
    responses=agent_error_responses(404, 502),
)
def test_connection_by_id(body: ConnectionIdRequest, user: AdminUser, hub: HubDep) -> TestOutcomeReply:
    """Test a saved connection (`TestConnection`)."""
    outcome = connections.test_connection_by_id(hub, body.erp_connection_id)
    return TestOutcomeReply(is_ok=outcome.is_ok, user_explanation=outcome.user_explanation)


@router.post(
    "/DeleteConnection",
    operation_id="DeleteConnection",
    response_model=bool,
    responses=agent_error_responses(404, 409),
)
def delete_connection(body: ConnectionIdRequest, user: AdminUser, hub: HubDep) -> bool:
    """Soft-delete a connection and tell the connector (its failure is only logged)."""
    connections.delete_connection(hub, body.erp_connection_id)
    return True


@router.post(
    "/ToggleErpConnectionActive",
    operation_id="ToggleErpConnectionActive",
    response_model=list[str],
    responses=agent_error_responses(404, 409, 502),
)
def toggle_erp_connection_active(body: ConnectionIdRequest, user: AdminUser, hub: HubDep) -> list[str]:
    """Deactivate, or activate when nothing stands against it: the reply lists the reasons
    activation was refused (empty: the connection was toggled)."""
    return activation.toggle_connection_active(hub, body.erp_connection_id)


@router.post(
    "/UpdateConnectionFields",
    operation_id="UpdateConnectionFields",
    response_model=bool,
    responses=agent_error_responses(404, 409, 502),
)
def update_connection_fields(body: ConnectionIdRequest, user: AdminUser, hub: HubDep) -> bool:
    """Re-read actor types and fields from the connector (discovery and automatic mapping)."""
    discovery.update_connection_fields(hub, body.erp_connection_id)
    return True
