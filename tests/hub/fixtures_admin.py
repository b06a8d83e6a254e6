"""The demo ERP served over real HTTP, and a connection configured through the administrator's
services (the same calls the agent API makes), for tests on either side of ERP Sync.

Usage::

    hub = Hub.create(session_factory, tmp_path / "hub", connector_secret=CONNECTOR_SECRET)
    with demo_erp(tmp_path / "erp-host") as erp:
        configured = make_configured_connection(hub, erp.url)
        ...                    # an active connection: Customer and Person synced, Country mapped
    hub.close()

``make_configured_connection`` registers the connector (or reuses ``connector_id``), saves a
connection (tested, discovered, mapped automatically), sets the directions of ``fields``, maps every
ERP list item of a synced list field to the CRM item of the same name (adding CRM items that are
missing), and activates the connection.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from erpsync.connectors.demo import DemoConnector, database_path, seed_database
from erpsync.crm.lists import add_list_item, list_items
from erpsync.crm.seed import ensure_standard_lists
from erpsync.hub import activation, connections, connectors, list_mappings, mappings
from erpsync.hub.connections import AccessEntry, ConnectionDraft
from erpsync.hub.list_mappings import ItemChoice
from erpsync.hub.mappings import FieldMappingChange
from erpsync.hub.service import Hub
from erpsync.sdk.host import ConnectorHost
from tests.helpers import run_asgi_server

__all__ = [
    "CONNECTOR_SECRET",
    "DEFAULT_FIELDS",
    "ERP_PASSWORD",
    "ConfiguredConnection",
    "DemoErp",
    "FieldMap",
    "demo_config",
    "demo_erp",
    "make_configured_connection",
]

CONNECTOR_SECRET = "admin-tests-signing-secret"
ERP_PASSWORD = "Adm1n-Erp-Pa55word!"


@dataclass(frozen=True)
class DemoErp:
    """A demo ERP connector host serving over HTTP: ``url`` is the connector's base URL."""

    url: str
    data_dir: Path
    database: str


@contextmanager
def demo_erp(
    data_dir: Path,
    secret: str = CONNECTOR_SECRET,
    database: str = "erp",
    password: str = ERP_PASSWORD,
    actors: int = 0,
) -> Iterator[DemoErp]:
    """Seed the demo database ``database`` (user admin) and serve the demo connector over HTTP."""
    seed_database(database_path(data_dir, database), actors, password=password)
    host = ConnectorHost(
        data_dir, [DemoConnector], secrets=[secret.encode()], encryption_key=Fernet.generate_key()
    )
    try:
        with run_asgi_server(host.app) as base:
            yield DemoErp(f"{base}/connectors/demo", data_dir, database)
    finally:
        demo = host.connectors["demo"]
        assert isinstance(demo, DemoConnector)
        demo.close()


def demo_config(database: str = "erp", password: str = ERP_PASSWORD, **overrides: str) -> dict[str, str]:
    """Config values of a demo ERP connection."""
    return {
        "Database": database,
        "Username": "admin",
        "Password": password,
        "CompanyNo": "[I:1]",
        "Currency": "NOK",
        "IncludeInactive": "[I:0]",
        **overrides,
    }


@dataclass(frozen=True)
class FieldMap:
    """How one ERP field is mapped: ``crm`` ``None`` keeps the automatic mapping."""

    crm: str | None = None
    to_crm: bool = True
    to_erp: bool = True
    gui: bool = False
    search: bool = False


#: Actor type → ERP field key → mapping: what a sensible first set-up syncs.
DEFAULT_FIELDS: Mapping[str, Mapping[str, FieldMap]] = {
    "Customer": {
        "NAME": FieldMap(),
        "EMAIL": FieldMap(),
        "PHONE": FieldMap(),
        "POSTALCITY": FieldMap(),
        "COUNTRY": FieldMap(),
        "CUSTOMERNO": FieldMap(to_crm=False, to_erp=False, search=True),
        "BALANCE": FieldMap(to_crm=False, to_erp=False, gui=True),
    },
    "Person": {
        "FIRSTNAME": FieldMap(),
        "LASTNAME": FieldMap(),
        "EMAIL": FieldMap(),
    },
}


@dataclass(frozen=True)
class ConfiguredConnection:
    connector_id: int
    connection_id: int
    guid: str


def _ensure_lists(hub: Hub) -> None:
    with hub.session() as session:
        ensure_standard_lists(session)


def _map_lists_by_name(hub: Hub, connection_id: int) -> None:
    """Map every ERP item of every synced list field to the CRM item of the same name."""
    views: dict[str, mappings.ActorTypeMappingView] = {}
    sent: list[tuple[int, Sequence[ItemChoice]]] = []
    for entry in list_mappings.connection_list_mappings(hub, connection_id).lists:
        if entry.erp_actor_type not in views:
            views[entry.erp_actor_type] = mappings.actor_type_mapping(
                hub, connection_id, entry.erp_actor_type
            )
        row = next(f for f in views[entry.erp_actor_type].fields if f.erp_field_id == entry.erp_field_id)
        if not (row.sync_to_crm or row.sync_to_erp):
            continue
        with hub.session() as session:
            have = {item.name.casefold(): item.id for item in list_items(session, entry.crm_list_name)}
            for pair in entry.pairs:
                if pair.erp_item_name.casefold() not in have:
                    added = add_list_item(session, entry.crm_list_name, pair.erp_item_name)
                    have[added.name.casefold()] = added.id
        choices = [ItemChoice(pair.erp_item_key, have[pair.erp_item_name.casefold()]) for pair in entry.pairs]
        sent.append((entry.erp_field_id, choices))
    if sent:
        list_mappings.save_connection_list_mappings(hub, connection_id, sent)


def make_configured_connection(
    hub: Hub,
    connector_url: str,
    *,
    name: str = "Demo ERP",
    config: Mapping[str, str] | None = None,
    fields: Mapping[str, Mapping[str, FieldMap]] = DEFAULT_FIELDS,
    activate: bool = True,
    all_access: bool = True,
    access: Sequence[AccessEntry] = (),
    connector_id: int | None = None,
) -> ConfiguredConnection:
    """A saved (and by default active) connection to the demo ERP; see the module docstring."""
    _ensure_lists(hub)
    if connector_id is None:
        connector_id = connectors.save_connector(hub, 0, "Demo ERP connector", connector_url).id
    record = connections.save_connection(
        hub,
        ConnectionDraft(
            connector_id=connector_id,
            display_name=name,
            all_access=all_access,
            access=list(access),
            config=dict(config if config is not None else demo_config()),
        ),
    )
    for actor_type, wanted in fields.items():
        view = mappings.actor_type_mapping(hub, record.id, actor_type)
        by_key = {f.erp_field_key: f for f in view.fields}
        changes = [
            FieldMappingChange(
                erp_field_id=by_key[key].erp_field_id,
                erp_field_key=key,
                crm_field_key=by_key[key].crm_field_key if setting.crm is None else setting.crm,
                sync_to_crm=setting.to_crm,
                sync_to_erp=setting.to_erp,
                show_in_gui=setting.gui,
                show_in_search=setting.search,
            )
            for key, setting in wanted.items()
        ]
        mappings.save_actor_type_mapping(hub, record.id, actor_type, True, changes)
    _map_lists_by_name(hub, record.id)
    if activate:
        reasons = activation.toggle_connection_active(hub, record.id)
        assert reasons == [], reasons
    return ConfiguredConnection(connector_id, record.id, record.guid)
