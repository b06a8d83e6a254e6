"""Import from ERP (reference §2.11) against the demo ERP served over real HTTP: preview, each
duplicate action, persons under their company, what is refused, and the engine's entry point."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from erpsync.connectors.demo import DemoErpDatabase, database_path
from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import Base
from erpsync.crm.journal import connection_origin, journal_after, last_journal_seq, user_origin
from erpsync.crm.lists import delete_list_item, list_items
from erpsync.engine import importing
from erpsync.engine.import_plan import (
    DuplicateAction,
    FieldChange,
    FieldProblem,
    FieldRules,
    ImportRow,
    ImportSettings,
    Match,
    MatchField,
    RowAction,
    log_entries,
    plan_row,
    read_actor,
)
from erpsync.engine.importing import (
    MAX_KEYS,
    ImportSelection,
    apply_import,
    create_from_actors,
    import_actor_types,
    preview_import,
)
from erpsync.hub.engine_settings import change_engine_status
from erpsync.hub.errors import InvalidInput, NotFound, Refused
from erpsync.hub.field_values import mapped_fields
from erpsync.hub.links import link_of_actor
from erpsync.hub.models import (
    ErpActorTypeMapping,
    ErpConnection,
    ErpLink,
    ErpListItemMapping,
    ErpSyncLog,
)
from erpsync.hub.service import Hub
from erpsync.protocol import ErpActor, SearchRestriction
from tests.hub.fixtures_admin import CONNECTOR_SECRET, FieldMap, demo_erp, make_configured_connection

__all__ = ["ImportWorld", "import_world", "table_counts"]

#: What the import tests sync: Customer and Person, with the fields duplicates are matched by.
FIELDS: Mapping[str, Mapping[str, FieldMap]] = {
    "Customer": {
        "NAME": FieldMap(search=True),
        "DEPARTMENT": FieldMap(),
        "EMAIL": FieldMap(),
        "PHONE": FieldMap(),
        "POSTALCITY": FieldMap(),
        "COUNTRY": FieldMap(),
        "VATNO": FieldMap(),
        "CUSTOMERNO": FieldMap(crm="number", to_erp=False, search=True),
        "NUMBER2": FieldMap(crm="", to_crm=False, to_erp=False),
    },
    "Person": {
        "FIRSTNAME": FieldMap(),
        "LASTNAME": FieldMap(),
        "EMAIL": FieldMap(),
        "PHONE_MOBILE": FieldMap(),
    },
}


@dataclass
class ImportWorld:
    """A hub with an active connection to a demo ERP (``erp`` is that ERP's own database)."""

    hub: Hub
    erp: DemoErpDatabase
    connection_id: int
    connector_url: str
    #: CRM country items by name.
    countries: dict[str, int]

    def session(self) -> Session:
        return self.hub.sessions()

    def customer(self, name: str, **values: str) -> str:
        return self.erp.create_actor("Customer", {"NAME": name, **values}).erp_key

    def person(self, company_key: str, first: str, last: str, **values: str) -> str:
        actor = self.erp.create_actor(
            "Person",
            {"FIRSTNAME": first, "LASTNAME": last, **values},
            parent_actor_type="Customer",
            parent_erp_key=company_key,
        )
        return actor.erp_key

    def select(self, actor_type: str = "Customer", *keys: str, **more: Any) -> ImportSelection:
        return ImportSelection(self.connection_id, actor_type, erp_keys=tuple(keys), **more)


@contextmanager
def import_world(hub: Hub, data_dir: Path) -> Iterator[ImportWorld]:
    with demo_erp(data_dir / "erp-host") as served:
        configured = make_configured_connection(hub, served.url, fields=FIELDS)
        with hub.session() as session:
            countries = {item.name: item.id for item in list_items(session, "country")}
        with DemoErpDatabase(database_path(served.data_dir, served.database)) as erp:
            yield ImportWorld(hub, erp, configured.connection_id, served.url, countries)


def table_counts(session: Session) -> dict[str, int]:
    """Rows in every table."""
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], tmp_path: Path, fast_password_hashing: None
) -> Iterator[ImportWorld]:
    hub = Hub.create(session_factory, tmp_path / "hub", connector_secret=CONNECTOR_SECRET)
    try:
        with import_world(hub, tmp_path) as built:
            yield built
    finally:
        hub.close()


