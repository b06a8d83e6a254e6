from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from erpsync.crm.catalogue import field
from erpsync.crm.values import ValueProblem, coerce


def test_text() -> None:
    name = field("company", "name")
    assert coerce(name, "Acme") == "Acme"
    assert coerce(field("company", "phone"), "") is None  # empty text is no value
    for bad, message in [
        (5, "must be text"),
        ("x" * 201, "longer than 200"),
        ("a\x00b", "NUL"),
        ("\ud800", "Unicode"),
        ("", "required"),
        (None, "required"),
    ]:
        with pytest.raises(ValueProblem, match=message):
            coerce(name, bad)


def test_numbers_and_checkbox() -> None:
    employees = field("company", "employees")
    assert coerce(employees, 12) == 12
    for bad in (1.5, "12", True, 2**31):
        with pytest.raises(ValueProblem):
            coerce(employees, bad)
    turnover = field("company", "turnover")
    assert coerce(turnover, 3) == 3.0
    assert isinstance(coerce(turnover, 3), float)
    for bad in (float("nan"), float("inf"), "1.5", False, 10**400):
        with pytest.raises(ValueProblem):
            coerce(turnover, bad)
    no_mailings = field("company", "no_mailings")
    assert coerce(no_mailings, True) is True
    for bad in (None, 1, "true"):
        with pytest.raises(ValueProblem, match="true or false"):
            coerce(no_mailings, bad)


def test_dates_become_utc() -> None:
    birth = field("person", "birth_date")
    oslo = timezone(timedelta(hours=2))
    assert coerce(birth, datetime(2000, 1, 1, 12, tzinfo=oslo)) == datetime(2000, 1, 1, 10, tzinfo=UTC)
    assert coerce(birth, datetime(2000, 1, 1, 12)) == datetime(2000, 1, 1, 12, tzinfo=UTC)
    with pytest.raises(ValueProblem, match="out of range"):
        coerce(birth, datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))
    with pytest.raises(ValueProblem, match="date-time"):
        coerce(birth, "2000-01-01")


def test_list_values_are_item_ids() -> None:
    country = field("company", "country")
    assert coerce(country, 7) == 7
    assert coerce(country, None) is None
    for bad in ("7", 0, -1, True, 2**40):
        with pytest.raises(ValueProblem, match="list item"):
            coerce(country, bad)
