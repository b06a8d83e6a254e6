"""Search restrictions as Tryton domains.

:func:`restriction_domain` translates one restriction (already checked by the SDK's
``validate_restrictions``) into a Tryton domain clause for its :class:`~.actors.Column`. The result
is never narrower than the restriction, so no match is lost; the connector then checks every record
Tryton returns with the SDK's own rules (``actor_matches``), which makes the outcome exact. A clause
is left out (``None``) only where Tryton cannot express it without losing matches: negations on a
column that is not exactly the actor's value, and ``between`` on text (the protocol compares text
case-insensitively, Tryton's ordering does not).

Rules per kind: text ``=``/``isnot`` are ``ilike``/``not ilike`` with ``%``, ``_`` and ``\\``
escaped, ``begins``/``contains``/``ends`` add ``%``; an empty value or a negation also matches
records without a value (SQL's ``NOT LIKE`` would drop them). Date-times compare to the minute, as
the SDK's default match mode does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from erpsync.protocol import FieldType, SearchRestriction
from erpsync.protocol.codec import Value, decode, decode_bool

from .actors import Column, ColumnKind
from .values import to_tryton

__all__ = ["Domain", "escape_like", "restriction_domain"]

Domain = list[Any]

_MINUTE = timedelta(minutes=1)
_NEGATIONS = frozenset({"isnot", "notbegins", "notcontains", "notends", "notoneof", "!="})
_FIELD_TYPE = {
    ColumnKind.text: FieldType.Text,
    ColumnKind.number: FieldType.Double,
    ColumnKind.hours: FieldType.Double,
    ColumnKind.datetime: FieldType.Datetime,
    ColumnKind.inactive: FieldType.Checkbox,
    ColumnKind.code: FieldType.List,
    ColumnKind.record: FieldType.List,
}
_CANONICAL = {
    name.casefold(): name
    for name in (
        "=", "begins", "contains", "ends", "notbegins", "notcontains", "notends", "isnot", "between",
        ">", "<", ">=", "<=", "!=", "oneof", "notoneof", "before", "after", "beforeOrEqual", "afterOrEqual",
    )
} | {"in": "oneof"}  # fmt: skip


def escape_like(text: str) -> str:
    """``text`` as a literal inside a Tryton ``like`` pattern (backslash is Tryton's escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _or_empty(path: str, clause: Domain) -> Domain:
    return ["OR", (path, "=", None), clause]


def _text(path: str, operator: str, value: str) -> Domain | None:
    if not value:
        if operator == "=":
            return ["OR", (path, "=", None), (path, "=", "")]
        if operator == "isnot":
            return [(path, "!=", None), (path, "!=", "")]
    literal = escape_like(value)
    patterns = {
        "=": literal, "isnot": literal,
        "begins": literal + "%", "notbegins": literal + "%",
        "contains": f"%{literal}%", "notcontains": f"%{literal}%",
        "ends": "%" + literal, "notends": "%" + literal,
    }  # fmt: skip
    pattern = patterns.get(operator)
    if pattern is None:  # between: compared case-insensitively by the connector
        return None
    if operator in _NEGATIONS:
        return _or_empty(path, [(path, "not ilike", pattern)])
    return [(path, "ilike", pattern)]


def _ordered(path: str, operator: str, values: Sequence[Any]) -> Domain:
    """Numbers and durations: the SQL operators as they are; ``!=`` also finds empty values."""
    match operator:
        case "=":
            return [(path, "=", values[0])]
        case "!=":
            if values[0] is None:
                return [(path, "!=", None)]
            return _or_empty(path, [(path, "!=", values[0])])
        case "between":
            return [(path, ">=", values[0]), (path, "<=", values[1])]
    return [(path, operator, values[0])]


def _minute(value: Value) -> datetime:
    assert isinstance(value, datetime)
    return value.replace(second=0, microsecond=0)


def _datetime(path: str, operator: str, values: Sequence[Value]) -> Domain:
    """Compared to the minute: ``=`` is the whole minute, ``after`` starts at the next one."""
    if values[0] is None:
        return [(path, "=" if operator == "=" else "!=", None)]
    low = _minute(values[0])
    high = _minute(values[-1]) + _MINUTE
    start, end = to_tryton(low), to_tryton(low + _MINUTE)
    match operator:
        case "=":
            return [(path, ">=", start), (path, "<", end)]
        case "before":
            return [(path, "<", start)]
        case "beforeOrEqual":
            return [(path, "<", end)]
        case "after":
            return [(path, ">=", end)]
        case "afterOrEqual":
            return [(path, ">=", start)]
    return [(path, ">=", start), (path, "<", to_tryton(high))]  # between


def _keys(kind: ColumnKind, keys: Sequence[str]) -> list[Any]:
    if kind is ColumnKind.code:
        return [k for k in keys if k]
    return [int(k) for k in keys if k.isascii() and k.isdigit()]


def _list(path: str, kind: ColumnKind, operator: str, keys: Sequence[str]) -> Domain:
    wanted = _keys(kind, keys)
    if operator == "oneof":
        clause: Domain = [(path, "in", wanted)]
        return ["OR", (path, "=", None), clause] if "" in keys else clause
    clause = [(path, "not in", wanted)]
    return clause if "" in keys else _or_empty(path, clause)


def _inner(column: Column) -> str:
    """The path inside a ``where`` clause: ``contact_mechanisms.value`` → ``value``."""
    return column.path.split(".", 1)[1] if column.where else column.path


def restriction_domain(column: Column, restriction: SearchRestriction) -> Domain | None:
    """The Tryton domain for ``restriction`` on ``column``; ``None`` when it cannot narrow safely."""
    operator = _CANONICAL.get(restriction.operator.casefold(), restriction.operator)
    if not column.exact and operator in _NEGATIONS:
        return None
    field_type = _FIELD_TYPE[column.kind]
    values = restriction.values
    domain: Domain | None
    match column.kind:
        case ColumnKind.text if column.part:
            # Any text test that holds for a part of the column holds for "contains" on the whole.
            usable = operator in ("=", "begins", "contains", "ends") and values[0]
            domain = _text(column.path, "contains", values[0]) if usable else None
        case ColumnKind.text:
            domain = _text(_inner(column), operator, values[0])
        case ColumnKind.code | ColumnKind.record:
            domain = _list(column.path, column.kind, operator, values)
        case ColumnKind.inactive:
            domain = [(column.path, "=", not decode_bool(values[0]))]
        case ColumnKind.datetime:
            domain = _datetime(column.path, operator, [decode(v, field_type) for v in values])
        case ColumnKind.hours:
            hours = [decode(v, field_type) for v in values]
            durations = [to_tryton(timedelta(hours=h)) if isinstance(h, int | float) else None for h in hours]
            domain = _ordered(column.path, operator, durations)
        case _:
            domain = _ordered(column.path, operator, [decode(v, field_type) for v in values])
    if domain is None or not column.where:
        return domain
    # A one-to-many row of one kind: ("contact_mechanisms", "where", [("type", "=", "phone"), …]).
    relation = column.path.split(".", 1)[0]
    return [(relation, "where", [*column.where, domain])]
