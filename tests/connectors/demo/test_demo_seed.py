"""seed_database: counts, keys, determinism, re-seeding, and data the ERP itself would accept."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.connectors.demo import DemoErpDatabase, database_path, seed_database
from erpsync.connectors.demo.actors import field_map
from erpsync.protocol import ActorType, ErpActor, FieldAccess, FieldType


def all_actors(db: DemoErpDatabase) -> list[ErpActor]:
    return [
        a
        for kind in ("Customer", "Supplier", "Partner", "Person", "Project")
        for a in db.changed_since(kind, "")
    ]


def test_seed_twenty_thousand(tmp_path: Path) -> None:
    path = tmp_path / "big.sqlite"
    stats = seed_database(path, 20_000)
    expected = {"Customer": 7000, "Supplier": 2000, "Partner": 1000, "Person": 8000, "Project": 2000}
    assert dict(stats.added) == expected
    assert stats.total == 20_000
    assert (stats.first_erp_key, stats.last_erp_key) == ("1", "20000")
    assert "20000 actors added" in str(stats)
    with DemoErpDatabase(path) as db:
        assert db.count_actors() == expected
        actors = all_actors(db)
        assert len({a.erp_key for a in actors}) == 20_000
        assert {a.last_modified for a in actors} == {stats.last_modified}  # one bulk transaction
        companies = {(a.actor_type, a.erp_key) for a in actors if a.actor_type != "Person"}
        persons = [a for a in actors if a.actor_type == "Person"]
        assert all((p.parent_actor_type, p.parent_erp_key) in companies for p in persons)
        assert {p.parent_actor_type for p in persons} == {"Customer", "Supplier", "Partner"}
        assert 0 < sum(a.field_values["INACTIVE"] == "[I:1]" for a in actors) < 2000
        assert len({a.field_values["NAME"] for a in actors if a.actor_type == "Customer"}) > 300


def test_seeded_values_pass_the_erps_own_checks(tmp_path: Path) -> None:
    """Saving every seeded actor's writable values back must be accepted."""
    path = tmp_path / "small.sqlite"
    seed_database(path, 300, seed=7)
    with DemoErpDatabase(path) as db:
        actors = all_actors(db)
        resaved = [
            a.model_copy(
                update={
                    "field_values": {
                        k: v
                        for k, v in a.field_values.items()
                        if field_map(ActorType(a.actor_type))[k].field_type is not FieldType.Label
                    }
                }
            )
            for a in actors
        ]
        outcomes = db.update_actors(resaved)
    assert [o for o in outcomes if not isinstance(o, ErpActor)] == []
    for before, after in zip(actors, outcomes, strict=True):
        assert isinstance(after, ErpActor)
        assert after.field_values == before.field_values  # stored already in canonical encoding
        mandatory = [
            k for k, f in field_map(ActorType(before.actor_type)).items() if f.access is FieldAccess.Mandatory
        ]
        assert all(before.field_values[k] for k in mandatory)


def test_seeding_is_deterministic(tmp_path: Path) -> None:
    def values(path: Path, seed: int) -> list[dict[str, str]]:
        seed_database(path, 200, seed=seed)
        with DemoErpDatabase(path) as db:
            return [{k: v for k, v in a.field_values.items() if k != "CREATED"} for a in all_actors(db)]

    assert values(tmp_path / "a.sqlite", 1) == values(tmp_path / "b.sqlite", 1)
    assert values(tmp_path / "c.sqlite", 1) != values(tmp_path / "d.sqlite", 2)


def test_reseeding_adds_actors_and_keeps_the_user(tmp_path: Path) -> None:
    path = tmp_path / "erp.sqlite"
    first = seed_database(path, 100, password="first")
    second = seed_database(path, 50, password="ignored")
    assert int(second.first_erp_key) == int(first.last_erp_key) + 1
    assert second.last_modified > first.last_modified
    with DemoErpDatabase(path) as db:
        assert sum(db.count_actors().values()) == 150
        assert db.check_user("admin", "first")
        assert not db.check_user("admin", "ignored")
    third = seed_database(path, 0, user="auditor", password="audit")
    assert third.total == 0
    assert str(third) == "no actors added"
    with DemoErpDatabase(path) as db:
        assert db.check_user("auditor", "audit")


def test_tiny_seeds_never_make_orphans(tmp_path: Path) -> None:
    for count in (1, 2, 3):
        stats = seed_database(tmp_path / f"t{count}.sqlite", count)
        assert stats.total == count
        assert stats.added.get("Customer", 0) >= 1


def test_password_is_stored_hashed(tmp_path: Path) -> None:
    path = tmp_path / "erp.sqlite"
    seed_database(path, 0, password="Plain-Text-Secret")
    assert b"Plain-Text-Secret" not in path.read_bytes()


@pytest.mark.parametrize("name", ["", "../x", "a/b", "a b", ".hidden", "x" * 65, "naïve"])
def test_database_names_must_be_simple(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not a valid demo database name"):
        database_path(tmp_path, name)


def test_database_path(tmp_path: Path) -> None:
    assert database_path(tmp_path, "demo_2-b") == tmp_path / "demo-erp" / "demo_2-b.sqlite"


def test_negative_count_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="negative"):
        seed_database(tmp_path / "x.sqlite", -1)
