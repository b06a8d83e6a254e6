from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpsync.crm import store
from erpsync.crm.errors import CrmValidationError
from erpsync.crm.journal import JournalOperation
from erpsync.crm.models import Company

ROWS = 10_000


def test_bulk_create_of_many_companies(session: Session) -> None:
    norway = store.add_list_item(session, "country", "Norway").id
    rows = [
        {
            "name": f"Company {n}",
            "postal_city": "Oslo",
            "country": norway,
            "employees": n,
            "turnover": n * 1.5,
        }
        for n in range(ROWS)
    ]
    started = time.perf_counter()
    ids = store.create_many(session, "company", rows, "connection:1")
    session.commit()
    elapsed = time.perf_counter() - started
    print(f"create_many: {ROWS} companies in {elapsed:.2f} s")  # a sanity figure, not an assertion

    assert len(ids) == ROWS
    assert len(set(ids)) == ROWS
    # The ids come back in the order of the rows.
    sample = store.get_many(session, "company", [ids[0], ids[4_321], ids[-1]])
    assert sample[ids[0]]["name"] == "Company 0"
    assert sample[ids[4_321]]["employees"] == 4_321
    assert sample[ids[-1]]["name"] == f"Company {ROWS - 1}"
    entries = store.journal_after(session, 0, limit=ROWS + 10)
    assert len(entries) == ROWS
    assert {each.operation for each in entries} == {JournalOperation.insert}
    assert [each.record_id for each in entries] == ids
    assert entries[0].changed_fields == ("name", "postal_city", "country", "employees", "turnover")
    assert entries[0].origin == "connection:1"


def test_bulk_persons_under_bulk_companies(session: Session) -> None:
    company_ids = store.create_many(session, "company", [{"name": f"C{n}"} for n in range(500)], "system")
    person_ids = store.create_many(
        session, "person", [{"company_id": each, "last_name": "Hansen"} for each in company_ids], "system"
    )
    persons = store.get_many(session, "person", person_ids)
    assert [persons[each]["company_id"] for each in person_ids] == company_ids


def test_one_bad_row_refuses_the_whole_batch(session: Session) -> None:
    rows: list[dict[str, object]] = [{"name": f"C{n}"} for n in range(300)]
    rows[123] = {"name": "C123", "employees": "many"}
    rows[250] = {"phone": "no name"}
    with pytest.raises(CrmValidationError) as refused:
        store.create_many(session, "company", rows, "system")
    assert set(refused.value.errors) == {"123.employees", "250.name"}
    assert session.scalar(select(func.count()).select_from(Company)) == 0
    assert store.last_journal_seq(session) == 0


def test_empty_batch(session: Session) -> None:
    assert store.create_many(session, "company", [], "system") == []
    assert store.last_journal_seq(session) == 0


@pytest.mark.parametrize("count", [3, 600])  # below and above the size where PostgreSQL goes by COPY
def test_update_rows_sets_only_the_given_columns_of_the_named_rows(session: Session, count: int) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import Table

    from erpsync.crm.bulk import update_rows

    ids = store.create_many(
        session, "company", [{"name": f"C{n}", "postal_city": "Oslo"} for n in range(count + 2)], "system"
    )
    stamp = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    tricky = 'a "quoted"\ttab, a back\\slash and\na new line'
    table = Company.__table__
    assert isinstance(table, Table)
    update_rows(
        session,
        table,
        [{"id": each, "name": f"{tricky} {n}", "updated_at": stamp} for n, each in enumerate(ids[:count])],
    )
    session.commit()
    rows = {row.id: row for row in session.scalars(select(Company))}
    for n, each in enumerate(ids[:count]):
        assert rows[each].name == f"{tricky} {n}"
        assert rows[each].updated_at == stamp
        assert rows[each].postal_city == "Oslo"  # a column not given keeps its value
    for n, each in enumerate(ids[count:], start=count):
        assert rows[each].name == f"C{n}"
        assert rows[each].updated_at != stamp