# --- helpers ---------------------------------------------------------------------------------------


def _company(world: ImportWorld, values: Mapping[str, Any]) -> int:
    with world.hub.session() as session:
        return store.create(session, CrmEntity.company, values, user_origin(1))


def _record(world: ImportWorld, entity: CrmEntity, record_id: int) -> store.Record:
    with world.session() as session:
        record = store.get(session, entity, record_id)
    assert record is not None
    return record


def _link(world: ImportWorld, erp_key: str, actor_type: str = "Customer") -> ErpLink:
    with world.session() as session:
        link = link_of_actor(session, world.connection_id, actor_type, erp_key)
    assert link is not None
    return link


def _log(world: ImportWorld, **where: Any) -> list[ErpSyncLog]:
    with world.session() as session:
        query = select(ErpSyncLog).order_by(ErpSyncLog.id)
        for column, value in where.items():
            query = query.where(getattr(ErpSyncLog, column) == value)
        return list(session.scalars(query))


def _counts(world: ImportWorld) -> dict[str, int]:
    with world.session() as session:
        return table_counts(session)


def _settings(match: MatchField, action: DuplicateAction, **more: Any) -> ImportSettings:
    return ImportSettings(match=match, action=action, **more)


# --- choosing what to import -----------------------------------------------------------------------


def test_the_actor_types_offered_are_active_mappings_with_searchable_fields(world: ImportWorld) -> None:
    offered = {choice.erp_actor_type: choice for choice in import_actor_types(world.hub, world.connection_id)}
    assert sorted(offered) == ["Customer", "Person"]
    assert offered["Customer"].crm_actor_type == "Contact"
    assert MatchField.vat_no in offered["Customer"].match_fields
    assert MatchField.mobile in offered["Person"].match_fields
    assert MatchField.vat_no not in offered["Person"].match_fields
    assert "NAME" in offered["Customer"].searchable_fields
    with pytest.raises(NotFound):
        import_actor_types(world.hub, 9999)


def test_preview_shows_each_row_and_writes_nothing(world: ImportWorld) -> None:
    existing = _company(world, {"name": "Fjord Fish AS", "phone": "+47 55 00 00 00"})
    fresh = world.customer("Nordic Tools AS", EMAIL="post@nordic.test", COUNTRY="NO")
    duplicate = world.customer("Fjord Fish AS", PHONE="+47 55 11 11 11", EMAIL="fish@fjord.test")
    unchanged = world.customer("Same AS", EMAIL="same@same.test")
    twin = world.erp.get_actor("Customer", unchanged)
    assert twin is not None
    same = _company(
        world,
        {
            "name": "Same AS",
            "email": "same@same.test",
            "number": twin.field_values["CUSTOMERNO"],
            "country": world.countries["Norway"],  # the demo ERP's default country
        },
    )
    before = _counts(world)
    plan = preview_import(
        world.hub,
        world.select("Customer", fresh, duplicate, unchanged, "404404"),
        _settings(MatchField.name, DuplicateAction.merge),
    )
    assert _counts(world) == before
    rows = {row.erp_key: row for row in plan.rows}
    assert rows[fresh].action is RowAction.new
    assert rows[fresh].display_name == "Nordic Tools AS"
    assert {(c.crm_field_key, c.old_value, c.new_value) for c in rows[fresh].changes} >= {
        ("name", "", "Nordic Tools AS"),
        ("country", "", "Norway"),
    }
    assert (rows[duplicate].action, rows[duplicate].crm_record_id) == (RowAction.update, existing)
    # Merge fills the empty fields and keeps the CRM's phone.
    assert {c.crm_field_key for c in rows[duplicate].changes} == {"email", "number", "country"}
    assert (rows[unchanged].action, rows[unchanged].crm_record_id) == (RowAction.no_change, same)
    assert (rows["404404"].action, rows["404404"].reason) == (RowAction.error, "not found in the ERP")
    assert plan.counts[RowAction.new] == 1
    assert plan.counts[RowAction.error] == 1
    assert not plan.more
    limited = preview_import(world.hub, world.select("Customer", fresh, duplicate), limit=1)
    assert (len(limited.rows), limited.more, sum(limited.counts.values())) == (1, True, 2)


