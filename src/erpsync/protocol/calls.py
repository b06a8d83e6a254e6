"""Builders for one call of each operation: the operation, its request carrier and reply type.

Both clients (sync and async) send these, so each operation's request shape is written once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from . import carriers as c
from . import requests as r
from .operations import OPERATIONS, Operation

__all__ = ["Call", "call"]

R = TypeVar("R", bound=c.PluginResponse)


@dataclass(frozen=True, slots=True)
class Call(Generic[R]):
    operation: Operation
    request: c.Carrier
    response: type[R]

    @property
    def connection_guid(self) -> str:
        return str(getattr(self.request, "connection_guid", ""))


def _make(name: str, response: type[R], request: c.Carrier) -> Call[R]:
    return Call(OPERATIONS[name], request, response)


class call:  # noqa: N801 - used as a namespace: call.get_actors(...)
    """One static builder per operation, named like the connector's method."""

    @staticmethod
    def get_config_data() -> Call[c.FieldMetadataArrayResponse]:
        return _make("GetConfigData", c.FieldMetadataArrayResponse, r.EmptyRequest())

    @staticmethod
    def test_config_data(connection_info: Mapping[str, str]) -> Call[c.PluginResponse]:
        return _make(
            "TestConfigData", c.PluginResponse, r.TestConfigDataRequest(connection_info=dict(connection_info))
        )

    @staticmethod
    def save_connection(guid: str, connection_info: Mapping[str, str]) -> Call[c.PluginResponse]:
        request = r.SaveConnectionRequest(connection_guid=guid, connection_info=dict(connection_info))
        return _make("SaveConnection", c.PluginResponse, request)

    @staticmethod
    def test_connection(guid: str) -> Call[c.PluginResponse]:
        return _make("TestConnection", c.PluginResponse, r.ConnectionRequest(connection_guid=guid))

    @staticmethod
    def delete_connection(guid: str) -> Call[c.PluginResponse]:
        return _make("DeleteConnection", c.PluginResponse, r.ConnectionRequest(connection_guid=guid))

    @staticmethod
    def get_supported_actor_types(guid: str) -> Call[c.StringArrayResponse]:
        return _make(
            "GetSupportedActorTypes", c.StringArrayResponse, r.ConnectionRequest(connection_guid=guid)
        )

    @staticmethod
    def get_supported_actor_type_fields(guid: str, actor_type: str) -> Call[c.FieldMetadataArrayResponse]:
        request = r.ActorTypeRequest(connection_guid=guid, actor_type=actor_type)
        return _make("GetSupportedActorTypeFields", c.FieldMetadataArrayResponse, request)

    @staticmethod
    def get_searchable_fields(guid: str, actor_type: str) -> Call[c.StringArrayResponse]:
        request = r.ActorTypeRequest(connection_guid=guid, actor_type=actor_type)
        return _make("GetSearchableFields", c.StringArrayResponse, request)

    @staticmethod
    def get_actors(
        guid: str, actor_type: str, erp_keys: Sequence[str], field_keys: Sequence[str] = ()
    ) -> Call[c.ActorArrayResponse]:
        request = r.GetActorsRequest(
            connection_guid=guid, actor_type=actor_type, erp_keys=list(erp_keys), field_keys=list(field_keys)
        )
        return _make("GetActors", c.ActorArrayResponse, request)

    @staticmethod
    def search_actors(
        guid: str, actor_type: str, search_text: str, field_keys: Sequence[str] = ()
    ) -> Call[c.ActorArrayResponse]:
        request = r.SearchActorsRequest(
            connection_guid=guid, actor_type=actor_type, search_text=search_text, field_keys=list(field_keys)
        )
        return _make("SearchActors", c.ActorArrayResponse, request)

    @staticmethod
    def search_actor_by_parent(
        guid: str,
        actor_type: str,
        search_text: str,
        parent_actor_type: str,
        parent_erp_key: str,
        field_keys: Sequence[str] = (),
    ) -> Call[c.ActorArrayResponse]:
        request = r.SearchActorByParentRequest(
            connection_guid=guid,
            actor_type=actor_type,
            search_text=search_text,
            parent_actor_type=parent_actor_type,
            parent_actor_erp_key=parent_erp_key,
            field_keys=list(field_keys),
        )
        return _make("SearchActorByParent", c.ActorArrayResponse, request)

    @staticmethod
    def search_actors_advanced(
        guid: str,
        actor_type: str,
        restrictions: Sequence[c.SearchRestriction],
        field_keys: Sequence[str] = (),
    ) -> Call[c.ActorArrayResponse]:
        request = r.SearchActorsAdvancedRequest(
            connection_guid=guid,
            actor_type=actor_type,
            restrictions=list(restrictions),
            field_keys=list(field_keys),
        )
        return _make("SearchActorsAdvanced", c.ActorArrayResponse, request)

    @staticmethod
    def create_actor(guid: str, actor: c.ErpActor) -> Call[c.ActorResponse]:
        return _make("CreateActor", c.ActorResponse, r.CreateActorRequest(connection_guid=guid, actor=actor))

    @staticmethod
    def save_actors(guid: str, actors: Sequence[c.ErpActor]) -> Call[c.ActorArrayResponse]:
        return _make(
            "SaveActors", c.ActorArrayResponse, r.SaveActorsRequest(connection_guid=guid, actors=list(actors))
        )

    @staticmethod
    def get_list(guid: str, list_name: str) -> Call[c.ListItemArrayResponse]:
        return _make(
            "GetList", c.ListItemArrayResponse, r.GetListRequest(connection_guid=guid, list_name=list_name)
        )

    @staticmethod
    def get_list_items(guid: str, list_name: str, keys: Sequence[str]) -> Call[c.ListItemArrayResponse]:
        request = r.GetListItemsRequest(connection_guid=guid, list_name=list_name, list_item_keys=list(keys))
        return _make("GetListItems", c.ListItemArrayResponse, request)

    @staticmethod
    def get_actors_by_timestamp(
        guid: str,
        updated_on_or_after: str,
        actor_type: str,
        field_keys: Sequence[str] = (),
        page_size: int = 0,
        page_token: str = "",
    ) -> Call[c.ActorArrayResponse]:
        request = r.GetActorsByTimestampRequest(
            connection_guid=guid,
            updated_on_or_after=updated_on_or_after,
            actor_type=actor_type,
            field_keys=list(field_keys),
            page_size=page_size,
            page_token=page_token,
        )
        return _make("GetActorsByTimestamp", c.ActorArrayResponse, request)

    @staticmethod
    def get_capabilities() -> Call[c.CapabilitiesResponse]:
        return _make("GetCapabilities", c.CapabilitiesResponse, r.EmptyRequest())

    @staticmethod
    def create_actors(guid: str, actors: Sequence[c.ErpActor]) -> Call[c.ActorResultArrayResponse]:
        request = r.CreateActorsRequest(connection_guid=guid, actors=list(actors))
        return _make("CreateActors", c.ActorResultArrayResponse, request)

    @staticmethod
    def get_deleted_actors(
        guid: str, actor_type: str, deleted_on_or_after: str = "", page_size: int = 0, page_token: str = ""
    ) -> Call[c.DeletedActorArrayResponse]:
        request = r.GetDeletedActorsRequest(
            connection_guid=guid,
            actor_type=actor_type,
            deleted_on_or_after=deleted_on_or_after,
            page_size=page_size,
            page_token=page_token,
        )
        return _make("GetDeletedActors", c.DeletedActorArrayResponse, request)
