"""Reading and writing actors: GetActors, CreateActor(s), SaveActor(s) and the ERP's validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from erpsync.connectors.demo import DemoConnector, DemoErpDatabase
from erpsync.protocol import ErpActor, ErrorCode
from erpsync.protocol.codec import decode_datetime
from erpsync.sdk.errors import (
    ActorNotFound,
    ConnectorFailure,
    InvalidValue,
    MandatoryFieldMissing,
    ReadOnlyField,
    UnknownActorType,
    UnknownField,
)

from .conftest import connect


def customer(**values: str) -> ErpActor:
    return ErpActor(actor_type="Customer", field_values={"NAME": "Acme AS", **values})


def snapshot(db: DemoErpDatabase) -> tuple[str, list[tuple[str, str, str, dict[str, str]]]]:
    """Everything a refused write must leave alone: the clock and every actor."""
    actors = [
        (a.actor_type, a.erp_key, a.last_modified, a.field_values)
        for kind in ("Customer", "Supplier", "Partner", "Person", "Project")
        for a in db.changed_since(kind, "")
    ]
    return db.last_tick(), actors


def test_create_assigns_key_timestamp_and_erp_values(connector: DemoConnector, guid: str) -> None:
    created = connector.create_actor(guid, customer(PHONE="+47 22 33 44 55"))
    assert created.erp_key
    assert created.last_modified
    values = created.field_values
    assert values["NAME"] == "Acme AS"
    assert values["CUSTOMERNO"] == str(10000 + int(created.erp_key))
    assert decode_datetime(values["CREATED"]).year >= 2024
    assert values["BALANCE"] == "[F:0.0]"
    assert values["CURRENCY"] == "EUR"  # the connection's default currency
    assert values["CREDITLIMIT"] == "[F:7500.0]"  # the connection's default credit limit
    assert values["PAYMENTTERMS"] == "NET30"  # the field's declared default
    assert values["ACCOUNTSTATUS"] == "In good standing"
    assert connector.get_actors(guid, "Customer", [created.erp_key], []) == [created]


def test_given_values_beat_defaults(connector: DemoConnector, guid: str) -> None:
    created = connector.create_actor(guid, customer(CURRENCY="USD", CREDITLIMIT="[F:1.5]"))
    assert created.field_values["CURRENCY"] == "USD"
    assert created.field_values["CREDITLIMIT"] == "[F:1.5]"


def test_values_are_stored_in_canonical_encoding(connector: DemoConnector, guid: str) -> None:
    created = connector.create_actor(guid, customer(CREDITLIMIT="[D:12.50]", DISCOUNT="[I:+7]"))
    assert created.field_values["CREDITLIMIT"] == "[F:12.5]"
    assert created.field_values["DISCOUNT"] == "[I:7]"


def test_get_actors_field_selection_and_unknown_keys(connector: DemoConnector, guid: str) -> None:
    a = connector.create_actor(guid, customer(EMAIL="post@acme.no"))
    b = connector.create_actor(guid, customer(NAME="Beta AS"))
    found = connector.get_actors(guid, "Customer", [b.erp_key, "999999", "not-a-key", a.erp_key], ["NAME"])
    assert [x.erp_key for x in found] == [b.erp_key, a.erp_key]
    assert [x.field_values for x in found] == [{"NAME": "Beta AS"}, {"NAME": "Acme AS"}]
    assert all(x.last_modified for x in found)
    assert connector.get_actors(guid, "Supplier", [a.erp_key], []) == []  # key of another type
    with pytest.raises(UnknownField, match="SHOE_SIZE"):
        connector.get_actors(guid, "Customer", [a.erp_key], ["NAME", "SHOE_SIZE"])


def test_save_changes_only_the_fields_sent_and_keeps_the_key(connector: DemoConnector, guid: str) -> None:
    created = connector.create_actor(guid, customer(PHONE="+47 1", EMAIL="a@acme.no"))
    saved = connector.save_actor(
        guid, ErpActor(actor_type="Customer", erp_key=created.erp_key, field_values={"NAME": "Acme Group AS"})
    )
    assert saved.erp_key == created.erp_key
    assert saved.last_modified > created.last_modified
    assert saved.field_values["NAME"] == "Acme Group AS"
    assert saved.field_values["PHONE"] == "+47 1"
    assert saved.field_values["EMAIL"] == "a@acme.no"
    assert saved.field_values["CUSTOMERNO"] == created.field_values["CUSTOMERNO"]


def test_save_can_empty_an_optional_field(connector: DemoConnector, guid: str) -> None:
    created = connector.create_actor(guid, customer(PHONE="+47 1"))
    saved = connector.save_actor(
        guid, ErpActor(actor_type="Customer", erp_key=created.erp_key, field_values={"PHONE": ""})
    )
    assert saved.field_values["PHONE"] == ""


def test_save_returns_what_the_save_triggered(connector: DemoConnector, guid: str) -> None:
    created = connector.create_actor(guid, customer())
    saved = connector.save_actor(
        guid, ErpActor(actor_type="Customer", erp_key=created.erp_key, field_values={"CREDITSTOP": "[I:1]"})
    )
    assert saved.field_values["ACCOUNTSTATUS"] == "Credit stop: no deliveries"


def test_erp_may_write_fields_read_only_to_the_crm(
    connector: DemoConnector, guid: str, db: DemoErpDatabase
) -> None:
    created = connector.create_actor(guid, customer(CREDITLIMIT="[F:100.0]"))
    db.update_actor("Customer", created.erp_key, {"BALANCE": "[F:250.0]"})
    (seen,) = connector.get_actors(guid, "Customer", [created.erp_key], ["BALANCE", "ACCOUNTSTATUS"])
    assert seen.field_values == {"BALANCE": "[F:250.0]", "ACCOUNTSTATUS": "Over credit limit"}


def test_persons_carry_their_parent(connector: DemoConnector, guid: str) -> None:
    company = connector.create_actor(guid, customer())
    person = connector.create_actor(
        guid,
        ErpActor(
            actor_type="Person",
            parent_actor_type="Customer",
            parent_erp_key=company.erp_key,
            field_values={"FIRSTNAME": "Kari", "LASTNAME": "Nordmann"},
        ),
    )
    (read,) = connector.get_actors(guid, "Person", [person.erp_key], [])
    assert (read.parent_actor_type, read.parent_erp_key) == ("Customer", company.erp_key)
    # A save without parent members keeps the parent.
    saved = connector.save_actor(
        guid, ErpActor(actor_type="Person", erp_key=person.erp_key, field_values={"TITLE": "Dr."})
    )
    assert saved.parent_erp_key == company.erp_key


Write = Callable[[DemoConnector, str, dict[str, str]], object]


def _create(
    values: dict[str, str], actor_type: str = "Customer", parent_type: str = "", parent_key: str = ""
) -> Write:
    """A create; ``{customer}`` / ``{project}`` in the parent key name actors made by the test."""

    def run(connector: DemoConnector, guid: str, keys: dict[str, str]) -> object:
        actor = ErpActor(
            actor_type=actor_type,
            parent_actor_type=parent_type,
            parent_erp_key=parent_key.format(**keys),
            field_values=values,
        )
        return connector.create_actor(guid, actor)

    return run


def _save(actor_type: str, key: str, values: dict[str, str]) -> Write:
    def run(connector: DemoConnector, guid: str, keys: dict[str, str]) -> object:
        actor = ErpActor(actor_type=actor_type, erp_key=key.format(**keys), field_values=values)
        return connector.save_actor(guid, actor)

    return run


REFUSALS = [
    ("unknown field", _create({"NAME": "X", "SHOE_SIZE": "42"}), UnknownField),
    ("text in integer", _create({"NAME": "X", "DISCOUNT": "ten"}), InvalidValue),
    ("plain number in double", _create({"NAME": "X", "CREDITLIMIT": "100"}), InvalidValue),
    ("bad checkbox", _create({"NAME": "X", "CREDITSTOP": "[I:2]"}), InvalidValue),
    ("bad date", _create({"NAME": "X", "ENDDATE": "2024-01-01"}, "Project"), InvalidValue),
    ("too long", _create({"NAME": "X" * 121}), InvalidValue),
    ("read-only on create", _create({"NAME": "X", "CUSTOMERNO": "1"}), ReadOnlyField),
    ("label", _create({"NAME": "X", "ACCOUNTSTATUS": "fine"}), ReadOnlyField),
    ("missing mandatory", _create({"PHONE": "1"}), MandatoryFieldMissing),
    ("unknown list key", _create({"NAME": "X", "CURRENCY": "XYZ"}), InvalidValue),
    ("list key wrong case", _create({"NAME": "X", "COUNTRY": "no"}), InvalidValue),
    (
        "missing parent",
        _create(actor_type="Person", values={"LASTNAME": "X"}, parent_type="Customer", parent_key="999999"),
        InvalidValue,
    ),
    (
        "parent of the wrong type",
        _create(
            actor_type="Person", values={"LASTNAME": "X"}, parent_type="Supplier", parent_key="{customer}"
        ),
        InvalidValue,
    ),
    (
        "parent a person cannot have",
        _create(actor_type="Person", values={"LASTNAME": "X"}, parent_type="Project", parent_key="{project}"),
        InvalidValue,
    ),
    (
        "a customer has no parent",
        _create({"NAME": "X"}, parent_type="Customer", parent_key="{customer}"),
        InvalidValue,
    ),
    ("unknown actor type", _create(actor_type="Employee", values={"NAME": "X"}), UnknownActorType),
    ("read-only on save", _save("Customer", "{customer}", {"BALANCE": "[F:1.0]"}), ReadOnlyField),
    ("empty mandatory on save", _save("Customer", "{customer}", {"NAME": ""}), MandatoryFieldMissing),
    (
        "bad encoding on save",
        _save("Customer", "{customer}", {"NAME": "Y", "DISCOUNT": "[F:1.0]"}),
        InvalidValue,
    ),
    ("unknown key on save", _save("Customer", "999999", {"NAME": "Y"}), ActorNotFound),
    ("key of another type", _save("Supplier", "{customer}", {"NAME": "Y"}), ActorNotFound),
    ("empty key on save", _save("Customer", "", {"NAME": "Y"}), InvalidValue),
]


@pytest.mark.parametrize(("case", "write", "error"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused_writes_change_nothing(
    connector: DemoConnector,
    guid: str,
    db: DemoErpDatabase,
    case: str,
    write: Write,
    error: type[ConnectorFailure],
) -> None:
    existing = connector.create_actor(guid, customer(PHONE="+47 1"))
    project = connector.create_actor(guid, ErpActor(actor_type="Project", field_values={"NAME": "P"}))
    keys = {"customer": existing.erp_key, "project": project.erp_key}
    before = snapshot(db)
    with pytest.raises(error):
        write(connector, guid, keys)
    assert snapshot(db) == before


def test_database_itself_refuses_bad_data(db: DemoErpDatabase) -> None:
    """The ERP's own integrity rules hold for edits made in the ERP too."""
    with pytest.raises(UnknownField):
        db.create_actor("Customer", {"NAME": "X", "NOPE": "1"})
    with pytest.raises(InvalidValue):
        db.create_actor("Customer", {"NAME": "X", "COUNTRY": "Narnia"})
    with pytest.raises(MandatoryFieldMissing):
        db.create_actor("Project", {"TEXT": "no name"})
    assert db.count_actors() == {}


