"""Search cases: restrictions whose outcome for a known actor value is certain.

For every operator of a field's type, :func:`cases_for` builds restrictions around the actor's own
value, some that must find the actor and some that must not (text ``begins`` its first letters: in;
``begins`` text it does not hold: out; integers around ``n``; date-times a day either side …). The
outcome holds whether the connector compares date-times to the day or to the second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from erpsync.protocol import FieldType
from erpsync.protocol.codec import (
    decode,
    encode_bool,
    encode_datetime,
    encode_float,
    encode_int,
)

__all__ = ["Case", "cases_for"]


@dataclass(frozen=True, slots=True)
class Case:
    """One restriction's values and whether the actor must be among the results."""

    values: tuple[str, ...]
    found: bool

    def describe(self) -> str:
        return f"{list(self.values)} should {'find' if self.found else 'not find'} it"


_ABSENT = ("#~", "~#~", "#~#~#")


def _absent(value: str) -> str:
    """Text that ``value`` neither begins, ends nor contains."""
    folded = value.casefold()
    return next(a for a in _ABSENT if a not in folded)


def _text_cases(operator: str, v: str, other: str) -> list[Case]:
    head, tail = v[:3], v[-3:]
    middle = v[1:-1] if len(v) >= 3 else v
    absent = _absent(v)
    table: dict[str, list[Case]] = {
        "=": [Case((v,), True), Case((v + "x",), False)],
        "isnot": [Case((v + "x",), True), Case((v,), False)],
        "begins": [Case((head,), True), Case((absent,), False)],
        "notbegins": [Case((absent,), True), Case((head,), False)],
        "contains": [Case((middle,), True), Case((absent,), False)],
        "notcontains": [Case((absent,), True), Case((middle,), False)],
        "ends": [Case((tail,), True), Case((absent,), False)],
        "notends": [Case((absent,), True), Case((tail,), False)],
        "between": [Case((v, v), True), Case((v + "a", v + "b"), False)],
    }
    cases = table[operator]
    swapped = v.swapcase()
    if operator == "=" and swapped != v and swapped.casefold() == v.casefold():
        # Text comparisons are case-insensitive (reference §4.5).
        cases.append(Case((swapped,), True))
    return cases


def _ordered_cases(operator: str, at: str, below: str, above: str, further: str) -> list[Case]:
    """Equality and ordering cases from the value and three neighbours: below < at < above < further."""
    table: dict[str, list[Case]] = {
        "=": [Case((at,), True), Case((above,), False)],
        "!=": [Case((above,), True), Case((at,), False)],
        ">": [Case((below,), True), Case((at,), False)],
        "<": [Case((above,), True), Case((at,), False)],
        ">=": [Case((at,), True), Case((above,), False)],
        "<=": [Case((at,), True), Case((below,), False)],
        "before": [Case((above,), True), Case((below,), False)],
        "after": [Case((below,), True), Case((above,), False)],
        "beforeOrEqual": [Case((at,), True), Case((below,), False)],
        "afterOrEqual": [Case((at,), True), Case((above,), False)],
        "between": [Case((below, above), True), Case((above, further), False)],
    }
    return table[operator]


def _integer_cases(operator: str, v: str, other: str) -> list[Case]:
    n = decode(v, FieldType.Integer)
    assert isinstance(n, int)
    return _ordered_cases(operator, v, encode_int(n - 1), encode_int(n + 1), encode_int(n + 2))


def _double_cases(operator: str, v: str, other: str) -> list[Case]:
    x = decode(v, FieldType.Double)
    assert isinstance(x, float)
    step = max(1.0, abs(x) / 1000)
    return _ordered_cases(
        operator, v, encode_float(x - step), encode_float(x + step), encode_float(x + 2 * step)
    )


def _datetime_cases(operator: str, v: str, other: str) -> list[Case]:
    d = decode(v, FieldType.Datetime)
    day = timedelta(days=1)
    assert isinstance(d, datetime)
    return _ordered_cases(
        operator, v, encode_datetime(d - day), encode_datetime(d + day), encode_datetime(d + 2 * day)
    )


def _checkbox_cases(operator: str, v: str, other: str) -> list[Case]:
    checked = bool(decode(v, FieldType.Checkbox)) if v else False
    return [Case((encode_bool(checked),), True), Case((encode_bool(not checked),), False)]


def _list_cases(operator: str, v: str, other: str) -> list[Case]:
    if operator == "oneof":
        return [Case((v,), True), Case((other,), False), Case((other, v), True)]
    return [Case((other,), True), Case((v,), False), Case((other, v), False)]


_BUILDERS: dict[FieldType, Callable[[str, str, str], list[Case]]] = {
    FieldType.Text: _text_cases,
    FieldType.Integer: _integer_cases,
    FieldType.Double: _double_cases,
    FieldType.Datetime: _datetime_cases,
    FieldType.Checkbox: _checkbox_cases,
    FieldType.List: _list_cases,
}


def cases_for(field_type: FieldType, operator: str, value: str, other: str) -> list[Case]:
    """Cases for ``operator`` on a field of ``field_type`` whose actor value is ``value``.

    ``other`` is a different value of the same kind where one is needed (another list item key).
    An empty ``value`` has no certain outcome except for checkboxes (unchecked): the caller skips it.
    Raises the codec's ``ValueError_`` when ``value`` is not encoded for the type.
    """
    return _BUILDERS[field_type](operator, value, other)