# --- the duplicate actions -------------------------------------------------------------------------


def test_add_always_creates_records_links_and_logs(world: ImportWorld) -> None:
    existing = _company(world, {"name": "Fjord Fish AS"})
    key = world.customer("Fjord Fish AS", EMAIL="fish@fjord.test", COUNTRY="SE", PHONE="+47 1")
    actor = world.erp.get_actor("Customer", key)
    assert actor is not None
    with world.session() as session:
        journal_start = last_journal_seq(session)
    result = apply_import(
        world.hub, world.select("Customer", key), _settings(MatchField.name, DuplicateAction.add)
    )
    [created] = result.created
    assert created != existing
    assert (result.updated, result.unchanged, result.skipped, result.errors) == ([], [], {}, {})
    record = _record(world, CrmEntity.company, created)
    assert record["name"] == "Fjord Fish AS"
    assert record["email"] == "fish@fjord.test"
    assert record["country"] == world.countries["Sweden"]
    assert record["number"] == actor.field_values["CUSTOMERNO"]
    link = _link(world, key)
    assert (link.crm_entity, link.crm_record_id, link.last_modified) == (
        "company",
        created,
        actor.last_modified,
    )
    assert link.base_values == {
        "NAME": "Fjord Fish AS",
        "DEPARTMENT": "",
        "EMAIL": "fish@fjord.test",
        "PHONE": "+47 1",
        "POSTALCITY": "",
        "COUNTRY": "SE",
        "VATNO": "",
        "CUSTOMERNO": actor.field_values["CUSTOMERNO"],
    }
    with world.session() as session:
        journal = journal_after(session, journal_start)
    assert [(e.record_id, e.origin) for e in journal] == [(created, connection_origin(world.connection_id))]
    [linked] = _log(world, kind="link")
    assert (linked.source, linked.crm_record_id, linked.erp_key) == ("import", created, key)
    changes = {
        (r.crm_field_key, r.old_value, r.new_value, r.target_is_crm) for r in _log(world, kind="change")
    }
    assert ("country", "", "Sweden", True) in changes
    assert ("name", "", "Fjord Fish AS", True) in changes
    assert {r.source for r in _log(world)} == {"import"}


def test_merge_fills_only_empty_fields_and_keeps_the_crm_value_as_base(world: ImportWorld) -> None:
    existing = _company(world, {"name": "Fjord Fish AS", "phone": "+47 55 00 00 00"})
    key = world.customer("Fjord Fish AS", PHONE="+47 55 11 11 11", EMAIL="fish@fjord.test")
    result = apply_import(
        world.hub, world.select("Customer", key), _settings(MatchField.name, DuplicateAction.merge)
    )
    assert result.updated == [existing]
    record = _record(world, CrmEntity.company, existing)
    assert (record["phone"], record["email"]) == ("+47 55 00 00 00", "fish@fjord.test")
    base = _link(world, key).base_values
    assert base["PHONE"] == "+47 55 00 00 00"  # the CRM kept its own value: that is the base
    assert base["EMAIL"] == "fish@fjord.test"
    changes = {(r.crm_field_key, r.old_value, r.new_value) for r in _log(world, kind="change")}
    assert ("email", "", "fish@fjord.test") in changes
    assert "phone" not in {r.crm_field_key for r in _log(world, kind="change")}


def test_replace_overwrites_mapped_fields(world: ImportWorld) -> None:
    existing = _company(
        world,
        {
            "name": "Fjord Fish AS",
            "phone": "+47 55 00 00 00",
            "web_site": "https://fish.test",
            "country": None,
        },
    )
    key = world.customer("Fjord Fish AS", PHONE="+47 55 11 11 11", COUNTRY="NO")
    result = apply_import(
        world.hub, world.select("Customer", key), _settings(MatchField.name, DuplicateAction.overwrite)
    )
    assert result.updated == [existing]
    record = _record(world, CrmEntity.company, existing)
    assert record["phone"] == "+47 55 11 11 11"
    assert record["country"] == world.countries["Norway"]
    assert record["web_site"] == "https://fish.test"  # not a mapped field
    base = _link(world, key).base_values
    assert (base["PHONE"], base["COUNTRY"]) == ("+47 55 11 11 11", "NO")


