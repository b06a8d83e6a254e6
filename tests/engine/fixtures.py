"""A hub with demo ERP connections over real HTTP, for the sync engine's tests.

``engine_world`` serves one demo connector host (several demo databases behind it) and configures
connections through the administrator's services. Tests play ERP users on the demo databases
directly (``world.erp(name)``) and CRM users through ``crm.store`` with a user origin.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from erpsync.connectors.demo import DemoErpDatabase, database_path, seed_database
from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.journal import user_origin
from erpsync.crm.lists import list_items
from erpsync.engine.cycle import CycleReport, run_cycle
from erpsync.hub.models import ErpActorTypeMapping, ErpConnection, ErpLink, ErpSyncLog
from erpsync.hub.service import Hub
from erpsync.protocol import ErpActor
from tests.hub.fixtures_admin import (
    CONNECTOR_SECRET,
    ERP_PASSWORD,
    FieldMap,
    demo_config,
    demo_erp,
    make_configured_connection,
)

__all__ = ["ENGINE_FIELDS", "EngineWorld", "engine_world"]

USER = user_origin(1)

#: Directions chosen so that every kind of rule is exercised.
ENGINE_FIELDS: Mapping[str, Mapping[str, FieldMap]] = {
    "Customer": {
        "NAME": FieldMap(),
        "PHONE": FieldMap(),
        "EMAIL": FieldMap(to_crm=False, to_erp=True),
        "POSTALCITY": FieldMap(to_crm=True, to_erp=False),
        "COUNTRY": FieldMap(),
    },
    "Person": {
        "FIRSTNAME": FieldMap(),
        "LASTNAME": FieldMap(),
        "EMAIL": FieldMap(),
    },
}


@dataclass
class EngineWorld:
    hub: Hub
    connector_url: str
    connector_id: int
    data_dir: Path
    connections: dict[str, int] = field(default_factory=dict)
    _erps: dict[str, DemoErpDatabase] = field(default_factory=dict)

    # -- set-up ---------------------------------------------------------------------------------

    def add_connection(
        self,
        name: str,
        fields: Mapping[str, Mapping[str, FieldMap]] = ENGINE_FIELDS,
        auto_import: bool = True,
        **settings: Any,
    ) -> int:
        """A connection to its own demo database ``name``; auto-import on for its types."""
        seed_database(database_path(self.data_dir, name), 0, password=ERP_PASSWORD)
        configured = make_configured_connection(
            self.hub,
            self.connector_url,
            name=name,
            config=demo_config(database=name),
            fields=fields,
            connector_id=self.connector_id,
        )
        with self.hub.session() as session:
            session.execute(
                update(ErpActorTypeMapping)
                .where(ErpActorTypeMapping.connection_id == configured.connection_id)
                .values(auto_import=auto_import)
            )
            if settings:
                session.execute(
                    update(ErpConnection)
                    .where(ErpConnection.id == configured.connection_id)
                    .values(**settings)
                )
        self.connections[name] = configured.connection_id
        return configured.connection_id

    def set_connection(self, name: str, **values: Any) -> None:
        with self.hub.session() as session:
            session.execute(
                update(ErpConnection).where(ErpConnection.id == self.connections[name]).values(**values)
            )

    def erp(self, name: str) -> DemoErpDatabase:
        if name not in self._erps:
            self._erps[name] = DemoErpDatabase(database_path(self.data_dir, name), create=False)
        return self._erps[name]

    def actor(self, name: str, actor_type: str, erp_key: str) -> ErpActor:
        found = self.erp(name).get_actor(actor_type, erp_key)
        assert found is not None, f"{actor_type} {erp_key} is not in {name}"
        return found

    def close(self) -> None:
        for each in self._erps.values():
            each.close()

    # -- acting ---------------------------------------------------------------------------------

    def sync(self, name: str) -> CycleReport:
        report = run_cycle(self.hub, self.connections[name])
        return report

    def country(self, name: str) -> int:
        with self.hub.sessions() as session:
            return next(item.id for item in list_items(session, "country") if item.name == name)

    def crm_create(self, entity: CrmEntity, **values: Any) -> int:
        with self.hub.session() as session:
            return store.create(session, entity, values, USER)

    def crm_update(self, entity: CrmEntity, record_id: int, **values: Any) -> None:
        with self.hub.session() as session:
            store.update(session, entity, record_id, values, USER)

    def crm(self, entity: CrmEntity, record_id: int) -> store.Record:
        with self.hub.sessions() as session:
            record = store.get(session, entity, record_id)
        assert record is not None
        return record

    # -- looking ----------------------------------------------------------------------------------

    def link(self, name: str, actor_type: str, erp_key: str) -> ErpLink | None:
        with self.hub.sessions() as session:
            return session.scalar(
                select(ErpLink).where(
                    ErpLink.connection_id == self.connections[name],
                    ErpLink.erp_actor_type == actor_type,
                    ErpLink.erp_key == erp_key,
                )
            )

    def record_of(self, name: str, actor_type: str, erp_key: str) -> int:
        link = self.link(name, actor_type, erp_key)
        assert link is not None, f"{actor_type} {erp_key} is not linked in {name}"
        return link.crm_record_id

    def log(self, name: str | None = None, **where: Any) -> list[ErpSyncLog]:
        with self.hub.sessions() as session:
            query = select(ErpSyncLog).order_by(ErpSyncLog.id)
            if name is not None:
                query = query.where(ErpSyncLog.connection_id == self.connections[name])
            for key, value in where.items():
                query = query.where(getattr(ErpSyncLog, key) == value)
            return list(session.scalars(query))

    def session(self) -> Session:
        return self.hub.sessions()


@contextmanager
def engine_world(session_factory: sessionmaker[Session], tmp_path: Path) -> Iterator[EngineWorld]:
    from erpsync.hub import connectors

    hub = Hub.create(session_factory, tmp_path / "hub", connector_secret=CONNECTOR_SECRET)
    with ExitStack() as stack:
        erp = stack.enter_context(demo_erp(tmp_path / "erp-host", database="seed"))
        connector_id = connectors.save_connector(hub, 0, "Demo ERP connector", erp.url).id
        world = EngineWorld(hub, erp.url, connector_id, erp.data_dir)
        try:
            yield world
        finally:
            world.close()
            hub.close()
