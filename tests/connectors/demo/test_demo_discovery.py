"""Actor types, their fields and searchable fields."""

from __future__ import annotations

import pytest

from erpsync.connectors.demo import DemoConnector
from erpsync.connectors.demo.lists import LIST_NAMES
from erpsync.protocol import FieldAccess, FieldType
from erpsync.sdk.errors import UnknownActorType

from .conftest import connect

TYPES = ["Customer", "Supplier", "Partner", "Person", "Project"]
SEARCHABLE_KINDS = {
    FieldType.Text,
    FieldType.Integer,
    FieldType.Double,
    FieldType.Checkbox,
    FieldType.List,
    FieldType.Datetime,
}
COMPANY_KEYS = {
    "NAME", "NUMBER1", "NUMBER2", "DEPARTMENT", "PHONE", "FAX", "EMAIL", "URL", "POSTALAD1", "POSTALAD2",
    "POSTALAD3", "POSTALZIP", "POSTALCITY", "STREETAD1", "STREETZIP", "STREETCITY", "COUNTRY", "VATNO",
}  # fmt: skip
PERSON_KEYS = {
    "FIRSTNAME", "MIDDLENAME", "LASTNAME", "TITLE", "EMAIL", "PHONE_DIRECT", "PHONE_MOBILE", "POSITION",
    "BIRTHDATE",
}  # fmt: skip
PROJECT_KEYS = {"NAME", "TEXT", "NUMBER", "URL", "ENDDATE"}


def test_supported_actor_types(connector: DemoConnector, guid: str) -> None:
    assert connector.get_supported_actor_types(guid) == TYPES


def test_fields_together_use_every_type_and_access(connector: DemoConnector, guid: str) -> None:
    fields = [f for t in TYPES for f in connector.get_supported_actor_type_fields(guid, t)]
    assert {f.field_type for f in fields} == set(FieldType)
    assert {f.access for f in fields} == set(FieldAccess)


@pytest.mark.parametrize("actor_type", TYPES)
def test_fields_are_ranked_and_lists_exist(connector: DemoConnector, guid: str, actor_type: str) -> None:
    fields = connector.get_supported_actor_type_fields(guid, actor_type)
    ranks = [f.rank for f in fields]
    assert all(rank > 0 for rank in ranks)
    assert len(set(ranks)) == len(ranks)
    keys = [f.field_key for f in fields]
    assert len(set(keys)) == len(keys)
    for f in fields:
        assert (f.field_type is FieldType.List) == bool(f.list_name)
        assert not f.list_name or f.list_name in LIST_NAMES


@pytest.mark.parametrize(
    ("actor_type", "keys", "mandatory"),
    [
        ("Customer", COMPANY_KEYS, "NAME"),
        ("Supplier", COMPANY_KEYS, "NAME"),
        ("Partner", COMPANY_KEYS, "NAME"),
        ("Person", PERSON_KEYS, "LASTNAME"),
        ("Project", PROJECT_KEYS, "NAME"),
    ],
)
def test_automatic_mapping_names_and_mandatory_field(
    connector: DemoConnector, guid: str, actor_type: str, keys: set[str], mandatory: str
) -> None:
    fields = {f.field_key: f for f in connector.get_supported_actor_type_fields(guid, actor_type)}
    assert keys <= set(fields)
    assert [k for k, f in fields.items() if f.access is FieldAccess.Mandatory] == [mandatory]


def test_erp_only_fields(connector: DemoConnector, guid: str) -> None:
    customer = {f.field_key: f for f in connector.get_supported_actor_type_fields(guid, "Customer")}
    assert customer["CUSTOMERNO"].access is FieldAccess.ReadOnly
    assert customer["CREATED"].field_type is FieldType.Datetime
    assert customer["CREATED"].access is FieldAccess.ReadOnly
    assert customer["BALANCE"].access is FieldAccess.ReadOnly
    assert customer["CREDITLIMIT"].field_type is FieldType.Double
    assert customer["CREDITSTOP"].field_type is FieldType.Checkbox
    assert customer["DISCOUNT"].field_type is FieldType.Integer
    assert customer["WEBSHOP_PASSWORD"].field_type is FieldType.Password
    assert customer["ACCOUNTSTATUS"].field_type is FieldType.Label
    assert customer["COUNTRY"].list_name == "countries"
    assert customer["PAYMENTTERMS"].list_name == "paymentterms"
    assert customer["CATEGORY"].list_name == "customercategories"
    project = {f.field_key: f for f in connector.get_supported_actor_type_fields(guid, "Project")}
    assert project["STATUS"].list_name == "projectstatus"
    assert project["BUDGET"].field_type is FieldType.Double
    assert project["HOURS"].field_type is FieldType.Integer


def test_connection_defaults_are_announced(connector: DemoConnector, guid: str) -> None:
    other = connect(connector, Currency="SEK", DefaultCreditLimit="[F:123.5]")
    for connection, currency, limit in ((guid, "EUR", "[F:7500.0]"), (other, "SEK", "[F:123.5]")):
        fields = {f.field_key: f for f in connector.get_supported_actor_type_fields(connection, "Customer")}
        assert fields["CURRENCY"].default_value == currency
        assert fields["CREDITLIMIT"].default_value == limit


@pytest.mark.parametrize("actor_type", TYPES)
def test_searchable_fields_cover_every_searchable_kind(
    connector: DemoConnector, guid: str, actor_type: str
) -> None:
    fields = {f.field_key: f for f in connector.get_supported_actor_type_fields(guid, actor_type)}
    searchable = connector.get_searchable_fields(guid, actor_type)
    assert set(searchable) <= set(fields)
    assert {fields[key].field_type for key in searchable} == SEARCHABLE_KINDS


@pytest.mark.parametrize("actor_type", ["Employee", "Sale", "Unknown", "customer", ""])
def test_unknown_actor_type(connector: DemoConnector, guid: str, actor_type: str) -> None:
    with pytest.raises(UnknownActorType):
        connector.get_supported_actor_type_fields(guid, actor_type)
    with pytest.raises(UnknownActorType):
        connector.get_searchable_fields(guid, actor_type)
    with pytest.raises(UnknownActorType):
        connector.get_actors(guid, actor_type, ["1"], [])
