"""Checks of the connection life cycle and of discovery: capabilities, config, save and test,
unknown GUIDs, actor types, field metadata, searchable fields and lists."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable

from erpsync.protocol import (
    OPERATIONS,
    ActorType,
    Capability,
    ConnectionInfoMissingError,
    ConnectorReplyError,
    ErrorCode,
    FieldMetadata,
    FieldType,
    ResponseState,
    call,
)

from .context import Failed, Run, Skipped, expect, listing
from .values import is_writable

__all__ = [
    "check_actor_types",
    "check_capabilities",
    "check_config_data",
    "check_delete_connection",
    "check_fields",
    "check_forgotten_after_delete",
    "check_list",
    "check_list_items",
    "check_save_connection",
    "check_searchable_fields",
    "check_test_config",
    "check_test_connection",
    "check_unknown_guid",
    "check_unknown_type_error",
    "check_unsupported_type_error",
    "check_wrong_password",
    "list_names",
]

_NOT_OFFERED = frozenset({ErrorCode.NotSupported, ErrorCode.UnknownOperation})
_CAPABILITIES = frozenset(c.value for c in Capability)
_ACTOR_TYPES = frozenset(t.value for t in ActorType if t is not ActorType.Unknown)


def _duplicates(values: Iterable[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]


# -- capabilities and config -------------------------------------------------------------------


def check_capabilities(run: Run) -> str:
    try:
        reply = run.send(call.get_capabilities())
    except ConnectorReplyError as exc:
        if exc.error_code not in _NOT_OFFERED:
            raise
        run.capabilities = None
        return "not offered: a plain SuperOffice-style connector; extension checks are skipped"
    expect(bool(reply.protocol_version), "ProtocolVersion is empty")
    unknown = [c for c in reply.capabilities if c not in _CAPABILITIES]
    expect(not unknown, f"unknown capability names: {listing(unknown)}")
    unknown_ops = [op for op in reply.operations if op not in OPERATIONS]
    expect(not unknown_ops, f"unknown operation names: {listing(unknown_ops)}")
    paged = Capability.PagedTimestampFeed in reply.capabilities
    expect(not paged or reply.max_page_size > 0, "PagedTimestampFeed is offered with MaxPageSize 0")
    run.capabilities = frozenset(reply.capabilities)
    run.max_page_size = reply.max_page_size
    offered = ", ".join(reply.capabilities) or "no extensions"
    return f"protocol {reply.protocol_version}; {offered}"


def _check_field_list(fields: list[FieldMetadata], what: str) -> None:
    """Unique keys, List fields naming their list: shared by config and actor fields."""
    expect(all(f.field_key for f in fields), f"{what}: a field has an empty FieldKey")
    duplicates = _duplicates(f.field_key for f in fields)
    expect(not duplicates, f"{what}: duplicate field keys {listing(duplicates)}")
    unnamed = [f.field_key for f in fields if f.field_type is FieldType.List and not f.list_name]
    expect(not unnamed, f"{what}: List fields without ListName: {listing(unnamed)}")
    negative = [f.field_key for f in fields if f.max_length < 0]
    expect(not negative, f"{what}: negative MaxLength on {listing(negative)}")


def check_config_data(run: Run) -> str:
    fields = run.send(call.get_config_data()).field_meta_data_objects
    expect(bool(fields), "no config fields")
    _check_field_list(fields, "config")
    run.config_fields = fields
    sent = [f for f in fields if f.field_type is not FieldType.Label]
    run.config = {f.field_key: f.default_value for f in sent} | run.overrides
    detail = f"{len(fields)} config fields"
    stray = sorted(set(run.overrides) - {f.field_key for f in sent})
    if stray:
        detail += f"; overrides that name no config field: {listing(stray)}"
    return detail


def check_test_config(run: Run) -> str:
    reply = run.send(call.test_config_data(run.config))
    expect(reply.is_ok, f"the config is refused: {reply.user_explanation or reply.error_code}")
    return f"{len(run.config)} values accepted"


def check_wrong_password(run: Run) -> str:
    passwords = [f for f in run.config_fields or [] if f.field_type is FieldType.Password]
    if not passwords:
        raise Skipped("the config has no Password field")
    key = passwords[0].field_key
    wrong = dict(run.config) | {key: run.config.get(key, "") + "-wrong-" + run.guid[:8]}
    reply = run.send(call.test_config_data(wrong))
    expect(not reply.is_ok, f"a wrong {key} is accepted (IsOk true)")
    expect(bool(reply.user_explanation), f"a wrong {key} is refused without a UserExplanation")
    return f"a wrong {key} is refused: {reply.user_explanation!r}"


# -- the connection ----------------------------------------------------------------------------


def check_save_connection(run: Run) -> str:
    run.connection_sent = True
    run.send(call.save_connection(run.guid, run.config))
    run.connection_saved = True
    return f"connection {run.guid} saved"


def check_test_connection(run: Run) -> str:
    run.require_connection()
    reply = run.send(call.test_connection(run.guid))
    expect(reply.is_ok, f"the saved connection fails its test: {reply.user_explanation or reply.error_code}")
    return "ok"


def _expect_forgotten(run: Run, guid: str) -> None:
    """Both a test and a data call about ``guid`` must answer ConnectionInfoMissing."""
    reply = run.client.send(call.test_connection(guid))
    expect(
        reply.error_code == ErrorCode.ConnectionInfoMissing,
        f"TestConnection answered IsOk={reply.is_ok} ErrorCode={reply.error_code!r}, "
        "not ConnectionInfoMissing",
    )
    try:
        run.client.send(call.get_supported_actor_types(guid))
    except ConnectionInfoMissingError:
        return
    except ConnectorReplyError as exc:
        raise Failed(
            f"GetSupportedActorTypes answered ErrorCode {exc.error_code!r}, not ConnectionInfoMissing"
        ) from None
    raise Failed("GetSupportedActorTypes answered Ok for a connection the connector cannot know")


def check_unknown_guid(run: Run) -> str:
    _expect_forgotten(run, str(uuid.uuid4()))
    return "an unknown GUID answers ConnectionInfoMissing"


def check_delete_connection(run: Run) -> str:
    run.require_connection()
    run.send(call.delete_connection(run.guid))
    run.connection_deleted = True
    return "ok"


def check_forgotten_after_delete(run: Run) -> str:
    if not run.connection_deleted:
        raise Skipped("needs DeleteConnection to have succeeded")
    _expect_forgotten(run, run.guid)
    return "the deleted GUID answers ConnectionInfoMissing"


# -- discovery -----------------------------------------------------------------------------------


def check_actor_types(run: Run) -> str:
    run.require_connection()
    names = run.send(call.get_supported_actor_types(run.guid)).items
    expect(bool(names), "no actor types")
    unknown = [n for n in names if n not in _ACTOR_TYPES]
    expect(not unknown, f"not actor types of the contract: {listing(unknown)}")
    duplicates = _duplicates(names)
    expect(not duplicates, f"announced twice: {listing(duplicates)}")
    run.actor_types = list(names)
    return ", ".join(names)


def check_fields(run: Run, actor_type: str) -> str:
    fields = run.send(call.get_supported_actor_type_fields(run.guid, actor_type)).field_meta_data_objects
    expect(bool(fields), "no fields")
    _check_field_list(fields, actor_type)
    run.fields[actor_type] = {f.field_key: f for f in fields}
    writable = sum(1 for f in fields if is_writable(f))
    return f"{len(fields)} fields, {writable} writable"


def check_searchable_fields(run: Run, actor_type: str) -> str:
    keys = run.send(call.get_searchable_fields(run.guid, actor_type)).items
    fields = run.fields_of(actor_type)
    unknown = [k for k in keys if k not in fields]
    expect(not unknown, f"searchable keys that are no field: {listing(unknown)}")
    unsearchable = [k for k in keys if fields[k].field_type in (FieldType.Password, FieldType.Label)]
    expect(not unsearchable, f"Password/Label fields offered for search: {listing(unsearchable)}")
    duplicates = _duplicates(keys)
    expect(not duplicates, f"listed twice: {listing(duplicates)}")
    run.searchable[actor_type] = list(keys)
    return f"{len(keys)} searchable fields" if keys else "no advanced search"


def list_names(run: Run) -> list[str]:
    """Every list a config or actor field names, once, in the order first met."""
    fields = [*(run.config_fields or []), *(f for fs in run.fields.values() for f in fs.values())]
    return list(dict.fromkeys(f.list_name for f in fields if f.field_type is FieldType.List and f.list_name))


def check_list(run: Run, list_name: str) -> str:
    items = run.send(call.get_list(run.guid, list_name)).list_items
    expect(bool(items), "the list is empty")
    duplicates = _duplicates(i.key for i in items)
    expect(not duplicates, f"duplicate keys {listing(duplicates)}")
    run.lists[list_name] = items
    return f"{len(items)} items"


def check_list_items(run: Run, list_name: str) -> str:
    items = run.lists.get(list_name)
    if not items:
        raise Skipped(f"needs the items of {list_name} (GetList failed)")
    subset = {i.key: i.display_value for i in items[::2][:5]}
    resolved = run.send(call.get_list_items(run.guid, list_name, list(subset))).list_items
    got = {i.key: i.display_value for i in resolved}
    expect(set(got) == set(subset), f"asked for {listing(subset)}, got {listing(got)}")
    differing = [k for k in subset if got[k] != subset[k]]
    expect(not differing, f"display values differ from GetList for {listing(differing)}")
    return f"{len(subset)} keys resolved as GetList shows them"


# -- error carriers --------------------------------------------------------------------------------


def _expect_error_carrier(run: Run, actor_type: str) -> str:
    try:
        reply = run.send(call.get_actors_by_timestamp(run.guid, "", actor_type))
    except ConnectorReplyError as exc:
        response = exc.response
        expect(response.state is ResponseState.Error, f"refused with State {response.state}, not Error")
        expect(bool(response.user_explanation), "refused without a UserExplanation")
        return f"State=Error, ErrorCode {response.error_code!r}: {response.user_explanation!r}"
    raise Failed(f"GetActorsByTimestamp for {actor_type!r} answered Ok with {len(reply.actors)} actors")


def check_unknown_type_error(run: Run) -> str:
    run.require_connection()
    return _expect_error_carrier(run, ActorType.Unknown)


def check_unsupported_type_error(run: Run) -> str:
    run.require_connection()
    if not run.actor_types:
        raise Skipped("needs the supported actor types (GetSupportedActorTypes failed)")
    unsupported = [t for t in _ACTOR_TYPES if t not in run.actor_types]
    if not unsupported:
        raise Skipped("the connection supports every actor type")
    return _expect_error_carrier(run, sorted(unsupported)[0])
