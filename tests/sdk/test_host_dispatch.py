"""The host's operation rules, through ``ConnectorHost.dispatch`` (the path HTTP and plugin:// share)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from erpsync.protocol import ActorResult, ErpActor, FieldType, PluginResponse
from erpsync.protocol.codec import ValueError_, decode
from erpsync.protocol.plugins import get_plugin, registered_plugins
from erpsync.sdk import ActorPage, ConnectorFailure, DeletedPage
from erpsync.sdk.host import ConnectorHost

from .host_support import asgi_client, encode, post
from .ledger import GUID, OTHER_GUID, PASSWORD, Bare, Ledger, PagedLedger


def call(host: ConnectorHost, name: str, operation: str, body: Any, status: int = 200) -> dict[str, Any]:
    got, reply = host.dispatch(name, operation, encode(body))
    assert got == status, reply
    result: dict[str, Any] = json.loads(reply)
    return result


def assert_error(reply: dict[str, Any], code: str, kind: str | None = None) -> None:
    assert (reply["IsOk"], reply["State"], reply["ErrorCode"]) == (False, "Error", code), reply
    if kind is not None:
        assert reply["FailureKind"] == kind


def customer(key: str = "", **values: str) -> dict[str, Any]:
    return {"ActorType": "Customer", "ErpKey": key, "FieldValues": values}


# -- construction ---------------------------------------------------------------------------------


def test_each_connector_gets_its_own_config_store(host: ConnectorHost) -> None:
    for name, connector in host.connectors.items():
        assert connector.config_store.folder == host.data_dir / "connectors" / name / "connections"
        assert connector.data_dir == host.data_dir


def test_prepare_is_called_when_present(ledger: Ledger) -> None:
    assert ledger.prepared


def test_connectors_default_to_the_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("erpsync.sdk.host.connector_classes", lambda: {"bare": Bare})
    host = ConnectorHost(tmp_path, secrets=[b"s"], encryption_key=Fernet.generate_key())
    assert host.names == ["bare"]


def test_encryption_key_file_is_created(tmp_path: Path) -> None:
    ConnectorHost(tmp_path, [Bare], secrets=[b"s"])
    key_file = tmp_path / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_two_connectors_with_one_name_are_refused(tmp_path: Path) -> None:
    class Twin(Bare):
        pass

    with pytest.raises(ValueError, match="two connectors"):
        ConnectorHost(tmp_path, [Bare, Twin], secrets=[b"s"], encryption_key=Fernet.generate_key())


# -- GetCapabilities --------------------------------------------------------------------------------

LEDGER_OPERATIONS = [
    "GetConfigData",
    "TestConfigData",
    "SaveConnection",
    "TestConnection",
    "DeleteConnection",
    "GetSupportedActorTypes",
    "GetSupportedActorTypeFields",
    "GetSearchableFields",
    "GetActors",
    "SearchActors",
    "CreateActor",
    "SaveActors",
    "GetList",
    "GetListItems",
    "GetActorsByTimestamp",
    "GetCapabilities",
    "CreateActors",
]


def test_capabilities_without_paging(host: ConnectorHost) -> None:
    reply = call(host, "ledger", "GetCapabilities", {})
    assert reply["IsOk"] is True
    assert reply["ProtocolVersion"] == "1.0"
    assert reply["MaxPageSize"] == 0
    assert reply["Operations"] == LEDGER_OPERATIONS
    assert reply["Capabilities"] == ["PerActorResults", "BatchCreate"]


def test_capabilities_with_paging(host: ConnectorHost) -> None:
    reply = call(host, "paged", "GetCapabilities", {})
    assert reply["MaxPageSize"] == 3
    assert reply["Operations"] == LEDGER_OPERATIONS
    assert reply["Capabilities"] == ["PagedTimestampFeed", "PerActorResults", "BatchCreate"]


def test_capabilities_of_a_bare_connector(host: ConnectorHost) -> None:
    reply = call(host, "bare", "GetCapabilities", {})
    assert reply["Operations"] == [
        "DeleteConnection",
        "GetSupportedActorTypes",
        "GetSearchableFields",
        "GetActors",
        "GetCapabilities",
    ]
    assert reply["Capabilities"] == []


class WithDeletes(Bare):
    name = "deletes"
    max_page_size = 2

    def get_deleted_actors(
        self,
        connection_guid: str,
        actor_type: str,
        deleted_on_or_after: str,
        page_size: int = 0,
        page_token: str = "",
    ) -> DeletedPage:
        deleted = [("Customer", f"C{i}", f"{i:04d}") for i in range(5) if f"{i:04d}" >= deleted_on_or_after]
        start = int(page_token or 0)
        end = start + page_size if page_size else len(deleted)
        return DeletedPage(deleted[start:end], str(end) if end < len(deleted) else "")


def test_delete_feed(tmp_path: Path) -> None:
    host = ConnectorHost(tmp_path, [WithDeletes], secrets=[b"s"], encryption_key=Fernet.generate_key())
    assert "DeleteFeed" in call(host, "deletes", "GetCapabilities", {})["Capabilities"]
    body = {"ConnectionGuid": GUID, "ActorType": "Customer", "DeletedOnOrAfter": "0001", "PageSize": 10}
    reply = call(host, "deletes", "GetDeletedActors", body)
    assert reply["DeletedActors"] == [
        {"ActorType": "Customer", "ErpKey": "C1", "DeletedAt": "0001"},
        {"ActorType": "Customer", "ErpKey": "C2", "DeletedAt": "0002"},
    ]
    assert reply["NextPageToken"] == "2"


# -- failures the connector reports -------------------------------------------------------------


def test_not_implemented_is_not_supported(host: ConnectorHost, connected: Ledger) -> None:
    body = {"ConnectionGuid": GUID, "ActorType": "Customer", "Restrictions": []}
    reply = call(host, "ledger", "SearchActorsAdvanced", body)
    assert_error(reply, "NotSupported", "config")
    assert "does not support SearchActorsAdvanced" in reply["UserExplanation"]


def test_unknown_guid_is_connection_info_missing(host: ConnectorHost, connected: Ledger) -> None:
    reply = call(host, "ledger", "GetActors", {"ConnectionGuid": OTHER_GUID, "ActorType": "Customer"})
    assert_error(reply, "ConnectionInfoMissing", "config")
    assert connected.calls == []


def test_unknown_guid_in_a_batch_is_connection_info_missing(host: ConnectorHost, connected: Ledger) -> None:
    reply = call(
        host, "ledger", "SaveActors", {"ConnectionGuid": OTHER_GUID, "Actors": [customer("C1", Name="X")]}
    )
    assert_error(reply, "ConnectionInfoMissing", "config")
    assert connected.writes == []


def test_declared_failure_keeps_its_explanations(host: ConnectorHost, connected: Ledger) -> None:
    reply = call(host, "ledger", "GetList", {"ConnectionGuid": GUID, "ListName": "Planets"})
    assert_error(reply, "UnknownList", "config")
    assert reply["UserExplanation"] == "There is no list 'Planets'."


def test_failed_config_test_is_a_reply_not_a_refusal(host: ConnectorHost) -> None:
    reply = call(host, "ledger", "TestConfigData", {"ConnectionInfo": {"Url": ""}})
    assert_error(reply, "ConfigInvalid", "config")
    assert call(host, "ledger", "TestConfigData", {"ConnectionInfo": {"Url": "u"}})["IsOk"] is True


def test_codec_error_is_invalid_value(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bad_value(*args: object) -> list[ErpActor]:
        raise ValueError_("'[I:x]' is not an integer; expected [I:123]")

    monkeypatch.setattr(connected, "search_actors", bad_value)
    reply = call(host, "ledger", "SearchActors", {"ConnectionGuid": GUID, "ActorType": "Customer"})
    assert_error(reply, "InvalidValue")
    assert "[I:123]" in reply["UserExplanation"]


def test_search_error_is_invalid_value(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    from erpsync.sdk.search import SearchError

    def bad_search(*args: object) -> list[ErpActor]:
        raise SearchError("Employees", "begins", "not an operator for numbers")

    monkeypatch.setattr(connected, "search_actors", bad_search)
    reply = call(host, "ledger", "SearchActors", {"ConnectionGuid": GUID, "ActorType": "Customer"})
    assert_error(reply, "InvalidValue")
    assert "Employees" in reply["UserExplanation"]


def test_plain_value_error_is_an_internal_error(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: object) -> list[ErpActor]:
        raise ValueError("invalid literal for int() with base 10: 'x'")

    monkeypatch.setattr(connected, "search_actors", bug)
    reply = call(host, "ledger", "SearchActors", {"ConnectionGuid": GUID, "ActorType": "Customer"})
    assert_error(reply, "InternalError", "transient")


# -- reply validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returned", "problem"),
    [
        (ErpActor(actor_type="Customer", erp_key="", last_modified="1"), "has no ErpKey"),
        (ErpActor(actor_type="Customer", erp_key="C9", last_modified=""), "has no LastModified"),
        (ErpActor(actor_type="Project", erp_key="P1", last_modified="1"), "does not support"),
    ],
)
def test_broken_actors_never_reach_the_hub(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch, returned: ErpActor, problem: str
) -> None:
    monkeypatch.setattr(connected, "get_actors", lambda *args: [returned])
    reply = call(
        host, "ledger", "GetActors", {"ConnectionGuid": GUID, "ActorType": "Customer", "ErpKeys": ["C1"]}
    )
    assert_error(reply, "InternalError", "transient")
    assert problem in reply["UserExplanation"]
    assert "Actors" not in reply or reply["Actors"] == []


def test_created_actor_without_key_is_an_internal_error(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connected, "create_actor", lambda guid, actor: actor)
    reply = call(host, "ledger", "CreateActor", {"ConnectionGuid": GUID, "Actor": customer(Name="New")})
    assert_error(reply, "InternalError")
    assert "has no ErpKey" in reply["TechExplanation"]


def test_wrong_return_type_is_an_internal_error(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connected, "get_actors_by_timestamp", lambda *args, **kwargs: [])
    reply = call(host, "ledger", "GetActorsByTimestamp", {"ConnectionGuid": GUID, "ActorType": "Customer"})
    assert_error(reply, "InternalError")
    assert "not an ActorPage" in reply["UserExplanation"]


def test_missing_batch_results_are_an_internal_error(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connected, "save_actors", lambda guid, actors: [])
    body = {"ConnectionGuid": GUID, "Actors": [customer("C1", Name="A"), customer("C2", Name="B")]}
    reply = call(host, "ledger", "SaveActors", body)
    assert_error(reply, "InternalError")
    assert "0 results were returned for 2 actors" in reply["UserExplanation"]


def test_unannounceable_actor_type_is_an_internal_error(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connected, "get_supported_actor_types", lambda guid: ["Customer", "Vendor"])
    reply = call(host, "ledger", "GetSupportedActorTypes", {"ConnectionGuid": GUID})
    assert_error(reply, "InternalError")


# -- reading ----------------------------------------------------------------------------------


def test_get_actors(host: ConnectorHost, connected: Ledger) -> None:
    reply = call(
        host, "ledger", "GetActors", {"ConnectionGuid": GUID, "ActorType": "Customer", "ErpKeys": ["C2"]}
    )
    assert reply["State"] == "Ok"
    assert [a["FieldValues"]["Name"] for a in reply["Actors"]] == ["Globex"]


def test_discovery_replies(host: ConnectorHost, connected: Ledger) -> None:
    assert call(host, "ledger", "GetSupportedActorTypes", {"ConnectionGuid": GUID})["Items"] == [
        "Customer",
        "Person",
    ]
    fields = call(
        host, "ledger", "GetSupportedActorTypeFields", {"ConnectionGuid": GUID, "ActorType": "Person"}
    )
    assert [f["FieldKey"] for f in fields["FieldMetaDataObjects"]] == ["FirstName", "Email"]
    searchable = call(
        host, "ledger", "GetSearchableFields", {"ConnectionGuid": GUID, "ActorType": "Customer"}
    )
    assert searchable["Items"] == ["Name"]


def test_lists(host: ConnectorHost, connected: Ledger) -> None:
    every = call(host, "ledger", "GetList", {"ConnectionGuid": GUID, "ListName": "Countries"})
    assert [i["Key"] for i in every["ListItems"]] == ["NO", "SE"]
    some = call(
        host,
        "ledger",
        "GetListItems",
        {"ConnectionGuid": GUID, "ListName": "Countries", "ListItemKeys": ["SE"]},
    )
    assert some["ListItems"] == [{"Key": "SE", "DisplayValue": "Sweden"}]


def test_connector_without_paging_ignores_page_size(host: ConnectorHost, connected: Ledger) -> None:
    body = {"ConnectionGuid": GUID, "ActorType": "Customer", "PageSize": 1, "PageToken": "7"}
    reply = call(host, "ledger", "GetActorsByTimestamp", body)
    assert [a["ErpKey"] for a in reply["Actors"]] == ["C1", "C2"]
    assert reply["NextPageToken"] == ""
    assert connected.calls == ["get_actors_by_timestamp size=0 token=''"]


def test_page_size_is_clamped_and_pages_follow_tokens(host: ConnectorHost, connected: Ledger) -> None:
    paged = host.connectors["paged"]
    assert isinstance(paged, PagedLedger)
    for index in range(7):
        paged.add("Customer", Name=f"Customer {index}")
    seen: list[str] = []
    token = ""
    while True:
        body = {"ConnectionGuid": GUID, "ActorType": "Customer", "PageSize": 100, "PageToken": token}
        reply = call(host, "paged", "GetActorsByTimestamp", body)
        assert len(reply["Actors"]) <= 3
        seen += [a["ErpKey"] for a in reply["Actors"]]
        token = reply["NextPageToken"]
        if not token:
            break
    assert len(seen) == len(set(seen)) == 7
    assert paged.calls[0] == "get_actors_by_timestamp size=3 token=''"


def test_paging_connector_returns_everything_without_page_size(
    host: ConnectorHost, connected: Ledger
) -> None:
    paged = host.connectors["paged"]
    assert isinstance(paged, PagedLedger)
    for index in range(5):
        paged.add("Customer", Name=f"Customer {index}")
    reply = call(host, "paged", "GetActorsByTimestamp", {"ConnectionGuid": GUID, "ActorType": "Customer"})
    assert len(reply["Actors"]) == 5
    assert reply["NextPageToken"] == ""


def test_page_larger_than_asked_is_an_internal_error(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    paged = host.connectors["paged"]
    actors = [ErpActor(actor_type="Customer", erp_key=f"C{i}", last_modified="1") for i in range(3)]
    monkeypatch.setattr(paged, "get_actors_by_timestamp", lambda *args, **kwargs: ActorPage(actors, "3"))
    body = {"ConnectionGuid": GUID, "ActorType": "Customer", "PageSize": 2}
    assert_error(call(host, "paged", "GetActorsByTimestamp", body), "InternalError")


# -- writing -----------------------------------------------------------------------------------


def test_save_actors_all_saved_is_ok(host: ConnectorHost, connected: Ledger) -> None:
    body = {"ConnectionGuid": GUID, "Actors": [customer("C1", Phone="1"), customer("C2", Phone="2")]}
    reply = call(host, "ledger", "SaveActors", body)
    assert (reply["IsOk"], reply["State"]) == (True, "Ok")
    assert [a["FieldValues"]["Phone"] for a in reply["Actors"]] == ["1", "2"]
    assert all(a["LastModified"] > "0000000002" for a in reply["Actors"])
    assert [r["IsOk"] for r in reply["ActorResults"]] == [True, True]


def test_save_actors_none_saved_is_an_error(host: ConnectorHost, connected: Ledger) -> None:
    body = {"ConnectionGuid": GUID, "Actors": [customer("C8", Phone="1"), customer("C9", Phone="2")]}
    reply = call(host, "ledger", "SaveActors", body)
    assert_error(reply, "ActorNotFound", "actor")
    assert reply["UserExplanation"].startswith(
        "2 of 2 actors were not saved: #1: Customer C8 does not exist; #2: Customer C9 does not exist."
    )
    assert reply["Actors"] == []
    assert connected.writes == []


def test_unsupported_actor_type_in_a_batch_fails_only_that_actor(
    host: ConnectorHost, connected: Ledger
) -> None:
    project = {"ActorType": "Project", "ErpKey": "P1", "FieldValues": {}}
    body = {"ConnectionGuid": GUID, "Actors": [project, customer("C2", Phone="9")]}
    reply = call(host, "ledger", "SaveActors", body)
    assert reply["State"] == "Warning"
    assert [(r["Index"], r["ErrorCode"]) for r in reply["ActorResults"]] == [(0, "UnknownActorType"), (1, "")]
    assert connected.writes == [("save_actor", "C2")]


def test_codec_error_in_one_save_fails_only_that_actor(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_actor = connected.save_actor

    def strict_save(guid: str, actor: ErpActor) -> ErpActor:
        decode(actor.field_values.get("Employees", ""), FieldType.Integer)
        return save_actor(guid, actor)

    monkeypatch.setattr(connected, "save_actor", strict_save)
    body = {"ConnectionGuid": GUID, "Actors": [customer("C1", Phone="1"), customer("C2", Employees="many")]}
    reply = call(host, "ledger", "SaveActors", body)
    assert reply["State"] == "Warning"
    assert [r["ErrorCode"] for r in reply["ActorResults"]] == ["", "InvalidValue"]
    assert connected.writes == [("save_actor", "C1")]


def test_unsupported_parent_actor_type_is_refused(host: ConnectorHost, connected: Ledger) -> None:
    body = {
        "ConnectionGuid": GUID,
        "ActorType": "Person",
        "ParentActorType": "Project",
        "ParentActorErpKey": "P1",
    }
    assert_error(call(host, "ledger", "SearchActorByParent", body), "UnknownActorType")


def test_create_actor(host: ConnectorHost, connected: Ledger) -> None:
    reply = call(host, "ledger", "CreateActor", {"ConnectionGuid": GUID, "Actor": customer(Name="Initech")})
    assert reply["IsOk"] is True
    assert reply["Actor"]["ErpKey"]
    assert reply["Actor"]["LastModified"]
    assert connected.writes == [("create_actor", reply["Actor"]["ErpKey"])]


def test_create_actor_of_unsupported_type_is_never_attempted(host: ConnectorHost, connected: Ledger) -> None:
    actor = {"ActorType": "Project", "FieldValues": {"Name": "X"}}
    reply = call(host, "ledger", "CreateActor", {"ConnectionGuid": GUID, "Actor": actor})
    assert_error(reply, "UnknownActorType", "config")
    assert connected.writes == []


def test_create_actors_gives_one_result_each(host: ConnectorHost, connected: Ledger) -> None:
    body = {"ConnectionGuid": GUID, "Actors": [customer(Name="Hooli"), customer(Phone="no name")]}
    reply = call(host, "ledger", "CreateActors", body)
    assert (reply["IsOk"], reply["State"]) == (True, "Warning")
    first, second = reply["ActorResults"]
    assert first["IsOk"]
    assert first["Actor"]["ErpKey"]
    assert second["ErrorCode"] == "MandatoryFieldMissing"
    assert len(connected.writes) == 1


def test_batch_results_left_at_index_zero_count_by_position(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def save_actors(guid: str, actors: Sequence[ErpActor]) -> list[ActorResult]:
        return [ActorResult.ok(actor=a.model_copy(update={"last_modified": "9"})) for a in actors]

    monkeypatch.setattr(connected, "save_actors", save_actors)
    body = {"ConnectionGuid": GUID, "Actors": [customer("C1"), customer("C2")]}
    reply = call(host, "ledger", "SaveActors", body)
    assert [r["Index"] for r in reply["ActorResults"]] == [0, 1]
    assert [a["ErpKey"] for a in reply["Actors"]] == ["C1", "C2"]


# -- connections and secrets ------------------------------------------------------------------


def test_save_connection_encrypts_the_password(host: ConnectorHost, connected: Ledger) -> None:
    stored = (host.data_dir / "connectors" / "ledger" / "connections" / f"{GUID}.json").read_text()
    assert PASSWORD not in stored
    assert call(host, "ledger", "TestConnection", {"ConnectionGuid": GUID})["IsOk"] is True


def test_delete_connection(host: ConnectorHost, connected: Ledger) -> None:
    assert call(host, "ledger", "DeleteConnection", {"ConnectionGuid": GUID})["IsOk"] is True
    assert_error(call(host, "ledger", "TestConnection", {"ConnectionGuid": GUID}), "ConnectionInfoMissing")


def test_config_values_never_reach_the_log(
    host: ConnectorHost, ledger: Ledger, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    info = {"Url": "https://erp.test", "Password": PASSWORD}
    call(host, "ledger", "SaveConnection", {"ConnectionGuid": GUID, "ConnectionInfo": info})
    call(host, "ledger", "TestConfigData", {"ConnectionInfo": info})
    call(host, "ledger", "TestConfigData", {"ConnectionInfo": {"Password": PASSWORD}})
    call(
        host, "ledger", "SaveConnection", {"ConnectionGuid": GUID, "ConnectionInfo": {**info, "Port": 1}}, 400
    )
    call(host, "ledger", "SaveConnection", {"ConnectionGuid": "bad", "ConnectionInfo": info}, 400)
    call(host, "ledger", "TestConfigData", {"ConnectionInfo": [PASSWORD]}, 400)

    def crash(connection_info: dict[str, str]) -> PluginResponse:
        raise RuntimeError("cannot log in")

    monkeypatch.setattr(ledger, "test_config_data", crash)
    assert_error(call(host, "ledger", "TestConfigData", {"ConnectionInfo": info}), "InternalError")
    assert "cannot log in" in caplog.text  # the log did capture what happened …
    assert PASSWORD not in caplog.text  # … but never a config value


# -- one code path for HTTP and plugin:// --------------------------------------------------------


@pytest.mark.anyio
async def test_plugin_replies_are_byte_identical_to_http(host: ConnectorHost, connected: Ledger) -> None:
    requests = [
        ("GetActors", {"ConnectionGuid": GUID, "ActorType": "Customer", "ErpKeys": ["C1", "C2"]}),
        ("GetCapabilities", {}),
        ("GetActors", {"ConnectionGuid": GUID, "ActorType": "Vendor"}),
        ("GetActors", {"ConnectionGuid": "nope", "ActorType": "Customer"}),
        ("NoSuchOperation", {}),
    ]
    host.install_plugins()
    try:
        handler = get_plugin("ledger")
        assert handler is not None
        async with asgi_client(host) as client:
            for operation, body in requests:
                response = await post(client, f"/connectors/ledger/{operation}", body)
                assert handler(operation, encode(body)) == (response.status_code, response.content)
    finally:
        host.uninstall_plugins()
    assert "ledger" not in registered_plugins()


def test_install_plugins_registers_every_connector(host: ConnectorHost) -> None:
    host.install_plugins()
    try:
        assert {"bare", "ledger", "paged"} <= set(registered_plugins())
        plugin = get_plugin("bare")
        assert plugin is not None
        status, reply = plugin("GetCapabilities", b"{}")
        assert status == 200
        assert json.loads(reply)["IsOk"] is True
    finally:
        host.uninstall_plugins()


def test_connector_failure_subclass_is_reported(
    host: ConnectorHost, connected: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Locked(ConnectorFailure):
        error_code = "RecordLocked"

    def locked(*args: object) -> list[ErpActor]:
        raise Locked("The customer is being edited in the ERP.", "row lock on CUST#1")

    monkeypatch.setattr(connected, "get_actors", locked)
    reply = call(host, "ledger", "GetActors", {"ConnectionGuid": GUID, "ActorType": "Customer"})
    assert_error(reply, "RecordLocked", "transient")
    assert reply["TechExplanation"] == "row lock on CUST#1"
