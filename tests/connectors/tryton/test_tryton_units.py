"""The Tryton connector's pure parts: domains per operator, timestamps, values, config, and the
JSON-RPC client's handling of replies trytond should never send."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from erpsync.connectors.tryton.actors import COLUMNS, Column, ColumnKind
from erpsync.connectors.tryton.config import parse_config
from erpsync.connectors.tryton.domains import escape_like, restriction_domain
from erpsync.connectors.tryton.feed import changed_since, make_token, read_token
from erpsync.connectors.tryton.parties import join_person_name, reading, split_person_name
from erpsync.connectors.tryton.rpc import (
    TrytonConfigError,
    TrytonFault,
    TrytonProtocolError,
    TrytonRpc,
    TrytonUnavailable,
)
from erpsync.connectors.tryton.session import FEED_SNAPSHOT_SECONDS, TrytonSession
from erpsync.connectors.tryton.values import (
    TrytonValueError,
    format_last_modified,
    from_tryton,
    normalise_since,
    parse_last_modified,
    stamp_of,
    to_tryton,
)
from erpsync.protocol import ActorType, SearchRestriction
from erpsync.protocol.timestamps import compare
from erpsync.sdk.errors import ConfigInvalid, InvalidValue

NAME = Column("name", ColumnKind.text)
EMAIL = COLUMNS[ActorType.Customer]["EMAIL"]


def domain(column: Column, operator: str, *values: str) -> Any:
    return restriction_domain(
        column, SearchRestriction(field_key="X", operator=operator, values=list(values))
    )


def moment(text: str) -> dict[str, Any]:
    return to_tryton(datetime.fromisoformat(text).replace(tzinfo=UTC))


# -- domains ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("=", [("name", "ilike", "a\\%b")]),
        ("begins", [("name", "ilike", "a\\%b%")]),
        ("contains", [("name", "ilike", "%a\\%b%")]),
        ("ends", [("name", "ilike", "%a\\%b")]),
        ("isnot", ["OR", ("name", "=", None), [("name", "not ilike", "a\\%b")]]),
        ("notbegins", ["OR", ("name", "=", None), [("name", "not ilike", "a\\%b%")]]),
        ("notcontains", ["OR", ("name", "=", None), [("name", "not ilike", "%a\\%b%")]]),
        ("notends", ["OR", ("name", "=", None), [("name", "not ilike", "%a\\%b")]]),
        ("BEGINS", [("name", "ilike", "a\\%b%")]),  # operators are case-insensitive
    ],
)
def test_text_operators_become_ilike_patterns(operator: str, expected: Any) -> None:
    assert domain(NAME, operator, "a%b") == expected


def test_text_between_and_empty_values() -> None:
    assert domain(NAME, "between", "a", "c") is None  # case-insensitive order: checked after reading
    assert domain(NAME, "=", "") == ["OR", ("name", "=", None), ("name", "=", "")]
    assert domain(NAME, "isnot", "") == [("name", "!=", None), ("name", "!=", "")]


def test_like_escapes_wildcards_and_the_escape_itself() -> None:
    assert escape_like("50%_off\\") == "50\\%\\_off\\\\"


def test_contact_mechanisms_search_one_kind_of_row_and_never_negate() -> None:
    assert domain(EMAIL, "begins", "ada") == [
        ("contact_mechanisms", "where", [("type", "=", "email"), [("value", "ilike", "ada%")]])
    ]
    for negation in ("isnot", "notbegins", "notcontains", "notends"):
        assert domain(EMAIL, negation, "ada") is None


def test_name_parts_search_the_whole_name() -> None:
    first = COLUMNS[ActorType.Person]["FIRSTNAME"]
    for operator in ("=", "begins", "ends", "contains"):
        assert domain(first, operator, "Ada") == [("name", "ilike", "%Ada%")]
    assert domain(first, "between", "A", "B") is None
    assert domain(first, "notcontains", "Ada") is None


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("=", ("[F:1.5]",), [("effort_duration", "=", {"__class__": "timedelta", "seconds": 5400.0})]),
        (">", ("[F:1]",), [("effort_duration", ">", {"__class__": "timedelta", "seconds": 3600.0})]),
        ("<=", ("[F:1]",), [("effort_duration", "<=", {"__class__": "timedelta", "seconds": 3600.0})]),
        (
            "!=",
            ("[F:1]",),
            [
                "OR",
                ("effort_duration", "=", None),
                [("effort_duration", "!=", {"__class__": "timedelta", "seconds": 3600.0})],
            ],
        ),
        ("=", ("",), [("effort_duration", "=", None)]),
        ("!=", ("",), [("effort_duration", "!=", None)]),
        (
            "between",
            ("[F:1]", "[F:2]"),
            [
                ("effort_duration", ">=", {"__class__": "timedelta", "seconds": 3600.0}),
                ("effort_duration", "<=", {"__class__": "timedelta", "seconds": 7200.0}),
            ],
        ),
    ],
)
def test_number_operators(operator: str, values: tuple[str, ...], expected: Any) -> None:
    assert domain(COLUMNS[ActorType.Project]["EFFORT"], operator, *values) == expected


def test_datetimes_compare_to_the_minute() -> None:
    created = Column("create_date", ColumnKind.datetime)
    value = "[DT:03/14/2026 10:30:45.5000000]"
    start, end = moment("2026-03-14 10:30:00"), moment("2026-03-14 10:31:00")
    assert domain(created, "=", value) == [("create_date", ">=", start), ("create_date", "<", end)]
    assert domain(created, "before", value) == [("create_date", "<", start)]
    assert domain(created, "beforeOrEqual", value) == [("create_date", "<", end)]
    assert domain(created, "after", value) == [("create_date", ">=", end)]
    assert domain(created, "afterOrEqual", value) == [("create_date", ">=", start)]
    upper = "[DT:03/15/2026 08:00:59.0000000]"
    assert domain(created, "between", value, upper) == [
        ("create_date", ">=", start),
        ("create_date", "<", moment("2026-03-15 08:01:00")),
    ]


def test_lists_checkboxes_and_records() -> None:
    country = Column("country.code", ColumnKind.code)
    assert domain(country, "oneof", "NO", "SE") == [("country.code", "in", ["NO", "SE"])]
    assert domain(country, "in", "NO") == [("country.code", "in", ["NO"])]
    assert domain(country, "oneof", "", "NO") == [
        "OR",
        ("country.code", "=", None),
        [("country.code", "in", ["NO"])],
    ]
    assert domain(country, "notoneof", "NO") == [
        "OR",
        ("country.code", "=", None),
        [("country.code", "not in", ["NO"])],
    ]
    status = COLUMNS[ActorType.Project]["STATUS"]
    assert domain(status, "oneof", "1", "x") == [("status", "in", [1])]  # a key that is no id finds nothing
    inactive = COLUMNS[ActorType.Customer]["INACTIVE"]
    assert domain(inactive, "=", "[I:1]") == [("active", "=", False)]
    assert domain(inactive, "=", "[I:0]") == [("active", "=", True)]
    assert domain(COLUMNS[ActorType.Customer]["CATEGORY"], "notoneof", "3") is None  # many categories


# -- timestamps, tokens and values -----------------------------------------------------------------------


def test_last_modified_is_fixed_width_and_orders_as_text_and_as_time() -> None:
    early = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    stamps = [format_last_modified(early + timedelta(microseconds=n)) for n in (0, 1, 999_999, 10**7)]
    assert stamps[0] == "2026-01-02T03:04:05.000006Z"
    assert len({len(s) for s in stamps}) == 1
    assert stamps == sorted(stamps)
    assert all(compare(a, b) < 0 for a, b in itertools.pairwise(stamps))  # the hub's order too
    assert parse_last_modified(stamps[1]) == early + timedelta(microseconds=1)


def test_since_accepts_hub_date_times_and_refuses_the_rest() -> None:
    assert normalise_since("") == ""
    assert normalise_since("2026-01-02T03:04:05.000006Z") == "2026-01-02T03:04:05.000006Z"
    assert normalise_since("[DT:01/02/2026 03:04:05.0000060]") == "2026-01-02T03:04:05.000006Z"
    assert normalise_since("2026-01-02T04:04:05+01:00") == "2026-01-02T03:04:05.000000Z"
    with pytest.raises(InvalidValue):
        normalise_since("yesterday")


def test_page_tokens_round_trip_and_refuse_forgeries() -> None:
    position = ("2026-01-02T03:04:05.000006Z", 42)
    assert read_token(make_token(position)) == position
    for bad in (
        "",
        "!!",
        make_token(("soon", 1)),
        "WzEsMl0=",
        make_token(("2026-01-02T03:04:05.000006Z", True)),
    ):  # type: ignore[arg-type]
        with pytest.raises(InvalidValue):
            read_token(bad)


def test_tryton_values_both_ways() -> None:
    stamp = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert from_tryton(to_tryton(stamp)) == stamp
    assert from_tryton(to_tryton(date(2026, 5, 1))) == date(2026, 5, 1)
    assert from_tryton(to_tryton(timedelta(hours=1.25))) == timedelta(hours=1.25)
    assert from_tryton({"__class__": "Decimal", "decimal": "12.50"}) == Decimal("12.50")
    assert from_tryton("plain") == "plain"
    with pytest.raises(TrytonValueError):
        from_tryton({"__class__": "bytes", "base64": ""})
    with pytest.raises(TrytonValueError):
        from_tryton({"__class__": "datetime", "year": 2026, "month": 13, "day": 1})
    with pytest.raises(TrytonValueError):
        from_tryton({"__class__": "date", "year": "2026", "month": 1, "day": 1})


def test_stamps_are_read_straight_from_trytons_date_times() -> None:
    for moment in (
        datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 5, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ):
        assert stamp_of(to_tryton(moment)) == format_last_modified(moment)
    midnight = {"__class__": "datetime", "year": 2026, "month": 5, "day": 1}
    assert stamp_of(midnight) == "2026-05-01T00:00:00.000000Z"
    assert stamp_of(None) == ""
    for bad in (
        {"__class__": "date", "year": 2026, "month": 5, "day": 1},
        {"__class__": "datetime", "year": 2026, "month": 13, "day": 1},
        {"__class__": "datetime", "year": 2026.0, "month": 1, "day": 1},
        {"year": 2026},
        "2026-05-01",
    ):
        with pytest.raises(TrytonValueError):
            stamp_of(bad)


def test_a_page_reads_only_what_its_field_keys_need() -> None:
    name = reading(ActorType.Customer, ("NAME",))
    assert (name.party, dict(name.children)) == (("last_modified_at", "name"), {})
    city = reading(ActorType.Customer, ("POSTALCITY", "COUNTRY", "EMAIL"))
    assert city.party == ("last_modified_at",)
    # street is computed per row by trytond: read only for POSTALAD1
    assert dict(city.children) == {
        "addresses": ("city", "sequence", "active", "country"),
        "contact_mechanisms": ("type", "value", "sequence", "active"),
    }
    assert city.mechanism_types == ("email",)
    every = reading(ActorType.Supplier, ())
    assert {"lang", "supplier_payment_term", "tax_identifier", "categories"} <= set(every.party)
    assert "customer_payment_term" not in every.party
    assert set(every.children) == {"contact_mechanisms", "addresses", "identifiers"}
    assert "street" in every.children["addresses"]
    person = reading(ActorType.Person, ("LASTNAME", "PHONE_DIRECT", "PHONE_MOBILE"))
    assert person.party == ("last_modified_at", "name")
    assert person.mechanism_types == ("phone", "mobile")


MODELS = ("party.party", "party.contact_mechanism", "party.address", "party.identifier")


class _FakeTryton:
    """A trytond that answers the feed's date searches from rows (model, owner, stamp) and records
    each search's date condition."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, datetime]] = []
        self.conditions: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["method"] == "common.db.login":
            return httpx.Response(200, json={"id": body["id"], "result": [1, "key", None]})
        model = body["method"].removeprefix("model.").removesuffix(".search_read")
        domain, fields = body["params"][0], body["params"][4]
        dated = [c for c in domain if c[0] == "last_modified_at"]
        operator, bound = (dated[0][1], from_tryton(dated[0][2])) if dated else ("", None)
        self.conditions.append((model, operator))
        test = {"": lambda s: True, ">=": lambda s: s >= bound, ">": lambda s: s > bound}[operator]
        owner = fields[0]
        rows = [
            {"id": n, owner: o, "last_modified_at": to_tryton(s)}
            for n, (m, o, s) in enumerate(self.rows)
            if m == model and test(s)
        ]
        return httpx.Response(200, json={"id": body["id"], "result": rows})


