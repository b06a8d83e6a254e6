"""Administrator methods for field mappings, list mappings, defaults and rank (reference §2.5 to §2.8)."""

from __future__ import annotations

from fastapi import APIRouter

from erpsync.crm.catalogue import CrmActorType
from erpsync.hub import defaults, list_mappings, mappings, ranking
from erpsync.hub.defaults import DefaultValueInfo, DefaultValueSettings
from erpsync.hub.list_mappings import ConnectionListMappings, ItemChoice
from erpsync.hub.mappings import ActorTypeMappingView, FieldMappingChange

from ..dependencies import AdminUser
from .admin_models import (
    ActorTypeRequest,
    ConnectionIdRequest,
    CrmActorTypeRequest,
    CrmFieldInfo,
    CrmListInfo,
    CrmListItemInfo,
    DefaultValueReply,
    DefaultValueRequest,
    ErpFieldIdRequest,
    FieldListMappingReply,
    FieldMappingReply,
    ListItemMappingReply,
    ListMappingsReply,
    ListMappingsRequest,
    MappingReply,
    MoveFieldRequest,
    RankedFieldReply,
    SaveMappingRequest,
    ValidateColumnsRequest,
)
from .common import HubDep, agent_error_responses

__all__ = ["router"]

router = APIRouter()


def _mapping(view: ActorTypeMappingView) -> MappingReply:
    return MappingReply(
        erp_connection_id=view.connection_id,
        is_active=view.is_active,
        actor_type_erp=view.erp_actor_type,
        actor_type_crm=view.crm_actor_type,
        missing_in_erp=view.missing_in_erp,
        auto_import=view.auto_import,
        field_mappings=[
            FieldMappingReply(
                erp_field_id=f.erp_field_id,
                crm_field_key=f.crm_field_key,
                crm_display_name=f.crm_display_name,
                crm_display_tooltip="",
                erp_field_key=f.erp_field_key,
                field_type=f.field_type,
                erp_display_name=f.erp_display_name,
                erp_display_tooltip=f.erp_display_tooltip,
                sync_to_crm=f.sync_to_crm,
                sync_to_erp=f.sync_to_erp,
                show_in_gui=f.show_in_gui,
                show_in_search=f.show_in_search,
                already_mapped=f.already_mapped,
                missing_in_erp=f.missing_in_erp,
                missing_in_crm=f.missing_in_crm,
                access=f.access,
                list_reference=f.list_reference,
                list_name=f.list_name,
                rank=f.rank,
                searchable=f.searchable,
                can_sync_to_crm=f.can_sync_to_crm,
                can_sync_to_erp=f.can_sync_to_erp,
                sync_to_crm_disabled_reason=f.sync_to_crm_disabled_reason,
                sync_to_erp_disabled_reason=f.sync_to_erp_disabled_reason,
                offered_crm_field_keys=list(f.offered_crm_field_keys),
            )
            for f in view.fields
        ],
        crm_fields=[
            CrmFieldInfo(
                crm_field_key=f.key,
                display_name=f.label,
                kind=f.kind.value,
                list_name=f.list_name.value if f.list_name else "",
            )
            for f in view.crm_fields
        ],
    )


def _list_mappings(result: ConnectionListMappings) -> ListMappingsReply:
    return ListMappingsReply(
        erp_connection_id=result.connection_id,
        erp_connection_name=result.connection_name,
        erp_list_item_mappings=[
            FieldListMappingReply(
                erp_field_id=entry.erp_field_id,
                erp_field_key=entry.erp_field_key,
                erp_field_name=entry.erp_field_name,
                erp_actor_type_name=entry.erp_actor_type,
                erp_list_name=entry.erp_list_name,
                crm_list=CrmListInfo(
                    list_name=entry.crm_list_name,
                    items=[CrmListItemInfo(id=item.id, name=item.name) for item in entry.crm_items],
                ),
                is_complete=entry.complete,
                erp_crm_list_item_mappings=[
                    ListItemMappingReply(
                        erp_list_item_id=pair.erp_item_key,
                        erp_list_item_name=pair.erp_item_name,
                        crm_list_item_id=pair.crm_item_id,
                        crm_list_item_name=pair.crm_item_name,
                    )
                    for pair in entry.pairs
                ],
            )
            for entry in result.lists
        ],
    )


def _default(info: DefaultValueInfo) -> DefaultValueReply:
    return DefaultValueReply(
        erp_field_id=info.erp_field_id,
        default_value=info.default_value,
        has_first_sync_default_value=info.has_first_sync_default_value,
        first_sync_default_value=info.first_sync_default_value,
        prompt_user=info.prompt_user,
        mandatory=info.mandatory,
        erp_field_key=info.erp_field_key,
        field_type=info.field_type,
        list_name=info.list_name,
        access=info.access,
        erp_actor_type=info.erp_actor_type,
        display_name=info.display_name,
    )


# -- field mapping ----------------------------------------------------------------------------------


@router.post(
    "/GetActorTypeMapping",
    operation_id="GetActorTypeMapping",
    response_model=MappingReply,
    responses=agent_error_responses(404),
)
def get_actor_type_mapping(body: ActorTypeRequest, user: AdminUser, hub: HubDep) -> MappingReply:
    """The field mappings of one actor type of a connection, in rank order, with the directions
    each field may sync in (and why not) and the CRM fields it may be mapped to."""
    return _mapping(mappings.actor_type_mapping(hub, body.erp_connection_id, body.actor_type.value))


