"""Wire carriers: PascalCase member names, tolerance of unknown members, GUIDs, the operation table."""

from __future__ import annotations

import re
from types import ModuleType

import pytest
from pydantic import BaseModel, ValidationError

import erpsync.protocol as protocol
from erpsync.protocol import (
    NIL_GUID,
    OPERATIONS,
    REFERENCE_OPERATIONS,
    ActorArrayResponse,
    ActorResponse,
    Carrier,
    ErpActor,
    ErrorCode,
    FieldAccess,
    FieldMetadata,
    FieldMetadataArrayResponse,
    FieldType,
    ListItemArrayResponse,
    PluginResponse,
    ResponseState,
    SearchRestriction,
    StringArrayResponse,
)
from erpsync.protocol import requests as rq
from erpsync.sdk.connector import ErpConnector

GUID = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"


def wire_names(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


# -- member names ----------------------------------------------------------------------------------


def test_erp_actor_wire_names() -> None:
    actor = ErpActor(
        actor_type="Person",
        erp_key="p1",
        last_modified="17",
        parent_actor_type="Customer",
        parent_erp_key="c1",
        field_values={"Name": "Ada"},
    )
    assert actor.to_wire() == {
        "ActorType": "Person",
        "ErpKey": "p1",
        "LastModified": "17",
        "ParentActorType": "Customer",
        "ParentErpKey": "c1",
        "FieldValues": {"Name": "Ada"},
    }
    assert ErpActor.model_validate(actor.to_wire()) == actor


def test_field_metadata_wire_names_and_enum_values() -> None:
    meta = FieldMetadata(
        field_key="Created", field_type=FieldType.Datetime, access=FieldAccess.ReadOnly, max_length=3, rank=2
    )
    wire = meta.to_wire()
    assert set(wire) == {
        "FieldKey",
        "DisplayName",
        "DisplayDescription",
        "FieldType",
        "ListName",
        "DefaultValue",
        "MaxLength",
        "Access",
        "Rank",
    }
    assert wire["FieldType"] == "Datetime"
    assert wire["Access"] == "ReadOnly"
    assert FieldMetadata.model_validate(wire) == meta


def test_plugin_response_wire_names() -> None:
    assert {"IsOk", "State", "UserExplanation", "TechExplanation", "ErrorCode"} <= set(
        PluginResponse().to_wire()
    )
    reply = PluginResponse.error("Nope", "stack", ErrorCode.ActorNotFound)
    wire = reply.to_wire()
    assert wire["IsOk"] is False
    assert wire["State"] == "Error"
    assert wire["UserExplanation"] == "Nope"
    assert wire["TechExplanation"] == "stack"
    assert wire["ErrorCode"] == "ActorNotFound"


@pytest.mark.parametrize(
    ("model", "names"),
    [
        (FieldMetadataArrayResponse, {"FieldMetaDataObjects"}),
        (StringArrayResponse, {"Items"}),
        (ActorArrayResponse, {"Actors"}),
        (ActorResponse, {"Actor"}),
        (ListItemArrayResponse, {"ListItems"}),
        (SearchRestriction, {"FieldKey", "Operator", "Values"}),
        (rq.ConnectionRequest, {"ConnectionGuid"}),
        (rq.TestConfigDataRequest, {"ConnectionInfo"}),
        (rq.SaveConnectionRequest, {"ConnectionGuid", "ConnectionInfo"}),
        (rq.GetActorsByTimestampRequest, {"ConnectionGuid", "UpdatedOnOrAfter", "ActorType", "FieldKeys"}),
        (rq.SearchActorByParentRequest, {"ParentActorType", "ParentActorErpKey", "SearchText", "FieldKeys"}),
        (rq.GetListItemsRequest, {"ConnectionGuid", "ListName", "ListItemKeys"}),
    ],
)
def test_payload_and_request_wire_names(model: type[BaseModel], names: set[str]) -> None:
    assert names <= wire_names(model)


def test_every_wire_name_is_pascal_case() -> None:
    models: set[type[BaseModel]] = {ErpActor, FieldMetadata, SearchRestriction}
    for op in OPERATIONS.values():
        models |= {op.request, op.response}
    pascal = re.compile(r"^[A-Z][A-Za-z0-9]*$")
    for model in models:
        for name in wire_names(model):
            assert pascal.match(name), f"{model.__name__}.{name}"


def test_carriers_read_pascal_case_and_snake_case() -> None:
    wire = {"ActorType": "Customer", "ErpKey": "c1", "FieldValues": {"Name": "Acme"}}
    assert ErpActor.model_validate(wire) == ErpActor(
        actor_type="Customer", erp_key="c1", field_values={"Name": "Acme"}
    )
    assert ErpActor.model_validate({"actor_type": "Customer"}).actor_type == "Customer"


def test_unknown_members_are_ignored() -> None:
    actor = ErpActor.model_validate(
        {"ActorType": "Customer", "ErpKey": "c1", "Color": "red", "Extra": {"a": 1}}
    )
    assert actor.erp_key == "c1"
    assert "Color" not in actor.to_wire()
    assert not hasattr(actor, "Color")
    reply = ActorArrayResponse.model_validate({"IsOk": True, "State": "Ok", "Actors": [], "FromTheFuture": 1})
    assert reply.actors == []
    assert "FromTheFuture" not in reply.to_wire()


def test_unknown_enum_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        FieldMetadata.model_validate({"FieldKey": "x", "FieldType": "Colour"})
    with pytest.raises(ValidationError):
        PluginResponse.model_validate({"State": "Fine"})


# -- responses -------------------------------------------------------------------------------------


def test_response_constructors() -> None:
    ok = PluginResponse.ok()
    assert (ok.is_ok, ok.state, ok.failed) == (True, ResponseState.Ok, False)
    info = PluginResponse.ok("3 skipped")
    assert (info.is_ok, info.state, info.user_explanation) == (True, ResponseState.OkWithInfo, "3 skipped")
    error = StringArrayResponse.error("Down", error_code=ErrorCode.ConnectionInfoMissing, items=["x"])
    assert (error.is_ok, error.state, error.error_code, error.failed) == (
        False,
        ResponseState.Error,
        "ConnectionInfoMissing",
        True,
    )
    assert error.items == ["x"]
    # a peer that says IsOk but State=Error has failed
    assert PluginResponse.model_validate({"IsOk": True, "State": "Error"}).failed


# -- GUIDs -----------------------------------------------------------------------------------------


def test_guids_are_accepted_and_normalised() -> None:
    assert rq.ConnectionRequest.model_validate({"ConnectionGuid": GUID}).connection_guid == GUID.lower()
    assert rq.ConnectionRequest(connection_guid=NIL_GUID).connection_guid == NIL_GUID


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not-a-guid",
        "3F2504E0-4F89-11D3-9A0C-0305E82C330",  # one digit short
        "3F2504E0-4F89-11D3-9A0C-0305E82C33011",  # one digit long
        "3F2504E04F8911D39A0C0305E82C3301",  # no dashes
        "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}",
        "3F2504E0-4F89-11D3-9A0C-0305E82C330G",
        GUID + "\n",
        " " + GUID,
        "../../../../etc/passwd",
    ],
)
def test_bad_guids_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="GUID"):
        rq.ConnectionRequest.model_validate({"ConnectionGuid": bad})
    with pytest.raises(ValidationError):
        rq.SaveConnectionRequest(connection_guid=bad, connection_info={})


