"""Request carriers, one per operation shape (member names as in the reference's WS requests)."""

from __future__ import annotations

from pydantic import Field

from .carriers import Carrier, ConnectionGuid, ErpActor, SearchRestriction

__all__ = [
    "ActorTypeRequest",
    "ConnectionRequest",
    "CreateActorRequest",
    "CreateActorsRequest",
    "EmptyRequest",
    "GetActorsByTimestampRequest",
    "GetActorsRequest",
    "GetDeletedActorsRequest",
    "GetListItemsRequest",
    "GetListRequest",
    "SaveActorsRequest",
    "SaveConnectionRequest",
    "SearchActorByParentRequest",
    "SearchActorsAdvancedRequest",
    "SearchActorsRequest",
    "TestConfigDataRequest",
]


class EmptyRequest(Carrier):
    """``GetConfigData`` and ``GetCapabilities`` carry nothing."""


class TestConfigDataRequest(Carrier):
    __test__ = False  # not a pytest class

    connection_info: dict[str, str] = Field(description="Config field key → encoded value.")


class ConnectionRequest(Carrier):
    connection_guid: ConnectionGuid = Field(description="The connection's GUID, made by the hub.")


class SaveConnectionRequest(ConnectionRequest):
    connection_info: dict[str, str]


class ActorTypeRequest(ConnectionRequest):
    actor_type: str


class GetActorsRequest(ActorTypeRequest):
    erp_keys: list[str] = Field(default_factory=list)
    field_keys: list[str] = Field(default_factory=list, description="Fields to return; empty = all.")


class SearchActorsRequest(ActorTypeRequest):
    search_text: str = Field(default="", description="Free text; blank lists all.")
    field_keys: list[str] = Field(default_factory=list)


class SearchActorByParentRequest(SearchActorsRequest):
    parent_actor_type: str = ""
    parent_actor_erp_key: str = ""


class SearchActorsAdvancedRequest(ActorTypeRequest):
    restrictions: list[SearchRestriction] = Field(default_factory=list)
    field_keys: list[str] = Field(default_factory=list)


class CreateActorRequest(ConnectionRequest):
    actor: ErpActor


class SaveActorsRequest(ConnectionRequest):
    actors: list[ErpActor]


class CreateActorsRequest(ConnectionRequest):
    actors: list[ErpActor]


class GetListRequest(ConnectionRequest):
    list_name: str


class GetListItemsRequest(GetListRequest):
    list_item_keys: list[str] = Field(default_factory=list)


class GetActorsByTimestampRequest(ActorTypeRequest):
    updated_on_or_after: str = Field(default="", description="Inclusive lower bound; empty = from the start.")
    field_keys: list[str] = Field(default_factory=list)
    page_size: int = Field(default=0, ge=0, description="Extension: at most this many actors; 0 = all.")
    page_token: str = Field(default="", description="Extension: NextPageToken of the previous page.")


class GetDeletedActorsRequest(ActorTypeRequest):
    deleted_on_or_after: str = ""
    page_size: int = Field(default=0, ge=0)
    page_token: str = ""
