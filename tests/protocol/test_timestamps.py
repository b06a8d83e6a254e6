"""Ordering of opaque LastModified timestamps: numbers, date-times, text, empty first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erpsync.protocol.codec import encode_datetime
from erpsync.protocol.timestamps import as_datetime, compare, is_newer, latest, sort_key

JAN_2 = "[DT:01/02/2020 00:00:00.0000000]"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # numbers compare numerically, not as text
        ("9", "10", -1),
        ("10", "9", 1),
        ("100", "99", 1),
        ("-5", "3", -1),
        ("-10", "-9", -1),
        ("1.5", "1.25", 1),
        ("10", "10.0", 0),
        ("007", "7", 0),
        ("+3", "2", 1),
        ("20200101000000", "20191231235959", 1),
        # date-times compare as instants across [DT:] and ISO 8601
        ("[DT:12/31/2019 23:59:59.0000000]", JAN_2, -1),  # text order would say the opposite
        (JAN_2, "2020-01-01T23:59:59Z", 1),
        (JAN_2, "2020-01-02T00:00:00Z", 0),
        (JAN_2, "2020-01-02T01:00:00+01:00", 0),
        (JAN_2, "2020-01-02T00:00:00", 0),  # naive ISO is UTC
        (JAN_2, "2020-01-02T00:00:00.000001", -1),
        ("2020-01-02T00:00:00+01:00", "2020-01-01T23:30:00Z", -1),  # 23:00 UTC before 23:30 UTC
        ("[DT:01/02/2020 00:00:00.0000001]", JAN_2, 0),  # beyond microseconds: same instant
        # the empty string comes before everything
        ("", "0", -1),
        ("", "-1", -1),
        ("", JAN_2, -1),
        ("", "a", -1),
        ("abc", "", 1),
        ("", "", 0),
        # otherwise: text
        ("abc", "abd", -1),
        ("b", "a", 1),
        ("v2", "v10", 1),
        ("10", "abc", -1),  # number vs text: ordinal
        ("2020-01-02T00:00:00Z", "5", -1),  # date-time vs number: ordinal, "2" < "5"
        ("[DT:bad]", "[DT:bad]", 0),
        ("[DT:99/99/2020 00:00:00]", JAN_2, 1),  # not a date-time: ordinal ("9" > "0")
    ],
)
def test_compare(a: str, b: str, expected: int) -> None:
    assert compare(a, b) == expected
    assert compare(b, a) == -expected


def test_is_newer() -> None:
    assert is_newer("10", "9")
    assert not is_newer("9", "10")
    assert not is_newer("9", "9")
    assert not is_newer("9.0", "9")
    assert is_newer("1", "")
    assert not is_newer("", "1")
    assert is_newer(JAN_2, "2020-01-01T12:00:00Z")


def test_latest() -> None:
    assert latest() == ""
    assert latest("", "") == ""
    assert latest("9", "10", "2") == "10"
    assert latest("", "3", "") == "3"
    assert latest("2020-01-01T00:00:00Z", JAN_2, "2019-12-31T00:00:00Z") == JAN_2
    assert latest("a", "c", "b") == "c"
    # equal values: the first one seen wins
    assert latest("10", "10.0") == "10"


def test_sort_key_orders_empty_then_numerically() -> None:
    assert sorted(["10", "9", "", "100", "-1"], key=sort_key) == ["", "-1", "9", "10", "100"]
    dates = ["2020-01-03T00:00:00Z", JAN_2, "[DT:12/31/2019 00:00:00.0000000]", ""]
    assert sorted(dates, key=sort_key) == [
        "",
        "[DT:12/31/2019 00:00:00.0000000]",
        JAN_2,
        "2020-01-03T00:00:00Z",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (JAN_2, datetime(2020, 1, 2, tzinfo=UTC)),
        ("[DT:01/02/2020 03:04:05.5]", datetime(2020, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)),
        ("2020-01-02T03:04:05Z", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2020-01-02T03:04:05", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2020-01-02T03:04:05-02:00", datetime(2020, 1, 2, 5, 4, 5, tzinfo=UTC)),
        ("2020-01-02", datetime(2020, 1, 2, tzinfo=UTC)),
        ("", None),
        ("12345", None),  # a number, not a date
        ("20200102", None),  # reads as a number first
        ("-1.5", None),
        ("v17", None),
        ("[DT:13/45/2020 00:00:00]", None),
        ("[DT:garbage", None),
        ("0001-01-01T00:30:00+01:00", None),  # before datetime.min once in UTC
    ],
)
def test_as_datetime(value: str, expected: datetime | None) -> None:
    result = as_datetime(value)
    assert result == expected
    if result is not None:
        assert result.utcoffset() == timedelta(0)


def test_out_of_range_iso_timestamps_do_not_break_compare() -> None:
    assert compare("0001-01-01T00:30:00+01:00", "2020-01-01T00:00:00Z") == -1  # ordinal fallback
    assert latest("0001-01-01T00:30:00+01:00", "2020-01-01T00:00:00Z") == "2020-01-01T00:00:00Z"


# -- properties ------------------------------------------------------------------------------------

_NUMBERS = st.one_of(
    st.integers().map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(lambda d: format(d, "f")),
)
_OFFSETS = st.builds(
    timezone, st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(lambda m: timedelta(minutes=m))
)
_INSTANTS = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=_OFFSETS)


def _render(moment: datetime, form: int) -> str:
    """One instant written three ways: ``[DT:]``, ISO with offset, naive ISO in UTC."""
    if form == 0:
        return encode_datetime(moment)
    if form == 1:
        return moment.isoformat()
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


_DATETIMES = st.tuples(_INSTANTS, st.integers(0, 2)).map(lambda pair: (pair[0], _render(*pair)))


@settings(deadline=None)
@given(_NUMBERS, _NUMBERS)
def test_compare_numbers_is_antisymmetric_and_numeric(a: str, b: str) -> None:
    assert compare(a, b) == -compare(b, a)
    da, db = Decimal(a), Decimal(b)
    assert compare(a, b) == (da > db) - (da < db)


@settings(deadline=None)
@given(st.lists(_NUMBERS, max_size=12))
def test_sorting_numbers_is_numeric(values: list[str]) -> None:
    ordered = sorted(values, key=sort_key)
    assert [Decimal(v) for v in ordered] == sorted(Decimal(v) for v in values)
    if values:
        assert Decimal(latest(*values)) == max(Decimal(v) for v in values)


@settings(deadline=None)
@given(_DATETIMES, _DATETIMES)
def test_compare_datetimes_is_antisymmetric_and_chronological(
    a: tuple[datetime, str], b: tuple[datetime, str]
) -> None:
    (ma, ta), (mb, tb) = a, b
    assert compare(ta, tb) == -compare(tb, ta)
    assert compare(ta, tb) == (ma > mb) - (ma < mb)


@settings(deadline=None)
@given(st.lists(_DATETIMES, max_size=12))
def test_sorting_datetimes_is_chronological(pairs: list[tuple[datetime, str]]) -> None:
    ordered = sorted((text for _, text in pairs), key=sort_key)
    instants = [as_datetime(text) for text in ordered]
    assert instants == sorted(moment for moment, _ in pairs)
