from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from erpsync.crm import store
from erpsync.crm.errors import CrmValidationError


@pytest.fixture
def companies(session: Session) -> list[int]:
    rows = [
        {"name": "Nordlys Energy AS", "postal_city": "Oslo", "employees": 10},
        {"name": "Fjord Logistics AB", "postal_city": "Bergen", "employees": 20},
        {"name": "Aurora Software Oy", "postal_city": "Helsinki", "email": "post@aurora.example"},
        {"name": "Granite 100% Build", "postal_city": "Oslo", "employees": 10},
        {"name": "under_score Ltd", "postal_city": "London"},
    ]
    rows += [{"name": f"Filler {n:02d}", "postal_city": "Oslo"} for n in range(20)]
    return store.create_many(session, "company", rows, "system")


def _names(page: store.Page) -> list[object]:
    return [record["name"] for record in page.items]


def test_text_search_is_case_insensitive_across_searchable_fields(
    session: Session, companies: list[int]
) -> None:
    assert _names(store.search(session, "company", "nordlys")) == ["Nordlys Energy AS"]
    assert _names(store.search(session, "company", "BERGEN")) == ["Fjord Logistics AB"]
    assert _names(store.search(session, "company", "aurora.example")) == ["Aurora Software Oy"]
    # Several words: each must match some field.
    assert _names(store.search(session, "company", "oslo energy")) == ["Nordlys Energy AS"]
    assert store.search(session, "company", "nothing-like-this").total == 0


def test_like_wildcards_are_taken_literally(session: Session, companies: list[int]) -> None:
    assert _names(store.search(session, "company", "100%")) == ["Granite 100% Build"]
    assert _names(store.search(session, "company", "r_s")) == ["under_score Ltd"]
    assert store.search(session, "company", "%").total == 1


def test_paging_and_total(session: Session, companies: list[int]) -> None:
    first = store.search(session, "company", "filler", offset=0, limit=8, order_by="name")
    second = store.search(session, "company", "filler", offset=8, limit=8, order_by="name")
    last = store.search(session, "company", "filler", offset=16, limit=8, order_by="name")
    assert first.total == second.total == last.total == 20
    assert len(first.items) == 8
    assert len(last.items) == 4
    names = _names(first) + _names(second) + _names(last)
    assert names == [f"Filler {n:02d}" for n in range(20)]
    assert store.search(session, "company", offset=100).items == []


def test_ordering_and_filters(session: Session, companies: list[int]) -> None:
    newest_first = store.search(session, "company", order_by="-id", limit=1)
    assert newest_first.items[0].id == companies[-1]
    tens = store.search(session, "company", filters={"employees": 10}, order_by="-name")
    assert _names(tens) == ["Nordlys Energy AS", "Granite 100% Build"]
    without = store.search(session, "company", "a", filters={"employees": None, "postal_city": "Helsinki"})
    assert _names(without) == ["Aurora Software Oy"]


def test_persons_of_a_company(session: Session, companies: list[int]) -> None:
    store.create_many(
        session,
        "person",
        [
            {"company_id": companies[0], "first_name": "Kari", "last_name": "Nordmann"},
            {"company_id": companies[0], "first_name": "Ola", "last_name": "Nordmann"},
            {"company_id": companies[1], "first_name": "Kari", "last_name": "Berg"},
        ],
        "system",
    )
    page = store.search(session, "person", "kari", filters={"company_id": companies[0]})
    assert [(record["first_name"], record["last_name"]) for record in page.items] == [("Kari", "Nordmann")]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"filters": {"colour": "red"}}, "colour"),
        ({"filters": {"employees": "ten"}}, "employees"),
        ({"order_by": "colour"}, "order_by"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"text": "a\x00b"}, "text"),
    ],
)
def test_bad_search_is_refused(session: Session, arguments: dict[str, object], field: str) -> None:
    with pytest.raises(CrmValidationError) as refused:
        store.search(session, "company", **arguments)  # type: ignore[arg-type]
    assert field in refused.value.errors
