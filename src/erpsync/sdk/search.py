"""Search helpers for connectors: the operators of the reference (§4.5) evaluated over encoded values.

A connector that keeps its actors in memory (or fetched a candidate set) implements
``SearchActorsAdvanced`` as ``validate_restrictions`` once, then ``actor_matches`` per actor, and
``SearchActors`` / ``SearchActorByParent`` with :func:`text_matches`.

Operators per field type are in :data:`OPERATORS`. Operator names are matched case-insensitively
(``Begins``, ``BETWEEN`` and ``beforeorequal`` are accepted) and ``in`` is an alias of ``oneof``.
Password and Label fields cannot be searched. Restrictions are combined with AND; no restrictions
match every actor.

Comparison rules:

* Text (and the special keys ``ParentErpKey`` / ``ParentActorType``, which compare as text against
  the actor's parent members) compares case-insensitively (``str.casefold``); ``between`` orders
  the casefolded strings.
* List values are compared with ``oneof`` / ``notoneof`` against the restriction's item keys
  **case-sensitively**: keys are the connector's opaque identifiers, so ``a`` and ``A`` may be two
  different items.
* Integer and Double compare numerically; Checkbox compares ``[I:0]`` / ``[I:1]``.
* Datetime compares in UTC after projecting both sides through a :class:`DateMatchMode`
  (default :attr:`DateMatchMode.DateAndTime_IgnoreSeconds`, as the reference's helper).
* ``between`` takes exactly two values and includes both bounds; as in SQL, a lower bound above
  the upper bound matches nothing. ``oneof`` / ``notoneof`` take one or more values; every other
  operator takes exactly one.

Empty values (``""``):

* An actor's missing field counts as empty.
* Text and List: the empty value is the empty string and follows the ordinary rules — empty text
  ``=`` ``""``, does not begin with ``"ab"`` (so ``notbegins "ab"`` and ``isnot "ab"`` match), and an
  empty list value is in ``oneof`` only when ``""`` is one of the keys (so ``notoneof`` matches it).
* Checkbox: an empty value is unchecked, equal to ``[I:0]``. The restriction value itself must be
  ``[I:0]`` or ``[I:1]``.
* Integer, Double and Datetime: an empty actor value equals only an empty restriction value, is
  unequal (``!=``) to every non-empty one, and never satisfies an ordering operator (``>``, ``<``,
  ``>=``, ``<=``, ``before``, ``after``, ``beforeOrEqual``, ``afterOrEqual``, ``between``). An empty
  restriction value is accepted only by ``=`` (meaning "is empty") and ``!=`` ("is not empty").

Errors: a restriction that cannot be evaluated (unknown operator for the type, wrong number of
values, a value not encoded for the type, an unknown or unsearchable field) raises
:class:`SearchError` — a ``ValueError`` the host answers with ``InvalidValue``. Restriction values are
decoded strictly (:func:`erpsync.protocol.codec.decode`); actor values are read with
:func:`~erpsync.protocol.codec.parse_lenient`, and an actor value that cannot be read at all is the
connector's own data fault: it raises the codec's ``ValueError_``, not :class:`SearchError`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from erpsync.protocol import ErpActor, FieldMetadata, FieldType, SearchRestriction
from erpsync.protocol.codec import Value, ValueError_, decode, decode_bool, parse_lenient

__all__ = [
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

#: Special restriction key: only actors whose ``ParentErpKey`` matches.
PARENT_ERP_KEY = "ParentErpKey"
#: Special restriction key: only actors whose ``ParentActorType`` matches.
PARENT_ACTOR_TYPE = "ParentActorType"
_SPECIAL_KEYS = {PARENT_ERP_KEY: "parent_erp_key", PARENT_ACTOR_TYPE: "parent_actor_type"}

_TEXT_OPERATORS = frozenset(
    {"=", "begins", "contains", "ends", "notbegins", "notcontains", "notends", "isnot", "between"}
)
_NUMBER_OPERATORS = frozenset({"=", ">", "<", ">=", "<=", "!=", "between"})

#: The operators each field type supports; Password and Label fields are not searchable (no operators).
OPERATORS: dict[FieldType, frozenset[str]] = {
    FieldType.Text: _TEXT_OPERATORS,
    FieldType.Password: frozenset(),
    FieldType.Label: frozenset(),
    FieldType.Integer: _NUMBER_OPERATORS,
    FieldType.Double: _NUMBER_OPERATORS,
    FieldType.Checkbox: frozenset({"="}),
    FieldType.List: frozenset({"oneof", "notoneof"}),
    FieldType.Datetime: frozenset({"=", "before", "after", "beforeOrEqual", "afterOrEqual", "between"}),
}

# Lower-cased spelling → canonical operator; "in" is the reference's other name for "oneof".
_CANONICAL = {op.casefold(): op for ops in OPERATORS.values() for op in ops} | {"in": "oneof"}
_MULTI_VALUED = frozenset({"oneof", "notoneof"})
_EMPTY_ALLOWED = frozenset({"=", "!="})  # operators that accept "" as a typed restriction value


class DateMatchMode(StrEnum):
    """Which part of two date-times a Datetime restriction compares (both taken in UTC)."""

    DateOnly = "DateOnly"
    TimeOnly = "TimeOnly"
    TimeOnly_IgnoreSeconds = "TimeOnly_IgnoreSeconds"
    DateAndTime = "DateAndTime"
    DateAndTime_IgnoreSeconds = "DateAndTime_IgnoreSeconds"


class SearchError(ValueError):
    """A restriction cannot be evaluated; the message names the field and the operator."""

    def __init__(self, field_key: str, operator: str, reason: str) -> None:
        super().__init__(f"Cannot search field {field_key!r} with operator {operator!r}: {reason}")
        self.field_key = field_key
        self.operator = operator
        self.reason = reason


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...
    def __le__(self, other: Any, /) -> bool: ...


_T = TypeVar("_T", bound=_Ordered)


@dataclass(frozen=True, slots=True)
class _Criterion:
    """A checked restriction: canonical operator and decoded values (casefolded for text)."""

    field_key: str
    field_type: FieldType
    operator: str
    values: tuple[Value, ...]


def _prepare(field_key: str, field_type: FieldType, restriction: SearchRestriction) -> _Criterion:
    given = restriction.operator
    allowed = OPERATORS.get(field_type, frozenset())
    if not allowed:
        raise SearchError(field_key, given, f"{field_type.value} fields cannot be searched")
    operator = _CANONICAL.get(given.casefold())
    if operator is None or operator not in allowed:
        raise SearchError(
            field_key,
            given,
            f"not an operator for {field_type.value} fields (use one of {', '.join(sorted(allowed))})",
        )
    count = len(restriction.values)
    if operator == "between" and count != 2:
        raise SearchError(field_key, given, f"'between' needs exactly two values, got {count}")
    if operator in _MULTI_VALUED and count < 1:
        raise SearchError(field_key, given, f"{operator!r} needs at least one value, got none")
    if operator != "between" and operator not in _MULTI_VALUED and count != 1:
        raise SearchError(field_key, given, f"{operator!r} needs exactly one value, got {count}")
    values = tuple(
        _decode_restriction_value(field_key, field_type, given, operator, v) for v in restriction.values
    )
    return _Criterion(field_key, field_type, operator, values)


def _decode_restriction_value(
    field_key: str, field_type: FieldType, given: str, operator: str, text: str
) -> Value:
    try:
        if field_type is FieldType.Checkbox:
            return decode_bool(text)
        value = decode(text, field_type)
    except ValueError_ as exc:
        raise SearchError(field_key, given, str(exc)) from None
    if value is None and operator not in _EMPTY_ALLOWED:
        raise SearchError(field_key, given, f"an empty value cannot be compared with {operator!r}")
    if isinstance(value, str) and field_type is FieldType.Text:
        return value.casefold()
    return value


def _read_actor_value(criterion: _Criterion, text: str) -> Value:
    try:
        return parse_lenient(text, criterion.field_type)
    except ValueError_ as exc:
        message = f"the actor's value of field {criterion.field_key!r} cannot be read: {exc}"
        raise ValueError_(message) from None


def _ordered(operator: str, actual: _T | None, targets: Sequence[_T | None]) -> bool:
    """Equality and ordering operators shared by numbers, date-times and text."""
    if operator == "=":
        return actual == targets[0]
    if operator in ("!=", "isnot"):
        return actual != targets[0]
    if actual is None:
        return False  # an empty value is never before, after or between anything
    low = targets[0]
    assert low is not None  # _prepare refuses empty values for ordering operators
    match operator:
        case ">" | "after":
            return low < actual
        case ">=" | "afterOrEqual":
            return low <= actual
        case "<" | "before":
            return actual < low
        case "<=" | "beforeOrEqual":
            return actual <= low
        case "between":
            high = targets[1]
            assert high is not None
            return low <= actual and actual <= high
    raise AssertionError(f"unhandled operator {operator!r}")  # pragma: no cover


def _match_text(operator: str, actual: str, targets: Sequence[str]) -> bool:
    target = targets[0]
    match operator:
        case "begins":
            return actual.startswith(target)
        case "notbegins":
            return not actual.startswith(target)
        case "contains":
            return target in actual
        case "notcontains":
            return target not in actual
        case "ends":
            return actual.endswith(target)
        case "notends":
            return not actual.endswith(target)
    return _ordered(operator, actual, targets)


_DateKey = Callable[[datetime], Any]

_DATE_KEYS: dict[DateMatchMode, _DateKey] = {
    DateMatchMode.DateOnly: lambda d: d.date(),
    DateMatchMode.TimeOnly: lambda d: d.time(),
    DateMatchMode.TimeOnly_IgnoreSeconds: lambda d: d.time().replace(second=0, microsecond=0),
    DateMatchMode.DateAndTime: lambda d: d,
    DateMatchMode.DateAndTime_IgnoreSeconds: lambda d: d.replace(second=0, microsecond=0),
}


def _date_key(value: Value, mode: DateMatchMode) -> date | time | datetime | None:
    if value is None:
        return None
    assert isinstance(value, datetime)
    key: date | time | datetime = _DATE_KEYS[mode](value)
    return key


def _number(value: Value) -> float | None:
    assert value is None or isinstance(value, int | float)
    return value


def _evaluate(criterion: _Criterion, text: str, date_mode: DateMatchMode) -> bool:
    operator, targets = criterion.operator, criterion.values
    match criterion.field_type:
        case FieldType.List:
            keys = {str(t) for t in targets}
            return (text in keys) == (operator == "oneof")
        case FieldType.Text:
            return _match_text(operator, text.casefold(), [str(t) for t in targets])
        case FieldType.Checkbox:
            return bool(_read_actor_value(criterion, text)) == targets[0]
        case FieldType.Datetime:
            actual = _date_key(_read_actor_value(criterion, text), date_mode)
            return _ordered(operator, actual, [_date_key(t, date_mode) for t in targets])
        case _:  # Integer, Double
            actual_number = _number(_read_actor_value(criterion, text))
            return _ordered(operator, actual_number, [_number(t) for t in targets])


def is_match(
    value: str,
    field_type: FieldType,
    restriction: SearchRestriction,
    date_mode: DateMatchMode = DateMatchMode.DateAndTime_IgnoreSeconds,
) -> bool:
    """Does the encoded ``value`` of a ``field_type`` field satisfy ``restriction``?

    Raises :class:`SearchError` when the restriction is invalid for the type.
    """
    return _evaluate(_prepare(restriction.field_key, field_type, restriction), value, date_mode)


def _resolve(fields: Mapping[str, FieldMetadata], restriction: SearchRestriction) -> FieldType:
    key = restriction.field_key
    if key in _SPECIAL_KEYS:
        return FieldType.Text
    meta = fields.get(key)
    if meta is None:
        raise SearchError(key, restriction.operator, "no such field")
    return meta.field_type


def actor_matches(
    actor: ErpActor,
    fields: Mapping[str, FieldMetadata],
    restrictions: Sequence[SearchRestriction],
    date_mode: DateMatchMode = DateMatchMode.DateAndTime_IgnoreSeconds,
) -> bool:
    """Does ``actor`` satisfy every restriction (AND)?

    ``fields`` maps field key → metadata of the actor type. ``ParentErpKey`` / ``ParentActorType``
    compare as text against the actor's parent members; a field missing from ``actor.field_values``
    is empty. Every restriction is checked before any is evaluated, so an invalid one raises
    :class:`SearchError` whatever the actor holds.
    """
    criteria = [_prepare(r.field_key, _resolve(fields, r), r) for r in restrictions]
    for criterion in criteria:
        special = _SPECIAL_KEYS.get(criterion.field_key)
        if special is not None:
            value: str = getattr(actor, special)
        else:
            value = actor.field_values.get(criterion.field_key, "")
        if not _evaluate(criterion, value, date_mode):
            return False
    return True


def validate_restrictions(
    fields: Mapping[str, FieldMetadata],
    searchable: Collection[str],
    restrictions: Sequence[SearchRestriction],
) -> None:
    """Refuse a search before scanning: raises :class:`SearchError` for the first restriction whose
    field is not searchable (special keys always are), whose operator does not fit the field's type,
    whose number of values is wrong, or whose values are not encoded for the type."""
    for restriction in restrictions:
        key = restriction.field_key
        if key not in _SPECIAL_KEYS and key not in searchable:
            raise SearchError(key, restriction.operator, "the field is not searchable")
        _prepare(key, _resolve(fields, restriction), restriction)


def text_matches(search_text: str, *values: str) -> bool:
    """The free-text rule of ``SearchActors``: blank text matches everything; otherwise the text
    (trimmed) must occur, case-insensitively, in at least one of ``values``."""
    needle = search_text.strip().casefold()
    if not needle:
        return True
    return any(needle in value.casefold() for value in values)