def test_the_feed_catches_its_snapshot_up_and_forgets_it_in_time() -> None:
    fake = _FakeTryton()
    config = parse_config({"ServerUrl": "http://t", "Database": "erp", "Password": "pw", "Company": "1"})
    session = TrytonSession(_rpc(fake), config, 1, 1, 2, 3)
    t0, t1, t2 = (datetime(2026, 5, 1, 12, minute, tzinfo=UTC) for minute in (0, 1, 2))
    fake.rows = [("party.party", n, t0) for n in range(1, 6)] + [("party.address", 2, t1)]
    now = [1000.0]

    def page(after: tuple[str, int] | None) -> tuple[list[tuple[str, int]], bool]:
        fake.conditions.clear()
        return changed_since(session, ActorType.Customer, "", after, 2, clock=lambda: now[0])

    first = page(None)
    assert first == ([(format_last_modified(t0), 1), (format_last_modified(t0), 3)], True)
    assert fake.conditions == [(m, "") for m in MODELS]
    fake.rows.append(("party.contact_mechanism", 1, t2))  # party 1 changes during the pass
    second = page(first[0][-1])
    # Only rows written after the newest one read (t1) are asked for; party 1 moves to its new place.
    assert {op for _, op in fake.conditions} == {">"}
    assert second == ([(format_last_modified(t0), 4), (format_last_modified(t0), 5)], True)
    third = page(second[0][-1])
    assert third == ([(format_last_modified(t1), 2), (format_last_modified(t2), 1)], False)
    now[0] += FEED_SNAPSHOT_SECONDS
    assert page(second[0][-1]) == third  # the kept snapshot is too old: worked out afresh
    assert {op for _, op in fake.conditions} == {">="}