@router.post(
    "/SaveActorTypeMapping",
    operation_id="SaveActorTypeMapping",
    response_model=MappingReply,
    responses=agent_error_responses(404, 409),
)
def save_actor_type_mapping(body: SaveMappingRequest, user: AdminUser, hub: HubDep) -> MappingReply:
    """Save field mappings and the actor type's active flag. Refused as a whole (422, one message
    per ERP field) when a rule says no; refused (409) while the connection is active."""
    changes = [
        FieldMappingChange(
            erp_field_id=row.erp_field_id,
            erp_field_key=row.erp_field_key,
            crm_field_key=row.crm_field_key,
            sync_to_crm=row.sync_to_crm,
            sync_to_erp=row.sync_to_erp,
            show_in_gui=row.show_in_gui,
            show_in_search=row.show_in_search,
        )
        for row in body.field_mappings
    ]
    view = mappings.save_actor_type_mapping(
        hub, body.erp_connection_id, body.actor_type_erp.value, body.is_active, changes, body.auto_import
    )
    return _mapping(view)


@router.post(
    "/GetCrmActorType",
    operation_id="GetCrmActorType",
    response_model=CrmActorType,
    responses=agent_error_responses(404),
)
def get_crm_actor_type(body: CrmActorTypeRequest, user: AdminUser, hub: HubDep) -> CrmActorType:
    """The CRM actor type an ERP actor type is synced with (`Contact` is a company)."""
    return mappings.crm_actor_type(hub, body.erp_connection_id, body.erp_actor_type.value)


@router.post("/ValidateArchiveColumnConfig", operation_id="ValidateArchiveColumnConfig", response_model=bool)
def validate_archive_column_config(body: ValidateColumnsRequest, user: AdminUser) -> bool:
    """Accepted and ignored: erpsync stores no list column widths to clear."""
    return True


# -- list mapping -----------------------------------------------------------------------------------


@router.post(
    "/GetConnectionListMappings",
    operation_id="GetConnectionListMappings",
    response_model=ListMappingsReply,
    responses=agent_error_responses(404, 502),
)
def get_connection_list_mappings(
    body: ConnectionIdRequest, user: AdminUser, hub: HubDep
) -> ListMappingsReply:
    """One entry per ERP List field mapped to a CRM list field: the ERP list's items (from the
    connector), the CRM list's items, and which CRM item each ERP item is mapped to."""
    return _list_mappings(list_mappings.connection_list_mappings(hub, body.erp_connection_id))


@router.post(
    "/SaveConnectionListMappings",
    operation_id="SaveConnectionListMappings",
    response_model=ListMappingsReply,
    responses=agent_error_responses(404, 409, 502),
)
def save_connection_list_mappings(
    body: ListMappingsRequest, user: AdminUser, hub: HubDep
) -> ListMappingsReply:
    """Replace the list mappings of the fields sent. One-to-one: a CRM item chosen for two ERP
    items is refused (422, naming them); `CrmListItemId` null is "(No Selection)"."""
    sent = [
        (entry.erp_field_id, [ItemChoice(row.erp_list_item_id, row.crm_list_item_id)
                              for row in entry.erp_crm_list_item_mappings])
        for entry in body.erp_list_item_mappings
    ]  # fmt: skip
    return _list_mappings(list_mappings.save_connection_list_mappings(hub, body.erp_connection_id, sent))


# -- defaults ---------------------------------------------------------------------------------------


@router.post(
    "/GetDefaultValueInfo",
    operation_id="GetDefaultValueInfo",
    response_model=DefaultValueReply,
    responses=agent_error_responses(404),
)
def get_default_value_info(body: ErpFieldIdRequest, user: AdminUser, hub: HubDep) -> DefaultValueReply:
    return _default(defaults.default_value_info(hub, body.erp_field_id))


@router.post(
    "/SaveDefaultValueInfo",
    operation_id="SaveDefaultValueInfo",
    response_model=DefaultValueReply,
    responses=agent_error_responses(404, 409, 502),
)
def save_default_value_info(body: DefaultValueRequest, user: AdminUser, hub: HubDep) -> DefaultValueReply:
    """The default value new ERP actors get for a field, whether to ask the user, and whether a
    value is required. `FirstSyncDefaultValue` is encoded like a field value (`[I:1]`, `[F:2.5]`,
    `[DT:…]`, a list item key, or text)."""
    settings = DefaultValueSettings(
        has_first_sync_default_value=body.has_first_sync_default_value,
        first_sync_default_value=body.first_sync_default_value,
        prompt_user=body.prompt_user,
        mandatory=body.mandatory,
    )
    return _default(defaults.save_default_value(hub, body.erp_field_id, settings))


# -- rank -------------------------------------------------------------------------------------------


@router.post(
    "/MoveErpFieldItem",
    operation_id="MoveErpFieldItem",
    response_model=list[RankedFieldReply],
    responses=agent_error_responses(404, 409),
)
def move_erp_field_item(body: MoveFieldRequest, user: AdminUser, hub: HubDep) -> list[RankedFieldReply]:
    """Move a field `Direction` places down (positive) or up (negative) in its actor type's rank;
    the reply is the actor type's fields in their new order."""
    moved = ranking.move_erp_field(
        hub, body.erp_field_id, body.direction, body.erp_connection_id, body.erp_actor_type.value
    )
    return [
        RankedFieldReply(erp_field_id=f.erp_field_id, erp_field_key=f.erp_field_key,
                         display_name=f.display_name, rank=f.rank)
        for f in moved
    ]  # fmt: skip
