"""A configured, active ERP connection to the demo ERP over real HTTP, for the end-user methods.

Built straight with the ORM (not through the administrator's services), so the end-user tests
depend on the tables only: a connector row with the demo's URL, connections with GUIDs and scope,
config values stored (password sealed) and sent with ``SaveConnection``, actor type mappings and
``ErpField`` rows made from the connector's own ``GetSupportedActorTypeFields`` /
``GetSearchableFields``, then mapped fields with directions, ERP tab and search fields, ranks, a
list mapping and default values. Tests use the demo ERP's database directly (``World.erp``) to
play an ERP user and to check what the ERP holds.

Usage in a test module::

    @pytest.fixture
    def world(session_factory, tmp_path, fast_password_hashing) -> Iterator[World]:
        hub = Hub.create(session_factory, tmp_path / "hub", connector_secret=CONNECTOR_SECRET)
        with user_world(hub, tmp_path) as built:
            yield built
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpsync.connectors.demo import DemoConnector, DemoErpDatabase, database_path, seed_database
from erpsync.crm import store, users
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.journal import user_origin
from erpsync.crm.lists import add_list_item
from erpsync.hub.config_values import store_config
from erpsync.hub.models import (
    ErpActorTypeMapping,
    ErpConfiguration,
    ErpConnection,
    ErpConnectionAccess,
    ErpConnector,
    ErpField,
    ErpListItemMapping,
    ErpSyncLog,
)
from erpsync.hub.service import Hub
from erpsync.protocol import ErpActor, call
from erpsync.sdk.host import ConnectorHost
from tests.helpers import run_asgi_server

__all__ = [
    "CONNECTOR_SECRET",
    "ERP_PASSWORD",
    "FieldSetting",
    "World",
    "erp_actor",
    "log_rows",
    "user_world",
]

CONNECTOR_SECRET = "end-user-tests-signing-secret"
ERP_PASSWORD = "Erp-Pa55word"


@dataclass(frozen=True)
class FieldSetting:
    """The administrator's settings of one ERP field (only what differs from the discovery)."""

    crm: str | None = None
    to_crm: bool = False
    to_erp: bool = False
    gui: bool = False
    search: bool = False
    rank: int | None = None
    default: str | None = None
    prompt: bool = False
    mandatory: bool = False


#: Customer: the main actor type of the tests.
CUSTOMER_FIELDS: Mapping[str, FieldSetting] = {
    "NAME": FieldSetting("name", to_crm=True, to_erp=True),
    "PHONE": FieldSetting("phone", to_crm=True, to_erp=True),
    "VATNO": FieldSetting("vat_no", to_crm=True, to_erp=True),
    "EMAIL": FieldSetting("email", to_erp=True),
    "COUNTRY": FieldSetting("country", to_crm=True, to_erp=True, search=True),
    "CUSTOMERNO": FieldSetting("number", to_crm=True, gui=True, search=True, rank=2),
    "POSTALCITY": FieldSetting(search=True),
    # The ERP tab, in an order of its own (rank), with a password field that must never show.
    "CURRENCY": FieldSetting(gui=True, rank=1),
    "CREDITSTOP": FieldSetting(gui=True, rank=3),
    "CREDITLIMIT": FieldSetting(gui=True, rank=4, default="[F:2500.0]", prompt=True),
    "CREATED": FieldSetting(gui=True, rank=5),
    "WEBSHOP_PASSWORD": FieldSetting(gui=True, search=True, rank=6),
    # Defaults for new customers: a fixed value, a prompted mandatory one, a prompted optional one.
    "PAYMENTTERMS": FieldSetting(default="NET14"),
    "CATEGORY": FieldSetting(prompt=True, mandatory=True),
    "DISCOUNT": FieldSetting(prompt=True),
}

