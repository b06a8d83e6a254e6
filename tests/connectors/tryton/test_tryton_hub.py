"""End to end through the hub against a real trytond: register the Tryton connector, define and
test the connection, map fields and lists, import 200 parties, sync both ways, resolve a conflict,
and create a customer from the CRM with a default and a prompted value."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from erpsync.connectors.tryton import TrytonConnector
from erpsync.crm import store, users
from erpsync.crm.catalogue import CrmActorType, CrmEntity
from erpsync.crm.db import Base, make_engine, make_session_factory
from erpsync.crm.journal import user_origin
from erpsync.crm.lists import list_items
from erpsync.engine.cycle import run_cycle
from erpsync.engine.import_plan import ImportSettings
from erpsync.engine.importing import ImportSelection, apply_import
from erpsync.hub import activation, connectors, create, mappings
from erpsync.hub.defaults import DefaultValueSettings, save_default_value
from erpsync.hub.links import link_of_actor
from erpsync.hub.models import ErpSyncLog
from erpsync.hub.service import Hub
from erpsync.sdk.host import ConnectorHost
from tests.helpers import run_asgi_server
from tests.hub.fixtures_admin import CONNECTOR_SECRET, FieldMap, make_configured_connection

from .server import Rpc, TrytonServer

FIELDS: Mapping[str, Mapping[str, FieldMap]] = {
    "Customer": {
        "NAME": FieldMap(search=True),
        "NUMBER1": FieldMap(to_erp=False),
        "PHONE": FieldMap(),
        "EMAIL": FieldMap(),
        "POSTALCITY": FieldMap(),
        "COUNTRY": FieldMap(),
    },
}
COUNTRIES = ("NO", "SE", "DK", "DE")


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    import erpsync.crm.models
    import erpsync.hub.models  # noqa: F401 - registers the tables

    engine = make_engine(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The Tryton connector over HTTP, as ``erpsync connector serve`` runs it."""
    host = ConnectorHost(
        tmp_path / "host",
        [TrytonConnector],
        secrets=[CONNECTOR_SECRET.encode()],
        encryption_key=Fernet.generate_key(),
    )
    try:
        with run_asgi_server(host.app) as base:
            yield f"{base}/connectors/tryton"
    finally:
        connector = host.connectors["tryton"]
        assert isinstance(connector, TrytonConnector)
        connector.close()


def _seed(rpc: Rpc, count: int) -> list[int]:
    """``count`` customers in one call, each with a phone, an e-mail and an address."""
    [customer] = rpc.model("party.category", "search", [("name", "=", "Customer")], 0, None, None, {})
    rows = rpc.model("country.country", "search_read", [], 0, None, None, ["code"], {})
    countries = {row["code"]: row["id"] for row in rows}
    values: list[dict[str, Any]] = [
        {
            "name": f"Hub Customer {n:03d}",
            "categories": [("add", [customer])],
            "contact_mechanisms": [
                (
                    "create",
                    [
                        {"type": "phone", "value": f"+47 {22000000 + n}"},
                        {"type": "email", "value": f"post@c{n}.test"},
                    ],
                )
            ],
            "addresses": [
                ("create", [{"city": "Oslo", "country": countries[COUNTRIES[n % len(COUNTRIES)]]}])
            ],
        }
        for n in range(count)
    ]
    ids: list[int] = rpc.model("party.party", "create", values, {})
    return ids


def _party(rpc: Rpc, party_id: int, *fields: str) -> dict[str, Any]:
    [row] = rpc.model("party.party", "read", [party_id], list(fields), {"company": 1})
    return dict(row)


def _phone_mechanism(rpc: Rpc, party_id: int) -> int:
    [mechanism] = rpc.model(
        "party.contact_mechanism",
        "search",
        [("party", "=", party_id), ("type", "=", "phone")],
        0,
        None,
        None,
        {},
    )
    return int(mechanism)


