from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from erpsync.crm import store
from erpsync.crm.errors import CrmConflict, CrmValidationError, RecordNotFound
from erpsync.crm.journal import JournalOperation, connection_origin, user_origin
from erpsync.crm.models import Company, JournalRow


def _journal(session: Session) -> list[store.JournalEntry]:
    return store.journal_after(session, 0, limit=100_000)


def _country(session: Session, name: str = "Norway") -> int:
    return store.add_list_item(session, "country", name).id


def test_create_and_get_every_kind(session: Session) -> None:
    norway = _country(session)
    company_id = store.create(
        session,
        "company",
        {
            "name": "Nordlys AS",
            "postal_city": "Oslo",
            "country": norway,
            "employees": 42,
            "turnover": 1234.5,
            "no_mailings": True,
        },
        user_origin(5),
    )
    record = store.get(session, "company", company_id)
    assert record is not None
    assert record.id == company_id
    assert record["name"] == "Nordlys AS"
    assert record["country"] == norway
    assert record["employees"] == 42
    assert record["turnover"] == 1234.5
    assert record["no_mailings"] is True
    assert record["phone"] is None
    registered = record["registered"]
    assert isinstance(registered, datetime)
    assert registered.tzinfo is not None
    assert registered.utcoffset() == UTC.utcoffset(None)

    birth = datetime(1980, 5, 17, 6, 30, tzinfo=UTC)
    person_id = store.create(
        session, "person", {"company_id": company_id, "first_name": "Kari", "birth_date": birth}, "system"
    )
    person = store.get(session, "person", person_id)
    assert person is not None
    assert person["birth_date"] == birth
    assert person["company_id"] == company_id
    assert person["no_mailings"] is False


