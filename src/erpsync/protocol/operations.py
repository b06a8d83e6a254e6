"""Every operation of the contract in one table: name → request type → response type."""

from __future__ import annotations

from dataclasses import dataclass

from . import carriers as c
from . import requests as r

__all__ = ["EXTENSION_OPERATIONS", "OPERATIONS", "PROTOCOL_VERSION", "REFERENCE_OPERATIONS", "Operation"]

PROTOCOL_VERSION = "1.0"


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    request: type[c.Carrier]
    response: type[c.PluginResponse]
    method: str
    summary: str
    extension: bool = False

    @property
    def has_connection(self) -> bool:
        return issubclass(self.request, r.ConnectionRequest)


def _op(
    name: str,
    request: type[c.Carrier],
    response: type[c.PluginResponse],
    method: str,
    summary: str,
    extension: bool = False,
) -> Operation:
    return Operation(name, request, response, method, summary, extension)


_ALL = [
    _op(
        "GetConfigData",
        r.EmptyRequest,
        c.FieldMetadataArrayResponse,
        "get_config_data",
        "The configuration fields a new connection needs.",
    ),
    _op(
        "TestConfigData",
        r.TestConfigDataRequest,
        c.PluginResponse,
        "test_config_data",
        "Check config values without saving them (the Test ERP connection button).",
    ),
    _op(
        "SaveConnection",
        r.SaveConnectionRequest,
        c.PluginResponse,
        "save_connection",
        "Store the config of a connection GUID; also the hub's re-send when the connector lost it.",
    ),
    _op(
        "TestConnection",
        r.ConnectionRequest,
        c.PluginResponse,
        "test_connection",
        "Is the saved connection usable?",
    ),
    _op(
        "DeleteConnection",
        r.ConnectionRequest,
        c.PluginResponse,
        "delete_connection",
        "The hub deleted the connection.",
    ),
    _op(
        "GetSupportedActorTypes",
        r.ConnectionRequest,
        c.StringArrayResponse,
        "get_supported_actor_types",
        "Actor type names the connection supports.",
    ),
    _op(
        "GetSupportedActorTypeFields",
        r.ActorTypeRequest,
        c.FieldMetadataArrayResponse,
        "get_supported_actor_type_fields",
        "Field metadata of one actor type.",
    ),
    _op(
        "GetSearchableFields",
        r.ActorTypeRequest,
        c.StringArrayResponse,
        "get_searchable_fields",
        "Field keys usable as advanced-search criteria; empty = no advanced search.",
    ),
    _op(
        "GetActors",
        r.GetActorsRequest,
        c.ActorArrayResponse,
        "get_actors",
        "Actors by key, with the requested fields.",
    ),
    _op(
        "SearchActors",
        r.SearchActorsRequest,
        c.ActorArrayResponse,
        "search_actors",
        "Free-text search; blank text lists all.",
    ),
    _op(
        "SearchActorByParent",
        r.SearchActorByParentRequest,
        c.ActorArrayResponse,
        "search_actor_by_parent",
        "Free-text search among the children of one parent.",
    ),
    _op(
        "SearchActorsAdvanced",
        r.SearchActorsAdvancedRequest,
        c.ActorArrayResponse,
        "search_actors_advanced",
        "Criteria search; restrictions are combined with AND.",
    ),
    _op(
        "CreateActor",
        r.CreateActorRequest,
        c.ActorResponse,
        "create_actor",
        "Create an actor; the reply carries its new ErpKey and LastModified.",
    ),
    _op(
        "SaveActors",
        r.SaveActorsRequest,
        c.ActorArrayResponse,
        "save_actors",
        "Update actors with the fields sent; the reply carries their new LastModified.",
    ),
    _op("GetList", r.GetListRequest, c.ListItemArrayResponse, "get_list", "All items of a list."),
    _op(
        "GetListItems",
        r.GetListItemsRequest,
        c.ListItemArrayResponse,
        "get_list_items",
        "Display text of some list item keys.",
    ),
    _op(
        "GetActorsByTimestamp",
        r.GetActorsByTimestampRequest,
        c.ActorArrayResponse,
        "get_actors_by_timestamp",
        "Actors changed on or after a timestamp (inclusive): the change feed.",
    ),
    # Extensions beyond SuperOffice, announced by GetCapabilities.
    _op(
        "GetCapabilities",
        r.EmptyRequest,
        c.CapabilitiesResponse,
        "get_capabilities",
        "Protocol version and the extensions the connector offers.",
        extension=True,
    ),
    _op(
        "CreateActors",
        r.CreateActorsRequest,
        c.ActorResultArrayResponse,
        "create_actors",
        "Create many actors; one result per actor, one bad actor never fails the others.",
        extension=True,
    ),
    _op(
        "GetDeletedActors",
        r.GetDeletedActorsRequest,
        c.DeletedActorArrayResponse,
        "get_deleted_actors",
        "The delete feed: actors deleted on or after a timestamp, paged.",
        extension=True,
    ),
]

OPERATIONS: dict[str, Operation] = {op.name: op for op in _ALL}
REFERENCE_OPERATIONS = tuple(op.name for op in _ALL if not op.extension)
EXTENSION_OPERATIONS = tuple(op.name for op in _ALL if op.extension)
