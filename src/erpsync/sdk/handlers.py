"""One function per operation: call the connector's snake_case method with the request's members
and wrap what it returns into the operation's reply carrier.

The shared rules (actor type refused up front, exceptions turned into error carriers) live in
:mod:`.dispatch`; the reply checks in :mod:`.operation_run`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from erpsync.protocol import (
    ActorArrayResponse,
    ActorResponse,
    ActorResultArrayResponse,
    DeletedActor,
    DeletedActorArrayResponse,
    ErpActor,
    FieldMetadataArrayResponse,
    ListItemArrayResponse,
    PluginResponse,
    StringArrayResponse,
)
from erpsync.protocol import requests as rq

from .actor_type_cache import actor_type_cache
from .capabilities import capabilities_of
from .connector import ActorPage, DeletedPage, ErpConnector
from .operation_run import ANY_ACTOR_TYPE, OperationRun, ReplyInvalid, saved_actor
from .replies import batch_reply

__all__ = ["HANDLERS", "Handler"]


def _get_config_data(run: OperationRun, req: rq.EmptyRequest) -> PluginResponse:
    return FieldMetadataArrayResponse.ok(field_meta_data_objects=run.connector.get_config_data())


def _plugin_response(reply: object, method: str) -> PluginResponse:
    if not isinstance(reply, PluginResponse):
        raise ReplyInvalid(f"{method} returned a {type(reply).__name__}, not a PluginResponse")
    return reply


def _test_config_data(run: OperationRun, req: rq.TestConfigDataRequest) -> PluginResponse:
    return _plugin_response(run.connector.test_config_data(req.connection_info), "test_config_data")


def _save_connection(run: OperationRun, req: rq.SaveConnectionRequest) -> PluginResponse:
    actor_type_cache.forget(run.connector, req.connection_guid)
    reply = run.connector.save_connection(req.connection_guid, req.connection_info)
    return _plugin_response(reply, "save_connection")


def _test_connection(run: OperationRun, req: rq.ConnectionRequest) -> PluginResponse:
    return _plugin_response(run.connector.test_connection(req.connection_guid), "test_connection")


def _delete_connection(run: OperationRun, req: rq.ConnectionRequest) -> PluginResponse:
    actor_type_cache.forget(run.connector, req.connection_guid)
    return _plugin_response(run.connector.delete_connection(req.connection_guid), "delete_connection")


def _get_supported_actor_types(run: OperationRun, req: rq.ConnectionRequest) -> PluginResponse:
    announced = run.connector.get_supported_actor_types(req.connection_guid)
    for name in announced:
        if name not in ANY_ACTOR_TYPE:
            raise ReplyInvalid(f"{name!r} is not an actor type of the contract")
    return StringArrayResponse.ok(items=announced)


def _get_supported_actor_type_fields(run: OperationRun, req: rq.ActorTypeRequest) -> PluginResponse:
    fields = run.connector.get_supported_actor_type_fields(req.connection_guid, req.actor_type)
    return FieldMetadataArrayResponse.ok(field_meta_data_objects=fields)


def _get_searchable_fields(run: OperationRun, req: rq.ActorTypeRequest) -> PluginResponse:
    return StringArrayResponse.ok(
        items=run.connector.get_searchable_fields(req.connection_guid, req.actor_type)
    )


def _actors(run: OperationRun, connection_guid: str, actors: list[ErpActor]) -> PluginResponse:
    run.check_actors(connection_guid, actors)
    return ActorArrayResponse.ok(actors=actors)


def _get_actors(run: OperationRun, req: rq.GetActorsRequest) -> PluginResponse:
    guid = req.connection_guid
    return _actors(run, guid, run.connector.get_actors(guid, req.actor_type, req.erp_keys, req.field_keys))


def _search_actors(run: OperationRun, req: rq.SearchActorsRequest) -> PluginResponse:
    guid = req.connection_guid
    found = run.connector.search_actors(guid, req.actor_type, req.search_text, req.field_keys)
    return _actors(run, guid, found)


def _search_actor_by_parent(run: OperationRun, req: rq.SearchActorByParentRequest) -> PluginResponse:
    guid = req.connection_guid
    if req.parent_actor_type:
        run.require_actor_type(guid, req.parent_actor_type)
    found = run.connector.search_actor_by_parent(
        guid, req.actor_type, req.search_text, req.parent_actor_type, req.parent_actor_erp_key, req.field_keys
    )
    return _actors(run, guid, found)


def _search_actors_advanced(run: OperationRun, req: rq.SearchActorsAdvancedRequest) -> PluginResponse:
    guid = req.connection_guid
    found = run.connector.search_actors_advanced(guid, req.actor_type, req.restrictions, req.field_keys)
    return _actors(run, guid, found)


def _create_actor(run: OperationRun, req: rq.CreateActorRequest) -> PluginResponse:
    guid = req.connection_guid
    run.require_actor_type(guid, req.actor.actor_type)
    created = run.connector.create_actor(guid, req.actor)
    run.check_actors(guid, [created])
    return ActorResponse.ok(actor=created)


def _save_actors(run: OperationRun, req: rq.SaveActorsRequest) -> PluginResponse:
    guid = req.connection_guid
    results = run.run_batch(guid, req.actors, lambda actors: run.connector.save_actors(guid, actors))
    saved = [saved_actor(r) for r in results if not r.failed]
    return batch_reply(ActorArrayResponse, results, "saved", actors=saved)


def _create_actors(run: OperationRun, req: rq.CreateActorsRequest) -> PluginResponse:
    guid = req.connection_guid
    results = run.run_batch(guid, req.actors, lambda actors: run.connector.create_actors(guid, actors))
    return batch_reply(ActorResultArrayResponse, results, "created")


def _page_size(connector: ErpConnector, asked: int) -> int:
    """The page size passed on: what the hub asked for, never more than the connector serves; 0 = all."""
    largest = type(connector).max_page_size
    return min(asked, largest) if asked > 0 else 0


def _get_actors_by_timestamp(run: OperationRun, req: rq.GetActorsByTimestampRequest) -> PluginResponse:
    connector, guid = run.connector, req.connection_guid
    if type(connector).max_page_size > 0:
        size = _page_size(connector, req.page_size)
        page = connector.get_actors_by_timestamp(
            guid, req.updated_on_or_after, req.actor_type, req.field_keys, size, req.page_token
        )
    else:
        # A connector without paging returns everything; the hub's PageSize is not its business.
        size = 0
        page = connector.get_actors_by_timestamp(
            guid, req.updated_on_or_after, req.actor_type, req.field_keys
        )
    if not isinstance(page, ActorPage):
        raise ReplyInvalid(f"get_actors_by_timestamp returned a {type(page).__name__}, not an ActorPage")
    if size and len(page.actors) > size:
        raise ReplyInvalid(f"a page of {len(page.actors)} actors was returned for PageSize {size}")
    run.check_actors(guid, page.actors)
    return ActorArrayResponse.ok(actors=page.actors, next_page_token=page.next_page_token)


def _get_deleted_actors(run: OperationRun, req: rq.GetDeletedActorsRequest) -> PluginResponse:
    connector, guid = run.connector, req.connection_guid
    if type(connector).max_page_size > 0:
        size = _page_size(connector, req.page_size)
        page = connector.get_deleted_actors(
            guid, req.actor_type, req.deleted_on_or_after, size, req.page_token
        )
    else:
        page = connector.get_deleted_actors(guid, req.actor_type, req.deleted_on_or_after)
    if not isinstance(page, DeletedPage):
        raise ReplyInvalid(f"get_deleted_actors returned a {type(page).__name__}, not a DeletedPage")
    deleted = [DeletedActor(actor_type=t, erp_key=k, deleted_at=at) for t, k, at in page.deleted]
    for item in deleted:
        if not item.erp_key or not item.deleted_at:
            raise ReplyInvalid(f"a deleted {item.actor_type} has no ErpKey or no deletion timestamp")
    return DeletedActorArrayResponse.ok(deleted_actors=deleted, next_page_token=page.next_page_token)


def _get_list(run: OperationRun, req: rq.GetListRequest) -> PluginResponse:
    return ListItemArrayResponse.ok(list_items=run.connector.get_list(req.connection_guid, req.list_name))


def _get_list_items(run: OperationRun, req: rq.GetListItemsRequest) -> PluginResponse:
    items = run.connector.get_list_items(req.connection_guid, req.list_name, req.list_item_keys)
    return ListItemArrayResponse.ok(list_items=items)


def _get_capabilities(run: OperationRun, req: rq.EmptyRequest) -> PluginResponse:
    return capabilities_of(type(run.connector))


# Request types differ per operation; each function is only ever called with its own.
Handler = Callable[[OperationRun, Any], PluginResponse]

HANDLERS: dict[str, Handler] = {
    "GetConfigData": _get_config_data,
    "TestConfigData": _test_config_data,
    "SaveConnection": _save_connection,
    "TestConnection": _test_connection,
    "DeleteConnection": _delete_connection,
    "GetSupportedActorTypes": _get_supported_actor_types,
    "GetSupportedActorTypeFields": _get_supported_actor_type_fields,
    "GetSearchableFields": _get_searchable_fields,
    "GetActors": _get_actors,
    "SearchActors": _search_actors,
    "SearchActorByParent": _search_actor_by_parent,
    "SearchActorsAdvanced": _search_actors_advanced,
    "CreateActor": _create_actor,
    "SaveActors": _save_actors,
    "GetList": _get_list,
    "GetListItems": _get_list_items,
    "GetActorsByTimestamp": _get_actors_by_timestamp,
    "GetCapabilities": _get_capabilities,
    "CreateActors": _create_actors,
    "GetDeletedActors": _get_deleted_actors,
}
