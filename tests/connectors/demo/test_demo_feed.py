"""The change feed (GetActorsByTimestamp), the delete feed, paging and the global clock."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from erpsync.connectors.demo import DemoConnector, DemoErpDatabase
from erpsync.connectors.demo.clock import format_timestamp
from erpsync.protocol import ErpActor
from erpsync.protocol.codec import encode_datetime
from erpsync.sdk.errors import ActorNotFound, InvalidValue, UnknownField

from .conftest import connect


def feed(connector: DemoConnector, guid: str, since: str, actor_type: str = "Customer") -> list[str]:
    page = connector.get_actors_by_timestamp(guid, since, actor_type, [])
    assert page.next_page_token == ""
    return [a.erp_key for a in page.actors]


def drain(
    connector: DemoConnector, guid: str, since: str, page_size: int, actor_type: str = "Customer"
) -> list[list[ErpActor]]:
    pages: list[list[ErpActor]] = []
    token = ""
    while True:
        page = connector.get_actors_by_timestamp(guid, since, actor_type, ["NAME"], page_size, token)
        pages.append(page.actors)
        token = page.next_page_token
        if not token:
            return pages


def test_timestamps_are_inclusive(connector: DemoConnector, guid: str, db: DemoErpDatabase) -> None:
    first = db.create_actor("Customer", {"NAME": "First"})
    second = db.create_actor("Customer", {"NAME": "Second"})
    assert first.last_modified < second.last_modified
    assert feed(connector, guid, "") == [first.erp_key, second.erp_key]
    assert feed(connector, guid, first.last_modified) == [first.erp_key, second.erp_key]
    assert feed(connector, guid, second.last_modified) == [second.erp_key]
    just_after = format_timestamp(datetime.fromisoformat(second.last_modified) + timedelta(microseconds=1))
    assert feed(connector, guid, just_after) == []


def test_feed_orders_by_timestamp_then_key(connector: DemoConnector, guid: str, db: DemoErpDatabase) -> None:
    a = db.create_actor("Customer", {"NAME": "A"})
    b = db.create_actor("Customer", {"NAME": "B"})
    db.update_actor("Customer", a.erp_key, {"NAME": "A2"})  # a is now newer than b
    page = connector.get_actors_by_timestamp(guid, "", "Customer", ["NAME"])
    assert [(x.erp_key, x.field_values["NAME"]) for x in page.actors] == [(b.erp_key, "B"), (a.erp_key, "A2")]
    assert [x.field_values for x in page.actors] == [{"NAME": "B"}, {"NAME": "A2"}]


def test_feed_accepts_other_date_time_forms(connector: DemoConnector, guid: str, db: DemoErpDatabase) -> None:
    created = db.create_actor("Customer", {"NAME": "A"})
    moment = datetime.fromisoformat(created.last_modified)
    assert feed(connector, guid, encode_datetime(moment)) == [created.erp_key]
    assert feed(connector, guid, (moment + timedelta(seconds=1)).isoformat()) == []
    with pytest.raises(InvalidValue):
        connector.get_actors_by_timestamp(guid, "yesterday", "Customer", [])
    with pytest.raises(UnknownField):
        connector.get_actors_by_timestamp(guid, "", "Customer", ["LASTNAME"])


def test_feed_carries_parents(connector: DemoConnector, guid: str, db: DemoErpDatabase) -> None:
    supplier = db.create_actor("Supplier", {"NAME": "S"})
    person = db.create_actor("Person", {"LASTNAME": "P"}, "Supplier", supplier.erp_key)
    (seen,) = connector.get_actors_by_timestamp(guid, "", "Person", []).actors
    assert (seen.erp_key, seen.parent_actor_type, seen.parent_erp_key) == (
        person.erp_key,
        "Supplier",
        supplier.erp_key,
    )


def test_paging_a_thousand_actors_sharing_one_timestamp(
    connector: DemoConnector, guid: str, db: DemoErpDatabase
) -> None:
    outcomes = db.create_actors(
        [ErpActor(actor_type="Customer", field_values={"NAME": f"C{i}"}) for i in range(1000)]
    )
    created = [o for o in outcomes if isinstance(o, ErpActor)]
    assert len(created) == 1000
    assert len({c.last_modified for c in created}) == 1
    pages = drain(connector, guid, created[0].last_modified, 7)
    assert len(pages) == 143
    assert all(len(p) == 7 for p in pages[:-1])
    assert len(pages[-1]) == 6
    seen = [a.erp_key for p in pages for a in p]
    assert sorted(seen, key=int) == [c.erp_key for c in created]
    assert len(set(seen)) == 1000


def test_writes_while_paging_are_not_lost(connector: DemoConnector, guid: str, db: DemoErpDatabase) -> None:
    originals = [db.create_actor("Customer", {"NAME": f"C{i}"}) for i in range(10)]
    first = connector.get_actors_by_timestamp(guid, "", "Customer", [], 4)
    db.update_actor("Customer", originals[0].erp_key, {"PHONE": "1"})  # already seen: comes again
    late = db.create_actor("Customer", {"NAME": "late"})
    rest: list[str] = []
    token = first.next_page_token
    while token:
        page = connector.get_actors_by_timestamp(guid, "", "Customer", [], 4, token)
        rest += [a.erp_key for a in page.actors]
        token = page.next_page_token
    keys = [o.erp_key for o in originals]
    assert [a.erp_key for a in first.actors] == keys[:4]
    assert rest == [*keys[4:], originals[0].erp_key, late.erp_key]


def test_page_size_is_capped_and_exact_pages_end_cleanly(
    connector: DemoConnector, guid: str, db: DemoErpDatabase
) -> None:
    for i in range(6):
        db.create_actor("Customer", {"NAME": f"C{i}"})
    page = connector.get_actors_by_timestamp(guid, "", "Customer", [], 3)
    assert len(page.actors) == 3
    assert page.next_page_token
    last = connector.get_actors_by_timestamp(guid, "", "Customer", [], 3, page.next_page_token)
    assert len(last.actors) == 3
    assert last.next_page_token == ""  # no empty trailing page
    assert len(connector.get_actors_by_timestamp(guid, "", "Customer", [], 10**9).actors) == 6


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(json.dumps({"a": 1}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["2024-01-01T00:00:00.000000Z"]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["yesterday", "1"]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["2024-01-01T00:00:00.000000Z", "x1"]).encode()).decode(),
    ],
)
def test_malformed_page_token(connector: DemoConnector, guid: str, token: str) -> None:
    with pytest.raises(InvalidValue):
        connector.get_actors_by_timestamp(guid, "", "Customer", [], 5, token)
    with pytest.raises(InvalidValue):
        connector.get_deleted_actors(guid, "Customer", "", 5, token)


def test_sync_from_hides_older_changes(connector: DemoConnector, guid: str, db: DemoErpDatabase) -> None:
    old = db.create_actor("Customer", {"NAME": "Old"})
    new = db.create_actor("Customer", {"NAME": "New"})
    cutoff = encode_datetime(datetime.fromisoformat(new.last_modified))
    limited = connect(connector, SyncFrom=cutoff)
    assert feed(connector, guid, "") == [old.erp_key, new.erp_key]
    assert feed(connector, limited, "") == [new.erp_key]
    assert feed(connector, limited, old.last_modified) == [new.erp_key]
    db.update_actor("Customer", old.erp_key, {"PHONE": "1"})  # a new change counts again
    assert feed(connector, limited, "") == [new.erp_key, old.erp_key]
    # SyncFrom narrows the feed only: the actor itself stays readable.
    assert len(connector.get_actors(limited, "Customer", [old.erp_key], [])) == 1


def test_delete_feed(connector: DemoConnector, guid: str, db: DemoErpDatabase) -> None:
    company = db.create_actor("Customer", {"NAME": "Gone AS"})
    person = db.create_actor("Person", {"LASTNAME": "Gone"}, "Customer", company.erp_key)
    keeper = db.create_actor("Customer", {"NAME": "Stays AS"})
    deleted = db.delete_actor("Customer", company.erp_key)
    assert {(kind, key) for kind, key, _ in deleted} == {
        ("Customer", company.erp_key),
        ("Person", person.erp_key),
    }
    at = deleted[0][2]
    assert at > keeper.last_modified
    assert connector.get_deleted_actors(guid, "Customer", "", 0, "").deleted == [
        ("Customer", company.erp_key, at)
    ]
    assert connector.get_deleted_actors(guid, "Person", at, 0, "").deleted == [("Person", person.erp_key, at)]
    later = format_timestamp(datetime.fromisoformat(at) + timedelta(microseconds=1))
    assert connector.get_deleted_actors(guid, "Customer", later, 0, "").deleted == []
    assert connector.get_actors(guid, "Customer", [company.erp_key], []) == []
    assert feed(connector, guid, "") == [keeper.erp_key]
    with pytest.raises(ActorNotFound):
        db.delete_actor("Customer", company.erp_key)
    # ErpKeys are never reused.
    assert int(db.create_actor("Customer", {"NAME": "New AS"}).erp_key) > int(person.erp_key)


def test_delete_feed_pages(connector: DemoConnector, guid: str, db: DemoErpDatabase) -> None:
    created = [db.create_actor("Project", {"NAME": f"P{i}"}) for i in range(11)]
    for actor in created:
        db.delete_actor("Project", actor.erp_key)
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = connector.get_deleted_actors(guid, "Project", "", 4, token)
        seen += [key for _, key, _ in page.deleted]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert pages == 3
    assert seen == [a.erp_key for a in created]


def test_clock_is_monotonic_under_rapid_writes(connector: DemoConnector, guid: str) -> None:
    stamps = [
        connector.create_actor(
            guid, ErpActor(actor_type="Project", field_values={"NAME": f"P{i}"})
        ).last_modified
        for i in range(200)
    ]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)
    assert all(len(s) == len("2024-01-01T00:00:00.000000Z") for s in stamps)
    assert all(datetime.fromisoformat(s).tzinfo is not None for s in stamps)


def test_clock_survives_a_system_clock_going_back(erp_path: Path) -> None:
    now = [datetime(2030, 1, 1, tzinfo=UTC)]
    with DemoErpDatabase(erp_path, now=lambda: now[0]) as db:
        first = db.create_actor("Customer", {"NAME": "A"})
        now[0] = datetime(2020, 1, 1, tzinfo=UTC)  # NTP correction, manual change ...
        second = db.create_actor("Customer", {"NAME": "B"})
        third = db.update_actor("Customer", first.erp_key, {"NAME": "A2"})
    assert first.last_modified == "2030-01-01T00:00:00.000000Z"
    assert second.last_modified == "2030-01-01T00:00:00.000001Z"
    assert third.last_modified == "2030-01-01T00:00:00.000002Z"


def test_clock_is_shared_by_threads_and_connections(
    connector: DemoConnector, guid: str, db: DemoErpDatabase
) -> None:
    other = connect(connector)
    stamps: list[str] = []
    lock = threading.Lock()

    def write(connection: str, n: int) -> None:
        for i in range(25):
            actor = connector.create_actor(
                connection, ErpActor(actor_type="Customer", field_values={"NAME": f"{n}-{i}"})
            )
            with lock:
                stamps.append(actor.last_modified)

    threads = [threading.Thread(target=write, args=(g, n)) for n, g in enumerate([guid, other, guid, other])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    direct = db.create_actor("Customer", {"NAME": "from the ERP"})  # a second connection to the file
    assert len(set(stamps)) == 100
    assert direct.last_modified > max(stamps)
    assert len(feed(connector, guid, "")) == 101
