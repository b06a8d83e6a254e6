"""GetList / GetListItems: from the connection's database, or the catalogue for the all-zero GUID."""

from __future__ import annotations

import pytest

from erpsync.connectors.demo import DemoConnector, DemoErpDatabase
from erpsync.connectors.demo.lists import CATALOGUE
from erpsync.protocol import NIL_GUID, ErpActor
from erpsync.sdk.errors import InvalidValue, UnknownList


@pytest.mark.parametrize(
    "list_name", ["paymentterms", "currencies", "countries", "customercategories", "projectstatus"]
)
def test_nil_guid_answers_from_the_catalogue_without_any_connection(
    connector: DemoConnector, list_name: str
) -> None:
    items = connector.get_list(NIL_GUID, list_name)
    assert [(i.key, i.display_value) for i in items] == list(CATALOGUE[list_name])
    assert len(items) >= 3


def test_nil_guid_list_items(connector: DemoConnector) -> None:
    items = connector.get_list_items(NIL_GUID, "currencies", ["EUR", "NOK", "XXX"])
    assert {i.key: i.display_value for i in items} == {"NOK": "Norwegian krone", "EUR": "Euro"}


def test_unknown_list(connector: DemoConnector, guid: str) -> None:
    with pytest.raises(UnknownList):
        connector.get_list(NIL_GUID, "colours")
    with pytest.raises(UnknownList):
        connector.get_list(guid, "colours")


def test_connection_lists_come_from_its_database(
    connector: DemoConnector, guid: str, db: DemoErpDatabase
) -> None:
    db.add_list_item("projectstatus", "review", "In review")
    keys = [i.key for i in connector.get_list(guid, "projectstatus")]
    assert keys[-1] == "review"
    assert "review" not in [i.key for i in connector.get_list(NIL_GUID, "projectstatus")]
    items = connector.get_list_items(guid, "projectstatus", ["review", "open"])
    assert {i.key: i.display_value for i in items} == {"review": "In review", "open": "In progress"}


def test_list_values_must_be_list_keys(connector: DemoConnector, guid: str, db: DemoErpDatabase) -> None:
    draft = ErpActor(actor_type="Project", field_values={"NAME": "Audit", "STATUS": "review"})
    with pytest.raises(InvalidValue, match="review"):
        connector.create_actor(guid, draft)
    db.add_list_item("projectstatus", "review", "In review")
    assert connector.create_actor(guid, draft).field_values["STATUS"] == "review"