def test_batch_save_with_one_bad_actor(connector: DemoConnector, guid: str) -> None:
    created = [connector.create_actor(guid, customer(NAME=f"C{i}")) for i in range(4)]
    batch = [
        ErpActor(actor_type="Customer", erp_key=created[0].erp_key, field_values={"PHONE": "1"}),
        ErpActor(actor_type="Customer", erp_key=created[1].erp_key, field_values={"DISCOUNT": "bad"}),
        ErpActor(actor_type="Customer", erp_key=created[2].erp_key, field_values={"PHONE": "3"}),
        ErpActor(actor_type="Customer", erp_key="424242", field_values={"PHONE": "4"}),
        ErpActor(actor_type="Customer", erp_key=created[3].erp_key, field_values={"BALANCE": "[F:1.0]"}),
    ]
    results = connector.save_actors(guid, batch)
    assert [r.index for r in results] == [0, 1, 2, 3, 4]
    assert [r.is_ok for r in results] == [True, False, True, False, False]
    assert [r.error_code for r in results] == [
        "",
        ErrorCode.InvalidValue,
        "",
        ErrorCode.ActorNotFound,
        ErrorCode.ReadOnlyField,
    ]
    assert results[0].actor is not None
    assert results[2].actor is not None
    # One transaction: both saved actors share one LastModified, newer than before.
    assert results[0].actor.last_modified == results[2].actor.last_modified > created[3].last_modified
    after = connector.get_actors(guid, "Customer", [c.erp_key for c in created], ["PHONE", "DISCOUNT"])
    assert [a.field_values["PHONE"] for a in after] == ["1", "", "3", ""]
    assert after[1].last_modified == created[1].last_modified  # the refused actor is untouched