def test_skip_leaves_duplicates_alone_and_imports_the_rest(world: ImportWorld) -> None:
    existing = _company(world, {"name": "Fjord Fish AS", "phone": "+47 55 00 00 00"})
    duplicate = world.customer("Fjord Fish AS", PHONE="+47 55 11 11 11")
    fresh = world.customer("Nordic Tools AS")
    result = apply_import(
        world.hub,
        world.select("Customer", duplicate, fresh),
        _settings(MatchField.name, DuplicateAction.skip),
    )
    assert result.skipped == {duplicate: f"duplicate of company {existing}"}
    assert len(result.created) == 1
    assert _record(world, CrmEntity.company, existing)["phone"] == "+47 55 00 00 00"
    with world.session() as session:
        assert link_of_actor(session, world.connection_id, "Customer", duplicate) is None


def test_duplicates_by_vat_number_code_and_record_id(world: ImportWorld) -> None:
    by_vat = _company(world, {"name": "Old name AS", "vat_no": "NO 999"})
    by_id = _company(world, {"name": "Id AS"})
    vat_key = world.customer("New name AS", VATNO="NO 999")
    id_key = world.customer("Other name AS", NUMBER2=str(by_id))
    vat = apply_import(
        world.hub, world.select("Customer", vat_key), _settings(MatchField.vat_no, DuplicateAction.overwrite)
    )
    assert vat.updated == [by_vat]
    assert _record(world, CrmEntity.company, by_vat)["name"] == "New name AS"
    by_record = apply_import(
        world.hub,
        world.select("Customer", id_key),
        _settings(MatchField.id, DuplicateAction.merge, id_field="NUMBER2"),
    )
    assert by_record.updated == [by_id]
    assert _record(world, CrmEntity.company, by_id)["name"] == "Id AS"  # merge: the name was not empty


def test_a_duplicate_linked_to_another_actor_is_an_error_and_untouched(world: ImportWorld) -> None:
    existing = _company(world, {"name": "Fjord Fish AS"})
    first = world.customer("Fjord Fish AS", EMAIL="first@fjord.test")
    second = world.customer("Fjord Fish AS", EMAIL="second@fjord.test")
    result = apply_import(
        world.hub, world.select("Customer", first, second), _settings(MatchField.name, DuplicateAction.merge)
    )
    assert result.updated == [existing]
    assert second in result.errors
    assert _record(world, CrmEntity.company, existing)["email"] == "first@fjord.test"
    again = world.customer("Fjord Fish AS", EMAIL="third@fjord.test")
    later = apply_import(
        world.hub, world.select("Customer", again), _settings(MatchField.name, DuplicateAction.overwrite)
    )
    assert "already linked to Customer" in later.errors[again]
    assert _record(world, CrmEntity.company, existing)["email"] == "first@fjord.test"


def test_two_new_actors_with_one_match_key_make_one_record(world: ImportWorld) -> None:
    first = world.customer("Twin AS")
    second = world.customer("Twin AS")
    plan = preview_import(world.hub, world.select("Customer", first, second))
    assert [row.action for row in plan.rows] == [RowAction.new, RowAction.error]
    result = apply_import(world.hub, world.select("Customer", first, second))
    assert len(result.created) == 1
    assert "which is new" in result.errors[second]
    added = apply_import(
        world.hub, world.select("Customer", second), _settings(MatchField.name, DuplicateAction.add)
    )
    assert len(added.created) == 1  # add: no duplicate check


def test_an_already_linked_actor_is_skipped(world: ImportWorld) -> None:
    key = world.customer("Nordic Tools AS")
    first = apply_import(world.hub, world.select("Customer", key))
    assert len(first.created) == 1
    before = _counts(world)
    again = apply_import(world.hub, world.select("Customer", key))
    assert again.skipped == {key: "already linked"}
    assert again.created == []
    assert _counts(world) == before


# --- persons ---------------------------------------------------------------------------------------


