"""The value codec: round trips per field type, the wire forms, strict and lenient decoding."""

from __future__ import annotations

import math
import re
import struct
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from erpsync.protocol import FieldType
from erpsync.protocol.codec import (
    EMPTY,
    ValueError_,
    decode,
    decode_bool,
    decode_datetime,
    decode_float,
    decode_int,
    encode,
    encode_datetime,
    encode_float,
    is_encoded,
    parse_lenient,
)

_DT_FORM = re.compile(r"^\[DT:\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}\.\d{6}0\]$")
_F_FORM = re.compile(r"^\[F:-?\d+(\.\d+)?\]$")

_NAIVE = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999))
# Fixed offsets (any, down to the microsecond); the instant must stay within datetime's range in UTC.
_OFFSETS = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
)
_AWARE = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.builds(timezone, _OFFSETS)
)


def same_float(a: float, b: float) -> bool:
    """Identical floats, telling 0.0 from -0.0."""
    return struct.pack("<d", a) == struct.pack("<d", b)


# -- round trips -----------------------------------------------------------------------------------


@settings(deadline=None)
@given(_NAIVE)
@example(datetime(1, 1, 1))
@example(datetime(999, 12, 31, 23, 59, 59, 999999))
@example(datetime(9999, 12, 31, 23, 59, 59, 999999))
def test_naive_datetimes_round_trip_as_utc(value: datetime) -> None:
    text = encode(value, FieldType.Datetime)
    assert _DT_FORM.match(text), text
    decoded = decode(text, FieldType.Datetime)
    assert decoded == value.replace(tzinfo=UTC)
    assert isinstance(decoded, datetime)
    assert decoded.tzinfo is UTC


@settings(deadline=None)
@given(_AWARE)
@example(datetime(2020, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))))
def test_aware_datetimes_are_converted_to_utc(value: datetime) -> None:
    text = encode(value, FieldType.Datetime)
    assert _DT_FORM.match(text), text
    decoded = decode(text, FieldType.Datetime)
    assert isinstance(decoded, datetime)
    assert decoded == value  # the same instant
    assert decoded.utcoffset() == timedelta(0)
    assert text == encode_datetime(value.astimezone(UTC).replace(tzinfo=None))


def test_datetime_wire_form() -> None:
    assert encode_datetime(datetime(2013, 12, 31, 23, 59, 59)) == "[DT:12/31/2013 23:59:59.0000000]"
    assert encode_datetime(datetime(2013, 1, 2, 3, 4, 5, 60)) == "[DT:01/02/2013 03:04:05.0000600]"
    plus_two = timezone(timedelta(hours=2))
    assert encode_datetime(datetime(2014, 1, 1, 1, 0, tzinfo=plus_two)) == "[DT:12/31/2013 23:00:00.0000000]"
    assert encode_datetime(datetime(5, 6, 7)) == "[DT:06/07/0005 00:00:00.0000000]"