def test_missing_records_read_as_none(session: Session) -> None:
    assert store.get(session, "company", 12345) is None
    assert store.get(session, "company", 10**30) is None
    assert store.get_many(session, "project", [1, 2, 3]) == {}


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "A", "colour": "red"}, "colour", "not a field"),
        ({"name": 5}, "name", "must be text"),
        ({"name": "A" * 201}, "name", "longer than 200"),
        ({"name": "A", "employees": "many"}, "employees", "whole number"),
        ({"name": "A", "turnover": float("nan")}, "turnover", "finite"),
        ({"name": "A", "no_mailings": "yes"}, "no_mailings", "true or false"),
        ({"name": "A", "registered": datetime(2020, 1, 1, tzinfo=UTC)}, "registered", "read-only"),
        ({"name": "A", "country": 99_999}, "country", "not an item of the country list"),
        ({"phone": "123"}, "name", "required"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_refused_create_changes_nothing(
    session: Session, values: dict[str, object], field: str, message: str
) -> None:
    _country(session)
    with pytest.raises(CrmValidationError) as refused:
        store.create(session, "company", values, "user:1")
    assert field in refused.value.errors
    assert message in refused.value.errors[field]
    assert session.scalar(select(func.count()).select_from(Company)) == 0
    assert _journal(session) == []


def test_list_item_of_another_list_is_refused(session: Session) -> None:
    customer = store.add_list_item(session, "category", "Customer").id
    with pytest.raises(CrmConflict) as refused:
        store.create(session, "company", {"name": "A", "country": customer}, "system")
    assert "not an item of the country list" in refused.value.errors["country"]


def test_person_needs_an_existing_company(session: Session) -> None:
    with pytest.raises(CrmValidationError) as refused:
        store.create(session, "person", {"first_name": "Ola"}, "system")
    assert refused.value.errors == {"company_id": "is required"}
    with pytest.raises(CrmConflict) as refused:
        store.create(session, "person", {"company_id": 777, "first_name": "Ola"}, "system")
    assert refused.value.errors == {"company_id": "there is no company with id 777"}
    assert _journal(session) == []


def test_several_problems_are_reported_together(session: Session) -> None:
    with pytest.raises(CrmValidationError) as refused:
        store.create(session, "project", {"name": "", "hours": 1.5, "done": None, "nope": 1}, "system")
    assert set(refused.value.errors) == {"name", "hours", "done", "nope"}


def test_journal_has_the_changed_keys_and_origin(session: Session) -> None:
    company_id = store.create(session, "company", {"name": "Acme", "phone": "1", "fax": ""}, "user:7")
    changed = store.update(
        session,
        "company",
        company_id,
        {"name": "Acme", "phone": "2", "email": "a@acme.example"},
        "connection:3",
    )
    assert sorted(changed) == ["email", "phone"]
    store.delete(session, "company", company_id, "system")
    entries = _journal(session)
    assert [(each.operation, each.changed_fields, each.origin) for each in entries] == [
        (JournalOperation.insert, ("name", "phone"), "user:7"),
        (JournalOperation.update, ("phone", "email"), connection_origin(3)),
        (JournalOperation.delete, (), "system"),
    ]
    assert all(each.record_id == company_id and each.entity == "company" for each in entries)
    assert [each.seq for each in entries] == sorted(each.seq for each in entries)
    assert store.last_journal_seq(session) == entries[-1].seq
    assert store.journal_after(session, entries[0].seq, limit=1) == [entries[1]]


def test_an_update_that_changes_nothing_writes_no_journal(session: Session) -> None:
    when = datetime(2030, 1, 1, tzinfo=UTC)
    project_id = store.create(
        session, "project", {"name": "Rollout", "budget": 10, "end_date": when, "done": False}, "system"
    )
    before = store.last_journal_seq(session)
    record = store.get(session, "project", project_id)
    assert record is not None
    changed = store.update(
        session,
        "project",
        project_id,
        {"name": "Rollout", "budget": 10.0, "end_date": when, "done": False, "description": ""},
        "user:1",
    )
    assert changed == []
    assert store.last_journal_seq(session) == before
    assert store.get(session, "project", project_id) == record  # not even "updated" moved


def test_refused_update_changes_nothing(session: Session) -> None:
    company_id = store.create(session, "company", {"name": "Acme", "phone": "1"}, "system")
    before = store.last_journal_seq(session)
    with pytest.raises(CrmValidationError) as refused:
        store.update(session, "company", company_id, {"phone": "2", "employees": -(2**40)}, "user:1")
    assert list(refused.value.errors) == ["employees"]
    record = store.get(session, "company", company_id)
    assert record is not None
    assert record["phone"] == "1"
    assert store.last_journal_seq(session) == before
    with pytest.raises(RecordNotFound):
        store.update(session, "company", 999, {"phone": "2"}, "user:1")
    with pytest.raises(CrmValidationError, match="origin"):
        store.update(session, "company", company_id, {"phone": "2"}, "")


def test_rolled_back_write_leaves_neither_record_nor_journal(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session, session.begin():
        kept = store.create(session, "company", {"name": "Kept"}, "system")

    def fail_after_writes() -> None:
        with session_factory() as session, session.begin():
            store.create(session, "company", {"name": "Lost"}, "system")
            store.update(session, "company", kept, {"phone": "999"}, "system")
            raise RuntimeError("the caller's transaction fails after the writes")

    with pytest.raises(RuntimeError):
        fail_after_writes()
    with session_factory() as session:
        assert [row.name for row in session.scalars(select(Company))] == ["Kept"]
        entries = _journal(session)
        assert [(each.record_id, each.operation) for each in entries] == [(kept, JournalOperation.insert)]
        record = store.get(session, "company", kept)
        assert record is not None
        assert record["phone"] is None


def test_journal_commits_with_the_change(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session, session.begin():
        company_id = store.create(session, "company", {"name": "Acme"}, "user:2")
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(JournalRow)) == 1
        assert _journal(session)[0].record_id == company_id


def test_deleting_a_company_deletes_and_journals_its_persons(session: Session) -> None:
    company_id = store.create(session, "company", {"name": "Acme"}, "system")
    other_id = store.create(session, "company", {"name": "Other"}, "system")
    person_ids = store.create_many(
        session,
        "person",
        [{"company_id": company_id, "last_name": name} for name in ("Berg", "Dahl")]
        + [{"company_id": other_id, "last_name": "Moe"}],
        "system",
    )
    start = store.last_journal_seq(session)
    store.delete(session, "company", company_id, "user:1")
    deleted = [(each.entity, each.record_id) for each in store.journal_after(session, start)]
    assert sorted(deleted) == sorted(
        [("person", person_ids[0]), ("person", person_ids[1]), ("company", company_id)]
    )
    assert store.get(session, "person", person_ids[0]) is None
    assert store.get(session, "person", person_ids[2]) is not None
    with pytest.raises(RecordNotFound):
        store.delete(session, "company", company_id, "user:1")


def test_update_many_and_get_many(session: Session) -> None:
    ids = store.create_many(session, "company", [{"name": f"C{n}"} for n in range(3)], "system")
    changed = store.update_many(
        session,
        "company",
        {ids[0]: {"phone": "1"}, ids[1]: {"name": "C1"}, ids[2]: {"name": "Renamed"}},
        "system",
    )
    assert changed == {ids[0]: ["phone"], ids[1]: [], ids[2]: ["name"]}
    records = store.get_many(session, "company", ids)
    assert [records[each]["name"] for each in ids] == ["C0", "C1", "Renamed"]
    with pytest.raises(CrmValidationError) as refused:
        store.update_many(session, "company", {ids[0]: {"phone": "2"}, ids[1]: {"name": None}}, "system")
    assert refused.value.errors == {f"{ids[1]}.name": "is required"}
    record = store.get(session, "company", ids[0])
    assert record is not None
    assert record["phone"] == "1"


def test_unknown_entity_is_a_validation_error(session: Session) -> None:
    with pytest.raises(CrmValidationError, match="entity"):
        store.create(session, "sale", {"name": "x"}, "system")
