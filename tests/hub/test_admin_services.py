"""The administrator's services against a database and the demo ERP served over HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from erpsync.hub import activation, connections, connectors, defaults, discovery, list_mappings, mappings
from erpsync.hub.connections import AccessEntry, ConnectionDraft
from erpsync.hub.defaults import DefaultValueSettings
from erpsync.hub.discovery import DiscoveredActorType, Discovery
from erpsync.hub.errors import InvalidInput, NotFound, Refused
from erpsync.hub.mappings import FieldMappingChange
from erpsync.hub.models import ErpActorTypeMapping, ErpConfigValue, ErpConnection, ErpField
from erpsync.hub.service import Hub
from erpsync.protocol import ActorType, FieldAccess, FieldMetadata, FieldType

from .fixtures_admin import (
    CONNECTOR_SECRET,
    DEFAULT_FIELDS,
    ERP_PASSWORD,
    DemoErp,
    FieldMap,
    demo_config,
    demo_erp,
    make_configured_connection,
)


@pytest.fixture
def hub(session_factory: sessionmaker[Session], tmp_path: Path) -> Iterator[Hub]:
    hub = Hub.create(session_factory, tmp_path / "hub", connector_secret=CONNECTOR_SECRET)
    yield hub
    hub.close()


@pytest.fixture
def erp(tmp_path: Path) -> Iterator[DemoErp]:
    with demo_erp(tmp_path / "erp-host") as served:
        yield served


def _change(view: mappings.ActorTypeMappingView, key: str, **settings: object) -> FieldMappingChange:
    row = next(f for f in view.fields if f.erp_field_key == key)
    values: dict[str, object] = {
        "crm_field_key": row.crm_field_key,
        "sync_to_crm": row.sync_to_crm,
        "sync_to_erp": row.sync_to_erp,
        "show_in_gui": row.show_in_gui,
        "show_in_search": row.show_in_search,
        **settings,
    }
    return FieldMappingChange(row.erp_field_id, key, **values)  # type: ignore[arg-type]


def test_the_helper_makes_an_active_configured_connection(hub: Hub, erp: DemoErp) -> None:
    made = make_configured_connection(hub, erp.url)
    record = connections.get_connection(hub, made.connection_id)
    assert (record.active, record.config["Password"], record.guid) == (True, "********", made.guid)
    lists = list_mappings.connection_list_mappings(hub, made.connection_id)
    country = next(e for e in lists.lists if e.erp_actor_type == "Customer" and e.erp_field_key == "COUNTRY")
    assert country.complete


def test_a_changed_url_drops_the_old_client(hub: Hub, erp: DemoErp) -> None:
    saved = connectors.save_connector(hub, 0, "Demo", erp.url)
    hub.clients.for_url(erp.url)
    connectors.save_connector(hub, saved.id, "Demo", erp.url + "/")
    assert erp.url not in hub.clients._clients
    with pytest.raises(Refused, match="link-local"):
        connectors.save_connector(hub, saved.id, "Demo", "http://169.254.1.1/connectors/demo")
    with pytest.raises(NotFound):
        connectors.save_connector(hub, 999, "Demo", erp.url)


def test_config_list_items_with_the_all_zero_guid(hub: Hub, erp: DemoErp) -> None:
    connector = connectors.save_connector(hub, 0, "Demo", erp.url)
    keys = [item.key for item in connectors.config_list_items(hub, connector.id, "currencies")]
    assert keys[:2] == ["NOK", "SEK"]
    fields = connectors.configuration_fields(hub, connector.id)
    assert [f.field_key for f in fields][:4] == ["About", "Database", "Username", "Password"]
    assert fields[3].default_value == "********"  # the demo's sandbox password is not shown


def test_a_connection_is_never_saved_without_a_passing_test(hub: Hub, erp: DemoErp) -> None:
    connector = connectors.save_connector(hub, 0, "Demo", erp.url)
    draft = ConnectionDraft(connector_id=connector.id, display_name="ERP")
    with pytest.raises(InvalidInput) as missing:
        connections.save_connection(hub, replace(draft, config=demo_config(Username="")))
    assert missing.value.errors == {"ConfigFields.Username": "is mandatory: fill it in"}
    with pytest.raises(Refused) as wrong:
        connections.save_connection(hub, replace(draft, config=demo_config(password="x")))
    assert wrong.value.reasons == ["Wrong user name or password."]
    assert connections.all_connections(hub, include_deleted=True) == []


def test_an_active_connection_is_renamed_without_its_connector(hub: Hub, tmp_path: Path) -> None:
    with demo_erp(tmp_path / "erp-host") as erp:
        made = make_configured_connection(hub, erp.url)
        masked = connections.get_connection(hub, made.connection_id).config
    # The ERP is gone: a rename (its dialog sends the masked config back) needs no connector call.
    renamed = connections.save_connection(
        hub, ConnectionDraft(connection_id=made.connection_id, display_name="Renamed", config=masked)
    )
    assert (renamed.display_name, renamed.active) == ("Renamed", True)
    with pytest.raises(Refused, match="deactivate it before you change its configuration"):
        connections.save_connection(
            hub, ConnectionDraft(connection_id=made.connection_id, config={**masked, "Username": "other"})
        )


def test_scope_rows_are_checked_and_stored(hub: Hub, erp: DemoErp) -> None:
    connector = connectors.save_connector(hub, 0, "Demo", erp.url)
    base = {"connector_id": connector.id, "display_name": "ERP", "config": demo_config()}
    with pytest.raises(Refused) as nobody:
        connections.save_connection(hub, ConnectionDraft(**base, all_access=False, access=[]))
    assert nobody.value.reasons == ["Choose the scope Everyone, or at least one user or group."]
    with pytest.raises(Refused) as unknown:
        connections.save_connection(
            hub, ConnectionDraft(**base, all_access=False, access=[AccessEntry(user_id=42)])
        )
    assert unknown.value.reasons == ["There is no user with id 42."]


def test_rediscovery_marks_what_the_connector_no_longer_offers(hub: Hub, erp: DemoErp) -> None:
    made = make_configured_connection(hub, erp.url, activate=False)
    only_name = Discovery(
        capabilities=(),
        max_page_size=0,
        actor_types=(
            DiscoveredActorType(
                ActorType.Customer,
                (FieldMetadata(field_key="NAME", field_type=FieldType.Text, access=FieldAccess.Mandatory),),
                frozenset(),
            ),
        ),
    )
    with hub.session() as session:
        discovery.apply_discovery(session, session.get(ErpConnection, made.connection_id), only_name)  # type: ignore[arg-type]
    customer = mappings.actor_type_mapping(hub, made.connection_id, "Customer")
    email = next(f for f in customer.fields if f.erp_field_key == "EMAIL")
    assert (email.missing_in_erp, email.sync_to_crm, email.sync_to_erp, email.crm_field_key) == (
        True,
        False,
        False,
        "email",
    )
    person = mappings.actor_type_mapping(hub, made.connection_id, "Person")
    assert (person.missing_in_erp, person.is_active) == (True, False)
    # Asking the connector again brings everything back, settings kept where the field survived.
    discovery.update_connection_fields(hub, made.connection_id)
    customer = mappings.actor_type_mapping(hub, made.connection_id, "Customer")
    name = next(f for f in customer.fields if f.erp_field_key == "NAME")
    assert (name.sync_to_crm, name.sync_to_erp, name.missing_in_erp) == (True, True, False)
    assert not mappings.actor_type_mapping(hub, made.connection_id, "Person").missing_in_erp
    assert [f.rank for f in customer.fields] == list(range(len(customer.fields)))


def test_a_crm_field_is_written_from_one_erp_only(hub: Hub, erp: DemoErp) -> None:
    first = make_configured_connection(hub, erp.url, name="First")
    second = make_configured_connection(
        hub, erp.url, name="Second", connector_id=first.connector_id, fields={}, activate=False
    )
    view = mappings.actor_type_mapping(hub, second.connection_id, "Customer")
    assert next(f for f in view.fields if f.erp_field_key == "NAME").already_mapped
    with pytest.raises(InvalidInput) as refused:
        mappings.save_actor_type_mapping(
            hub, second.connection_id, "Customer", True, [_change(view, "NAME", sync_to_crm=True)]
        )
    assert "already written from the ERP by the active connection 'First'" in refused.value.errors["NAME"]
    # Writing it into the ERP only is fine; then the first connection, deactivated meanwhile, is the
    # one that cannot come back while the second writes the field into the CRM.
    mappings.save_actor_type_mapping(
        hub, second.connection_id, "Customer", True, [_change(view, "NAME", sync_to_erp=True)]
    )
    assert activation.toggle_connection_active(hub, second.connection_id) == []
    assert activation.toggle_connection_active(hub, first.connection_id) == []  # deactivated
    assert activation.toggle_connection_active(hub, second.connection_id) == []  # deactivated
    mappings.save_actor_type_mapping(
        hub,
        second.connection_id,
        "Customer",
        True,
        [_change(view, "NAME", sync_to_crm=True, sync_to_erp=True)],
    )
    assert activation.toggle_connection_active(hub, second.connection_id) == []
    reasons = activation.toggle_connection_active(hub, first.connection_id)
    assert (
        "Customer: the CRM field Name is already written from the ERP by the active connection 'Second'"
        in (reasons[0])
    )


def test_setup_changes_wait_until_the_connection_is_deactivated(hub: Hub, erp: DemoErp) -> None:
    made = make_configured_connection(hub, erp.url)
    view = mappings.actor_type_mapping(hub, made.connection_id, "Customer")
    field_id = next(f.erp_field_id for f in view.fields if f.erp_field_key == "CURRENCY")
    with pytest.raises(Refused, match="deactivate it before you change its field mappings"):
        mappings.save_actor_type_mapping(hub, made.connection_id, "Customer", None, [])
    with pytest.raises(Refused, match="deactivate it before you change its list mappings"):
        list_mappings.save_connection_list_mappings(hub, made.connection_id, [])
    with pytest.raises(Refused, match="deactivate it before you change its default values"):
        defaults.save_default_value(hub, field_id, DefaultValueSettings(prompt_user=True))


def test_deleting_a_connection_survives_a_connector_that_is_gone(
    hub: Hub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with demo_erp(tmp_path / "erp-host") as erp:
        made = make_configured_connection(hub, erp.url, fields={"Customer": {"NAME": FieldMap()}})
        with pytest.raises(Refused):
            connectors.delete_connector(hub, made.connector_id)
    caplog.set_level(logging.WARNING, "erpsync.hub.connections")
    connections.delete_connection(hub, made.connection_id)
    assert "did not take the deletion" in caplog.text
    assert connections.all_connections(hub) == []
    (deleted,) = connections.all_connections(hub, include_deleted=True)
    assert (deleted.deleted, deleted.active) == (True, False)
    assert connectors.can_delete_connector(hub, made.connector_id) is connectors.ResponseCode.NoError
    connectors.delete_connector(hub, made.connector_id)
    assert connectors.all_connectors(hub) == []


def test_passwords_are_sealed_at_rest(hub: Hub, erp: DemoErp) -> None:
    made = make_configured_connection(hub, erp.url, activate=False)
    with hub.session() as session:
        rows = {r.field_key: r for r in session.scalars(select(ErpConfigValue))}
        assert rows["Password"].secret
        assert ERP_PASSWORD not in rows["Password"].value
        assert rows["Database"].value == "erp"
        assert session.scalars(select(ErpField)).first() is not None
        assert session.scalars(select(ErpActorTypeMapping)).first() is not None
    assert connections.connection_config_fields(hub, made.connection_id)["Password"] == "********"


def test_inactive_actor_types_do_not_hold_activation_back(hub: Hub, erp: DemoErp) -> None:
    wanted = {**DEFAULT_FIELDS, "Supplier": {"NAME": FieldMap(), "COUNTRY": FieldMap()}}
    made = make_configured_connection(hub, erp.url, fields=wanted, activate=False)
    lists = list_mappings.connection_list_mappings(hub, made.connection_id)
    supplier_country = next(
        e for e in lists.lists if (e.erp_actor_type, e.erp_field_key) == ("Supplier", "COUNTRY")
    )
    list_mappings.save_connection_list_mappings(
        hub, made.connection_id, [(supplier_country.erp_field_id, [])]
    )
    reasons = activation.toggle_connection_active(hub, made.connection_id)
    assert reasons == [
        "Supplier: the list field Country (COUNTRY) syncs, but the ERP list items NO, SE, DK, FI, IS and 15 "
        "more have no CRM list item: complete its list mapping."
    ]
    mappings.save_actor_type_mapping(hub, made.connection_id, "Supplier", False, [])
    assert activation.toggle_connection_active(hub, made.connection_id) == []


def test_default_values_of_an_actor_type_read_together_equal_each_read_alone(hub: Hub, erp: DemoErp) -> None:
    made = make_configured_connection(hub, erp.url, activate=False)  # defaults change while inactive
    view = mappings.actor_type_mapping(hub, made.connection_id, "Customer")
    ids = [f.erp_field_id for f in view.fields]
    currency = next(f.erp_field_id for f in view.fields if f.erp_field_key == "CURRENCY")
    defaults.save_default_value(hub, currency, DefaultValueSettings(prompt_user=True))
    together = defaults.default_value_infos(hub, ids)
    assert together == [defaults.default_value_info(hub, each) for each in ids]
    assert together[ids.index(currency)].prompt_user
    with pytest.raises(NotFound):
        defaults.default_value_infos(hub, [*ids, 999_999])
