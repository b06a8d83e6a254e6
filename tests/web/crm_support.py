"""Preconditions of the CRM screens' tests, set up in Python (no clicking through other screens):
CRM records, ERP actors in the demo ERP, and an active connection whose scope is kari.

The ``test_crm_*`` modules import it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select

from erpsync.connectors.demo import DemoErpDatabase, database_path
from erpsync.crm import store
from erpsync.crm.catalogue import CrmActorType, CrmEntity
from erpsync.crm.journal import user_origin
from erpsync.crm.lists import list_items
from erpsync.hub import activation, connect
from erpsync.hub.connections import AccessEntry
from erpsync.hub.defaults import DefaultValueSettings, save_default_value
from erpsync.hub.models import ErpActorTypeMapping, ErpField, ErpLink
from erpsync.protocol import ErpActor
from tests.hub.fixtures_admin import DEFAULT_FIELDS, FieldMap, make_configured_connection
from tests.web.conftest import WebWorld, log_in_user

__all__ = [
    "activate",
    "company",
    "connection_for_kari",
    "country_id",
    "crm_values",
    "erp_actor",
    "erp_count",
    "erp_database",
    "erp_get",
    "link_of",
    "link_record",
    "open_erp_tab",
    "person",
    "set_default",
]

#: Customers and persons as a first set-up syncs them, plus a Show-in-ERP-tab field and a
#: Show-in-search column, so that the ERP tab and the search results have something to show.
CRM_FIELDS: Mapping[str, Mapping[str, FieldMap]] = {
    "Customer": {
        **DEFAULT_FIELDS["Customer"],
        "CURRENCY": FieldMap(to_crm=False, to_erp=False, gui=True),
        "CREDITSTOP": FieldMap(to_crm=False, to_erp=False, gui=True),
    },
    "Supplier": {"NAME": FieldMap()},
    "Person": {**DEFAULT_FIELDS["Person"], "PHONE_MOBILE": FieldMap(to_crm=False, to_erp=False, gui=True)},
}


def connection_for_kari(
    web: WebWorld, *, can_create: bool = True, activate_now: bool = True, name: str = "Demo ERP"
) -> int:
    """An active connection to the demo ERP whose scope is kari alone; its id."""
    configured = make_configured_connection(
        web.hub,
        web.erp.url,
        name=name,
        fields=CRM_FIELDS,
        all_access=False,
        access=[AccessEntry(user_id=web.user_id, can_connect=True, can_create_erp=can_create)],
        activate=activate_now,
    )
    return configured.connection_id


def activate(web: WebWorld, connection_id: int) -> None:
    reasons = activation.toggle_connection_active(web.hub, connection_id)
    assert reasons == [], reasons


def set_default(web: WebWorld, connection_id: int, actor_type: str, field_key: str, **settings: Any) -> None:
    """The administrator's default-value settings of one ERP field (connection inactive)."""
    with web.db() as session:
        field_id = session.scalar(
            select(ErpField.id)
            .join(ErpActorTypeMapping, ErpField.actor_type_mapping_id == ErpActorTypeMapping.id)
            .where(
                ErpActorTypeMapping.connection_id == connection_id,
                ErpActorTypeMapping.erp_actor_type == actor_type,
                ErpField.erp_field_key == field_key,
            )
        )
    assert field_id is not None
    save_default_value(web.hub, field_id, DefaultValueSettings(**settings))


def country_id(web: WebWorld, name: str) -> int:
    with web.db() as session:
        return next(item.id for item in list_items(session, "country") if item.name == name)


def company(web: WebWorld, **values: Any) -> int:
    with web.hub.session() as session:
        return store.create(session, CrmEntity.company, values, user_origin(web.admin_id))


def person(web: WebWorld, company_id: int, **values: Any) -> int:
    with web.hub.session() as session:
        return store.create(
            session, CrmEntity.person, {"company_id": company_id, **values}, user_origin(web.admin_id)
        )


@contextmanager
def erp_database(web: WebWorld) -> Iterator[DemoErpDatabase]:
    """The demo ERP's own database, to play an ERP user and to check what the ERP holds."""
    with DemoErpDatabase(database_path(web.erp.data_dir, web.erp.database)) as db:
        yield db


def erp_actor(
    web: WebWorld,
    actor_type: str,
    values: Mapping[str, str],
    parent_actor_type: str = "",
    parent_erp_key: str = "",
) -> str:
    """A new actor in the demo ERP; its ErpKey."""
    with erp_database(web) as db:
        return db.create_actor(actor_type, values, parent_actor_type, parent_erp_key).erp_key


def erp_get(web: WebWorld, actor_type: str, erp_key: str) -> ErpActor:
    with erp_database(web) as db:
        found = db.get_actor(actor_type, erp_key)
    assert found is not None
    return found


def erp_count(web: WebWorld, actor_type: str) -> int:
    with erp_database(web) as db:
        return db.count_actors().get(actor_type, 0)


def link_record(
    web: WebWorld,
    connection_id: int,
    crm_actor_type: CrmActorType,
    record_id: int,
    erp_type: str,
    erp_key: str,
) -> None:
    """Link a record to an actor as kari would, without exchanging values."""
    with web.db() as session:
        connect.create_actor_link(
            web.hub, session, web.user_id, connection_id, record_id, crm_actor_type, erp_key, erp_type
        )


def link_of(web: WebWorld, connection_id: int, entity: CrmEntity, record_id: int) -> ErpLink | None:
    with web.db() as session:
        return session.scalar(
            select(ErpLink).where(
                ErpLink.connection_id == connection_id,
                ErpLink.crm_entity == entity.value,
                ErpLink.crm_record_id == record_id,
            )
        )


def crm_values(web: WebWorld, entity: CrmEntity, record_id: int) -> Mapping[str, Any]:
    with web.db() as session:
        record = store.get(session, entity, record_id)
    assert record is not None
    return record.values


def open_erp_tab(page: Page, path: str, edit: bool = False) -> None:
    """Log in as kari and open a card's ERP tab (in Edit mode when asked) by clicking."""
    log_in_user(page, path)
    page.get_by_role("navigation", name="Card").get_by_role("link", name="ERP").click()
    expect(page.get_by_role("heading", name="ERP", exact=True)).to_be_visible()
    if edit:
        page.get_by_role("link", name="Edit").click()
        expect(page.get_by_role("link", name="Done")).to_be_visible()
