"""Request and reply bodies of the administrator's ErpSync agent methods.

Member names are the reference's (``ErpConnectorId``, ``DisplayName``, ``URL``, ``ConfigFields``,
``MissingInERP`` …); a carrier is the whole body (SuperOffice's REST API wraps some in a member
such as ``Connection``; erpsync does not). Members a request does not use (display names, read-only
state) are ignored, so a carrier read with a Get method can be sent back to its Save method.
Requests carry the bounds the database needs (32-bit ids, no NUL characters), so that anything
the schema accepts is stored or refused cleanly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from erpsync.crm.texts import _
from erpsync.crm.values import INT32_MAX
from erpsync.hub.engine_settings import MAX_INTERVAL, MIN_INTERVAL
from erpsync.protocol import ActorType

from ..schemas import NAME, NO_NUL, name_text, text
from .common import AgentModel

__all__ = [
    "AccessForGroup",
    "AccessForUser",
    "AccessRow",
    "ActorSummaryReply",
    "ActorTypeRequest",
    "ConfigListItemsRequest",
    "ConnectionIdRequest",
    "ConnectorIdRequest",
    "CrmActorTypeRequest",
    "CrmFieldInfo",
    "CrmListInfo",
    "CrmListItemInfo",
    "DefaultValueReply",
    "DefaultValueRequest",
    "EngineIntervalRequest",
    "EngineStatusReply",
    "EngineStatusRequest",
    "ErpConnectionReply",
    "ErpConnectionRequest",
    "ErpFieldIdRequest",
    "FieldListMappingReply",
    "FieldListMappingRequest",
    "FieldMappingReply",
    "FieldMappingRow",
    "ForceResyncExternalRequest",
    "ForceResyncRequest",
    "IncludeDeletedRequest",
    "ListItemMappingReply",
    "ListItemMappingRow",
    "ListMappingsReply",
    "ListMappingsRequest",
    "MappingReply",
    "MoveFieldRequest",
    "PluginResponseReply",
    "PriorityEntryReply",
    "PriorityRequest",
    "RankedFieldReply",
    "SaveConnectorRequest",
    "SaveMappingRequest",
    "SummaryReply",
    "SummaryRequest",
    "SyncConnectorReply",
    "TestByConfigRequest",
    "TestOutcomeReply",
    "UrlRequest",
    "ValidateColumnsRequest",
]


def _whole(value: Any) -> Any:
    """JSON's whole numbers: ``5`` and ``5.0``, but not ``"5"``, ``5.5`` or ``true``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(_("must be a whole number"))
    return value


# 32-bit, as the id columns are.
Id = Annotated[int, Field(ge=1, le=INT32_MAX), BeforeValidator(_whole)]
IdOrZero = Annotated[int, Field(ge=0, le=INT32_MAX), BeforeValidator(_whole)]
Steps = Annotated[int, Field(ge=-(2**31), le=INT32_MAX), BeforeValidator(_whole)]
IntervalSeconds = Annotated[int, Field(ge=MIN_INTERVAL, le=MAX_INTERVAL), BeforeValidator(_whole)]
# A pattern on keys would become patternProperties, which lets other keys through unchecked.
Key = Annotated[str, Field(min_length=1, max_length=254)]
ConfigValue = Annotated[str, Field(max_length=100_000, pattern=NO_NUL)]
ConfigFields = dict[Key, ConfigValue]

# -- connectors -------------------------------------------------------------------------------------


class SaveConnectorRequest(AgentModel):
    """``ErpSyncConnectorEntity``: ``ErpConnectorId`` 0 creates a connector."""

    erp_connector_id: IdOrZero = 0
    display_name: str = name_text(254)
    url: str = Field(alias="URL", min_length=1, max_length=1023, pattern=NO_NUL)


class SyncConnectorReply(AgentModel):
    erp_connector_id: int
    display_name: str
    url: str = Field(alias="URL")
    deleted: bool


class ConnectorIdRequest(AgentModel):
    erp_connector_id: IdOrZero


class UrlRequest(AgentModel):
    url: str = text(0, 1023)


class ConfigListItemsRequest(AgentModel):
    erp_connector_id: IdOrZero
    list_name: str = text(1, 254)
    erp_connection_id: IdOrZero = Field(
        default=0, description="A connection of this connector whose GUID to use; 0: the all-zero GUID."
    )


# -- connections ------------------------------------------------------------------------------------


class AccessForUser(AgentModel):
    model_config = ConfigDict(extra="forbid")

    user_id: Id
    can_connect: bool = True
    can_create_erp: bool = Field(default=True, alias="CanCreateERP")


class AccessForGroup(AgentModel):
    model_config = ConfigDict(extra="forbid")

    group_id: Id
    can_connect: bool = True
    can_create_erp: bool = Field(default=True, alias="CanCreateERP")