PERSON_FIELDS: Mapping[str, FieldSetting] = {
    "FIRSTNAME": FieldSetting("first_name", to_crm=True, to_erp=True, search=True),
    "LASTNAME": FieldSetting("last_name", to_crm=True, to_erp=True),
    "EMAIL": FieldSetting("email", to_crm=True, to_erp=True, search=True),
    "PHONE_MOBILE": FieldSetting(gui=True),
}

SUPPLIER_FIELDS: Mapping[str, FieldSetting] = {
    "NAME": FieldSetting("name", to_crm=True, to_erp=True),
    "SUPPLIERNO": FieldSetting(gui=True),
}


@dataclass
class World:
    """Everything the end-user tests work with; ids are CRM / hub ids, keys ERP keys."""

    hub: Hub
    erp: DemoErpDatabase
    connector_url: str
    connection_id: int
    second_connection_id: int
    hidden_connection_id: int
    inactive_connection_id: int
    #: Users: ``seller`` (group Sales: CanConnect + CanCreateERP), ``connector`` (CanConnect only),
    #: ``viewer`` (in scope, no permission), ``outsider`` (not in the scope of the main connection).
    user_ids: dict[str, int]
    #: CRM list items by name (Norway, Sweden, Denmark).
    countries: dict[str, int]
    #: CRM records: companies "nordic", "unlinked"; persons "kari", "per", "lone" (under "unlinked").
    records: dict[str, int]
    #: ERP keys: customers "nordic", "other"; persons "kari" (under nordic), "stranger" (under other).
    erp_keys: dict[str, str]
    mapping_ids: dict[str, int] = field(default_factory=dict)

    def session(self) -> Session:
        return self.hub.sessions()


def _add_fields(
    session: Session,
    hub: Hub,
    connection: ErpConnection,
    mapping: ErpActorTypeMapping,
    settings: Mapping[str, FieldSetting],
) -> None:
    client = hub.client_for(session, connection)
    metadata = client.send(call.get_supported_actor_type_fields(connection.guid, mapping.erp_actor_type))
    searchable = set(client.send(call.get_searchable_fields(connection.guid, mapping.erp_actor_type)).items)
    for meta in metadata.field_meta_data_objects:
        setting = settings.get(meta.field_key, FieldSetting())
        session.add(
            ErpField(
                actor_type_mapping_id=mapping.id,
                erp_field_key=meta.field_key,
                display_name=meta.display_name,
                display_description=meta.display_description,
                field_type=meta.field_type.value,
                list_name=meta.list_name,
                default_value=meta.default_value,
                max_length=meta.max_length,
                access=meta.access.value,
                searchable=meta.field_key in searchable,
                crm_field_key=setting.crm,
                sync_to_crm=setting.to_crm,
                sync_to_erp=setting.to_erp,
                show_in_gui=setting.gui,
                show_in_search=setting.search,
                rank=meta.rank if setting.rank is None else setting.rank,
                has_first_sync_default_value=setting.default is not None,
                first_sync_default_value=setting.default or "",
                prompt_user=setting.prompt,
                mandatory=setting.mandatory,
            )
        )
    session.flush()


def _connection(
    session: Session, hub: Hub, connector: ErpConnector, name: str, *, active: bool = True, all_access: bool
) -> ErpConnection:
    connection = ErpConnection(
        connector_id=connector.id,
        display_name=name,
        guid=str(uuid.uuid4()),
        active=active,
        all_access=all_access,
    )
    session.add(connection)
    session.flush()
    config = {
        "Database": "erp",
        "Username": "admin",
        "Password": ERP_PASSWORD,
        "CompanyNo": "[I:1]",
        "DefaultCreditLimit": "",
        "Currency": "",
        "IncludeInactive": "[I:0]",
        "SyncFrom": "",
    }
    store_config(session, connection.id, config, {"Password"}, hub.box)
    assert hub.client_for(session, connection).send(call.save_connection(connection.guid, config)).is_ok
    return connection