# -- the operation table ---------------------------------------------------------------------------

# §4.2 of the reference: operation → the request fields of its WS request type.
REFERENCE_REQUEST_FIELDS: dict[str, set[str]] = {
    "GetConfigData": set(),
    "TestConfigData": {"ConnectionInfo"},
    "SaveConnection": {"ConnectionGuid", "ConnectionInfo"},
    "TestConnection": {"ConnectionGuid"},
    "DeleteConnection": {"ConnectionGuid"},
    "GetSupportedActorTypes": {"ConnectionGuid"},
    "GetSupportedActorTypeFields": {"ConnectionGuid", "ActorType"},
    "GetSearchableFields": {"ConnectionGuid", "ActorType"},
    "GetActors": {"ConnectionGuid", "ActorType", "ErpKeys", "FieldKeys"},
    "SearchActors": {"ConnectionGuid", "ActorType", "SearchText", "FieldKeys"},
    "SearchActorByParent": {
        "ConnectionGuid",
        "ActorType",
        "SearchText",
        "ParentActorType",
        "ParentActorErpKey",
        "FieldKeys",
    },
    "SearchActorsAdvanced": {"ConnectionGuid", "ActorType", "Restrictions", "FieldKeys"},
    "CreateActor": {"ConnectionGuid", "Actor"},
    "SaveActors": {"ConnectionGuid", "Actors"},
    "GetList": {"ConnectionGuid", "ListName"},
    "GetListItems": {"ConnectionGuid", "ListName", "ListItemKeys"},
    "GetActorsByTimestamp": {"ConnectionGuid", "UpdatedOnOrAfter", "ActorType", "FieldKeys"},
}
REFERENCE_RESPONSES: dict[str, type[PluginResponse]] = {
    "GetConfigData": FieldMetadataArrayResponse,
    "TestConfigData": PluginResponse,
    "SaveConnection": PluginResponse,
    "TestConnection": PluginResponse,
    "DeleteConnection": PluginResponse,
    "GetSupportedActorTypes": StringArrayResponse,
    "GetSupportedActorTypeFields": FieldMetadataArrayResponse,
    "GetSearchableFields": StringArrayResponse,
    "GetActors": ActorArrayResponse,
    "SearchActors": ActorArrayResponse,
    "SearchActorByParent": ActorArrayResponse,
    "SearchActorsAdvanced": ActorArrayResponse,
    "CreateActor": ActorResponse,
    "SaveActors": ActorArrayResponse,
    "GetList": ListItemArrayResponse,
    "GetListItems": ListItemArrayResponse,
    "GetActorsByTimestamp": ActorArrayResponse,
}