def test_persons_are_imported_under_their_linked_company_only(world: ImportWorld) -> None:
    linked = world.customer("Nordic Tools AS")
    unlinked = world.customer("Fjord Fish AS")
    kari = world.person(linked, "Kari", "Nordmann", EMAIL="kari@nordic.test", PHONE_MOBILE="+47 900")
    per = world.person(unlinked, "Per", "Hansen")
    [company] = apply_import(world.hub, world.select("Customer", linked)).created
    result = apply_import(world.hub, world.select("Person", kari, per))
    assert result.skipped == {per: "company not linked"}
    [person] = result.created
    record = _record(world, CrmEntity.person, person)
    assert (record["company_id"], record["first_name"], record["phone_mobile"]) == (
        company,
        "Kari",
        "+47 900",
    )
    assert _link(world, kari, "Person").crm_record_id == person


def test_persons_match_duplicates_within_their_company(world: ImportWorld) -> None:
    key = world.customer("Nordic Tools AS")
    [company] = apply_import(world.hub, world.select("Customer", key)).created
    other = _company(world, {"name": "Elsewhere AS"})
    with world.hub.session() as session:
        mine = store.create(
            session,
            CrmEntity.person,
            {"company_id": company, "first_name": "Kari", "last_name": "Nordmann"},
            user_origin(1),
        )
        store.create(session, CrmEntity.person, {"company_id": other, "email": "per@x.test"}, user_origin(1))
    kari = world.person(key, "Kari", "Nordmann", EMAIL="kari@nordic.test")
    per = world.person(key, "Per", "Hansen", EMAIL="per@x.test")
    by_name = apply_import(
        world.hub, world.select("Person", kari), _settings(MatchField.name, DuplicateAction.merge)
    )
    assert by_name.updated == [mine]
    assert _record(world, CrmEntity.person, mine)["email"] == "kari@nordic.test"
    by_mail = apply_import(
        world.hub, world.select("Person", per), _settings(MatchField.email, DuplicateAction.merge)
    )
    assert len(by_mail.created) == 1  # the person with that e-mail is in another company


# --- refused ---------------------------------------------------------------------------------------


def test_import_is_refused_while_automatic_sync_is_on(world: ImportWorld) -> None:
    key = world.customer("Nordic Tools AS")
    change_engine_status(world.hub, True)
    before = _counts(world)
    with pytest.raises(Refused):
        apply_import(world.hub, world.select("Customer", key))
    assert _counts(world) == before
    assert preview_import(world.hub, world.select("Customer", key)).counts[RowAction.new] == 1
    change_engine_status(world.hub, False)
    assert len(apply_import(world.hub, world.select("Customer", key)).created) == 1


def test_bad_input_is_refused_and_changes_nothing(world: ImportWorld) -> None:
    key = world.customer("Nordic Tools AS")
    before = _counts(world)
    with pytest.raises(NotFound):
        apply_import(world.hub, ImportSelection(9999, "Customer", erp_keys=(key,)))
    with pytest.raises(NotFound):
        apply_import(world.hub, world.select("Project", "1"))  # not mapped
    with pytest.raises(InvalidInput) as bad_match:
        apply_import(world.hub, world.select("Customer", key), ImportSettings(match="shoe_size"))  # type: ignore[arg-type]
    assert "Match" in bad_match.value.errors
    with pytest.raises(InvalidInput) as bad_action:
        apply_import(world.hub, world.select("Customer", key), ImportSettings(action="burn"))  # type: ignore[arg-type]
    assert "Action" in bad_action.value.errors
    with pytest.raises(InvalidInput):
        apply_import(
            world.hub, world.select("Customer", key), _settings(MatchField.email, DuplicateAction.merge)
        )
    with pytest.raises(InvalidInput):
        apply_import(
            world.hub, world.select("Customer", key), _settings(MatchField.id, DuplicateAction.merge)
        )
    with pytest.raises(InvalidInput):
        apply_import(world.hub, world.select("Customer", *(str(n) for n in range(MAX_KEYS + 1))))
    with pytest.raises(InvalidInput):
        apply_import(world.hub, world.select("Customer"))  # nothing chosen
    with pytest.raises(InvalidInput):
        apply_import(world.hub, world.select("Customer", key, all_actors=True))  # two ways at once
    restriction = SearchRestriction(field_key="NOSUCHFIELD", operator="=", values=["x"])
    with pytest.raises(InvalidInput):
        apply_import(world.hub, world.select("Customer", restrictions=(restriction,)))
    assert _counts(world) == before