def _mapping(
    session: Session,
    hub: Hub,
    connection: ErpConnection,
    erp_type: str,
    crm_type: str,
    settings: Mapping[str, FieldSetting],
    active: bool = True,
) -> ErpActorTypeMapping:
    mapping = ErpActorTypeMapping(
        connection_id=connection.id, erp_actor_type=erp_type, crm_actor_type=crm_type, is_active=active
    )
    session.add(mapping)
    session.flush()
    _add_fields(session, hub, connection, mapping, settings)
    return mapping


def _map_list(
    session: Session, mapping: ErpActorTypeMapping, erp_field: str, pairs: Mapping[str, int]
) -> None:
    row = session.scalar(
        select(ErpField).where(
            ErpField.actor_type_mapping_id == mapping.id, ErpField.erp_field_key == erp_field
        )
    )
    assert row is not None
    session.add_all(
        ErpListItemMapping(erp_field_id=row.id, erp_item_key=k, crm_item_id=v) for k, v in pairs.items()
    )


def _users(session: Session, connection: ErpConnection) -> dict[str, int]:
    names = ("seller", "connector", "viewer", "outsider")
    ids = {name: users.create_user(session, name, f"{name}-password-1").id for name in names}
    sales = users.create_group(session, "Sales")
    users.add_member(session, sales.id, ids["seller"])
    session.add_all(
        [
            ErpConnectionAccess(
                connection_id=connection.id, group_id=sales.id, can_connect=True, can_create_erp=True
            ),
            ErpConnectionAccess(
                connection_id=connection.id, user_id=ids["connector"], can_connect=True, can_create_erp=False
            ),
            ErpConnectionAccess(
                connection_id=connection.id, user_id=ids["viewer"], can_connect=False, can_create_erp=False
            ),
        ]
    )
    return ids


def _crm_records(session: Session, countries: Mapping[str, int], seller: int) -> dict[str, int]:
    origin = user_origin(seller)
    nordic = store.create(
        session,
        CrmEntity.company,
        {
            "name": "Nordic Tools AS",
            "phone": "+47 22 00 00 01",
            "vat_no": "NO 999 888 777",
            "email": "post@nordic.test",
            "country": countries["Norway"],
            "postal_city": "Oslo",
        },
        origin,
    )
    unlinked = store.create(
        session, CrmEntity.company, {"name": "Fjord Fish AS", "phone": "+47 55 00 00 00"}, origin
    )
    person = CrmEntity.person
    return {
        "nordic": nordic,
        "unlinked": unlinked,
        "kari": store.create(
            session,
            person,
            {
                "company_id": nordic,
                "first_name": "Kari",
                "last_name": "Nordmann",
                "email": "kari@nordic.test",
            },
            origin,
        ),
        "per": store.create(
            session, person, {"company_id": nordic, "first_name": "Per", "last_name": "Hansen"}, origin
        ),
        "lone": store.create(session, person, {"company_id": unlinked, "last_name": "Lone"}, origin),
    }


def _erp_actors(erp: DemoErpDatabase) -> dict[str, str]:
    nordic = erp.create_actor(
        "Customer",
        {
            "NAME": "Nordic Tools",
            "PHONE": "+47 22 00 00 02",
            "VATNO": "NO 999 888 777",
            "EMAIL": "invoice@nordic.test",
            "COUNTRY": "SE",
            "CURRENCY": "EUR",
            "CREDITLIMIT": "[F:5000.0]",
            "CREDITSTOP": "[I:1]",
            "WEBSHOP_PASSWORD": "hunter2-webshop",
        },
    )
    other = erp.create_actor(
        "Customer", {"NAME": "Other Customer AS", "POSTALCITY": "Bergen", "COUNTRY": "NO"}
    )
    kari = erp.create_actor(
        "Person",
        {
            "FIRSTNAME": "Kari",
            "LASTNAME": "Nordmann",
            "EMAIL": "kari@erp.test",
            "PHONE_MOBILE": "+47 900 00 000",
        },
        parent_actor_type="Customer",
        parent_erp_key=nordic.erp_key,
    )
    stranger = erp.create_actor(
        "Person",
        {"FIRSTNAME": "Kari", "LASTNAME": "Stranger"},
        parent_actor_type="Customer",
        parent_erp_key=other.erp_key,
    )
    return {
        "nordic": nordic.erp_key,
        "other": other.erp_key,
        "kari": kari.erp_key,
        "stranger": stranger.erp_key,
    }


