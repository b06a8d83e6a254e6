"""Connection config: the dialog's fields, TestConfigData, TestConnection and prepare()."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from erpsync.connectors.demo import DemoConnector, DemoErpDatabase, database_path
from erpsync.protocol import ErrorCode, FieldAccess, FieldType
from erpsync.sdk import connector_classes
from erpsync.sdk.errors import ConfigInvalid, ConnectionInfoMissing

from .conftest import PASSWORD, make_config


def test_registered_under_its_name() -> None:
    assert connector_classes()["demo"] is DemoConnector
    assert DemoConnector.max_page_size == 5000


def test_config_fields_use_every_config_field_type(connector: DemoConnector) -> None:
    fields = {f.field_key: f for f in connector.get_config_data()}
    assert {f.field_type for f in fields.values()} == set(FieldType)
    assert fields["Database"].default_value == "demo"
    assert fields["Database"].access is FieldAccess.Mandatory
    assert fields["Username"].default_value == "admin"
    assert fields["Password"].field_type is FieldType.Password
    assert fields["Password"].default_value == "demo"
    assert fields["Currency"].list_name == "currencies"
    assert fields["About"].field_type is FieldType.Label
    assert "erpsync demo-erp seed" in fields["About"].default_value
    ranks = [f.rank for f in fields.values()]
    assert len(set(ranks)) == len(ranks)


def test_valid_config_passes(connector: DemoConnector, erp_path: Path) -> None:
    reply = connector.test_config_data(make_config())
    assert reply.is_ok, reply.user_explanation


def test_missing_database_explains_how_to_create_it(connector: DemoConnector, tmp_path: Path) -> None:
    reply = connector.test_config_data(make_config(Database="nowhere"))
    assert not reply.is_ok
    assert reply.error_code == ErrorCode.ConfigInvalid
    assert "erpsync demo-erp seed --database nowhere" in reply.user_explanation
    assert not database_path(tmp_path, "nowhere").exists()  # testing must not create it


@pytest.mark.parametrize(("user", "password"), [("admin", "wrong"), ("nobody", PASSWORD), ("admin", "")])
def test_wrong_login_is_refused_without_echoing_the_password(
    connector: DemoConnector, erp_path: Path, user: str, password: str
) -> None:
    reply = connector.test_config_data(make_config(Username=user, Password=password or "x"))
    assert not reply.is_ok
    assert "wrong user name or password" in reply.user_explanation.lower()
    for text in (reply.user_explanation, reply.tech_explanation):
        assert (password or "x") not in text
        assert PASSWORD not in text


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("CompanyNo", "12", "integer"),
        ("DefaultCreditLimit", "lots", "number"),
        ("IncludeInactive", "yes", "checkbox"),
        ("SyncFrom", "2024-01-01", "date-time"),
        ("CompanyNo", "[I:2]", "company"),
        ("Currency", "XXX", "currency"),
        ("Database", "../etc/passwd", "not a valid demo database name"),
        ("Database", "", "Database"),
        ("Password", "", "Password"),
    ],
)
def test_bad_values_are_refused(
    connector: DemoConnector, erp_path: Path, key: str, value: str, message: str
) -> None:
    reply = connector.test_config_data(make_config(**{key: value}))
    assert not reply.is_ok
    assert message.lower() in reply.user_explanation.lower()


def test_connection_uses_the_stored_config(connector: DemoConnector, erp_path: Path, guid: str) -> None:
    assert connector.test_connection(guid).is_ok
    connector.save_connection(guid, make_config(Password="changed"))
    assert not connector.test_connection(guid).is_ok


def test_password_change_in_the_erp_is_noticed(
    connector: DemoConnector, guid: str, db: DemoErpDatabase
) -> None:
    assert connector.test_connection(guid).is_ok
    db.set_user("admin", "another")
    reply = connector.test_connection(guid)
    assert not reply.is_ok
    with pytest.raises(ConfigInvalid):
        connector.get_supported_actor_types(guid)


def test_operations_need_a_known_connection(connector: DemoConnector, erp_path: Path) -> None:
    unknown = str(uuid.uuid4())
    with pytest.raises(ConnectionInfoMissing):
        connector.get_supported_actor_types(unknown)
    with pytest.raises(ConnectionInfoMissing):
        connector.test_connection(unknown)


def test_deleted_connection_is_forgotten(connector: DemoConnector, guid: str) -> None:
    assert connector.delete_connection(guid).is_ok
    with pytest.raises(ConnectionInfoMissing):
        connector.get_actors(guid, "Customer", ["1"], [])


def test_password_is_stored_encrypted(connector: DemoConnector, guid: str, tmp_path: Path) -> None:
    stored = (tmp_path / "cfg" / f"{guid}.json").read_text()
    assert PASSWORD not in stored


def test_prepare_makes_the_sandbox_work_with_the_dialog_defaults(
    connector: DemoConnector, tmp_path: Path
) -> None:
    defaults = {f.field_key: f.default_value for f in connector.get_config_data()}
    assert not connector.test_config_data(defaults).is_ok  # no sandbox yet
    connector.prepare()
    assert connector.test_config_data(defaults).is_ok
    path = database_path(tmp_path, "demo")
    with DemoErpDatabase(path) as sandbox:
        first = sum(sandbox.count_actors().values())
    connector.prepare()  # a second start adds nothing
    with DemoErpDatabase(path) as sandbox:
        assert sum(sandbox.count_actors().values()) == first
    assert 40 <= first <= 60