class ErpConnectionRequest(AgentModel):
    """``SaveConnection``: ``ErpConnectionId`` 0 creates a connection. A member left out (or null)
    keeps its value; for a new connection it takes its default."""

    erp_connection_id: IdOrZero = 0
    erp_connector_id: IdOrZero = 0
    display_name: str | None = Field(default=None, min_length=1, max_length=254, pattern=NAME)
    display_description: str | None = Field(default=None, max_length=4000, pattern=NO_NUL)
    all_access: bool | None = None
    access: list[AccessForUser | AccessForGroup] | None = Field(
        default=None,
        max_length=10_000,
        description="Users and groups in scope, each with its two permissions.",
    )
    associate_access_ids: list[Id] | None = Field(
        default=None, max_length=10_000, description="Users in scope with both permissions (shorthand)."
    )
    user_group_access_ids: list[Id] | None = Field(
        default=None, max_length=10_000, description="Groups in scope with both permissions (shorthand)."
    )
    config_fields: ConfigFields | None = Field(
        default=None, description='Config values; a Password sent as "********" keeps the stored one.'
    )
    conflict_policy: Literal["newest", "erp", "crm"] | None = None
    no_blank_values: bool | None = None


class AccessRow(AgentModel):
    user_id: int | None
    group_id: int | None
    can_connect: bool
    can_create_erp: bool = Field(alias="CanCreateERP")


class ErpConnectionReply(AgentModel):
    erp_connection_id: int
    erp_connector_id: int
    connector_name: str
    display_name: str
    display_description: str
    active: bool
    connection_id: str = Field(description="The GUID the connector knows the connection by.")
    config_fields: dict[str, str] = Field(description="Password values masked; empty in lists.")
    deleted: bool
    all_access: bool
    access: list[AccessRow]
    associate_access_ids: list[int]
    user_group_access_ids: list[int]
    conflict_policy: str
    no_blank_values: bool
    capabilities: list[str]
    max_page_size: int
    discovered_at: datetime | None
    last_sync: datetime | None


class ConnectionIdRequest(AgentModel):
    erp_connection_id: IdOrZero


class IncludeDeletedRequest(AgentModel):
    include_deleted: bool = False


class TestByConfigRequest(AgentModel):
    erp_connection_id: IdOrZero = 0
    erp_connector_id: IdOrZero = Field(default=0, description="For a connection not saved yet.")
    config_fields: ConfigFields = Field(default_factory=dict)


class TestOutcomeReply(AgentModel):
    is_ok: bool
    user_explanation: str


# -- mappings ---------------------------------------------------------------------------------------


class ActorTypeRequest(AgentModel):
    erp_connection_id: IdOrZero
    actor_type: ActorType


class CrmActorTypeRequest(AgentModel):
    erp_connection_id: IdOrZero
    erp_actor_type: ActorType


class FieldMappingRow(AgentModel):
    """One row of ``FieldMappings``: the ERP field by ``ErpFieldId``, or by ``ErpFieldKey`` when the
    id is 0. An empty ``CrmFieldKey`` means "not mapped"."""

    erp_field_id: IdOrZero = 0
    erp_field_key: str = Field(default="", max_length=254, pattern=NO_NUL)
    crm_field_key: str = Field(default="", max_length=254, pattern=NO_NUL)
    sync_to_crm: bool = False
    sync_to_erp: bool = False
    show_in_gui: bool = False
    show_in_search: bool = False


class SaveMappingRequest(AgentModel):
    """``ErpSyncActorTypeMapping``: fields left out of ``FieldMappings`` stay as they are."""

    erp_connection_id: IdOrZero
    actor_type_erp: ActorType
    is_active: bool | None = None
    auto_import: bool | None = Field(
        default=None,
        description="erpsync: import new ERP actors of this type automatically (off by default).",
    )
    field_mappings: list[FieldMappingRow] = Field(default_factory=list, max_length=10_000)


class FieldMappingReply(AgentModel):
    erp_field_id: int
    crm_field_key: str
    crm_display_name: str
    crm_display_tooltip: str
    erp_field_key: str
    field_type: str
    erp_display_name: str
    erp_display_tooltip: str
    sync_to_crm: bool
    sync_to_erp: bool
    show_in_gui: bool
    show_in_search: bool
    already_mapped: bool = Field(description="Another active connection writes this CRM field from its ERP.")
    missing_in_erp: bool = Field(alias="MissingInERP")
    missing_in_crm: bool = Field(alias="MissingInCRM")
    access: str
    list_reference: str
    list_name: str
    rank: int
    searchable: bool
    can_sync_to_crm: bool
    can_sync_to_erp: bool
    sync_to_crm_disabled_reason: str
    sync_to_erp_disabled_reason: str
    offered_crm_field_keys: list[str] = Field(description="The CRM fields that may be mapped to this field.")


class CrmFieldInfo(AgentModel):
    crm_field_key: str
    display_name: str
    kind: str
    list_name: str


class MappingReply(AgentModel):
    erp_connection_id: int
    is_active: bool
    actor_type_erp: str
    actor_type_crm: str
    missing_in_erp: bool = Field(alias="MissingInERP")
    auto_import: bool = False
    field_mappings: list[FieldMappingReply]
    crm_fields: list[CrmFieldInfo]