def test_person_names_keep_their_parts() -> None:
    assert join_person_name("Ada", "Lovelace") == "Lovelace, Ada"
    assert split_person_name("Lovelace, Ada") == ("Ada", "Lovelace")
    assert split_person_name("Ada Lovelace") == ("", "Ada Lovelace")  # typed in Tryton without a comma
    assert split_person_name(join_person_name("", "Cher")) == ("", "Cher")


# -- config ------------------------------------------------------------------------------------------------


def test_config_defaults_and_refusals() -> None:
    base = {"ServerUrl": "http://erp:8000/", "Database": "erp", "Password": " secret ", "Company": "Acme"}
    config = parse_config(base)
    assert (config.server_url, config.username, config.customer_category) == (
        "http://erp:8000",
        "admin",
        "Customer",
    )
    assert config.password == " secret "
    assert "secret" not in repr(config)
    with pytest.raises(ConfigInvalid, match="Please fill in: Password"):
        parse_config({**base, "Password": ""})
    with pytest.raises(ConfigInvalid, match="not an http"):
        parse_config({**base, "ServerUrl": "ftp://erp"})
    with pytest.raises(ConfigInvalid, match="must be different"):
        parse_config({**base, "CustomerCategory": "X", "SupplierCategory": "X"})


# -- the JSON-RPC client against replies trytond should never send ------------------------------------