# --- values the CRM cannot take --------------------------------------------------------------------


def test_a_bad_value_skips_only_that_field(world: ImportWorld) -> None:
    with world.hub.session() as session:  # the ERP's "SE" has no CRM counterpart any more
        session.execute(delete(ErpListItemMapping).where(ErpListItemMapping.erp_item_key == "SE"))
    key = world.customer("Svenska Verktyg AB", COUNTRY="SE", EMAIL="info@verktyg.test")
    result = apply_import(world.hub, world.select("Customer", key))
    [created] = result.created
    assert result.warnings == 1
    record = _record(world, CrmEntity.company, created)
    assert (record["name"], record["email"], record["country"]) == (
        "Svenska Verktyg AB",
        "info@verktyg.test",
        None,
    )
    [warning] = _log(world, kind="warning")
    assert (warning.erp_field_key, warning.source) == ("COUNTRY", "import")
    assert "'SE'" in warning.message
    # The CRM holds no country: that is the base, so the engine tries the ERP's value again later.
    assert _link(world, key).base_values["COUNTRY"] == ""


def test_unreadable_and_too_long_values_become_field_problems(world: ImportWorld) -> None:
    with world.session() as session:
        mapping = session.scalar(
            select(ErpActorTypeMapping).where(
                ErpActorTypeMapping.connection_id == world.connection_id,
                ErpActorTypeMapping.erp_actor_type == "Customer",
            )
        )
        assert mapping is not None
        fields = mapped_fields(session, mapping)
    rules = FieldRules(CrmEntity.company, tuple(fields), frozenset(world.countries.values()))
    actor = ErpActor(
        actor_type="Customer",
        erp_key="1",
        field_values={"NAME": "Acme", "EMAIL": "x" * 300, "COUNTRY": "ZZ", "PHONE": "+47"},
    )
    read = read_actor(rules, actor)
    assert read.values == {"name": "Acme", "phone": "+47"}
    assert {p.erp_field_key for p in read.problems} == {"EMAIL", "COUNTRY"}