def test_reference_operations_are_the_17_of_the_reference_in_order() -> None:
    assert list(REFERENCE_OPERATIONS) == list(REFERENCE_REQUEST_FIELDS)
    assert len(REFERENCE_OPERATIONS) == 17
    assert all(not OPERATIONS[name].extension for name in REFERENCE_OPERATIONS)
    extensions = [name for name, op in OPERATIONS.items() if op.extension]
    assert set(OPERATIONS) == set(REFERENCE_OPERATIONS) | set(extensions)
    assert not set(extensions) & set(REFERENCE_OPERATIONS)


def test_every_operation_has_a_request_and_a_response_type() -> None:
    for name, op in OPERATIONS.items():
        assert op.name == name
        assert issubclass(op.request, Carrier), name
        assert issubclass(op.response, PluginResponse), name
        assert op.method == re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        assert op.summary


@pytest.mark.parametrize("name", list(REFERENCE_REQUEST_FIELDS))
def test_reference_request_and_response_shapes(name: str) -> None:
    op = OPERATIONS[name]
    assert REFERENCE_REQUEST_FIELDS[name] <= wire_names(op.request)
    assert op.response is REFERENCE_RESPONSES[name]
    assert op.has_connection is ("ConnectionGuid" in REFERENCE_REQUEST_FIELDS[name])
    assert callable(getattr(ErpConnector, op.method))


# -- the package's public names --------------------------------------------------------------------


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: SCREAMING_CASE, then CamelCase, then the rest."""
    if name.isupper() or re.fullmatch(r"[A-Z0-9_]+", name):
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_protocol_all_is_sorted_and_complete() -> None:
    exported = protocol.__all__
    assert exported == sorted(exported, key=_isort_key)
    assert len(exported) == len(set(exported))
    public = {
        name
        for name, value in vars(protocol).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    }
    assert set(exported) == public
    for name in exported:
        assert getattr(protocol, name) is not None