def _rpc(handler: Any) -> TrytonRpc:
    return TrytonRpc("http://tryton.test", "erp", "admin", "pw", transport=httpx.MockTransport(handler))


def _login_then(reply: httpx.Response) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["method"] == "common.db.login":
            return httpx.Response(200, json={"id": body["id"], "result": [1, "key", None]})
        return (
            reply
            if reply.status_code != 200 or reply.content
            else httpx.Response(200, json={"id": body["id"]})
        )

    return handler


@pytest.mark.parametrize(
    ("reply", "error", "text"),
    [
        (httpx.Response(200, content=b"<html>"), TrytonProtocolError, "not JSON"),
        (httpx.Response(200, json=[1, 2]), TrytonProtocolError, "not a JSON-RPC answer"),
        (httpx.Response(200, json={"id": 999, "result": 1}), TrytonProtocolError, "another request"),
        (httpx.Response(200, json={"id": 2, "error": 5}), TrytonProtocolError, "unknown shape"),
        (
            httpx.Response(200, json={"id": 2, "error": ["UserError", ["Bad VAT", "", None]]}),
            TrytonFault,
            "Bad VAT",
        ),
        (httpx.Response(200, json={"id": 2, "error": ["'nomodel'", "Traceback"]}), TrytonFault, "nomodel"),
        (httpx.Response(404), TrytonConfigError, "has no database 'erp'"),
        (httpx.Response(403), TrytonConfigError, "not allowed"),
        (httpx.Response(429), TrytonUnavailable, "too many"),
        (httpx.Response(503), TrytonUnavailable, "HTTP 503"),
        (httpx.Response(302), TrytonProtocolError, "HTTP 302"),
    ],
)
def test_bad_replies_are_clear_errors(reply: httpx.Response, error: type[Exception], text: str) -> None:
    rpc = _rpc(_login_then(reply))
    with pytest.raises(error, match=text):
        rpc.model("party.party", "search", [], {})


