"""Values between trytond's JSON and the protocol's encoding.

trytond sends dates, date-times, durations and decimals as objects tagged with ``__class__``
(``{"__class__": "datetime", "year": …}``); its date-times are naive UTC. :func:`from_tryton` turns
them into Python values, :func:`to_tryton` the other way; :func:`format_last_modified` writes the
connector's ``LastModified``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsync.protocol.timestamps import as_datetime
from erpsync.sdk.errors import InvalidValue
from erpsync.sdk.languages import explain as _

__all__ = [
    "TrytonValueError",
    "format_last_modified",
    "from_tryton",
    "normalise_since",
    "parse_last_modified",
    "stamp_of",
    "to_tryton",
]

_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\Z")


class TrytonValueError(ValueError):
    """trytond sent a value of a shape we do not know."""


def _int(data: dict[str, Any], key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TrytonValueError(f"a tagged value has no integer {key!r}")
    return value


def from_tryton(value: Any) -> Any:
    """A trytond JSON value as Python: tagged objects become date/datetime/timedelta/Decimal."""
    if not isinstance(value, dict) or "__class__" not in value:
        return value
    kind = value["__class__"]
    try:
        match kind:
            case "datetime":
                return datetime(
                    _int(value, "year"), _int(value, "month"), _int(value, "day"),
                    _int(value, "hour", 0), _int(value, "minute", 0), _int(value, "second", 0),
                    _int(value, "microsecond", 0), tzinfo=UTC,
                )  # fmt: skip
            case "date":
                return date(_int(value, "year"), _int(value, "month"), _int(value, "day"))
            case "timedelta":
                seconds = value.get("seconds")
                if not isinstance(seconds, int | float) or isinstance(seconds, bool):
                    raise TrytonValueError("a timedelta has no seconds")
                return timedelta(seconds=seconds)
            case "Decimal":
                return Decimal(str(value.get("decimal")))
    except (ValueError, OverflowError, InvalidOperation) as exc:
        raise TrytonValueError(
            _("Tryton sent an invalid %(kind)s: %(problem)s", kind=kind, problem=str(exc))
        ) from None
    raise TrytonValueError(_("Tryton sent a value of unknown class %(kind)r", kind=kind))


def to_tryton(value: Any) -> Any:
    """A Python value as trytond reads it (aware date-times are sent as naive UTC)."""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return {
            "__class__": "datetime", "year": moment.year, "month": moment.month, "day": moment.day,
            "hour": moment.hour, "minute": moment.minute, "second": moment.second,
            "microsecond": moment.microsecond,
        }  # fmt: skip
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    return value


def format_last_modified(moment: datetime) -> str:
    """``2026-11-25T21:03:11.000412Z``: fixed width, so text order is time order, and the hub reads
    it as a date-time (which lets the "newest wins" conflict policy compare it)."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}Z"
    )


def stamp_of(value: Any) -> str:
    """A trytond date-time (naive UTC) as a ``LastModified`` text; ``""`` for none.

    The same as ``format_last_modified(from_tryton(value))`` without the detour: a feed reads one
    for every party and child row.
    """
    if value is None:
        return ""
    try:
        if value["__class__"] != "datetime":
            raise TypeError
        moment = datetime(
            value["year"], value["month"], value["day"], value.get("hour", 0), value.get("minute", 0),
            value.get("second", 0), value.get("microsecond", 0),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError, OverflowError):
        raise TrytonValueError(_("Tryton sent %(value)r where a date-time belongs", value=value)) from None
    return moment.isoformat(timespec="microseconds") + "Z"


def parse_last_modified(text: str) -> datetime:
    """The instant of one of our ``LastModified`` values."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def normalise_since(text: str) -> str:
    """A caller's ``UpdatedOnOrAfter`` in our format; ``""`` stays ``""`` (from the beginning).

    Our own values pass unchanged; other date-times (``[DT:…]``, ISO 8601) are converted.
    """
    if not text or _STAMP.match(text):
        return text
    moment = as_datetime(text)
    if moment is None:
        raise InvalidValue(
            _("%(value)r is not a timestamp of the Tryton connector.", value=text),
            "expected YYYY-MM-DDTHH:MM:SS.ffffffZ, an ISO 8601 date-time or [DT:…]",
        )
    return format_last_modified(moment)