def test_a_row_the_crm_refuses_fails_alone(world: ImportWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    with world.hub.session() as session:
        delete_list_item(session, world.countries["Norway"])
    rules = importing._rules  # as if the item had been deleted after the import read the lists
    monkeypatch.setattr(
        importing, "_rules", lambda *a: replace(rules(*a), usable_items=frozenset(world.countries.values()))
    )
    norwegian = world.customer("Nordic Tools AS", COUNTRY="NO")
    swedish = world.customer("Svenska AB", COUNTRY="SE")
    result = apply_import(world.hub, world.select("Customer", norwegian, swedish))
    assert len(result.created) == 1
    assert "the CRM refused country" in result.errors[norwegian]
    assert _link(world, swedish).crm_record_id == result.created[0]


def test_log_rows_are_log_entries_in_field_order() -> None:
    row = ImportRow(
        "7",
        "Acme",
        RowAction.new,
        changes=(FieldChange("name", "NAME", "Name", "", "Acme"),),
        warnings=(FieldProblem("COUNTRY", "country", "Country: no mapping"),),
    )
    link, change, warning = log_entries(row, 12, 3, CrmEntity.company, "Customer", "import")
    assert (link.kind, link.connection_id, link.crm_record_id, link.erp_key, link.source) == (
        "link",
        3,
        12,
        "7",
        "import",
    )
    assert (change.kind, change.crm_field_key, change.new_value, change.target_is_crm) == (
        "change",
        "name",
        "Acme",
        True,
    )
    assert (warning.kind, warning.erp_field_key, warning.message) == (
        "warning",
        "COUNTRY",
        "Country: no mapping",
    )


def test_an_actor_without_a_value_the_crm_requires_is_an_error(world: ImportWorld) -> None:
    with world.session() as session:
        mapping = session.scalar(
            select(ErpActorTypeMapping).where(
                ErpActorTypeMapping.connection_id == world.connection_id,
                ErpActorTypeMapping.erp_actor_type == "Customer",
            )
        )
        assert mapping is not None
        rules = FieldRules(CrmEntity.company, tuple(mapped_fields(session, mapping)))
    nameless = read_actor(rules, ErpActor(actor_type="Customer", erp_key="7", field_values={"NAME": ""}))
    row = plan_row(ImportSettings(), rules, nameless, Match())
    assert (row.action, row.display_name) == (RowAction.error, "7")
    assert "Name is empty" in row.reason


# --- selections ------------------------------------------------------------------------------------


def test_all_actors_through_the_paged_feed_and_left_out_keys(world: ImportWorld) -> None:
    keys = [world.customer(f"Company {n:03d}") for n in range(7)]
    with world.session() as session:
        connection = session.get(ErpConnection, world.connection_id)
        assert connection is not None
        assert "PagedTimestampFeed" in connection.capabilities
    progress: list[int] = []
    result = apply_import(
        world.hub,
        ImportSelection(world.connection_id, "Customer", all_actors=True),
        excluded_keys=[keys[0]],
        progress=lambda p: progress.append(p.done),
    )
    assert len(result.created) == 6
    assert result.skipped == {keys[0]: "left out"}
    assert progress[-1:] == [7]


def test_many_actors_over_several_pages(world: ImportWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """Enough rows for the bulk paths (COPY on PostgreSQL), over pages fetched ahead."""
    monkeypatch.setattr(importing, "PAGE_SIZE", 100)
    actors = [
        ErpActor(actor_type="Customer", field_values={"NAME": f"Company {n:03d}", "EMAIL": f"{n}@x.test"})
        for n in range(250)
    ]
    created = world.erp.create_actors(actors)
    assert all(isinstance(actor, ErpActor) for actor in created)
    result = apply_import(world.hub, ImportSelection(world.connection_id, "Customer", all_actors=True))
    assert (len(result.created), result.errors) == (250, {})
    with world.session() as session:
        assert session.scalar(select(func.count()).select_from(ErpLink)) == 250
        names = {
            r.values["name"] for r in store.get_many(session, CrmEntity.company, result.created).values()
        }
    assert len(names) == 250
    assert len(_log(world, kind="link")) == 250
    assert len(_log(world, kind="change")) >= 250 * 3  # name, e-mail, number, country (a default)


def test_restrictions_run_the_advanced_search(world: ImportWorld) -> None:
    wanted = world.customer("Nordic Tools AS")
    world.customer("Fjord Fish AS")
    restriction = SearchRestriction(field_key="NAME", operator="begins", values=["Nordic"])
    result = apply_import(world.hub, world.select("Customer", restrictions=(restriction,)))
    assert len(result.created) == 1
    assert _link(world, wanted).crm_record_id == result.created[0]


# --- the engine's entry point ----------------------------------------------------------------------


def test_create_from_actors_creates_records_and_links_in_the_callers_transaction(world: ImportWorld) -> None:
    company = world.customer("Nordic Tools AS", COUNTRY="NO")
    orphan_parent = world.customer("Fjord Fish AS")
    kari = world.person(company, "Kari", "Nordmann")
    lone = world.person(orphan_parent, "Lone", "Some")
    with world.hub.session() as session:
        connection = session.get(ErpConnection, world.connection_id)
        assert connection is not None
        mappings = {
            m.erp_actor_type: m
            for m in session.scalars(
                select(ErpActorTypeMapping).where(ErpActorTypeMapping.connection_id == connection.id)
            )
        }
        customers = [world.erp.get_actor("Customer", company)]
        made = create_from_actors(
            session,
            connection,
            mappings["Customer"],
            mapped_fields(session, mappings["Customer"]),
            customers,  # type: ignore[arg-type]
        )
        assert [link.erp_key for link in made.links] == [company]
        assert made.skipped == []
        assert {entry.kind for entry in made.log} >= {"link", "change"}
        persons = [world.erp.get_actor("Person", kari), world.erp.get_actor("Person", lone)]
        made_persons = create_from_actors(
            session,
            connection,
            mappings["Person"],
            mapped_fields(session, mappings["Person"]),
            persons,  # type: ignore[arg-type]
        )
        assert [link.erp_key for link in made_persons.links] == [kari]
        assert made_persons.skipped == [(lone, "company not linked")]
    person_link = _link(world, kari, "Person")
    assert (
        _record(world, CrmEntity.person, person_link.crm_record_id)["company_id"]
        == _link(world, company).crm_record_id
    )
    assert _log(world) == []  # the caller writes the log
