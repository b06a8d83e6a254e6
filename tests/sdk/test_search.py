"""The search helpers: operators per field type, empty values, date match modes, special keys, errors."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erpsync.protocol import ErpActor, FieldMetadata, FieldType, SearchRestriction
from erpsync.protocol.codec import ValueError_, encode_datetime, encode_float, encode_int
from erpsync.sdk import search
from erpsync.sdk.search import (
    OPERATORS,
    PARENT_ACTOR_TYPE,
    PARENT_ERP_KEY,
    DateMatchMode,
    SearchError,
    actor_matches,
    is_match,
    text_matches,
    validate_restrictions,
)


def R(operator: str, *values: str, key: str = "F") -> SearchRestriction:
    return SearchRestriction(field_key=key, operator=operator, values=list(values))


def DT(text: str) -> str:
    """``"2020-01-02 10:30:15.250000"`` → the ``[DT:…]`` wire form."""
    return encode_datetime(datetime.fromisoformat(text).replace(tzinfo=UTC))


# -- the operator table ----------------------------------------------------------------------------


def test_operators_per_field_type_are_exactly_the_references() -> None:
    assert OPERATORS[FieldType.Text] == {
        "=",
        "begins",
        "contains",
        "ends",
        "notbegins",
        "notcontains",
        "notends",
        "isnot",
        "between",
    }
    assert OPERATORS[FieldType.Integer] == {"=", ">", "<", ">=", "<=", "!=", "between"}
    assert OPERATORS[FieldType.Double] == OPERATORS[FieldType.Integer]
    assert OPERATORS[FieldType.Checkbox] == {"="}
    assert OPERATORS[FieldType.List] == {"oneof", "notoneof"}
    assert OPERATORS[FieldType.Datetime] == {
        "=",
        "before",
        "after",
        "beforeOrEqual",
        "afterOrEqual",
        "between",
    }
    assert not OPERATORS[FieldType.Password]
    assert not OPERATORS[FieldType.Label]
    assert set(OPERATORS) == set(FieldType)


def test_public_names() -> None:
    assert sorted(search.__all__) == sorted(
        [
            "OPERATORS",
            "PARENT_ACTOR_TYPE",
            "PARENT_ERP_KEY",
            "DateMatchMode",
            "SearchError",
            "actor_matches",
            "is_match",
            "text_matches",
            "validate_restrictions",
        ]
    )
    assert PARENT_ERP_KEY == "ParentErpKey"
    assert PARENT_ACTOR_TYPE == "ParentActorType"
    assert issubclass(SearchError, ValueError)


# -- every operator, every type --------------------------------------------------------------------

TEXT_CASES = [
    ("Acme", "=", ["acme"], True),
    ("Acme", "=", ["Acm"], False),
    ("Acme Corp", "begins", ["ACME"], True),
    ("Acme Corp", "begins", ["corp"], False),
    ("Acme Corp", "contains", ["E C"], True),
    ("Acme Corp", "contains", ["x"], False),
    ("Acme Corp", "ends", ["CORP"], True),
    ("Acme Corp", "ends", ["acme"], False),
    ("Acme Corp", "notbegins", ["corp"], True),
    ("Acme Corp", "notbegins", ["aC"], False),
    ("Acme Corp", "notcontains", ["xyz"], True),
    ("Acme Corp", "notcontains", ["ME c"], False),
    ("Acme Corp", "notends", ["acme"], True),
    ("Acme Corp", "notends", ["orP"], False),
    ("Acme", "isnot", ["Acne"], True),
    ("Acme", "isnot", ["ACME"], False),
    ("b", "between", ["A", "C"], True),
    ("Bob", "between", ["a", "c"], True),
    ("d", "between", ["A", "C"], False),
    ("0", "between", ["a", "c"], False),
    # case folding beyond lower(): ß folds to ss
    ("Straße", "=", ["STRASSE"], True),
    ("Hauptstraße 1", "contains", ["STRASSE"], True),
]


@pytest.mark.parametrize(("value", "operator", "values", "expected"), TEXT_CASES)
def test_text_operators(value: str, operator: str, values: list[str], expected: bool) -> None:
    assert is_match(value, FieldType.Text, R(operator, *values)) is expected


INTEGER_CASES = [
    ("[I:5]", "=", ["[I:5]"], True),
    ("[I:5]", "=", ["[I:6]"], False),
    ("[I:10]", ">", ["[I:9]"], True),  # numeric, not textual ("10" < "9" as text)
    ("[I:5]", ">", ["[I:5]"], False),
    ("[I:-3]", "<", ["[I:2]"], True),
    ("[I:2]", "<", ["[I:2]"], False),
    ("[I:5]", ">=", ["[I:5]"], True),
    ("[I:4]", ">=", ["[I:5]"], False),
    ("[I:5]", "<=", ["[I:5]"], True),
    ("[I:6]", "<=", ["[I:5]"], False),
    ("[I:5]", "!=", ["[I:6]"], True),
    ("[I:5]", "!=", ["[I:5]"], False),
    ("[I:7]", "between", ["[I:5]", "[I:10]"], True),
    ("[I:4]", "between", ["[I:5]", "[I:10]"], False),
    ("[I:11]", "between", ["[I:5]", "[I:10]"], False),
    ("[I:-100000000000000000000]", "<", ["[I:-99999999999999999999]"], True),
]


@pytest.mark.parametrize(("value", "operator", "values", "expected"), INTEGER_CASES)
def test_integer_operators(value: str, operator: str, values: list[str], expected: bool) -> None:
    assert is_match(value, FieldType.Integer, R(operator, *values)) is expected


DOUBLE_CASES = [
    ("[F:2.5]", "=", ["[F:2.50]"], True),
    ("[F:2.5]", "=", ["[F:2.51]"], False),
    ("[F:0.0]", "=", ["[D:0.0]"], True),  # [D:…] is read as [F:…]
    ("[F:10.0]", ">", ["[F:9.99]"], True),
    ("[F:9.99]", ">", ["[F:10]"], False),
    ("[F:-0.5]", "<", ["[F:0]"], True),
    ("[F:0.5]", "<", ["[F:-0.5]"], False),
    ("[F:1.25]", ">=", ["[F:1.25]"], True),
    ("[F:1.24]", ">=", ["[F:1.25]"], False),
    ("[F:1.25]", "<=", ["[F:1.25]"], True),
    ("[F:1.26]", "<=", ["[F:1.25]"], False),
    ("[F:1.5]", "!=", ["[F:1.6]"], True),
    ("[F:1.5]", "!=", ["[F:1.50]"], False),
    ("[F:3]", "between", ["[F:2.5]", "[F:3.5]"], True),
    ("[F:2.4]", "between", ["[F:2.5]", "[F:3.5]"], False),
    ("[F:3.6]", "between", ["[F:2.5]", "[F:3.5]"], False),
]


@pytest.mark.parametrize(("value", "operator", "values", "expected"), DOUBLE_CASES)
def test_double_operators(value: str, operator: str, values: list[str], expected: bool) -> None:
    assert is_match(value, FieldType.Double, R(operator, *values)) is expected


CHECKBOX_CASES = [
    ("[I:1]", ["[I:1]"], True),
    ("[I:0]", ["[I:0]"], True),
    ("[I:0]", ["[I:1]"], False),
    ("[I:1]", ["[I:0]"], False),
]


@pytest.mark.parametrize(("value", "values", "expected"), CHECKBOX_CASES)
def test_checkbox_equals(value: str, values: list[str], expected: bool) -> None:
    assert is_match(value, FieldType.Checkbox, R("=", *values)) is expected


LIST_CASES = [
    ("a", "oneof", ["a", "b"], True),
    ("c", "oneof", ["a", "b"], False),
    ("b", "oneof", ["b"], True),
    ("c", "notoneof", ["a", "b"], True),
    ("a", "notoneof", ["a", "b"], False),
    ("b", "in", ["a", "b"], True),  # "in" is an alias of "oneof"
    ("c", "in", ["a", "b"], False),
    # keys are opaque identifiers: compared case-sensitively
    ("A", "oneof", ["a"], False),
    ("A", "notoneof", ["a"], True),
]


@pytest.mark.parametrize(("value", "operator", "values", "expected"), LIST_CASES)
def test_list_operators(value: str, operator: str, values: list[str], expected: bool) -> None:
    assert is_match(value, FieldType.List, R(operator, *values)) is expected


NOON = "2020-06-15 12:00:00"
DATETIME_CASES = [
    (NOON, "=", ["2020-06-15 12:00:00"], True),
    (NOON, "=", ["2020-06-15 12:01:00"], False),
    (NOON, "before", ["2020-06-15 12:01:00"], True),
    (NOON, "before", ["2020-06-15 12:00:00"], False),
    (NOON, "after", ["2020-06-15 11:59:00"], True),
    (NOON, "after", ["2020-06-15 12:00:00"], False),
    (NOON, "beforeOrEqual", ["2020-06-15 12:00:00"], True),
    (NOON, "beforeOrEqual", ["2020-06-15 11:59:00"], False),
    (NOON, "afterOrEqual", ["2020-06-15 12:00:00"], True),
    (NOON, "afterOrEqual", ["2020-06-15 12:01:00"], False),
    (NOON, "between", ["2020-06-15 12:00:00", "2020-06-15 13:00:00"], True),  # lower bound included
    (NOON, "between", ["2020-06-15 11:00:00", "2020-06-15 12:00:00"], True),  # upper bound included
    (NOON, "between", ["2020-06-15 12:01:00", "2020-06-15 13:00:00"], False),
    (NOON, "between", ["2020-06-14 00:00:00", "2020-06-15 11:59:00"], False),
    # dates compared as instants, not as [DT:MM/dd/…] text
    ("2019-12-31 00:00:00", "before", ["2020-01-01 00:00:00"], True),
]


@pytest.mark.parametrize(("value", "operator", "values", "expected"), DATETIME_CASES)
def test_datetime_operators(value: str, operator: str, values: list[str], expected: bool) -> None:
    assert is_match(DT(value), FieldType.Datetime, R(operator, *(DT(v) for v in values))) is expected


def test_reversed_between_bounds_match_nothing() -> None:
    assert not is_match("[I:7]", FieldType.Integer, R("between", "[I:10]", "[I:5]"))
    assert not is_match("b", FieldType.Text, R("between", "c", "a"))


@pytest.mark.parametrize(
    ("spelling", "field_type", "value", "values"),
    [
        ("BEGINS", FieldType.Text, "Acme", ["ac"]),
        ("Between", FieldType.Integer, "[I:5]", ["[I:1]", "[I:9]"]),
        ("beforeorequal", FieldType.Datetime, DT(NOON), [DT(NOON)]),
        ("AFTERorEQUAL", FieldType.Datetime, DT(NOON), [DT(NOON)]),
        ("OneOf", FieldType.List, "a", ["a"]),
        ("IN", FieldType.List, "a", ["a"]),
        ("NotOneOf", FieldType.List, "a", ["b"]),
    ],
)
def test_operator_names_are_case_insensitive(
    spelling: str, field_type: FieldType, value: str, values: list[str]
) -> None:
    assert is_match(value, field_type, R(spelling, *values))


# -- date match modes ------------------------------------------------------------------------------


def test_date_match_modes_and_default() -> None:
    assert [m.value for m in DateMatchMode] == [
        "DateOnly",
        "TimeOnly",
        "TimeOnly_IgnoreSeconds",
        "DateAndTime",
        "DateAndTime_IgnoreSeconds",
    ]
    for function in (is_match, actor_matches):
        default = inspect.signature(function).parameters["date_mode"].default
        assert default is DateMatchMode.DateAndTime_IgnoreSeconds
    # …and the default behaves like it: seconds are ignored, minutes are not
    assert is_match(DT("2020-01-01 10:30:59"), FieldType.Datetime, R("=", DT("2020-01-01 10:30:00")))
    assert not is_match(DT("2020-01-01 10:31:00"), FieldType.Datetime, R("=", DT("2020-01-01 10:30:00")))


MODE_CASES = [
    (DateMatchMode.DateOnly, "2020-01-01 00:00:00", "=", "2020-01-01 23:59:59", True),
    (DateMatchMode.DateOnly, "2020-01-01 23:59:59", "=", "2020-01-02 00:00:00", False),
    (DateMatchMode.DateOnly, "2020-01-01 23:00:00", "before", "2020-01-01 01:00:00", False),
    (DateMatchMode.DateOnly, "2020-01-01 23:00:00", "before", "2020-01-02 01:00:00", True),
    (DateMatchMode.TimeOnly, "2001-01-01 10:30:15", "=", "2030-07-04 10:30:15", True),
    (DateMatchMode.TimeOnly, "2001-01-01 10:30:15", "=", "2001-01-01 10:30:16", False),
    (DateMatchMode.TimeOnly, "2030-01-01 09:00:00", "before", "2000-01-01 10:00:00", True),
    (DateMatchMode.TimeOnly_IgnoreSeconds, "2001-01-01 10:30:00", "=", "2030-07-04 10:30:59", True),
    (DateMatchMode.TimeOnly_IgnoreSeconds, "2001-01-01 10:30:59", "=", "2001-01-01 10:31:00", False),
    (DateMatchMode.TimeOnly_IgnoreSeconds, "2001-01-01 10:30:59", "after", "2001-01-01 10:30:00", False),
    (DateMatchMode.DateAndTime, "2020-01-01 10:30:15", "=", "2020-01-01 10:30:15", True),
    (DateMatchMode.DateAndTime, "2020-01-01 10:30:15", "=", "2020-01-01 10:30:16", False),
    (DateMatchMode.DateAndTime, "2020-01-01 10:30:15.000001", "after", "2020-01-01 10:30:15", True),
    (DateMatchMode.DateAndTime_IgnoreSeconds, "2020-01-01 10:30:15", "=", "2020-01-01 10:30:45", True),
    (DateMatchMode.DateAndTime_IgnoreSeconds, "2020-01-01 10:30:15", "=", "2020-01-02 10:30:15", False),
    (DateMatchMode.DateAndTime_IgnoreSeconds, "2020-01-01 10:30:15", "before", "2020-01-01 10:30:45", False),
]


@pytest.mark.parametrize(("mode", "value", "operator", "target", "expected"), MODE_CASES)
def test_date_match_mode(mode: DateMatchMode, value: str, operator: str, target: str, expected: bool) -> None:
    assert is_match(DT(value), FieldType.Datetime, R(operator, DT(target)), mode) is expected


def test_date_modes_compare_in_utc() -> None:
    # 23:30 at UTC-2 is 01:30 UTC the next day
    late_evening = encode_datetime(datetime(2020, 1, 1, 23, 30, tzinfo=UTC) + timedelta(hours=2))
    assert is_match(
        late_evening, FieldType.Datetime, R("=", DT("2020-01-02 00:00:00")), DateMatchMode.DateOnly
    )


# -- empty values ----------------------------------------------------------------------------------

EMPTY_CASES = [
    # text: the empty value is the empty string
    (FieldType.Text, "", "=", [""], True),
    (FieldType.Text, "", "=", ["a"], False),
    (FieldType.Text, "", "begins", ["a"], False),
    (FieldType.Text, "", "notbegins", ["a"], True),
    (FieldType.Text, "", "contains", [""], True),
    (FieldType.Text, "", "isnot", ["a"], True),
    (FieldType.Text, "a", "=", [""], False),
    # list: an empty value is in no list unless "" is one of the keys
    (FieldType.List, "", "oneof", ["a"], False),
    (FieldType.List, "", "notoneof", ["a"], True),
    (FieldType.List, "", "oneof", ["", "a"], True),
    # checkbox: empty is unchecked
    (FieldType.Checkbox, "", "=", ["[I:0]"], True),
    (FieldType.Checkbox, "", "=", ["[I:1]"], False),
    # numbers: empty equals only empty, differs from any number, is never ordered
    (FieldType.Integer, "", "=", ["[I:0]"], False),
    (FieldType.Integer, "", "!=", ["[I:0]"], True),
    (FieldType.Integer, "", ">", ["[I:-5]"], False),
    (FieldType.Integer, "", "<", ["[I:5]"], False),
    (FieldType.Integer, "", ">=", ["[I:0]"], False),
    (FieldType.Integer, "", "<=", ["[I:0]"], False),
    (FieldType.Integer, "", "between", ["[I:-5]", "[I:5]"], False),
    (FieldType.Integer, "", "=", [""], True),
    (FieldType.Integer, "", "!=", [""], False),
    (FieldType.Integer, "[I:0]", "=", [""], False),
    (FieldType.Integer, "[I:0]", "!=", [""], True),
    (FieldType.Double, "", "=", ["[F:0.0]"], False),
    (FieldType.Double, "", "!=", ["[F:0.0]"], True),
    (FieldType.Double, "", "<", ["[F:1.5]"], False),
    (FieldType.Double, "", "=", [""], True),
    (FieldType.Double, "[F:1.5]", "!=", [""], True),
    # date-times: likewise
    (FieldType.Datetime, "", "=", [DT(NOON)], False),
    (FieldType.Datetime, "", "before", [DT(NOON)], False),
    (FieldType.Datetime, "", "after", [DT(NOON)], False),
    (FieldType.Datetime, "", "beforeOrEqual", [DT(NOON)], False),
    (FieldType.Datetime, "", "afterOrEqual", [DT(NOON)], False),
    (FieldType.Datetime, "", "between", [DT(NOON), DT(NOON)], False),
    (FieldType.Datetime, "", "=", [""], True),
    (FieldType.Datetime, DT(NOON), "=", [""], False),
]


@pytest.mark.parametrize(("field_type", "value", "operator", "values", "expected"), EMPTY_CASES)
def test_empty_values(
    field_type: FieldType, value: str, operator: str, values: list[str], expected: bool
) -> None:
    assert is_match(value, field_type, R(operator, *values)) is expected


def test_actor_values_in_plain_form_are_read_leniently() -> None:
    assert is_match("12", FieldType.Integer, R(">", "[I:11]"))
    assert is_match("2.5", FieldType.Double, R("=", "[F:2.5]"))
    assert is_match("2020-06-15T12:00:00Z", FieldType.Datetime, R("=", DT(NOON)))
    assert is_match("true", FieldType.Checkbox, R("=", "[I:1]"))


def test_unreadable_actor_value_is_a_codec_error_not_a_search_error() -> None:
    with pytest.raises(ValueError_, match="'Amount'") as caught:
        is_match("lots", FieldType.Integer, R("=", "[I:1]", key="Amount"))
    assert not isinstance(caught.value, SearchError)


# -- invalid restrictions --------------------------------------------------------------------------

INVALID_CASES = [
    # operator not valid for the type
    (FieldType.Integer, "begins", ["[I:1]"], "not an operator for Integer"),
    (FieldType.Double, "isnot", ["[F:1]"], "not an operator for Double"),
    (FieldType.Text, ">", ["a"], "not an operator for Text"),
    (FieldType.Text, "oneof", ["a"], "not an operator for Text"),
    (FieldType.Checkbox, "!=", ["[I:1]"], "not an operator for Checkbox"),
    (FieldType.Checkbox, "between", ["[I:0]", "[I:1]"], "not an operator for Checkbox"),
    (FieldType.List, "=", ["a"], "not an operator for List"),
    (FieldType.Datetime, ">", [DT(NOON)], "not an operator for Datetime"),
    (FieldType.Datetime, "!=", [DT(NOON)], "not an operator for Datetime"),
    (FieldType.Integer, "like", ["[I:1]"], "not an operator"),
    (FieldType.Integer, "", ["[I:1]"], "not an operator"),
    # not searchable at all
    (FieldType.Password, "=", ["secret"], "Password fields cannot be searched"),
    (FieldType.Label, "=", ["x"], "Label fields cannot be searched"),
    # wrong number of values
    (FieldType.Text, "=", [], "exactly one value, got 0"),
    (FieldType.Text, "contains", ["a", "b"], "exactly one value, got 2"),
    (FieldType.Integer, "between", ["[I:1]"], "exactly two values, got 1"),
    (FieldType.Integer, "between", ["[I:1]", "[I:2]", "[I:3]"], "exactly two values, got 3"),
    (FieldType.Text, "between", [], "exactly two values, got 0"),
    (FieldType.List, "oneof", [], "at least one value"),
    (FieldType.List, "notoneof", [], "at least one value"),
    (FieldType.Checkbox, "=", [], "exactly one value, got 0"),
    # values not encoded for the type
    (FieldType.Integer, "=", ["[I:1.5]"], "not an integer"),
    (FieldType.Integer, "=", ["5"], "not an integer"),
    (FieldType.Integer, "=", ["[F:5]"], "not an integer"),
    (FieldType.Double, "=", ["[F:abc]"], "not a number"),
    (FieldType.Double, "between", ["[F:1]", "2"], "not a number"),
    (FieldType.Datetime, "=", ["[DT:13/45/2020 00:00:00.0000000]"], "not a valid date-time"),
    (FieldType.Datetime, "=", ["2020-06-15"], "not a date-time"),
    (FieldType.Checkbox, "=", ["[I:2]"], "not a checkbox value"),
    (FieldType.Checkbox, "=", ["1"], "not a checkbox value"),
    (FieldType.Checkbox, "=", [""], "not a checkbox value"),
    # empty values cannot be ordered
    (FieldType.Integer, ">", [""], "empty value"),
    (FieldType.Double, "between", ["[F:1]", ""], "empty value"),
    (FieldType.Datetime, "before", [""], "empty value"),
    (FieldType.Datetime, "between", ["", DT(NOON)], "empty value"),
]


@pytest.mark.parametrize(("field_type", "operator", "values", "message"), INVALID_CASES)
def test_invalid_restrictions_raise_search_error(
    field_type: FieldType, operator: str, values: list[str], message: str
) -> None:
    restriction = R(operator, *values, key="Amount")
    with pytest.raises(SearchError, match=message) as caught:
        is_match("", field_type, restriction)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.field_key == "Amount"
    assert error.operator == operator
    assert "'Amount'" in str(error)
    assert repr(operator) in str(error)


def test_wrong_operator_message_lists_the_allowed_ones() -> None:
    with pytest.raises(SearchError, match="oneof") as caught:
        is_match("a", FieldType.List, R("=", "a"))
    assert "notoneof" in str(caught.value)


# -- whole actors ----------------------------------------------------------------------------------

FIELDS = {
    f.field_key: f
    for f in [
        FieldMetadata(field_key="Name", field_type=FieldType.Text),
        FieldMetadata(field_key="Amount", field_type=FieldType.Double),
        FieldMetadata(field_key="Count", field_type=FieldType.Integer),
        FieldMetadata(field_key="Kind", field_type=FieldType.List, list_name="kinds"),
        FieldMetadata(field_key="Active", field_type=FieldType.Checkbox),
        FieldMetadata(field_key="Created", field_type=FieldType.Datetime),
        FieldMetadata(field_key="Secret", field_type=FieldType.Password),
    ]
}
SEARCHABLE = ["Name", "Amount", "Count", "Kind", "Active", "Created"]

PERSON = ErpActor(
    actor_type="Person",
    erp_key="p-7",
    last_modified="5",
    parent_actor_type="Customer",
    parent_erp_key="C-1",
    field_values={
        "Name": "Ada Lovelace",
        "Amount": "[F:12.5]",
        "Kind": "vip",
        "Active": "[I:1]",
        "Created": DT("2020-06-15 12:00:30"),
    },
)


@pytest.mark.parametrize(
    ("restrictions", "expected"),
    [
        ([], True),
        ([R("begins", "ada", key="Name")], True),
        ([R("begins", "ada", key="Name"), R(">", "[F:10]", key="Amount")], True),
        ([R("begins", "ada", key="Name"), R(">", "[F:20]", key="Amount")], False),
        ([R(">", "[F:20]", key="Amount"), R("begins", "ada", key="Name")], False),
        (
            [
                R("contains", "LOVE", key="Name"),
                R("between", "[F:12.5]", "[F:13]", key="Amount"),
                R("oneof", "std", "vip", key="Kind"),
                R("=", "[I:1]", key="Active"),
                R("=", DT("2020-06-15 12:00:00"), key="Created"),
            ],
            True,
        ),
        ([R("notoneof", "vip", key="Kind")], False),
        ([R("=", "[I:0]", key="Active")], False),
        # special keys compare as text against the actor's parent members
        ([R("=", "c-1", key=PARENT_ERP_KEY)], True),
        ([R("=", "C-2", key=PARENT_ERP_KEY)], False),
        ([R("begins", "c-", key=PARENT_ERP_KEY)], True),
        ([R("=", "customer", key=PARENT_ACTOR_TYPE)], True),
        ([R("isnot", "Customer", key=PARENT_ACTOR_TYPE)], False),
        ([R("=", "Supplier", key=PARENT_ACTOR_TYPE), R("=", "C-1", key=PARENT_ERP_KEY)], False),
        # a field missing from FieldValues is empty
        ([R("=", "", key="Count")], True),
        ([R("!=", "[I:3]", key="Count")], True),
        ([R(">", "[I:-1]", key="Count")], False),
    ],
)
def test_actor_matches(restrictions: list[SearchRestriction], expected: bool) -> None:
    assert actor_matches(PERSON, FIELDS, restrictions) is expected


def test_actor_matches_uses_the_date_mode() -> None:
    next_second = [R("=", DT("2020-06-15 12:00:31"), key="Created")]
    other_time_same_day = [R("=", DT("2020-06-15 08:00:00"), key="Created")]
    assert not actor_matches(PERSON, FIELDS, next_second, DateMatchMode.DateAndTime)
    assert actor_matches(PERSON, FIELDS, next_second)
    assert actor_matches(PERSON, FIELDS, other_time_same_day, DateMatchMode.DateOnly)
    assert not actor_matches(PERSON, FIELDS, other_time_same_day)


def test_special_keys_without_parent() -> None:
    orphan = ErpActor(actor_type="Customer", erp_key="1")
    assert actor_matches(orphan, FIELDS, [R("=", "", key=PARENT_ERP_KEY)])
    assert not actor_matches(orphan, FIELDS, [R("=", "C-1", key=PARENT_ERP_KEY)])
    assert actor_matches(orphan, FIELDS, [R("isnot", "Customer", key=PARENT_ACTOR_TYPE)])


def test_actor_matches_refuses_an_unknown_field_even_after_a_failing_restriction() -> None:
    restrictions = [R("=", "nobody", key="Name"), R("=", "x", key="Nickname")]
    with pytest.raises(SearchError, match=r"'Nickname'.*no such field"):
        actor_matches(PERSON, FIELDS, restrictions)


def test_actor_matches_refuses_invalid_restrictions() -> None:
    with pytest.raises(SearchError, match="Password fields cannot be searched"):
        actor_matches(PERSON, FIELDS, [R("=", "x", key="Secret")])
    with pytest.raises(SearchError, match="not an operator for Text"):
        actor_matches(PERSON, FIELDS, [R(">", "a", key=PARENT_ERP_KEY)])
    with pytest.raises(SearchError, match="not an integer"):
        actor_matches(PERSON, FIELDS, [R("=", "3", key="Count")])


# -- validate_restrictions -------------------------------------------------------------------------


def test_validate_accepts_good_restrictions_and_special_keys() -> None:
    validate_restrictions(
        FIELDS,
        SEARCHABLE,
        [
            R("contains", "a", key="Name"),
            R("between", "[F:1]", "[D:2]", key="Amount"),
            R("in", "a", "b", key="Kind"),
            R("=", "[I:0]", key="Active"),
            R("AfterOrEqual", DT(NOON), key="Created"),
            R("=", "C-1", key=PARENT_ERP_KEY),  # special keys need not be listed as searchable
            R("begins", "Cust", key=PARENT_ACTOR_TYPE),
        ],
    )


@pytest.mark.parametrize(
    ("restriction", "message"),
    [
        (R("=", "x", key="Secret"), "'Secret'.*not searchable"),  # declared but not searchable
        (R("=", "x", key="Nickname"), "'Nickname'.*not searchable"),
        (R("begins", "1", key="Count"), "not an operator for Integer"),
        (R("=", "[I:1]", "[I:2]", key="Count"), "exactly one value"),
        (R("between", "[I:1]", key="Count"), "exactly two values"),
        (R("oneof", key="Kind"), "at least one value"),
        (R("=", "[F:x]", key="Amount"), "not a number"),
        (R("=", "[I:2]", key="Active"), "not a checkbox value"),
        (R("before", "yesterday", key="Created"), "not a date-time"),
        (R(">", "a", key=PARENT_ACTOR_TYPE), "not an operator for Text"),
        (R("=", key=PARENT_ERP_KEY), "exactly one value"),
    ],
)
def test_validate_refuses(restriction: SearchRestriction, message: str) -> None:
    with pytest.raises(SearchError, match=message):
        validate_restrictions(FIELDS, SEARCHABLE, [R("=", "a", key="Name"), restriction])


def test_validate_refuses_searchable_key_without_metadata() -> None:
    with pytest.raises(SearchError, match=r"'Ghost'.*no such field"):
        validate_restrictions(FIELDS, [*SEARCHABLE, "Ghost"], [R("=", "x", key="Ghost")])


def test_validate_refuses_password_even_when_listed_searchable() -> None:
    with pytest.raises(SearchError, match="Password fields cannot be searched"):
        validate_restrictions(FIELDS, [*SEARCHABLE, "Secret"], [R("=", "x", key="Secret")])


# -- free text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("", [], True),
        ("   ", ["anything"], True),
        ("acm", ["ACME Corp"], True),
        (" acme ", ["ACME Corp"], True),
        ("corp", ["Acme", "Acme Corporation"], True),
        ("STRASSE", ["Hauptstraße"], True),
        ("xyz", ["Acme", "Corp"], False),
        ("acme", [], False),
        ("acme corp", ["Acme", "Corp"], False),  # the text must occur within a single value
    ],
)
def test_text_matches(text: str, values: list[str], expected: bool) -> None:
    assert text_matches(text, *values) is expected


# -- properties ------------------------------------------------------------------------------------

_ORDERING = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


@settings(deadline=None)
@given(st.integers(), st.integers(), st.sampled_from(sorted(_ORDERING)))
def test_integer_operators_agree_with_python(a: int, b: int, operator: str) -> None:
    assert is_match(encode_int(a), FieldType.Integer, R(operator, encode_int(b))) is _ORDERING[operator](a, b)


@settings(deadline=None)
@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(sorted(_ORDERING)),
)
def test_double_operators_agree_with_python(a: float, b: float, operator: str) -> None:
    assert is_match(encode_float(a), FieldType.Double, R(operator, encode_float(b))) is _ORDERING[operator](
        a, b
    )


@settings(deadline=None)
@given(st.integers(), st.integers(), st.integers())
def test_between_is_inclusive(x: int, low: int, high: int) -> None:
    restriction = R("between", encode_int(low), encode_int(high))
    assert is_match(encode_int(x), FieldType.Integer, restriction) is (low <= x <= high)
    assert is_match(encode_int(low), FieldType.Integer, R("between", encode_int(low), encode_int(low)))


@settings(deadline=None)
@given(st.text(), st.text(), st.sampled_from(["begins", "contains", "ends"]))
def test_text_negations_are_complements(value: str, target: str, operator: str) -> None:
    positive = is_match(value, FieldType.Text, R(operator, target))
    assert is_match(value, FieldType.Text, R("not" + operator, target)) is not positive
    assert is_match(value, FieldType.Text, R("isnot", target)) is not is_match(
        value, FieldType.Text, R("=", target)
    )


# letters whose upper() and lower() fold to the same text (unlike e.g. the Turkish dotless i)
_CASED = st.text(alphabet="aAbBzZéÉßẞ -1")


@settings(deadline=None)
@given(_CASED, _CASED)
def test_text_comparison_ignores_case(value: str, target: str) -> None:
    for operator in ("=", "begins", "contains", "ends"):
        assert is_match(value.upper(), FieldType.Text, R(operator, target.lower())) is is_match(
            value.lower(), FieldType.Text, R(operator, target.upper())
        )


@settings(deadline=None)
@given(st.text(max_size=3), st.lists(st.text(max_size=3), min_size=1, max_size=4))
def test_oneof_and_notoneof_are_complements(value: str, keys: list[str]) -> None:
    inside = is_match(value, FieldType.List, R("oneof", *keys))
    assert inside is (value in keys)
    assert is_match(value, FieldType.List, R("notoneof", *keys)) is not inside


_MOMENTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1))


@settings(deadline=None)
@given(_MOMENTS, _MOMENTS)
def test_datetime_ordering_agrees_with_python_at_full_precision(a: datetime, b: datetime) -> None:
    ea, eb = encode_datetime(a), encode_datetime(b)
    mode = DateMatchMode.DateAndTime
    assert is_match(ea, FieldType.Datetime, R("=", eb), mode) is (a == b)
    assert is_match(ea, FieldType.Datetime, R("before", eb), mode) is (a < b)
    assert is_match(ea, FieldType.Datetime, R("after", eb), mode) is (a > b)
    assert is_match(ea, FieldType.Datetime, R("beforeOrEqual", eb), mode) is (a <= b)
    assert is_match(ea, FieldType.Datetime, R("afterOrEqual", eb), mode) is (a >= b)