def test_tryton_through_the_hub(
    sessions: sessionmaker[Session], tmp_path: Path, served: str, tryton: TrytonServer
) -> None:
    rpc = tryton.rpc()
    hub = Hub.create(sessions, tmp_path / "hub", connector_secret=CONNECTOR_SECRET)
    try:
        ids = _seed(rpc, 200)
        # -- the administrator: connector, connection (tested), mappings, lists, defaults, activation
        connector_id = connectors.save_connector(hub, 0, "Tryton", served).id
        configured = make_configured_connection(
            hub,
            served,
            name="Tryton",
            config=tryton.config(),
            fields=FIELDS,
            connector_id=connector_id,
            activate=False,
        )
        connection = configured.connection_id
        view = mappings.actor_type_mapping(hub, connection, "Customer")
        field_id = {f.erp_field_key: f.erp_field_id for f in view.fields}
        assert {"NAME", "NUMBER1", "VATNO", "PAYMENTTERMS", "CATEGORY"} <= set(field_id)
        save_default_value(hub, field_id["PAYMENTTERMS"], DefaultValueSettings(True, "4"))  # Net 30 days
        save_default_value(hub, field_id["LANGUAGE"], DefaultValueSettings(prompt_user=True))
        assert activation.toggle_connection_active(hub, connection) == []

        # -- import the 200 parties into the CRM
        result = apply_import(hub, ImportSelection(connection, "Customer", all_actors=True), ImportSettings())
        assert len(result.created) >= 200
        assert not result.errors
        with hub.sessions() as session:
            link = link_of_actor(session, connection, "Customer", str(ids[7]))
            assert link is not None
            record = store.get(session, CrmEntity.company, link.crm_record_id)
            country = {i.name: i.id for i in list_items(session, "country")}
        norway = country["Norway"]
        assert record is not None
        assert (record["name"], record["phone"], record["postal_city"]) == (
            "Hub Customer 007",
            "+47 22000007",
            "Oslo",
        )
        assert record["code"] == _party(rpc, ids[7], "code")["code"]
        assert record["country"] == country["Germany"]  # COUNTRIES[7 % 4]
        crm_id = link.crm_record_id

        # -- an edit in the CRM reaches Tryton
        with hub.session() as session:
            store.update(
                session,
                CrmEntity.company,
                crm_id,
                {"email": "new@c7.test", "country": norway},
                user_origin(1),
            )
        assert run_cycle(hub, connection).ok
        mechanisms = rpc.model(
            "party.contact_mechanism",
            "search_read",
            [("party", "=", ids[7])],
            0,
            None,
            None,
            ["type", "value"],
            {},
        )
        assert {"type": "email", "value": "new@c7.test"} in [
            {k: m[k] for k in ("type", "value")} for m in mechanisms
        ]
        [address] = rpc.model(
            "party.address", "search_read", [("party", "=", ids[7])], 0, None, None, ["country.code"], {}
        )
        assert address["country."]["code"] == "NO"

        # -- an edit in Tryton reaches the CRM
        rpc.model("party.party", "write", [ids[7]], {"name": "Hub Customer Seven AS"}, {})
        assert run_cycle(hub, connection).ok
        with hub.sessions() as session:
            assert store.get(session, CrmEntity.company, crm_id)["name"] == "Hub Customer Seven AS"  # type: ignore[index]

        # -- both sides change the phone: the newest change (Tryton's, made last) wins; the loser is logged
        with hub.session() as session:
            store.update(session, CrmEntity.company, crm_id, {"phone": "+47 111"}, user_origin(1))
        rpc.model(
            "party.contact_mechanism", "write", [_phone_mechanism(rpc, ids[7])], {"value": "+47 222"}, {}
        )
        assert run_cycle(hub, connection).ok
        with hub.sessions() as session:
            assert store.get(session, CrmEntity.company, crm_id)["phone"] == "+47 222"  # type: ignore[index]
            conflicts = session.scalars(
                select(ErpSyncLog).where(ErpSyncLog.kind == "conflict", ErpSyncLog.crm_record_id == crm_id)
            ).all()
        assert [c.erp_field_key for c in conflicts] == ["PHONE"]
        assert "+47 111" in (conflicts[0].old_value, conflicts[0].new_value)  # the CRM's losing value

        # -- a new customer made in the CRM is created in Tryton with the default and the prompted value
        with hub.session() as session:
            seller = users.create_user(session, "seller", "seller-password-1").id
            fresh = store.create(
                session,
                CrmEntity.company,
                {"name": "Brand New AS", "phone": "+47 999", "country": norway},
                user_origin(seller),
            )
        with hub.sessions() as session:
            outcome = create.create_erp_actor_from_crm(
                hub, session, seller, connection, fresh, "Customer", CrmActorType.Contact, {"LANGUAGE": "fr"}
            )
        party_id = int(outcome.actor.erp_key)
        party = _party(rpc, party_id, "name", "customer_payment_term", "lang.code", "categories", "code")
        assert party["name"] == "Brand New AS"
        assert party["customer_payment_term"] == 4
        assert party["lang."]["code"] == "fr"
        with hub.sessions() as session:
            created = store.get(session, CrmEntity.company, fresh)
        assert created is not None
        assert created["code"] == party["code"]  # the code Tryton assigned came back into the CRM
    finally:
        hub.close()
        rpc.close()