def test_batch_create(connector: DemoConnector, guid: str) -> None:
    results = connector.create_actors(
        guid,
        [
            customer(NAME="One"),
            customer(NAME=""),
            ErpActor(actor_type="Project", field_values={"NAME": "Two"}),
        ],
    )
    assert [r.is_ok for r in results] == [True, False, True]
    assert results[1].error_code == ErrorCode.MandatoryFieldMissing
    one, two = results[0].actor, results[2].actor
    assert one is not None
    assert two is not None
    assert one.last_modified == two.last_modified
    assert int(two.erp_key) == int(one.erp_key) + 1
    assert two.field_values["NUMBER"] == f"P-{10000 + int(two.erp_key)}"


def test_batch_where_everything_fails_leaves_the_clock(
    connector: DemoConnector, guid: str, db: DemoErpDatabase
) -> None:
    connector.create_actor(guid, customer())
    before = snapshot(db)
    results = connector.save_actors(guid, [ErpActor(actor_type="Customer", erp_key="999", field_values={})])
    assert not results[0].is_ok
    assert snapshot(db) == before


def test_connections_share_a_database(connector: DemoConnector, guid: str) -> None:
    other = connect(connector)
    created = connector.create_actor(guid, customer())
    assert connector.get_actors(other, "Customer", [created.erp_key], []) == [created]


def test_an_actor_failing_after_its_write_is_rolled_back_alone(
    connector: DemoConnector, guid: str, db: DemoErpDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The savepoint per actor: a failure after the row was written undoes that row only."""
    store = DemoErpDatabase._store

    def store_then_fail(self: DemoErpDatabase, *args: Any, **kwargs: Any) -> ErpActor:
        written = store(self, *args, **kwargs)
        if written.field_values["NAME"] == "Faulty AS":
            raise InvalidValue("refused after writing")
        return written

    monkeypatch.setattr(DemoErpDatabase, "_store", store_then_fail)
    results = connector.create_actors(
        guid, [customer(NAME="Good AS"), customer(NAME="Faulty AS"), customer(NAME="Fine AS")]
    )
    assert [r.is_ok for r in results] == [True, False, True]
    assert results[1].user_explanation == "refused after writing"
    names = [a.field_values["NAME"] for a in db.changed_since("Customer", "")]
    assert names == ["Good AS", "Fine AS"]