class ValidateColumnsRequest(AgentModel):
    list_owner: str = Field(default="", max_length=254, pattern=NO_NUL)
    erp_connection_id: IdOrZero = 0


# -- list mapping -----------------------------------------------------------------------------------


class CrmListItemInfo(AgentModel):
    id: int
    name: str


class CrmListInfo(AgentModel):
    list_name: str
    items: list[CrmListItemInfo]


class ListItemMappingReply(AgentModel):
    erp_list_item_id: str
    erp_list_item_name: str
    crm_list_item_id: int | None = Field(description='null: "(No Selection)".')
    crm_list_item_name: str


class FieldListMappingReply(AgentModel):
    erp_field_id: int
    erp_field_key: str
    erp_field_name: str
    erp_actor_type_name: str
    erp_list_name: str
    crm_list: CrmListInfo
    is_complete: bool = Field(description="Every ERP item has a CRM item.")
    erp_crm_list_item_mappings: list[ListItemMappingReply]


class ListMappingsReply(AgentModel):
    erp_connection_id: int
    erp_connection_name: str
    erp_list_item_mappings: list[FieldListMappingReply]


class ListItemMappingRow(AgentModel):
    erp_list_item_id: str = text(0, 254)
    crm_list_item_id: Id | None = Field(default=None, description='null: "(No Selection)".')


class FieldListMappingRequest(AgentModel):
    erp_field_id: Id
    erp_crm_list_item_mappings: list[ListItemMappingRow] = Field(default_factory=list, max_length=100_000)


class ListMappingsRequest(AgentModel):
    """Replaces the list mappings of the fields sent; others stay."""

    erp_connection_id: IdOrZero
    erp_list_item_mappings: list[FieldListMappingRequest] = Field(default_factory=list, max_length=10_000)


# -- defaults ---------------------------------------------------------------------------------------


class ErpFieldIdRequest(AgentModel):
    erp_field_id: IdOrZero


class DefaultValueRequest(AgentModel):
    erp_field_id: IdOrZero
    has_first_sync_default_value: bool = False
    first_sync_default_value: str = Field(default="", max_length=4000, pattern=NO_NUL)
    prompt_user: bool = False
    mandatory: bool = False


class DefaultValueReply(AgentModel):
    erp_field_id: int
    default_value: str = Field(description="The connector's own default value.")
    has_first_sync_default_value: bool
    first_sync_default_value: str
    prompt_user: bool
    mandatory: bool
    erp_field_key: str
    field_type: str
    list_name: str
    access: str
    erp_actor_type: str
    display_name: str


# -- rank and priority ------------------------------------------------------------------------------


class MoveFieldRequest(AgentModel):
    erp_field_id: IdOrZero
    direction: Steps = Field(description="Places to move: positive = later (down), negative = earlier (up).")
    erp_connection_id: IdOrZero
    erp_actor_type: ActorType


class RankedFieldReply(AgentModel):
    erp_field_id: int
    erp_field_key: str
    display_name: str
    rank: int


class PriorityRequest(AgentModel):
    erp_connection_ids: list[IdOrZero] = Field(
        max_length=100_000, description="Every connection and 0 (the CRM), each once, highest priority first."
    )


class PriorityEntryReply(AgentModel):
    erp_connection_id: int
    display_name: str
    active: bool


# -- summary and engine -----------------------------------------------------------------------------


class SummaryRequest(AgentModel):
    erp_sync_connection_id: IdOrZero


class ActorSummaryReply(AgentModel):
    actor_type: str
    crm_actor_type: str
    is_active: bool
    has_mappings: bool
    defaults: str
    mappings: str


class SummaryReply(AgentModel):
    display_name: str
    display_description: str
    active: bool
    deleted: bool
    last_sync: datetime | None
    actors: list[ActorSummaryReply]


class EngineStatusRequest(AgentModel):
    run: bool


class EngineIntervalRequest(AgentModel):
    seconds: IntervalSeconds = Field(
        description="Seconds between sync cycles: at least a minute, at most a year."
    )


class EngineStatusReply(AgentModel):
    is_running: bool = Field(description="Automatic sync is switched on.")
    status_message: str
    interval: str = Field(description="The interval as a TimeSpan, [d.]hh:mm:ss.")
    interval_seconds: int


class PluginResponseReply(AgentModel):
    is_ok: bool
    user_explanation: str = ""
    tech_explanation: str = ""
    error_code: str = ""


class ForceResyncRequest(AgentModel):
    erp_connection_id: IdOrZero = 0
    internal_key_ids: list[Id] = Field(default_factory=list, max_length=100_000)


class ForceResyncExternalRequest(AgentModel):
    erp_connection_id: IdOrZero = 0
    erp_actor_type: ActorType
    external_keys: list[Annotated[str, Field(max_length=254, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=100_000
    )
