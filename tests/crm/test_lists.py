from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from erpsync.crm import store
from erpsync.crm.errors import CrmValidationError, RecordNotFound
from erpsync.crm.seed import STANDARD_LISTS, ensure_standard_lists


def test_items_in_rank_order(session: Session) -> None:
    store.add_list_item(session, "category", "Supplier", rank=2)
    store.add_list_item(session, "category", "Customer", rank=1)
    last = store.add_list_item(session, "category", "Partner")
    assert last.rank == 3  # appended after the highest rank
    assert [item.name for item in store.list_items(session, "category")] == [
        "Customer",
        "Supplier",
        "Partner",
    ]
    assert store.list_items(session, "business") == []


def test_rename_rank_and_soft_delete(session: Session) -> None:
    item = store.add_list_item(session, "business", "IT")
    other = store.add_list_item(session, "business", "Retail")
    renamed = store.rename_list_item(session, item.id, "  Information technology ")
    assert renamed.name == "Information technology"
    store.set_list_item_rank(session, other.id, -1)
    assert [each.name for each in store.list_items(session, "business")] == [
        "Retail",
        "Information technology",
    ]
    deleted = store.delete_list_item(session, item.id)
    assert deleted.deleted
    assert [each.name for each in store.list_items(session, "business")] == ["Retail"]
    assert len(store.list_items(session, "business", include_deleted=True)) == 2
    again = store.get_list_item(session, item.id)
    assert again is not None
    assert again.deleted
    with pytest.raises(RecordNotFound):
        store.rename_list_item(session, 9999, "x")


def test_item_names_are_checked(session: Session) -> None:
    store.add_list_item(session, "country", "Norway")
    for name, message in [("norway", "already has"), ("  ", "required"), ("x" * 201, "longer than")]:
        with pytest.raises(CrmValidationError, match=message):
            store.add_list_item(session, "country", name)
    with pytest.raises(CrmValidationError, match="no list"):
        store.add_list_item(session, "colours", "Red")


def test_a_deleted_item_stays_on_records_but_cannot_be_chosen(session: Session) -> None:
    old = store.add_list_item(session, "project_status", "Old")
    current = store.add_list_item(session, "project_status", "Current")
    project_id = store.create(session, "project", {"name": "P", "status": old.id}, "system")
    store.delete_list_item(session, old.id)
    # Untouched, the record keeps it; a change of another field is fine.
    assert store.update(session, "project", project_id, {"status": old.id, "hours": 3}, "system") == ["hours"]
    with pytest.raises(CrmValidationError, match="deleted item"):
        store.create(session, "project", {"name": "Q", "status": old.id}, "system")
    assert store.update(session, "project", project_id, {"status": current.id}, "system") == ["status"]
    with pytest.raises(CrmValidationError, match="deleted item"):
        store.update(session, "project", project_id, {"status": old.id}, "system")


def test_standard_lists_fill_only_empty_lists(session: Session) -> None:
    store.add_list_item(session, "category", "Only mine")
    ensure_standard_lists(session)
    ensure_standard_lists(session)  # running it again adds nothing
    assert [each.name for each in store.list_items(session, "category")] == ["Only mine"]
    countries = [each.name for each in store.list_items(session, "country")]
    assert countries == list(STANDARD_LISTS["country"])  # type: ignore[index]
    assert "Norway" in countries


def test_an_item_added_after_one_at_the_top_rank_shares_that_rank(session: Session) -> None:
    top = 2**31 - 1
    store.add_list_item(session, "category", "Last", rank=top)
    added = store.add_list_item(session, "category", "After it")
    assert added.rank == top