@contextmanager
def user_world(hub: Hub, data_dir: Path) -> Iterator[World]:
    """Serve the demo ERP over HTTP and configure the connections; close everything afterwards."""
    host_dir = data_dir / "erp-host"
    seed_database(database_path(host_dir, "erp"), 0, password=ERP_PASSWORD)
    host = ConnectorHost(
        host_dir, [DemoConnector], secrets=[CONNECTOR_SECRET.encode()], encryption_key=Fernet.generate_key()
    )
    with run_asgi_server(host.app) as base, DemoErpDatabase(database_path(host_dir, "erp")) as erp:
        url = f"{base}/connectors/demo"
        erp_keys = _erp_actors(erp)
        with hub.session() as session:
            connector = ErpConnector(display_name="Demo ERP", url=url)
            session.add(connector)
            session.flush()
            main = _connection(session, hub, connector, "Demo ERP", all_access=False)
            second = _connection(session, hub, connector, "Second ERP", all_access=True)
            hidden = _connection(session, hub, connector, "Finance ERP", all_access=False)
            inactive = _connection(session, hub, connector, "Old ERP", active=False, all_access=True)
            customer = _mapping(session, hub, main, "Customer", "Contact", CUSTOMER_FIELDS)
            mappings = {
                "Customer": customer.id,
                "Supplier": _mapping(session, hub, main, "Supplier", "Contact", SUPPLIER_FIELDS).id,
                "Person": _mapping(session, hub, main, "Person", "Person", PERSON_FIELDS).id,
                "Project": _mapping(session, hub, main, "Project", "Project", {}, active=False).id,
            }
            for other in (second, hidden, inactive):
                _mapping(
                    session, hub, other, "Customer", "Contact", {"NAME": FieldSetting("name", True, True)}
                )
            countries = {
                name: add_list_item(session, "country", name).id for name in ("Norway", "Sweden", "Denmark")
            }
            _map_list(session, customer, "COUNTRY", {"NO": countries["Norway"], "SE": countries["Sweden"]})
            # Sync priority: the second connection before the main one.
            session.add(ErpConfiguration(connection_rank=f"{second.id};0;{main.id}"))
            user_ids = _users(session, main)
            records = _crm_records(session, countries, user_ids["seller"])
            world = World(
                hub=hub,
                erp=erp,
                connector_url=url,
                connection_id=main.id,
                second_connection_id=second.id,
                hidden_connection_id=hidden.id,
                inactive_connection_id=inactive.id,
                user_ids=user_ids,
                countries=countries,
                records=records,
                erp_keys=erp_keys,
                mapping_ids=mappings,
            )
        try:
            yield world
        finally:
            hub.close()
            connector_instance = host.connectors["demo"]
            assert isinstance(connector_instance, DemoConnector)
            connector_instance.close()


def log_rows(world: World, **where: Any) -> list[ErpSyncLog]:
    """Sync log rows matching ``where`` (column = value), oldest first."""
    with world.session() as session:
        query = select(ErpSyncLog).order_by(ErpSyncLog.id)
        for column, value in where.items():
            query = query.where(getattr(ErpSyncLog, column) == value)
        return list(session.scalars(query))


def erp_actor(world: World, actor_type: str, erp_key: str) -> ErpActor:
    """The actor as the ERP holds it now."""
    found = world.erp.get_actor(actor_type, erp_key)
    assert found is not None
    return found