def test_a_user_error_is_told_apart_from_a_fault() -> None:
    rpc = _rpc(_login_then(httpx.Response(200, json={"id": 2, "error": ["UserError", ["Bad", "why", None]]})))
    with pytest.raises(TrytonFault) as caught:
        rpc.model("party.party", "write", [1], {}, {})
    assert caught.value.is_user_error
    assert caught.value.message == "Bad (why)"


def test_refused_login_and_no_server() -> None:
    rpc = _rpc(lambda request: httpx.Response(401))
    with pytest.raises(TrytonConfigError, match="wrong user name or password"):
        rpc.log_in()

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(TrytonUnavailable, match="cannot be reached"):
        _rpc(down).log_in()
    assert "pw" not in repr(_rpc(down))


def test_an_expired_session_logs_in_again_once() -> None:
    logins: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["method"] == "common.db.login":
            logins.append(1)
            return httpx.Response(200, json={"id": body["id"], "result": [1, f"key{len(logins)}", None]})
        if request.headers["Authorization"].endswith(_b64("admin:1:key1")):
            return httpx.Response(401)  # the first session has expired
        return httpx.Response(200, json={"id": body["id"], "result": [7]})

    rpc = _rpc(handler)
    assert rpc.model("party.party", "search", [], {}) == [7]
    assert rpc.model("party.party", "search", [], {}) == [7]
    assert len(logins) == 2


def test_the_client_asks_for_gzip_and_counts_its_calls() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Accept-Encoding"])
        body = json.loads(request.content)
        return httpx.Response(200, json={"id": body["id"], "result": [1, "key", None]})

    rpc = _rpc(handler)
    for _ in range(3):
        rpc.model("party.party", "search", [], {})
    rpc.model("party.address", "search", [], {})
    # trytond streams big answers uncompressed token by token (and labels them gzip anyway)
    assert set(seen) == {"gzip"}
    stats = rpc.stats(reset=True)
    assert {m: s.calls for m, s in stats.items()} == {
        "common.db.login": 1,
        "model.party.party.search": 3,
        "model.party.address.search": 1,
    }
    assert all(s.seconds >= 0 for s in stats.values())
    assert rpc.stats() == {}


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()