@settings(deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
@example(0.0)
@example(-0.0)
@example(1e300)
@example(-1.7976931348623157e308)
@example(5e-324)
@example(2.2250738585072014e-308)
@example(0.1)
@example(123456789012345678.0)
def test_floats_round_trip_identically_without_exponent(value: float) -> None:
    text = encode(value, FieldType.Double)
    assert _F_FORM.match(text), text
    assert "e" not in text.lower()
    decoded = decode(text, FieldType.Double)
    assert isinstance(decoded, float)
    assert same_float(decoded, value)


def test_float_wire_form() -> None:
    assert encode_float(12345.6789) == "[F:12345.6789]"
    assert encode_float(1e20) == "[F:100000000000000000000]"
    assert encode_float(1.5e-7) == "[F:0.00000015]"
    assert encode_float(Decimal("2.50")) == "[F:2.50]"
    assert encode(3, FieldType.Double) == "[F:3.0]"


@settings(deadline=None)
@given(st.integers())
@example(0)
@example(-1)
@example(-(2**63))
@example(10**40)
def test_ints_round_trip(value: int) -> None:
    text = encode(value, FieldType.Integer)
    assert text == f"[I:{value}]"
    assert decode(text, FieldType.Integer) == value


@given(st.booleans())
def test_bools_round_trip(value: bool) -> None:
    text = encode(value, FieldType.Checkbox)
    assert text == ("[I:1]" if value else "[I:0]")
    assert decode(text, FieldType.Checkbox) is value


def test_checkbox_accepts_zero_and_one_as_ints() -> None:
    assert encode(1, FieldType.Checkbox) == "[I:1]"
    assert encode(0, FieldType.Checkbox) == "[I:0]"


_LOOKALIKES = st.sampled_from(
    ["[I:5]", "[F:1.5]", "[D:0.0]", "[DT:12/31/2013 23:59:59.0000000]", "[", "]", "[I:", "[]", ""]
)


@given(st.lists(st.one_of(_LOOKALIKES, st.text()), max_size=4).map("".join))
def test_text_travels_raw(value: str) -> None:
    for field_type in (FieldType.Text, FieldType.List, FieldType.Password, FieldType.Label):
        text = encode(value, field_type)
        assert text == value
        assert decode(text, field_type) == value
        assert is_encoded(text, field_type)


def test_text_that_looks_encoded_stays_text() -> None:
    assert decode("[I:5]", FieldType.Text) == "[I:5]"
    assert decode("[DT:12/31/2013 23:59:59.0000000]", FieldType.List) == "[DT:12/31/2013 23:59:59.0000000]"


# -- reading ---------------------------------------------------------------------------------------


def test_d_is_read_as_f() -> None:
    assert decode("[D:0.0]", FieldType.Double) == 0.0
    assert decode("[D:12.5]", FieldType.Double) == 12.5
    assert decode("[D:-3]", FieldType.Double) == -3.0


def test_double_accepts_leading_sign_and_exponent_on_read() -> None:
    assert decode_float("[F:+1.5]") == 1.5
    assert decode_float("[F:.5]") == 0.5
    assert decode_float("[F:1e3]") == 1000.0


@pytest.mark.parametrize(
    ("text", "microsecond"),
    [
        ("[DT:12/31/2013 23:59:59.1234567]", 123456),  # seven digits: the 100 ns digit is dropped
        ("[DT:12/31/2013 23:59:59.1234569]", 123456),
        ("[DT:12/31/2013 23:59:59.123456]", 123456),
        ("[DT:12/31/2013 23:59:59.5]", 500000),
        ("[DT:12/31/2013 23:59:59.05]", 50000),
        ("[DT:12/31/2013 23:59:59.000]", 0),
        ("[DT:12/31/2013 23:59:59]", 0),
    ],
)
def test_fractional_digits(text: str, microsecond: int) -> None:
    assert decode_datetime(text) == datetime(2013, 12, 31, 23, 59, 59, microsecond, tzinfo=UTC)


@pytest.mark.parametrize(
    "field_type", [FieldType.Checkbox, FieldType.Integer, FieldType.Double, FieldType.Datetime]
)
def test_empty_is_none_for_typed_fields(field_type: FieldType) -> None:
    assert decode(EMPTY, field_type) is None
    assert encode(None, field_type) == ""
    assert is_encoded("", field_type)


@pytest.mark.parametrize("field_type", [FieldType.Text, FieldType.List, FieldType.Password, FieldType.Label])
def test_empty_is_empty_text_for_text_fields(field_type: FieldType) -> None:
    assert decode("", field_type) == ""
    assert encode(None, field_type) == ""


STRICT_REFUSALS = [
    ("[I:1.5]", FieldType.Integer),
    ("[I:]", FieldType.Integer),
    ("[I: 1]", FieldType.Integer),
    ("[I:1", FieldType.Integer),
    ("12", FieldType.Integer),
    ("[F:12]", FieldType.Integer),
    ("[X:12]", FieldType.Integer),
    ("[I:12]\n", FieldType.Integer),
    ("[I:12\n]", FieldType.Integer),
    ("[I:\u0661\u0662]", FieldType.Integer),  # Arabic-Indic digits are not invariant-culture digits
    ("[I:" + "9" * 5000 + "]", FieldType.Integer),
    ("[F:abc]", FieldType.Double),
    ("[F:]", FieldType.Double),
    ("[F:1.5", FieldType.Double),
    ("[F:1,5]", FieldType.Double),
    ("[F:NaN]", FieldType.Double),
    ("[F:inf]", FieldType.Double),
    ("[F:1e999]", FieldType.Double),
    ("[F:1.5\n]", FieldType.Double),
    ("12.5", FieldType.Double),
    ("[DT:13/45/2020 00:00:00.0000000]", FieldType.Datetime),
    ("[DT:02/30/2020 00:00:00.0000000]", FieldType.Datetime),
    ("[DT:12/31/2013 24:00:00.0000000]", FieldType.Datetime),
    ("[DT:12/31/2013 23:59:59.12345678]", FieldType.Datetime),
    ("[DT:12/31/13 23:59:59.0000000]", FieldType.Datetime),
    ("[DT:2013-12-31 23:59:59]", FieldType.Datetime),
    ("[DT:12/31/2013 23:59:59.0000000]\n", FieldType.Datetime),
    ("2013-12-31T23:59:59", FieldType.Datetime),
    ("[I:2]", FieldType.Checkbox),
    ("[I:-1]", FieldType.Checkbox),
    ("[F:1]", FieldType.Checkbox),
    ("1", FieldType.Checkbox),
    ("true", FieldType.Checkbox),
]


@pytest.mark.parametrize(("text", "field_type"), STRICT_REFUSALS)
def test_strict_decode_refuses_wrong_encodings(text: str, field_type: FieldType) -> None:
    with pytest.raises(ValueError_):
        decode(text, field_type)
    assert not is_encoded(text, field_type)


def test_typed_decoders_refuse_the_empty_value() -> None:
    for decoder in (decode_int, decode_float, decode_bool, decode_datetime):
        with pytest.raises(ValueError_):
            decoder("")


# -- writing refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")]
)
def test_non_finite_numbers_are_refused_on_encode(value: float | Decimal) -> None:
    with pytest.raises(ValueError_, match="finite"):
        encode_float(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_encode_refuses_non_finite_doubles(value: float) -> None:
    with pytest.raises(ValueError_):
        encode(value, FieldType.Double)


@pytest.mark.parametrize(
    ("value", "field_type"),
    [
        ("5", FieldType.Integer),
        (True, FieldType.Integer),
        (1.0, FieldType.Integer),
        (True, FieldType.Double),
        ("1.5", FieldType.Double),
        (2, FieldType.Checkbox),
        (1.0, FieldType.Checkbox),
        ("true", FieldType.Checkbox),
        ("2020-01-01", FieldType.Datetime),
        (1.5, FieldType.Datetime),
        (5, FieldType.Text),
        (datetime(2020, 1, 1), FieldType.List),
    ],
)
def test_encode_refuses_values_of_the_wrong_kind(value: object, field_type: FieldType) -> None:
    with pytest.raises(ValueError_):
        encode(value, field_type)  # type: ignore[arg-type]


# -- lenient reading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field_type", "expected"),
    [
        ("[I:5]", FieldType.Integer, 5),  # the strict form first
        ("42", FieldType.Integer, 42),
        (" -42 ", FieldType.Integer, -42),
        ("12.5", FieldType.Double, 12.5),
        ("-0.25", FieldType.Double, -0.25),
        ("1e3", FieldType.Double, 1000.0),
        ("[D:2.5]", FieldType.Double, 2.5),
        ("true", FieldType.Checkbox, True),
        ("Yes", FieldType.Checkbox, True),
        ("1", FieldType.Checkbox, True),
        ("false", FieldType.Checkbox, False),
        ("no", FieldType.Checkbox, False),
        ("0", FieldType.Checkbox, False),
        ("[I:1]", FieldType.Checkbox, True),
        ("2020-01-02T03:04:05Z", FieldType.Datetime, datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2020-01-02T03:04:05+02:00", FieldType.Datetime, datetime(2020, 1, 2, 1, 4, 5, tzinfo=UTC)),
        ("2020-01-02 03:04:05.25", FieldType.Datetime, datetime(2020, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)),
        ("2020-01-02", FieldType.Datetime, datetime(2020, 1, 2, tzinfo=UTC)),
        ("anything [I:1]", FieldType.Text, "anything [I:1]"),
        ("", FieldType.Integer, None),
    ],
)
def test_parse_lenient_accepts_plain_forms(text: str, field_type: FieldType, expected: object) -> None:
    result = parse_lenient(text, field_type)
    assert result == expected
    assert type(result) is type(expected)
    if isinstance(result, datetime):
        assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "field_type"),
    [
        ("abc", FieldType.Integer),
        ("1.5", FieldType.Integer),
        ("9" * 5000, FieldType.Integer),  # beyond Python's int digit limit: still ValueError_
        ("maybe", FieldType.Checkbox),
        ("2", FieldType.Checkbox),
        ("twelve", FieldType.Double),
        ("NaN", FieldType.Double),
        ("inf", FieldType.Double),
        ("-Infinity", FieldType.Double),
        ("not a date", FieldType.Datetime),
        ("13/45/2020", FieldType.Datetime),
        ("0001-01-01T00:30:00+01:00", FieldType.Datetime),  # before datetime.min once in UTC
    ],
)
def test_parse_lenient_refuses_what_nothing_reads(text: str, field_type: FieldType) -> None:
    with pytest.raises(ValueError_):
        parse_lenient(text, field_type)


@settings(deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_parse_lenient_reads_plain_floats_identically(value: float) -> None:
    result = parse_lenient(repr(value), FieldType.Double)
    assert isinstance(result, float)
    assert same_float(result, value)
